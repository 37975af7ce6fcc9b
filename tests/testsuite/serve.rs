//! `vaultbook serve` in-process, on port 0, with a fake builder: HTTP, path safety, live reload
//! over the websocket, failed rebuilds, debouncing, and builds that overlap edits; and serve
//! under abuse: foreign websocket origins, half-open connections, slow readers of a large
//! file, and (with the real binary) every stop signal.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::Message;
use vaultbook::serve::{BuildRequest, Changes, ServeOptions, Server};

use crate::harness::{self, BookTest};

/// Every wait in these tests is bounded by this.
const WAIT: Duration = Duration::from_secs(10);

/// A book root with a book.toml and two notes.
fn book() -> BookTest {
    BookTest::new()
        .file(
            "book.toml",
            "[book]\ntitle = \"T\"\n[vaultbook]\nvault = \"vault\"\n",
        )
        .file("vault/Start.md", "first version")
        .file("vault/My Note.md", "a note")
}

/// What the fake builder saw.
#[derive(Default)]
struct Log {
    builds: AtomicUsize,
    requests: Mutex<Vec<Changes>>,
    /// For each build: the served book it could start from, if any, still had its index.
    previous: Mutex<Vec<bool>>,
}

/// A fake builder: fails when book.toml says `broken`; otherwise writes index.html (the text of
/// Start.md), one page per note, a stylesheet, a folder with an index, and a 404 page.
fn fake(
    log: Arc<Log>,
    delay: Duration,
) -> impl FnMut(&BuildRequest<'_>) -> Result<PathBuf, String> {
    move |req: &BuildRequest<'_>| {
        log.builds.fetch_add(1, Ordering::SeqCst);
        log.requests.lock().unwrap().push(req.changes.clone());
        log.previous
            .lock()
            .unwrap()
            .push(req.previous.is_some_and(|p| p.join("index.html").is_file()));
        let toml =
            std::fs::read_to_string(req.root.join("book.toml")).map_err(|e| e.to_string())?;
        if toml.contains("broken") {
            return Err("book.toml: <broken> & unusable".to_string());
        }
        let start = std::fs::read_to_string(req.root.join("vault/Start.md")).unwrap_or_default();
        std::thread::sleep(delay);
        let out = req.out;
        std::fs::create_dir_all(out.join("sub")).map_err(|e| e.to_string())?;
        let page =
            |body: &str| format!("<!DOCTYPE html><html><head></head><body>{body}</body></html>");
        let files = [
            ("index.html", page(&format!("<p id=\"start\">{start}</p>"))),
            ("My Note.html", page("my note")),
            ("sub/index.html", page("sub index")),
            ("404.html", page("the book's own 404")),
            ("style.css", "body { color: black }".to_string()),
        ];
        for (name, text) in files {
            std::fs::write(out.join(name), text).map_err(|e| e.to_string())?;
        }
        Ok(out.to_path_buf())
    }
}

/// `inner`, except that it panics while Start.md holds the word `panic`.
fn panicking(
    mut inner: impl FnMut(&BuildRequest<'_>) -> Result<PathBuf, String>,
) -> impl FnMut(&BuildRequest<'_>) -> Result<PathBuf, String> {
    move |req: &BuildRequest<'_>| {
        let start = std::fs::read_to_string(req.root.join("vault/Start.md")).unwrap_or_default();
        if start.contains("panic") {
            panic!("a bug on {start}");
        }
        inner(req)
    }
}

async fn start(root: &Path, log: Arc<Log>, delay: Duration) -> Server {
    let server = Server::start(ServeOptions::new(root, 0), fake(log, delay))
        .await
        .unwrap();
    tokio::time::timeout(WAIT, server.wait_for_builds(1))
        .await
        .expect("the first build did not finish");
    server
}

/// A response: status, headers (lowercase names), body.
struct Got {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Got {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A raw HTTP/1.1 request, so that the path reaches the server exactly as written.
async fn request(server: &Server, method: &str, path: &str) -> Got {
    let addr = server.addr();
    let request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    tokio::task::spawn_blocking(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(WAIT)).unwrap();
        s.write_all(request.as_bytes()).unwrap();
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).unwrap();
        let raw = String::from_utf8_lossy(&raw).into_owned();
        let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
        let mut lines = head.lines();
        let status = lines
            .next()
            .unwrap_or("")
            .split(' ')
            .nth(1)
            .unwrap_or("0")
            .parse()
            .unwrap();
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        Got {
            status,
            headers,
            body: body.to_string(),
        }
    })
    .await
    .unwrap()
}

