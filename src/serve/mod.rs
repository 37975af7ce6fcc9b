//! `vaultbook serve`: build the book, serve it over HTTP, rebuild on every change and reload the
//! open pages.
//!
//! The pieces, one module each:
//! - [`builder`]: the rebuild function, a parameter ([`Builder`]); [`PipelineBuilder`] is the
//!   real one, tests pass a closure.
//! - [`generation`]: every build renders into a fresh staging directory; a finished book is
//!   swapped in atomically and an old one is deleted once no request reads it.
//! - [`watch`]: notify on the vault, `templates/` and book.toml (or [`poll`] with `--poll`),
//!   filtered and turned into [`Changes`].
//! - [`guard`]: who may talk to the server: the `Host` of every request, the `Origin` of every
//!   websocket handshake.
//! - [`reload`]: the live-reload websocket and the script injected into every served page.
//! - [`server`]: HTTP: files of the current generation (streamed, with ranges and validators),
//!   the error and "building" pages.
//! - [`listen`]: the accept loop: a header timeout and a cap on open connections.
//!
//! The modules depend one way: `server` → `reload` → `guard`, and `listen` knows only a router.
//!
//! The order that keeps a reload from racing the build: build into staging, swap what is served,
//! then tell the pages to reload. Changes that arrive during a build are collected and built
//! right after, so the served book always catches up with the vault.

mod builder;
mod generation;
mod guard;
mod listen;
mod poll;
mod reload;
mod server;
mod watch;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use tokio::sync::{broadcast, mpsc, watch as tokio_watch};

pub use builder::{BuildRequest, Builder, PipelineBuilder};
pub use generation::{Generation, Generations};
pub use listen::Limits;
pub use reload::Push;
pub use watch::Changes;

/// How long the watcher waits for quiet before it starts a build (an editor's save is several
/// events within a few milliseconds).
pub const DEBOUNCE_QUIET: Duration = Duration::from_millis(60);
/// The longest a stream of events can hold a build back.
pub const DEBOUNCE_MAX: Duration = Duration::from_millis(400);
/// How long a connection may take to send a request's head before it is closed.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// The most connections open at once (lowered to what the file descriptor limit allows).
pub const MAX_CONNECTIONS: usize = 512;

/// What `vaultbook serve` was asked to do.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The book root, holding book.toml.
    pub root: PathBuf,
    /// The address to listen on; loopback unless the user says otherwise.
    pub hostname: String,
    /// The port; 0 picks a free one.
    pub port: u16,
    /// Poll the file system instead of using OS events (network and WSL file systems).
    pub poll: bool,
    /// Watch for changes at all (tests that trigger rebuilds by hand turn it off).
    pub watch: bool,
    /// How long a connection may take to send a request's head ([`HEADER_TIMEOUT`]).
    pub header_timeout: Duration,
    /// The most connections open at once ([`MAX_CONNECTIONS`]; websockets count).
    pub max_connections: usize,
}

impl ServeOptions {
    /// Options for serving the book at `root` on 127.0.0.1:`port`, watching with OS events.
    pub fn new(root: impl Into<PathBuf>, port: u16) -> ServeOptions {
        ServeOptions {
            root: root.into(),
            hostname: "127.0.0.1".to_string(),
            port,
            poll: false,
            watch: true,
            header_timeout: HEADER_TIMEOUT,
            max_connections: MAX_CONNECTIONS,
        }
    }
}

/// Where the served book stands, for anyone who wants to wait on it (tests, `--open`).
#[derive(Debug, Clone, Default)]
pub struct Status {
    /// Build attempts finished so far, successful or not.
    pub builds: u64,
    /// The token of the generation being served, if any build succeeded.
    pub token: Option<String>,
    /// The error of the last build, if it failed.
    pub error: Option<String>,
}

/// State shared by the HTTP handlers and the build loop.
pub(crate) struct Shared {
    /// The book root.
    pub root: PathBuf,
    /// The served book and its staging area.
    pub generations: Generations,
    /// Messages to every connected page.
    pub pushes: broadcast::Sender<Push>,
    /// The current build error, shown on every page until a build succeeds.
    pub error: RwLock<Option<String>>,
    /// Flips to true when the server stops; open websockets close on it.
    pub stopping: tokio_watch::Receiver<bool>,
    /// The names and origins the server answers to.
    pub access: guard::Access,
}

