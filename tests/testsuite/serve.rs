//! `vaultbook serve` in-process, on port 0, with a fake builder: HTTP, path safety, live reload
//! over the websocket, failed rebuilds, debouncing, and builds that overlap edits.

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
    assert_eq!(index.header("cache-control"), Some("no-store"));

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
    let mut inner = fake(Arc::default(), Duration::ZERO);
    let builder = move |req: &BuildRequest<'_>| {
        let start = std::fs::read_to_string(req.root.join("vault/Start.md")).unwrap_or_default();
        if start.contains("panic") {
            panic!("a bug on {start}");
        }
        inner(req)
    };
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