async fn get(server: &Server, path: &str) -> Got {
    request(server, "GET", path).await
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(server: &Server) -> Ws {
    let url = format!("ws://{}/__vaultbook/ws", server.addr());
    let (ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    ws
}

/// The next text message, within [`WAIT`].
async fn next_text(ws: &mut Ws) -> String {
    loop {
        let msg = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("no websocket message in time")
            .expect("the websocket closed")
            .unwrap();
        if let Message::Text(t) = msg {
            return t.to_string();
        }
    }
}

/// Waits for a message starting with `prefix`, skipping others.
async fn expect_message(ws: &mut Ws, prefix: &str) -> String {
    loop {
        let t = next_text(ws).await;
        if t.starts_with(prefix) {
            return t;
        }
    }
}

/// Saves a file the way editors do: a swap file, a temp file, then a rename over the note.
fn editor_save(path: &Path, text: &str) {
    let dir = path.parent().unwrap();
    let name = path.file_name().unwrap().to_str().unwrap();
    let swap = dir.join(format!(".{name}.swp"));
    std::fs::write(&swap, "swap").unwrap();
    let tmp = dir.join(format!("{name}.tmp"));
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
    std::fs::remove_file(&swap).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_are_served_with_the_reload_script() {
    let dir = book();
    let server = start(dir.path(), Arc::default(), Duration::ZERO).await;

    let index = get(&server, "/").await;
    assert_eq!(index.status, 200);
    assert_eq!(
        index.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(index.body.contains("first version"));
    assert!(
        index.body.contains("/__vaultbook/ws"),
        "no live-reload script"
    );
    let script = index.body.find("<script>").unwrap();
    assert!(script < index.body.rfind("</body>").unwrap());
    assert_eq!(index.header("cache-control"), Some("no-cache"));
    assert!(index.header("etag").is_some());

    let note = get(&server, "/My%20Note.html").await;
    assert_eq!(note.status, 200);
    assert!(note.body.contains("my note"));

    let css = get(&server, "/style.css").await;
    assert_eq!(css.header("content-type"), Some("text/css; charset=utf-8"));
    assert!(!css.body.contains("<script>"));

    let sub = get(&server, "/sub?x=1").await;
    assert_eq!(sub.status, 301);
    assert_eq!(sub.header("location"), Some("/sub/?x=1"));
    assert!(get(&server, "/sub/").await.body.contains("sub index"));

    let missing = get(&server, "/no/such/page.html").await;
    assert_eq!(missing.status, 404);
    assert!(missing.body.contains("the book's own 404"));
    assert!(missing.body.contains("/__vaultbook/ws"));

    let head = request(&server, "HEAD", "/").await;
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(request(&server, "POST", "/").await.status, 405);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paths_outside_the_book_are_refused() {
    let dir = book();
    std::fs::write(dir.path().join("secret.txt"), "secret").unwrap();
    let server = start(dir.path(), Arc::default(), Duration::ZERO).await;
    // A symlink inside the book that points out of it.
    let served = server.served_dir().unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(dir.path().join("secret.txt"), served.join("link.txt")).unwrap();
    for path in [
        "/../secret.txt",
        "/../../../../../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/..%2f..%2f..%2fetc%2fpasswd",
        "/sub/%2e%2e%2f%2e%2e%2fsecret.txt",
        "/..%5c..%5csecret.txt",
        "/link.txt",
    ] {
        let got = get(&server, path).await;
        assert!(
            got.status == 403 || got.status == 404 || got.status == 400,
            "{path}: {}",
            got.status
        );
        assert!(
            !got.body.contains("secret") && !got.body.contains("root:"),
            "{path}"
        );
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_note_reloads_the_page_once() {
    let dir = book();
    let log = Arc::new(Log::default());
    let server = start(dir.path(), log.clone(), Duration::ZERO).await;
    let mut ws = connect(&server).await;
    let hello = expect_message(&mut ws, "hello ").await;
    assert_eq!(next_text(&mut ws).await, "ok");

    let saved = std::time::Instant::now();
    editor_save(&dir.path().join("vault/Start.md"), "second version");
    let reload = expect_message(&mut ws, "reload ").await;
    // What serve adds to the build: the watcher, the debounce, the swap, the message.
    let overhead = saved.elapsed();
    eprintln!("save → reload with an instant builder: {overhead:?}");
    assert!(overhead < Duration::from_secs(2), "{overhead:?}");
    assert_ne!(reload["reload ".len()..], hello["hello ".len()..]);
    // The reload comes after the swap: the page already has the new text.
    assert!(get(&server, "/").await.body.contains("second version"));

    // One save, several events: one rebuild, told which note changed.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(log.builds.load(Ordering::SeqCst), 2);
    let requests = log.requests.lock().unwrap().clone();
    assert!(requests[0].full);
    assert!(!requests[1].full);
    let start_md = std::path::absolute(dir.path().join("vault/Start.md")).unwrap();
    assert!(requests[1].paths.contains(&start_md), "{:?}", requests[1]);
    assert!(
        requests[1]
            .paths
            .iter()
            .all(|p| !p.to_string_lossy().ends_with(".swp"))
    );
    // The second build could start from the first book.
    assert_eq!(*log.previous.lock().unwrap(), vec![false, true]);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_rebuild_keeps_the_last_good_book_and_shows_the_error() {
    let dir = book();
    let server = start(dir.path(), Arc::default(), Duration::ZERO).await;
    let mut ws = connect(&server).await;
    expect_message(&mut ws, "ok").await;
    let toml = dir.path().join("book.toml");
    let good = std::fs::read_to_string(&toml).unwrap();

    std::fs::write(&toml, format!("{good}\nbroken = [")).unwrap();
    let error = expect_message(&mut ws, "error ").await;
    assert_eq!(error, "error book.toml: <broken> & unusable");
    let index = get(&server, "/").await;
    assert_eq!(index.status, 200);
    assert!(
        index.body.contains("first version"),
        "the last good book is gone"
    );

    // A page opened now learns of the error on connect.
    let mut late = connect(&server).await;
    expect_message(&mut late, "hello ").await;
    assert!(next_text(&mut late).await.starts_with("error "));

    std::fs::write(dir.path().join("vault/Start.md"), "fixed version").unwrap();
    std::fs::write(&toml, &good).unwrap();
    expect_message(&mut ws, "reload ").await;
    assert!(get(&server, "/").await.body.contains("fixed version"));
    let mut after = connect(&server).await;
    expect_message(&mut after, "hello ").await;
    assert_eq!(next_text(&mut after).await, "ok");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_first_build_serves_the_error_until_fixed() {
    let dir = book();
    let toml = dir.path().join("book.toml");
    let good = std::fs::read_to_string(&toml).unwrap();
    std::fs::write(&toml, "broken").unwrap();
    let server = start(dir.path(), Arc::default(), Duration::ZERO).await;
    let page = get(&server, "/any/page.html").await;
    assert_eq!(page.status, 503);
    assert!(
        page.body.contains("&lt;broken&gt; &amp; unusable"),
        "{}",
        page.body
    );
    assert!(page.body.contains("/__vaultbook/ws"));
    let mut ws = connect(&server).await;
    assert_eq!(next_text(&mut ws).await, "hello none");
    std::fs::write(&toml, &good).unwrap();
    expect_message(&mut ws, "reload ").await;
    assert_eq!(get(&server, "/").await.status, 200);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_during_a_build_is_built_right_after() {
    let dir = book();
    let log = Arc::new(Log::default());
    // Each build reads Start.md, then takes 400 ms to "render".
    let server = start(dir.path(), log.clone(), Duration::from_millis(400)).await;
    let mut status = server.status();
    std::fs::write(dir.path().join("vault/Start.md"), "edit one").unwrap();
    // Wait until the build for edit one has started, then edit again during it.
    let deadline = tokio::time::Instant::now() + WAIT;
    while log.builds.load(Ordering::SeqCst) < 2 {
        assert!(tokio::time::Instant::now() < deadline, "no rebuild started");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    std::fs::write(dir.path().join("vault/Start.md"), "edit two").unwrap();
    tokio::time::timeout(WAIT, status.wait_for(|s| s.builds >= 3))
        .await
        .expect("the edit made during a build was not built")
        .unwrap();
    assert!(get(&server, "/").await.body.contains("edit two"));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_port_in_use_says_so() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let dir = book();
    let err = Server::start(
        ServeOptions::new(dir.path(), port),
        fake(Arc::default(), Duration::ZERO),
    )
    .await
    .err()
    .expect("bound a port in use");
    assert_eq!(
        err.to_string(),
        format!("port {port} is in use; try --port 0")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polling_sees_a_save_too() {
    let dir = book();
    let mut options = ServeOptions::new(dir.path(), 0);
    options.poll = true;
    let server = Server::start(options, fake(Arc::default(), Duration::ZERO))
        .await
        .unwrap();
    tokio::time::timeout(WAIT, server.wait_for_builds(1))
        .await
        .unwrap();
    let mut ws = connect(&server).await;
    expect_message(&mut ws, "hello ").await;
    // Polling compares modification times: make sure this one differs.
    tokio::time::sleep(Duration::from_millis(20)).await;
    editor_save(&dir.path().join("vault/Start.md"), "polled version");
    expect_message(&mut ws, "reload ").await;
    assert!(get(&server, "/").await.body.contains("polled version"));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_closes_open_pages_and_the_port() {
    let dir = book();
    let server = start(dir.path(), Arc::default(), Duration::ZERO).await;
    let addr = server.addr();
    let mut ws = connect(&server).await;
    expect_message(&mut ws, "hello ").await;
    tokio::time::timeout(Duration::from_secs(5), server.stop())
        .await
        .expect("stop hung on an open websocket");
    // The page's socket is closed.
    let closed = tokio::time::timeout(WAIT, async {
        loop {
            match ws.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => break,
                Some(Ok(_)) => {}
            }
        }
    })
    .await;
    assert!(closed.is_ok());
    let _ = ws.close(None).await;
    assert!(TcpStream::connect(addr).is_err(), "still listening");
}

/// Writes a synthetic vault of `n` notes in 20 folders, each with headings and wikilinks (some
/// to headings) to other notes.
fn synthetic_book(n: usize) -> BookTest {
    let dir = BookTest::new().file(
        "book.toml",
        "[book]\ntitle = \"Synthetic\"\n[vaultbook]\nvault = \"vault\"\n",
    );
    for i in 0..n {
        let folder = dir.path().join(format!("vault/part {:02}", i % 20));
        std::fs::create_dir_all(&folder).unwrap();
        let mut text = format!("# Note {i}\n\nThe opening of note {i}.\n\n");
        for h in 0..3 {
            text.push_str(&format!("## Section {h}\n\n"));
            for p in 0..4 {
                let target = (i * 7 + h * 13 + p * 31 + 1) % n;
                text.push_str(&format!(
                    "Paragraph {p} of section {h} in note {i}, with a link to [[Note {target}#Section {}]] and to [[Note {}]], and some **bold** text to parse.\n\n",
                    (h + p) % 3,
                    (target + 1) % n
                ));
            }
        }
        std::fs::write(folder.join(format!("Note {i}.md")), text).unwrap();
    }
    dir
}

/// Measures save → reload with the real pipeline on a 1,000-note vault. Run it with
/// `cargo test --release --test testsuite -- --ignored --nocapture serve::rebuild_latency`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement: takes several seconds, prints timings"]
async fn rebuild_latency_on_1000_notes() {
    let dir = synthetic_book(1000);
    let started = std::time::Instant::now();
    let server = Server::start(
        ServeOptions::new(dir.path(), 0),
        harness::pipeline_builder(harness::no_run()),
    )
    .await
    .unwrap();
    let status = tokio::time::timeout(Duration::from_secs(300), server.wait_for_builds(1))
        .await
        .unwrap();
    assert!(status.error.is_none(), "{:?}", status.error);
    eprintln!("first build: {:.2}s", started.elapsed().as_secs_f64());
    let mut ws = connect(&server).await;
    expect_message(&mut ws, "hello ").await;
    let mut times = Vec::new();
    for round in 0..3 {
        let note = dir.path().join("vault/part 05/Note 505.md");
        let text = std::fs::read_to_string(&note).unwrap();
        let marker = format!("edited in round {round}");
        let saved = std::time::Instant::now();
        editor_save(&note, &format!("{text}\n{marker}\n"));
        loop {
            let t = tokio::time::timeout(Duration::from_secs(300), ws.next())
                .await
                .unwrap()
                .unwrap()
                .unwrap();
            if let Message::Text(t) = t
                && t.starts_with("reload ")
            {
                break;
            }
        }
        let elapsed = saved.elapsed();
        let page = walk_html(&server.served_dir().unwrap())
            .into_iter()
            .find(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().contains("505"))
            })
            .expect("no page for note 505");
        assert!(std::fs::read_to_string(&page).unwrap().contains(&marker));
        eprintln!(
            "save → reload, round {round}: {:.2}s",
            elapsed.as_secs_f64()
        );
        times.push(elapsed);
    }
    times.sort();
    eprintln!("median save → reload: {:.2}s", times[1].as_secs_f64());
    server.stop().await;
}

/// Every .html file under `dir`.
fn walk_html(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk_html(&path));
        } else if path.extension().is_some_and(|e| e == "html") {
            out.push(path);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_loopback_server_refuses_other_host_names() {
    let dir = book();
    let server = start(dir.path(), Arc::default(), Duration::ZERO).await;
    let addr = server.addr();
    let got = tokio::task::spawn_blocking(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(WAIT)).unwrap();
        s.write_all(b"GET / HTTP/1.1\r\nHost: rebound.example:80\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut raw = String::new();
        s.read_to_string(&mut raw).unwrap();
        raw
    })
    .await
    .unwrap();
    assert!(got.starts_with("HTTP/1.1 403"), "{got}");
    assert!(!got.contains("first version"));
    assert_eq!(get(&server, "/").await.status, 200);
    server.stop().await;
}

/// Waits until the builder has run `n` times.
async fn wait_builds(log: &Log, n: usize) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while log.builds.load(Ordering::SeqCst) < n {
        assert!(
            tokio::time::Instant::now() < deadline,
            "build {n} never came"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn templates_and_a_moved_vault_are_watched() {
    let dir = book();
    let log = Arc::new(Log::default());
    let server = start(dir.path(), log.clone(), Duration::ZERO).await;
    let mut ws = connect(&server).await;
    expect_message(&mut ws, "hello ").await;

    // A templates/ folder appears, then a template in it changes: full rebuilds.
    std::fs::create_dir(dir.path().join("templates")).unwrap();
    wait_builds(&log, 2).await;
    expect_message(&mut ws, "reload ").await;
    std::fs::write(dir.path().join("templates/SUMMARY.md"), "{# x #}").unwrap();
    expect_message(&mut ws, "reload ").await;
    assert!(log.requests.lock().unwrap().iter().all(|c| c.full));

    // book.toml moves the vault: the new one is watched, the old one no longer.
    std::fs::create_dir(dir.path().join("notes")).unwrap();
    std::fs::write(dir.path().join("notes/Start.md"), "from notes").unwrap();
    std::fs::write(
        dir.path().join("book.toml"),
        "[book]\ntitle = \"T\"\n[vaultbook]\nvault = \"notes\"\n",
    )
    .unwrap();
    expect_message(&mut ws, "reload ").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = log.builds.load(Ordering::SeqCst);
    let moved = std::path::absolute(dir.path().join("notes/Other.md")).unwrap();
    std::fs::write(&moved, "new note").unwrap();
    expect_message(&mut ws, "reload ").await;
    let last = log.requests.lock().unwrap().last().cloned().unwrap();
    assert!(!last.full && last.paths.contains(&moved), "{last:?}");
    std::fs::write(dir.path().join("vault/Start.md"), "old vault").unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(log.builds.load(Ordering::SeqCst), before + 1);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_builder_is_a_failed_build_not_the_end() {
    let dir = book();
    let builder = panicking(fake(Arc::default(), Duration::ZERO));
    let server = Server::start(ServeOptions::new(dir.path(), 0), builder)
        .await
        .unwrap();
    server.wait_for_builds(1).await;
    let mut ws = connect(&server).await;
    expect_message(&mut ws, "ok").await;
    std::fs::write(dir.path().join("vault/Start.md"), "panic now").unwrap();
    let error = expect_message(&mut ws, "error ").await;
    assert!(
        error.contains("panicked") && error.contains("a bug on panic now"),
        "{error}"
    );
    std::fs::write(dir.path().join("vault/Start.md"), "calm again").unwrap();
    expect_message(&mut ws, "reload ").await;
    assert!(get(&server, "/").await.body.contains("calm again"));
    server.stop().await;
}

/// Every build of a session runs on one thread, after a panicking build too, while requests
/// read files on the runtime's blocking pool (where builds used to run, on whichever thread was
/// idle): a builder's caches are allocated and freed on one thread's heap.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_build_runs_on_one_thread() {
    let dir = book();
    let threads = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = threads.clone();
    let mut inner = panicking(fake(Arc::default(), Duration::ZERO));
    let builder = move |req: &BuildRequest<'_>| {
        seen.lock().unwrap().push(std::thread::current().id());
        inner(req)
    };
    let server = Server::start(ServeOptions::new(dir.path(), 0), builder)
        .await
        .unwrap();
    server.wait_for_builds(1).await;
    let mut ws = connect(&server).await;
    expect_message(&mut ws, "ok").await;
    std::fs::write(dir.path().join("vault/Start.md"), "panic now").unwrap();
    expect_message(&mut ws, "error ").await;
    for round in 0..6 {
        // Requests read files on the runtime's blocking pool, as builds did: many at once
        // grow it to several threads.
        let reads: Vec<_> = (0..16).map(|_| get(&server, "/")).collect();
        std::fs::write(dir.path().join("vault/Start.md"), format!("calm {round}")).unwrap();
        futures_util::future::join_all(reads).await;
        expect_message(&mut ws, "reload ").await;
    }
    let threads = threads.lock().unwrap().clone();
    assert!(threads.len() >= 4, "{threads:?}");
    assert!(threads.iter().all(|t| *t == threads[0]), "{threads:?}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_changes_of_a_failed_build_are_handed_to_the_next() {
    let dir = book();
    let log = Arc::new(Log::default());
    let mut inner = fake(log.clone(), Duration::ZERO);
    let builder = move |req: &BuildRequest<'_>| {
        let start = std::fs::read_to_string(req.root.join("vault/Start.md")).unwrap_or_default();
        let result = inner(req);
        if start.contains("fail") {
            return Err("a note made the build fail".to_string());
        }
        result
    };
    let server = Server::start(ServeOptions::new(dir.path(), 0), builder)
        .await
        .unwrap();
    server.wait_for_builds(1).await;
    let start = std::path::absolute(dir.path().join("vault/Start.md")).unwrap();
    let other = std::path::absolute(dir.path().join("vault/My Note.md")).unwrap();
    std::fs::write(&start, "fail").unwrap();
    let status = server.wait_for_builds(2).await;
    assert!(status.error.is_some());
    std::fs::write(&other, "changed").unwrap();
    server.wait_for_builds(3).await;
    let requests = log.requests.lock().unwrap().clone();
    assert_eq!(requests[1], Changes::path(&start));
    // The next build is relative to the book still served: both notes changed since.
    let last = &requests[2];
    assert!(
        !last.full && last.paths.contains(&start) && last.paths.contains(&other),
        "{last:?}"
    );
    server.stop().await;
}

// ---- serve under abuse (issue 16) ----

/// A raw HTTP/1.1 exchange: `head` is the request line and headers (without the blank line);
/// `Host` and `Connection: close` are added. Returns status, headers (lowercase names), body.
async fn exchange(server: &Server, head: &str) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let addr = server.addr();
    let request = format!("{head}\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    tokio::task::spawn_blocking(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(WAIT)).unwrap();
        s.write_all(request.as_bytes()).unwrap();
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).unwrap();
        let end = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("no end of head");
        let head = String::from_utf8_lossy(&raw[..end]).into_owned();
        let mut lines = head.lines();
        let status = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        (status, headers, raw[end + 4..].to_vec())
    })
    .await
    .unwrap()
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// The websocket handshake with this `Origin` (none for None): the HTTP status it gets.
async fn handshake(server: &Server, origin: Option<&str>) -> u16 {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = format!("ws://{}/__vaultbook/ws", server.addr())
        .into_client_request()
        .unwrap();
    if let Some(origin) = origin {
        request
            .headers_mut()
            .insert("origin", origin.parse().unwrap());
    }
    match tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(request))
        .await
        .expect("the handshake hung")
    {
        Ok((mut ws, response)) => {
            let _ = ws.close(None).await;
            response.status().as_u16()
        }
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => response.status().as_u16(),
        Err(e) => panic!("handshake with {origin:?}: {e}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_from_another_origin_is_refused() {
    let dir = book();
    let server = start(dir.path(), Arc::default(), Duration::ZERO).await;
    let port = server.addr().port();
    for foreign in [
        "http://evil.example".to_string(),
        format!("http://evil.example:{port}"),
        format!("http://127.0.0.1:{}", port.wrapping_add(1)),
        format!("https://127.0.0.1:{port}"),
        format!("http://localhost.evil.example:{port}"),
        "null".to_string(),
    ] {
        assert_eq!(handshake(&server, Some(&foreign)).await, 403, "{foreign}");
    }
    for ours in [
        format!("http://127.0.0.1:{port}"),
        format!("http://localhost:{port}"),
    ] {
        assert_eq!(handshake(&server, Some(&ours)).await, 101, "{ours}");
    }
    // No Origin: not a browser page (every browser sends one on a websocket handshake).
    assert_eq!(handshake(&server, None).await, 101);
    server.stop().await;
}

/// Options for the abuse tests: a short header timeout.
fn abuse_options(root: &Path, header_timeout: Duration, max_connections: usize) -> ServeOptions {
    let mut options = ServeOptions::new(root, 0);
    options.watch = false;
    options.header_timeout = header_timeout;
    options.max_connections = max_connections;
    options
}

/// Opens `n` connections that each send half a request line, then waits (at most `within`)
/// for the server to close each; returns when the first and the last were closed.
fn half_open(addr: std::net::SocketAddr, n: usize, within: Duration) -> (Duration, Duration) {
    let started = std::time::Instant::now();
    let mut sockets: Vec<TcpStream> = (0..n)
        .map(|_| {
            let mut s = TcpStream::connect(addr).unwrap();
            s.write_all(b"GET /index.html HT").unwrap();
            s
        })
        .collect();
    let (mut first, mut last) = (None, Duration::ZERO);
    for (i, s) in sockets.iter_mut().enumerate() {
        let left = within.saturating_sub(started.elapsed());
        assert!(
            !left.is_zero(),
            "connection {i} still open after {within:?}"
        );
        s.set_read_timeout(Some(left)).unwrap();
        let mut buf = [0u8; 256];
        match s.read(&mut buf) {
            // Closed (hyper answers nothing to a timed-out head), or reset.
            Ok(0) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
            Ok(k) => panic!(
                "connection {i} got an answer: {:?}",
                String::from_utf8_lossy(&buf[..k])
            ),
            Err(e) => panic!(
                "connection {i} still open after {:?}: {e}",
                started.elapsed()
            ),
        }
        let at = started.elapsed();
        first.get_or_insert(at);
        last = last.max(at);
    }
    (first.unwrap_or_default(), last)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_open_connections_are_closed_by_the_header_timeout() {
    let dir = book();
    let timeout = Duration::from_secs(1);
    let server = Server::start(
        abuse_options(dir.path(), timeout, 512),
        fake(Arc::default(), Duration::ZERO),
    )
    .await
    .unwrap();
    server.wait_for_builds(1).await;
    let addr = server.addr();
    let (first, last) =
        tokio::task::spawn_blocking(move || half_open(addr, 200, timeout + Duration::from_secs(4)))
            .await
            .unwrap();
    eprintln!("200 half-open connections closed after {first:?} to {last:?}");
    // Closed by the timeout, not at once.
    assert!(first >= timeout / 2, "{first:?}");
    assert_eq!(get(&server, "/").await.status, 200);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_connection_cap_the_server_answers_once_slow_clients_time_out() {
    let dir = book();
    let timeout = Duration::from_secs(1);
    let server = Server::start(
        abuse_options(dir.path(), timeout, 16),
        fake(Arc::default(), Duration::ZERO),
    )
    .await
    .unwrap();
    server.wait_for_builds(1).await;
    let addr = server.addr();
    // 40 slow clients, more than the cap: 16 are served (and time out), the rest wait.
    let slow: Vec<TcpStream> = (0..40)
        .map(|_| {
            let mut s = TcpStream::connect(addr).unwrap();
            s.write_all(b"GET / HT").unwrap();
            s
        })
        .collect();
    let started = std::time::Instant::now();
    let got = tokio::time::timeout(WAIT, get(&server, "/"))
        .await
        .expect("the server never answered past its cap");
    assert_eq!(got.status, 200);
    eprintln!("answered past the cap after {:?}", started.elapsed());
    drop(slow);
    server.stop().await;
}

/// The resident memory of this process, in bytes.
fn rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kib * 1024
}

/// The byte at `offset` of the test files.
fn pattern(offset: u64) -> u8 {
    (offset % 251) as u8
}

/// Writes `len` bytes of [`pattern`] to `path`, a MiB at a time.
fn write_pattern(path: &Path, len: u64) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut at = 0;
    while at < len {
        let chunk: Vec<u8> = (at..(at + (1 << 20)).min(len)).map(pattern).collect();
        f.write_all(&chunk).unwrap();
        at += chunk.len() as u64;
    }
    f.flush().unwrap();
}

#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
// The guard is meant to be held across the whole test, awaits included: other tests wait.
#[allow(clippy::await_holding_lock)]
async fn slow_readers_of_a_large_file_do_not_fill_the_memory() {
    const LEN: u64 = 50 << 20;
    const READERS: usize = 40;
    // The RSS is the whole test process's: no test that uses much memory meanwhile.
    let _alone = crate::harness::memory_measured();
    let dir = book();
    let server = start(dir.path(), Arc::default(), Duration::ZERO).await;
    write_pattern(&server.served_dir().unwrap().join("big.bin"), LEN);
    let addr = server.addr();
    let before = rss();
    let peak = tokio::task::spawn_blocking(move || {
        let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let readers: Vec<_> = (0..READERS)
            .map(|_| {
                std::thread::spawn(move || {
                    let mut s = TcpStream::connect(addr).unwrap();
                    s.set_read_timeout(Some(WAIT)).unwrap();
                    write!(
                        s,
                        "GET /big.bin HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
                    )
                    .unwrap();
                    // About 1 MiB a second, for 3 s: far from the whole file.
                    let mut buf = vec![0u8; 16 << 10];
                    let mut got = Vec::new();
                    for _ in 0..150 {
                        let k = s.read(&mut buf).unwrap();
                        assert!(k > 0, "the download ended early");
                        if got.len() < 64 {
                            got.extend_from_slice(&buf[..k.min(64)]);
                        }
                        std::thread::sleep(Duration::from_millis(20));
                    }
                    String::from_utf8_lossy(&got).into_owned()
                })
            })
            .collect();
        let watcher = {
            let done = done.clone();
            std::thread::spawn(move || {
                let mut peak = 0;
                while !done.load(Ordering::SeqCst) {
                    peak = peak.max(rss());
                    std::thread::sleep(Duration::from_millis(50));
                }
                peak
            })
        };
        for r in readers {
            assert!(r.join().unwrap().starts_with("HTTP/1.1 200"));
        }
        done.store(true, Ordering::SeqCst);
        watcher.join().unwrap()
    })
    .await
    .unwrap();
    eprintln!(
        "{READERS} slow readers of a {} MiB file: RSS {} MiB before, {} MiB at the peak",
        LEN >> 20,
        before >> 20,
        peak >> 20
    );
    // Growth, not the level: the process keeps memory that earlier tests freed (745 MiB
    // before this test in a full run), while buffering the file for each reader would add
    // 40 × 50 MiB.
    let growth = peak.saturating_sub(before);
    assert!(growth < 300 << 20, "RSS grew by {} MiB", growth >> 20);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_are_served_with_ranges_and_validators() {
    const LEN: u64 = 100_000;
    let dir = book();
    let server = start(dir.path(), Arc::default(), Duration::ZERO).await;
    write_pattern(&server.served_dir().unwrap().join("data.bin"), LEN);

    let (status, headers, body) = exchange(&server, "GET /data.bin HTTP/1.1").await;
    assert_eq!(status, 200);
    assert_eq!(body.len() as u64, LEN);
    assert_eq!(
        header(&headers, "content-type"),
        Some("application/octet-stream")
    );
    assert_eq!(header(&headers, "accept-ranges"), Some("bytes"));
    assert_eq!(header(&headers, "cache-control"), Some("no-cache"));
    let etag = header(&headers, "etag").expect("no ETag").to_string();
    let modified = header(&headers, "last-modified")
        .expect("no Last-Modified")
        .to_string();

    let (status, headers, body) =
        exchange(&server, "GET /data.bin HTTP/1.1\r\nRange: bytes=1000-1999").await;
    assert_eq!(status, 206);
    assert_eq!(
        header(&headers, "content-range"),
        Some(format!("bytes 1000-1999/{LEN}").as_str())
    );
    assert_eq!(body, (1000..2000).map(pattern).collect::<Vec<u8>>());
    let (status, _, body) = exchange(&server, "GET /data.bin HTTP/1.1\r\nRange: bytes=-10").await;
    assert_eq!(status, 206);
    assert_eq!(body, (LEN - 10..LEN).map(pattern).collect::<Vec<u8>>());

    let (status, headers, body) = exchange(
        &server,
        &format!("GET /data.bin HTTP/1.1\r\nIf-None-Match: {etag}"),
    )
    .await;
    assert_eq!(status, 304);
    assert!(body.is_empty());
    assert_eq!(header(&headers, "etag"), Some(etag.as_str()));
    let (status, _, body) = exchange(
        &server,
        &format!("GET /data.bin HTTP/1.1\r\nIf-None-Match: \"other\", W/{etag}"),
    )
    .await;
    assert_eq!((status, body.len()), (304, 0));
    let (status, _, _) = exchange(
        &server,
        &format!("GET /data.bin HTTP/1.1\r\nIf-Modified-Since: {modified}"),
    )
    .await;
    assert_eq!(status, 304);
    // Another ETag wins over the date.
    let (status, _, body) = exchange(
        &server,
        &format!(
            "GET /data.bin HTTP/1.1\r\nIf-None-Match: \"other\"\r\nIf-Modified-Since: {modified}"
        ),
    )
    .await;
    assert_eq!((status, body.len() as u64), (200, LEN));
    // A range of a version that is gone: the whole file instead.
    let (status, _, body) = exchange(
        &server,
        "GET /data.bin HTTP/1.1\r\nRange: bytes=0-9\r\nIf-Range: \"gone\"",
    )
    .await;
    assert_eq!((status, body.len() as u64), (200, LEN));
    let (status, _, body) = exchange(
        &server,
        &format!("GET /data.bin HTTP/1.1\r\nRange: bytes=0-9\r\nIf-Range: {etag}"),
    )
    .await;
    assert_eq!((status, body.len()), (206, 10));
    let (status, _, body) = exchange(&server, "HEAD /data.bin HTTP/1.1").await;
    assert_eq!((status, body.len()), (200, 0));

    // Pages: validated too, and a new generation (another script) is another ETag.
    let (status, headers, body) = exchange(&server, "GET / HTTP/1.1").await;
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&body).contains("/__vaultbook/ws"));
    let page_tag = header(&headers, "etag").unwrap().to_string();
    assert_eq!(header(&headers, "last-modified"), None);
    let (status, _, body) = exchange(
        &server,
        &format!("GET / HTTP/1.1\r\nIf-None-Match: {page_tag}"),
    )
    .await;
    assert_eq!((status, body.len()), (304, 0));
    server.rebuild(Changes::everything());
    server.wait_for_builds(2).await;
    let (status, headers, _) = exchange(
        &server,
        &format!("GET / HTTP/1.1\r\nIf-None-Match: {page_tag}"),
    )
    .await;
    assert_eq!(status, 200);
    assert_ne!(header(&headers, "etag"), Some(page_tag.as_str()));
    server.stop().await;
}

/// `vaultbook serve` as a child process: SIGTERM, SIGHUP and SIGINT each end it with
/// 128 + the signal once its staging dir (`vaultbook-serve-*` in its private TMPDIR) is gone,
/// with a websocket, a half-sent request and a download open at the time.
#[cfg(unix)]
#[test]
fn no_staging_dir_survives_a_stop_signal() {
    use std::io::BufRead;
    use std::os::unix::process::CommandExt;
    use std::process::{Command, Stdio};

    let fixture = tempfile::tempdir().unwrap();
    let root = fixture.path().join("book");
    let tmp = fixture.path().join("tmp");
    std::fs::create_dir_all(root.join("vault")).unwrap();
    std::fs::create_dir_all(&tmp).unwrap();
    std::fs::write(
        root.join("book.toml"),
        "[book]\ntitle = \"Signals\"\n\n[output.html.search]\nenable = false\n",
    )
    .unwrap();
    for i in 0..10 {
        std::fs::write(
            root.join(format!("vault/Note {i}.md")),
            format!(
                "# Note {i}\n\nSee [[Note {}]] and [[big.bin]].\n",
                (i + 1) % 10
            ),
        )
        .unwrap();
    }
    std::fs::write(root.join("vault/big.bin"), vec![7u8; 8 << 20]).unwrap();

    for signal in [libc::SIGTERM, libc::SIGHUP, libc::SIGINT] {
        let log = fixture.path().join(format!("serve-{signal}.log"));
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_vaultbook"));
        cmd.args(["serve", "--port", "0", "--no-run"])
            .arg(&root)
            .env("TMPDIR", &tmp)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap());
        // As from a terminal: a runner in the background or under nohup ignores some of these,
        // and vaultbook keeps an ignored signal ignored.
        // SAFETY: signal() is async-signal-safe, and nothing else runs between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                for s in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
                    libc::signal(s, libc::SIG_DFL);
                }
                Ok(())
            });
        }
        let mut child = cmd.spawn().unwrap();
        struct Reap(Option<std::process::Child>);
        impl Drop for Reap {
            fn drop(&mut self) {
                if let Some(mut c) = self.0.take() {
                    let _ = c.kill();
                    let _ = c.wait();
                }
            }
        }
        let stdout = child.stdout.take().unwrap();
        let mut child = Reap(Some(child));
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                let _ = tx.send(line);
            }
        });
        let stderr = || std::fs::read_to_string(&log).unwrap_or_default();
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("serve printed no URL; stderr:\n{}", stderr()));
        let port: u16 = line
            .trim_end_matches('/')
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        let ask = |request: &str| -> Option<(TcpStream, String)> {
            let mut s = TcpStream::connect(addr).ok()?;
            s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
            s.write_all(request.as_bytes()).ok()?;
            let mut head = [0u8; 12];
            s.read_exact(&mut head).ok()?;
            Some((s, String::from_utf8_lossy(&head).into_owned()))
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while ask(&format!(
            "GET /index.html HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
        ))
        .is_none_or(|(_, h)| !h.ends_with("200"))
        {
            assert!(
                std::time::Instant::now() < deadline,
                "serve never served the book; stderr:\n{}",
                stderr()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let staging: Vec<_> = std::fs::read_dir(&tmp)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            staging.iter().any(|n| n.starts_with("vaultbook-serve-")),
            "no staging dir to remove: {staging:?}"
        );
        // Open at the signal: a live-reload socket, a half-sent request, a download.
        let ws = ask(&format!(
            "GET /__vaultbook/ws HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://{addr}\r\n\
             Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
        ))
        .expect("no websocket");
        assert!(ws.1.ends_with("101"), "{}", ws.1);
        let mut half = TcpStream::connect(addr).unwrap();
        half.write_all(b"GET /index.html HT").unwrap();
        // Where the book put the attachment: relative to the served index.html.
        let files: Vec<PathBuf> = walkdir::WalkDir::new(&tmp)
            .into_iter()
            .flatten()
            .map(|e| e.into_path())
            .collect();
        let index = files
            .iter()
            .filter(|p| p.ends_with("index.html"))
            .min_by_key(|p| p.components().count())
            .expect("no index.html in the staging dir");
        let big = files
            .iter()
            .find(|p| p.ends_with("big.bin"))
            .expect("the attachment is not in the book");
        let rel = big.strip_prefix(index.parent().unwrap()).unwrap();
        let download = ask(&format!(
            "GET /{} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n",
            rel.display()
        ))
        .expect("no download");
        assert!(download.1.ends_with("200"), "{}", download.1);

        // SAFETY: kill has no memory-safety preconditions; the pid is our unreaped child.
        unsafe {
            libc::kill(child.0.as_ref().unwrap().id() as libc::pid_t, signal);
        }
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(status) = child.0.as_mut().unwrap().try_wait().unwrap() {
                child.0 = None;
                break status;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "serve did not exit after signal {signal}"
            );
            std::thread::sleep(Duration::from_millis(5));
        };
        assert_eq!(
            status.code(),
            Some(128 + signal),
            "signal {signal}: {status}; stderr:\n{}",
            stderr()
        );
        let left: Vec<_> = std::fs::read_dir(&tmp)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        assert!(
            left.is_empty(),
            "signal {signal} left {left:?}; stderr:\n{}",
            stderr()
        );
        drop((ws, half, download));
    }
}

/// serve recovers when its staging area is deleted under it (a tmp cleaner, a user): the next
/// change builds the whole book again instead of 404 forever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_staging_area_is_rebuilt_on_the_next_change() {
    let dir = book();
    let server = Server::start(
        ServeOptions::new(dir.path(), 0),
        harness::pipeline_builder(harness::no_run()),
    )
    .await
    .unwrap();
    tokio::time::timeout(WAIT, server.wait_for_builds(1))
        .await
        .expect("the first build did not finish");
    assert_eq!(get(&server, "/").await.status, 200);
    let served = server.served_dir().unwrap();
    let area = served
        .ancestors()
        .find(|a| {
            a.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("vaultbook-serve-"))
        })
        .unwrap()
        .to_path_buf();
    std::fs::remove_dir_all(&area).unwrap();
    assert_eq!(get(&server, "/").await.status, 404);

    editor_save(
        &dir.path().join("vault/Start.md"),
        "# Start\n\nback again\n",
    );
    tokio::time::timeout(WAIT, server.wait_for_builds(2))
        .await
        .expect("no rebuild after the save");
    let page = get(&server, "/start.html").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("back again"), "{}", page.body);
    server.stop().await;
}