impl Shared {
    /// The current build error, if any.
    pub(crate) fn error(&self) -> Option<String> {
        self.error.read().map(|e| e.clone()).unwrap_or_default()
    }
}

/// A running server: HTTP, live reload, watcher and build loop.
pub struct Server {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: tokio_watch::Sender<bool>,
    status: tokio_watch::Receiver<Status>,
    rebuild: mpsc::UnboundedSender<Changes>,
    http: tokio::task::JoinHandle<std::io::Result<()>>,
    builds: tokio::task::JoinHandle<()>,
}

/// Binds `hostname:port`, turning "address in use" into the message users need.
async fn bind(hostname: &str, port: u16) -> Result<tokio::net::TcpListener> {
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((hostname, port))
        .await
        .with_context(|| format!("cannot resolve the hostname {hostname:?}"))?
        .collect();
    let mut last = None;
    for addr in addrs {
        match tokio::net::TcpListener::bind(addr).await {
            Ok(l) => return Ok(l),
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
                anyhow::bail!("port {port} is in use; try --port 0")
            }
            Err(e) => last = Some((addr, e)),
        }
    }
    match last {
        Some((addr, e)) => Err(e).with_context(|| format!("cannot listen on {addr}")),
        None => anyhow::bail!("the hostname {hostname:?} has no address"),
    }
}

impl Server {
    /// Binds the address, starts the HTTP server, the watcher and the first build (in the
    /// background: pages show "building" until it is done). Call inside a tokio runtime.
    pub async fn start(options: ServeOptions, builder: impl Builder) -> Result<Server> {
        let root = std::path::absolute(&options.root)
            .with_context(|| format!("cannot resolve {}", options.root.display()))?;
        let listener = bind(&options.hostname, options.port).await?;
        let addr = listener.local_addr()?;
        let (stop, stopping) = tokio_watch::channel(false);
        let (pushes, _) = broadcast::channel(64);
        let shared = Arc::new(Shared {
            root: root.clone(),
            generations: Generations::new()?,
            pushes,
            error: RwLock::new(None),
            stopping: stopping.clone(),
            access: guard::Access::new(&options.hostname, addr),
        });
        let (rebuild, changes) = mpsc::unbounded_channel();
        let watcher = if options.watch {
            Some(watch::Watcher::start(&root, options.poll, rebuild.clone())?)
        } else {
            None
        };
        let (status_tx, status) = tokio_watch::channel(Status::default());
        let builds = tokio::spawn(build_loop(
            shared.clone(),
            Box::new(builder),
            changes,
            watcher,
            status_tx,
        ));
        let app = server::router(shared.clone());
        let limits = Limits {
            header_timeout: options.header_timeout,
            max_connections: options.max_connections,
        }
        .within_fd_limit();
        let http = tokio::spawn(listen::serve(listener, app, limits, stopping));
        Ok(Server {
            addr,
            shared,
            stop,
            status,
            rebuild,
            http,
            builds,
        })
    }

    /// The address the server listens on (the real port when 0 was asked).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The book's URL, `http://127.0.0.1:PORT/`.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Asks for a rebuild, as if the watcher had seen `changes`.
    pub fn rebuild(&self, changes: Changes) {
        let _ = self.rebuild.send(changes);
    }

    /// A receiver of the build status, to wait on builds.
    pub fn status(&self) -> tokio_watch::Receiver<Status> {
        self.status.clone()
    }

    /// Waits until `builds` build attempts are done; returns the status then.
    pub async fn wait_for_builds(&self, builds: u64) -> Status {
        let mut rx = self.status.clone();
        let r = rx.wait_for(|s| s.builds >= builds).await;
        match r {
            Ok(s) => s.clone(),
            Err(_) => self.status.borrow().clone(),
        }
    }

    /// The directory of the book being served, if any.
    pub fn served_dir(&self) -> Option<PathBuf> {
        self.shared
            .generations
            .current()
            .map(|g| g.dir().to_path_buf())
    }

    /// Stops serving: closes websockets, lets requests in flight finish (for up to 2 s), stops
    /// the watcher and the build loop, and deletes the staging area.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = tokio::time::timeout(Duration::from_secs(2), self.http).await;
        self.builds.abort();
        let _ = self.builds.await;
    }
}

/// The one thread every build of a session runs on. A builder keeps its caches between
/// builds; allocated and freed on one thread, their memory goes back to that thread's heap (on
/// the runtime's blocking pool, shared with the requests' file reads, a build lands on whichever
/// thread is idle).
struct BuildThread {
    jobs: std::sync::mpsc::Sender<Box<dyn FnOnce() + Send>>,
}

impl BuildThread {
    fn start() -> std::io::Result<BuildThread> {
        let (jobs, queue) = std::sync::mpsc::channel::<Box<dyn FnOnce() + Send>>();
        std::thread::Builder::new()
            .name("vaultbook-build".into())
            .spawn(move || {
                for job in queue {
                    job();
                }
            })?;
        Ok(BuildThread { jobs })
    }

    /// Runs `f` on the build thread; an error if the thread is gone (a panic that escaped).
    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, &'static str> {
        let (done, result) = tokio::sync::oneshot::channel();
        let job = Box::new(move || {
            let _ = done.send(f());
        });
        self.jobs
            .send(job)
            .map_err(|_| "the build thread is gone")?;
        result.await.map_err(|_| "the builder panicked")
    }
}

/// Builds, swaps and notifies, one build at a time, until the channel of changes closes.
async fn build_loop(
    shared: Arc<Shared>,
    mut builder: Box<dyn Builder>,
    mut changes: mpsc::UnboundedReceiver<Changes>,
    watcher: Option<watch::Watcher>,
    status: tokio_watch::Sender<Status>,
) {
    let mut pending = Changes::everything();
    // The changes of failed builds: still unbuilt, so the next build gets them too (changes
    // are relative to the book being served).
    let mut carried = Changes::default();
    let thread = match BuildThread::start() {
        Ok(t) => t,
        Err(e) => {
            fail(
                &shared,
                &status,
                format!("cannot start the build thread: {e}"),
            );
            return;
        }
    };
    loop {
        if let Some(w) = &watcher {
            // book.toml may have moved the vault: watch what the build is about to read. A full
            // rebuild (book.toml, templates, the vault folder itself) also renews every watch.
            w.refresh(pending.full);
        }
        let mut request = std::mem::take(&mut pending);
        request.merge(std::mem::take(&mut carried));
        let started = Instant::now();
        let outcome = match shared.generations.stage() {
            Ok(staging) => {
                let root = shared.root.clone();
                // Held for the build: the served book stays on disk for the builder to reuse.
                let previous = shared.generations.current();
                let early = Early(shared.clone());
                let joined = thread
                    .run(move || {
                        let build = BuildRequest {
                            root: &root,
                            changes: &request,
                            out: &staging.out(),
                            previous: previous.as_deref().map(|g| g.dir()),
                            early: previous
                                .is_none()
                                .then_some(&early as &dyn crate::driver::EarlyPages),
                        };
                        // A panic in the pipeline is a failed build, not the end of live reload.
                        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                            builder.build(&build)
                        }))
                        .unwrap_or_else(|panic| Err(panic_text(panic.as_ref())));
                        drop(previous);
                        (builder, staging, request, result)
                    })
                    .await;
                match joined {
                    Ok((b, staging, request, result)) => {
                        builder = b;
                        if result.is_err() {
                            carried = request;
                        }
                        result.map(|dir| (staging, dir))
                    }
                    Err(e) => {
                        eprintln!("vaultbook serve: {e}");
                        return;
                    }
                }
            }
            Err(e) => {
                carried = request;
                Err(format!("cannot create a staging directory: {e:#}"))
            }
        };
        let elapsed = started.elapsed();
        match outcome {
            Ok((staging, dir)) => match shared.generations.promote(staging, &dir) {
                Ok(token) => {
                    let had_error = shared.error.write().map(|mut e| e.take()).ok().flatten();
                    if had_error.is_some() {
                        eprintln!("vaultbook serve: fixed; the build succeeded again");
                    }
                    eprintln!(
                        "vaultbook serve: built in {:.2}s ({token})",
                        elapsed.as_secs_f64()
                    );
                    // The push first: whoever sees the new status and then connects is greeted
                    // with this token, and must not be sent its reload as well.
                    let _ = shared.pushes.send(Push::Reload(token.clone()));
                    status.send_modify(|s| {
                        s.builds += 1;
                        s.token = Some(token);
                        s.error = None;
                    });
                }
                Err(e) => {
                    carried = Changes::everything();
                    fail(&shared, &status, format!("{e:#}"))
                }
            },
            Err(text) => fail(&shared, &status, text),
        }

        // Whatever arrived during the build is built next; then wait for quiet.
        while let Ok(c) = changes.try_recv() {
            pending.merge(c);
        }
        if pending.is_empty() {
            match changes.recv().await {
                Some(c) => pending.merge(c),
                None => return,
            }
        }
        let first = Instant::now();
        while first.elapsed() < DEBOUNCE_MAX {
            match tokio::time::timeout(DEBOUNCE_QUIET, changes.recv()).await {
                Ok(Some(c)) => pending.merge(c),
                Ok(None) => return,
                Err(_) => break,
            }
        }
    }
}

/// Serves the first pages of a large book as an early generation while the rest is rendered.
struct Early(Arc<Shared>);

impl std::fmt::Debug for Early {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Early")
    }
}

impl crate::driver::EarlyPages for Early {
    fn show(&self, render: &mut dyn FnMut(&std::path::Path) -> Result<()>) {
        let Ok(staging) = self.0.generations.stage() else {
            return;
        };
        let out = staging.out();
        if render(&out).is_err() {
            return;
        }
        if let Ok(token) = self.0.generations.promote_early(staging, &out) {
            eprintln!("vaultbook serve: serving the first pages; rendering the rest");
            let _ = self.0.pushes.send(Push::Reload(token));
        }
    }
}

/// The message of a panic, as a build error.
fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_string());
    format!("vaultbook panicked while building (a bug: please report it): {message}")
}

/// Records a failed build: the last good book stays served, the error goes to the terminal and
/// to every open page.
fn fail(shared: &Shared, status: &tokio_watch::Sender<Status>, text: String) {
    let served = shared
        .generations
        .current()
        .is_some_and(|g| g.dir().is_dir());
    if served {
        eprintln!("vaultbook serve: the build failed; still serving the last good book\n{text}");
    } else {
        eprintln!(
            "vaultbook serve: the build failed, and there is no good book on disk to serve; the next change builds it again\n{text}"
        );
    }
    if let Ok(mut e) = shared.error.write() {
        *e = Some(text.clone());
    }
    // The push before the status, as for a good build.
    let _ = shared.pushes.send(Push::Error(text.clone()));
    status.send_modify(|s| {
        s.builds += 1;
        s.error = Some(text);
    });
}

/// `vaultbook serve`: serves until SIGINT (Ctrl-C), SIGTERM or SIGHUP, which end the process
/// with 128 + the signal's number once serve's staging area is removed (see [`crate::interrupt`]).
/// Prints `Serving http://HOST:PORT/`.
pub fn run(options: ServeOptions, open: bool, builder: impl Builder) -> Result<()> {
    crate::interrupt::install();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let result = runtime.block_on(async move {
        let server = Server::start(options, builder).await?;
        let url = server.url();
        println!("Serving {url}");
        if !server.addr().ip().is_loopback() {
            eprintln!(
                "vaultbook serve: listening on {}, beyond this machine: anyone who can reach it can read the book",
                server.addr().ip()
            );
        }
        eprintln!("vaultbook serve: press Ctrl-C to stop");
        if open {
            let _ = server.wait_for_builds(1).await;
            if let Err(e) = opener::open_browser(&url) {
                eprintln!("vaultbook serve: cannot open a browser ({e}); open {url} yourself");
            }
        }
        // Until a stop signal: its handler (crate::interrupt) kills what builds run, removes the
        // staging area and ends the process. Only a failing HTTP server gets here.
        match server.http.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(anyhow::Error::new(e).context("the HTTP server stopped")),
            Err(e) => Err(anyhow::anyhow!("the HTTP server stopped: {e}")),
        }
    });
    runtime.shutdown_timeout(Duration::from_secs(1));
    result
}
