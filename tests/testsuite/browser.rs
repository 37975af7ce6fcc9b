//! `vaultbook serve` in a real headless Chromium (Debian's `chromium`, driven over CDP by
//! chromiumoxide; nothing is downloaded).
//!
//! - `live_reload_keeps_the_scroll_position_and_shows_errors`: the server in-process with a
//!   fake builder, so that the page script is tested whatever the pipeline does.
//! - `vaultbook_serve_end_to_end`: the `vaultbook serve` binary on the fixture book
//!   `tests/fixtures/serve_vault`, rendered by the real pipeline.
//!
//! Chromium missing fails the tests (CI installs it); `VAULTBOOK_SKIP_BROWSER=1` skips them.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use chromiumoxide::{Browser, BrowserConfig, Page};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use vaultbook::serve::{BuildRequest, ServeOptions, Server};

use crate::harness::{self, BookTest};

const CHROMIUM: &str = "/usr/bin/chromium";
/// Every wait in these tests is bounded by this.
const WAIT: Duration = Duration::from_secs(20);

/// A headless Chromium with a fresh profile, and the task that drives its protocol.
struct Chromium {
    browser: Browser,
    driver: tokio::task::JoinHandle<()>,
    _profile: tempfile::TempDir,
}

impl Chromium {
    /// Launches Chromium, or returns None (after saying so) when VAULTBOOK_SKIP_BROWSER=1.
    async fn launch() -> Option<Chromium> {
        if std::env::var("VAULTBOOK_SKIP_BROWSER").is_ok_and(|v| v == "1") {
            eprintln!("VAULTBOOK_SKIP_BROWSER=1: skipping the browser test");
            return None;
        }
        assert!(
            Path::new(CHROMIUM).exists(),
            "{CHROMIUM} is missing: install Debian's chromium (`apt-get install -y chromium`, as .ci/run does) or set VAULTBOOK_SKIP_BROWSER=1"
        );
        let profile = tempfile::tempdir().unwrap();
        let config = BrowserConfig::builder()
            .chrome_executable(CHROMIUM)
            .user_data_dir(profile.path())
            .no_sandbox()
            .args([
                "headless",
                "disable-gpu",
                "disable-quic",
                "no-first-run",
                "disable-background-networking",
                "disable-component-update",
                "disable-sync",
                // Containers often have a tiny /dev/shm.
                "disable-dev-shm-usage",
            ])
            // Starting Chromium on a busy 2-core machine can take longer than any page wait.
            .launch_timeout(Duration::from_secs(90))
            .build()
            .unwrap();
        let (browser, mut handler) = Browser::launch(config)
            .await
            .expect("cannot launch chromium");
        let driver = tokio::spawn(async move { while handler.next().await.is_some() {} });
        Some(Chromium {
            browser,
            driver,
            _profile: profile,
        })
    }

    async fn close(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(5), self.browser.close()).await;
        let _ = tokio::time::timeout(Duration::from_secs(5), self.browser.wait()).await;
        self.driver.abort();
    }
}

/// Evaluates `expr` in the page; None if it failed (say, during a navigation).
async fn eval<T: DeserializeOwned>(page: &Page, expr: &str) -> Option<T> {
    let result = tokio::time::timeout(Duration::from_secs(3), page.evaluate(expr))
        .await
        .ok()?
        .ok()?;
    result.into_value().ok()
}

/// Waits until `expr` is true in the page.
async fn wait_until(page: &Page, expr: &str, what: &str) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if eval::<bool>(page, expr).await == Some(true) {
            return;
        }
        if tokio::time::Instant::now() > deadline {
            let text: Option<String> = eval(page, "document.body && document.body.innerText").await;
            panic!("timed out waiting for {what}; the page says:\n{text:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// JavaScript: is the overlay there, showing `text`?
fn overlay_shows(text: &str) -> String {
    format!(
        "(() => {{ const o = document.getElementById('__vaultbook_overlay'); return !!o && o.innerText.includes({text:?}); }})()"
    )
}

/// JavaScript: does the page's text include `text`?
fn page_says(text: &str) -> String {
    format!("document.body.innerText.includes({text:?})")
}

/// A fake builder: one tall page, the text of `vault/Start.md` at the top and an `#anchor`
/// heading in the middle; a book.toml saying `broken` fails the build.
fn tall_page_builder(req: &BuildRequest<'_>) -> Result<PathBuf, String> {
    let toml = std::fs::read_to_string(req.root.join("book.toml")).map_err(|e| e.to_string())?;
    if toml.contains("broken") {
        return Err("book.toml is <broken>".into());
    }
    let text =
        std::fs::read_to_string(req.root.join("vault/Start.md")).map_err(|e| e.to_string())?;
    let filler: String = (0..60)
        .map(|i| format!("<p style=\"height:40px\">filler {i}</p>"))
        .collect();
    let page = format!(
        "<!DOCTYPE html><html><head><title>t</title></head><body><p id=\"text\">{text}</p>{filler}<h2 id=\"anchor\">Anchor</h2>{filler}</body></html>"
    );
    std::fs::create_dir_all(req.out).map_err(|e| e.to_string())?;
    std::fs::write(req.out.join("index.html"), page).map_err(|e| e.to_string())?;
    Ok(req.out.to_path_buf())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_reload_keeps_the_scroll_position_and_shows_errors() {
    let Some(chromium) = Chromium::launch().await else {
        return;
    };
    let dir = BookTest::new()
        .file("book.toml", "[vaultbook]\nvault = \"vault\"\n")
        .file("vault/Start.md", "version one");
    let server = Server::start(ServeOptions::new(dir.path(), 0), tall_page_builder)
        .await
        .unwrap();
    server.wait_for_builds(1).await;

    // A first visit with a #fragment: the fragment decides where the page is.
    let page = chromium
        .browser
        .new_page(format!("{}index.html#anchor", server.url()))
        .await
        .unwrap();
    wait_until(&page, &page_says("version one"), "the first page").await;
    wait_until(
        &page,
        "(() => { const r = document.getElementById('anchor').getBoundingClientRect(); return r.top > -2 && r.top < 5; })()",
        "the #anchor heading at the top",
    )
    .await;

    // The reader scrolls elsewhere; an edit reloads the page where the reader was.
    let y: f64 = eval(&page, "(window.scrollTo(0, 700), window.scrollY)")
        .await
        .unwrap();
    assert_eq!(y, 700.0);
    eval::<i32>(&page, "window.__vaultbook_marker = 1").await;
    let start = dir.path().join("vault/Start.md");
    std::fs::write(&start, "version two").unwrap();
    wait_until(&page, &page_says("version two"), "the edit to show").await;
    assert_eq!(
        eval::<bool>(&page, "window.__vaultbook_marker === undefined").await,
        Some(true)
    );
    wait_until(
        &page,
        "window.scrollY === 700",
        "the scroll position to come back",
    )
    .await;

    // A failed build: the overlay, over the old content, without a reload.
    eval::<i32>(&page, "window.__vaultbook_marker = 2").await;
    let toml = dir.path().join("book.toml");
    std::fs::write(&toml, "broken").unwrap();
    wait_until(
        &page,
        &overlay_shows("book.toml is <broken>"),
        "the error overlay",
    )
    .await;
    assert_eq!(
        eval::<bool>(&page, "window.__vaultbook_marker === 2").await,
        Some(true)
    );
    assert_eq!(
        eval::<bool>(&page, &page_says("version two")).await,
        Some(true)
    );
    // The error is text, not markup.
    assert_eq!(
        eval::<bool>(
            &page,
            "document.querySelector('#__vaultbook_overlay broken') === null"
        )
        .await,
        Some(true)
    );

    // Fixed: the overlay goes, the page reloads.
    std::fs::write(&toml, "[vaultbook]\nvault = \"vault\"\n").unwrap();
    wait_until(
        &page,
        "document.getElementById('__vaultbook_overlay') === null && window.__vaultbook_marker === undefined",
        "the overlay to go",
    )
    .await;

    chromium.close().await;
    server.stop().await;
}

/// The `vaultbook serve` process; killed if the test fails.
struct ServeProcess {
    child: Child,
    url: String,
}

impl ServeProcess {
    fn start(root: &Path) -> ServeProcess {
        let mut child = harness::vaultbook()
            .args(["serve", "--port", "0", "--no-run"])
            .arg(root)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let rx = harness::lines_of(child.stdout.take().unwrap());
        let line = rx
            .recv_timeout(WAIT)
            .expect("vaultbook serve printed no URL");
        let url = line
            .strip_prefix("Serving ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_string();
        assert!(
            url.starts_with("http://127.0.0.1:") && url.ends_with('/'),
            "{url}"
        );
        ServeProcess { child, url }
    }

    /// SIGTERM, then the exit status (within 10 s).
    fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "vaultbook serve ignored SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vaultbook_serve_end_to_end() {
    let Some(chromium) = Chromium::launch().await else {
        return;
    };
    let book = BookTest::from_fixture_nested("serve_vault", "book");
    let root = book.root();
    let serve = ServeProcess::start(root);

    // Open the book (it may still be building: that page reloads by itself).
    let page = chromium.browser.new_page(serve.url.as_str()).await.unwrap();
    wait_until(
        &page,
        &page_says("the link to a heading in Other"),
        "the start page",
    )
    .await;

    // Follow the wikilink to a heading: the heading is in view.
    eval::<bool>(
        &page,
        "(() => { const a = [...document.querySelectorAll('a')].find(a => a.innerText.includes('the link to a heading in Other')); a.click(); return true; })()",
    )
    .await;
    wait_until(
        &page,
        "(() => { const id = decodeURIComponent(location.hash.slice(1)); const h = id && document.getElementById(id); if (!h || !h.innerText.includes('Some Heading')) return false; const r = h.getBoundingClientRect(); return r.top > -2 && r.bottom <= window.innerHeight; })()",
        "the heading of the link in view",
    )
    .await;
    let y: f64 = eval(&page, "window.scrollY").await.unwrap();
    assert!(
        y > 100.0,
        "the heading was already on the first screen: {y}"
    );

    // Edit the note on disk: the page shows the new text by itself, where the reader was.
    eval::<i32>(&page, "window.__vaultbook_marker = 1").await;
    let other = root.join("vault/Other.md");
    let text = std::fs::read_to_string(&other).unwrap();
    std::fs::write(&other, text.replace("Original text", "Edited text")).unwrap();
    wait_until(&page, &page_says("Edited text"), "the edited text").await;
    assert_eq!(
        eval::<bool>(&page, "window.__vaultbook_marker === undefined").await,
        Some(true)
    );
    wait_until(
        &page,
        &format!("Math.abs(window.scrollY - {y}) < 5"),
        "the scroll position kept across the reload",
    )
    .await;

    // Break book.toml: the error overlay, over the old content.
    eval::<i32>(&page, "window.__vaultbook_marker = 2").await;
    let toml = root.join("book.toml");
    let good = std::fs::read_to_string(&toml).unwrap();
    std::fs::write(&toml, "[book\ntitle = ").unwrap();
    wait_until(&page, &overlay_shows("book.toml"), "the error overlay").await;
    assert_eq!(
        eval::<bool>(&page, &page_says("Edited text")).await,
        Some(true)
    );
    assert_eq!(
        eval::<bool>(&page, "window.__vaultbook_marker === 2").await,
        Some(true)
    );

    // Fix it: the overlay goes.
    std::fs::write(&toml, good).unwrap();
    wait_until(
        &page,
        "document.getElementById('__vaultbook_overlay') === null",
        "the overlay to go",
    )
    .await;

    chromium.close().await;
    let status = serve.terminate();
    // Stopped by its signal handler, which exits with 128 + SIGTERM (15) once it has cleaned up.
    assert_eq!(
        status.code(),
        Some(143),
        "vaultbook serve exited with {status} on SIGTERM"
    );
}

/// Search works in a book opened from disk (`file://`, no server): typing a word lists hits,
/// and the first hit opens a page holding the id it points to.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_from_file_urls_finds_and_lands() {
    let Some(chromium) = Chromium::launch().await else {
        return;
    };
    let book = BookTest::from_fixture_nested("links", "book");
    let root = book.root();
    book.build();
    let url = format!("file://{}/book/index.html", root.display());
    let page = chromium.browser.new_page(url.as_str()).await.unwrap();
    wait_until(
        &page,
        "!!document.getElementById('mdbook-search-toggle')",
        "the search button",
    )
    .await;
    eval::<bool>(
        &page,
        "(() => { document.getElementById('mdbook-search-toggle').click(); \
         const bar = document.getElementById('mdbook-searchbar'); bar.value = 'running'; \
         bar.dispatchEvent(new KeyboardEvent('keyup', {key: 'g'})); return true; })()",
    )
    .await;
    wait_until(
        &page,
        "document.querySelectorAll('#mdbook-searchresults li a').length > 0",
        "search hits for `running`",
    )
    .await;
    let href: String = eval(
        &page,
        "document.querySelector('#mdbook-searchresults li a').href",
    )
    .await
    .unwrap();
    let id = href.split_once('#').map(|(_, f)| f.to_string());
    page.goto(href.as_str()).await.unwrap();
    match id {
        Some(id) => {
            wait_until(
                &page,
                &format!("!!document.getElementById({id:?})"),
                &format!("the hit's target #{id} on {href}"),
            )
            .await
        }
        None => wait_until(&page, "!!document.querySelector('main h1')", &href).await,
    }
    chromium.close().await;
}

/// A book with Pagefind's chunked index (`[vaultbook] search = "pagefind"`, what `auto` picks
/// for a large book): served, the search button finds a word and its first hit opens a page of
/// the book; opened from disk, the search says how to serve the book instead of failing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chunked_search_finds_and_lands_when_served() {
    let Some(chromium) = Chromium::launch().await else {
        return;
    };
    let book = BookTest::from_fixture_nested("links", "book");
    let root = book.root();
    book.append("book.toml", "search = \"pagefind\"\n");
    let serve = ServeProcess::start(root);
    let url = format!("{}index.html", serve.url);
    let page = chromium.browser.new_page(url.as_str()).await.unwrap();
    wait_until(
        &page,
        "!!document.getElementById('vb-search-toggle') && !document.getElementById('mdbook-search-toggle')",
        "vaultbook's search button in place of mdBook's",
    )
    .await;
    first_hit_lands(&page, &serve.url, "index.html").await;

    // From disk: a message, not a broken search.
    book.build();
    assert!(root.join("book/pagefind/pagefind-entry.json").is_file());
    let file = format!("file://{}/book/index.html?search=running", root.display());
    page.goto(file.as_str()).await.unwrap();
    wait_until(
        &page,
        &page_says("Serve the book to search it"),
        "the file:// explanation",
    )
    .await;
    chromium.close().await;
    serve.terminate();
}

/// Searches for `running` from the page `from` of the book served at `url`, opens the first
/// hit and waits for the page that says "A running program."; returns the hit's URL.
async fn first_hit_lands(page: &Page, url: &str, from: &str) -> String {
    let hits = format!("{url}{from}?search=running");
    page.goto(hits.as_str()).await.unwrap();
    wait_until(
        page,
        "document.querySelectorAll('#vb-search .pagefind-ui__result-link').length > 0",
        "search hits for `running`",
    )
    .await;
    let href: String = eval(
        page,
        "document.querySelector('#vb-search .pagefind-ui__result-link').href",
    )
    .await
    .unwrap();
    assert!(href.starts_with(url), "{href}");
    page.goto(href.as_str()).await.unwrap();
    wait_until(
        page,
        &page_says("A running program."),
        &format!("the hit's page {href}"),
    )
    .await;
    href
}

/// A book whose search is several Pagefind indexes (`search-bundle-size`, here one page each,
/// as a book past 24 MB of pages gets): the search merges them, so a word of a page in a later
/// index is found, and its hit opens the page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_merges_the_indexes_of_a_large_book() {
    let Some(chromium) = Chromium::launch().await else {
        return;
    };
    let book = BookTest::from_fixture_nested("links", "book");
    let root = book.root();
    book.append(
        "book.toml",
        "search = \"pagefind\"\nsearch-bundle-size = 1\n",
    );
    let serve = ServeProcess::start(root);
    let page = chromium
        .browser
        .new_page(format!("{}index.html", serve.url).as_str())
        .await
        .unwrap();
    wait_until(
        &page,
        "!!document.getElementById('vb-search-toggle')",
        "vaultbook's search button",
    )
    .await;
    // Utils, the page with the word, is in a later index than the first.
    let href = first_hit_lands(&page, &serve.url, "links.html").await;
    assert!(href.contains("utils.html"), "{href}");
    chromium.close().await;
    serve.terminate();
    // The build writes the same indexes: one per page.
    book.build();
    let list = std::fs::read_to_string(root.join("book/pagefind/vaultbook-bundles.json")).unwrap();
    let bundles: Vec<String> = serde_json::from_str(&list).unwrap();
    assert!(bundles.len() > 3, "{list}");
    assert!(
        root.join("book/pagefind")
            .join(&bundles[0])
            .join("pagefind-entry.json")
            .is_file()
    );
}

/// Page previews from `file://`: hovering a link to another page's heading shows that section
/// (and not the next one) in a popover that moves nothing in the page; Escape closes it;
/// focusing a link with the keyboard shows its preview too, described by the popover.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn previews_show_the_section_from_file_urls() {
    let Some(chromium) = Chromium::launch().await else {
        return;
    };
    let book = BookTest::from_fixture_nested("links", "book");
    let root = book.root();
    book.build();
    let url = format!("file://{}/book/links.html", root.display());
    let page = chromium.browser.new_page(url.as_str()).await.unwrap();
    wait_until(&page, "!!window.vbPreviews", "the previews script").await;
    // Where the page's content is, relative to the document (not the viewport, which the
    // hover may scroll).
    let layout = "JSON.stringify([document.scrollingElement.scrollHeight, \
        document.querySelector('main p').getBoundingClientRect().top + window.scrollY, \
        document.querySelector('main p').getBoundingClientRect().width])";
    let before: String = eval(&page, layout).await.unwrap();
    let shows = |text: &str, not: &str| {
        format!(
            "(() => {{ const p = document.getElementById('vb-preview'); \
             return !!p && !p.hidden && p.getAttribute('role') === 'tooltip' \
             && getComputedStyle(p).position === 'fixed' \
             && p.innerText.includes({text:?}) && !p.innerText.includes({not:?}); }})()"
        )
    };
    let hidden = "(() => { const p = document.getElementById('vb-preview'); \
        return !p || p.hidden; })()";

    page.find_element("main a[href='utils.html#execution']")
        .await
        .unwrap()
        .hover()
        .await
        .unwrap();
    wait_until(
        &page,
        &shows("Running code.", "A running program"),
        "the preview of Utils#Execution",
    )
    .await;
    let after: String = eval(&page, layout).await.unwrap();
    assert_eq!(before, after, "the popover moved the page");
    let described: Option<String> = eval(
        &page,
        "document.querySelector(\"main a[href='utils.html#execution']\")\
         .getAttribute('aria-describedby')",
    )
    .await;
    assert_eq!(described.as_deref(), Some("vb-preview"));
    eval::<bool>(
        &page,
        "document.dispatchEvent(new KeyboardEvent('keydown', {key: 'Escape', bubbles: true})), true",
    )
    .await;
    wait_until(&page, hidden, "Escape to close the preview").await;

    // The keyboard: focusing a link shows its preview at once.
    page.move_mouse(chromiumoxide::layout::Point { x: 1.0, y: 1.0 })
        .await
        .unwrap();
    eval::<bool>(
        &page,
        "document.querySelector(\"main a[href='utils.html#gil']\").focus(), true",
    )
    .await;
    wait_until(
        &page,
        &shows("Python", "Duplicate"),
        "the preview of the focused Utils#GIL",
    )
    .await;
    eval::<bool>(
        &page,
        "document.activeElement.dispatchEvent(new KeyboardEvent('keydown', {key: 'Escape', bubbles: true})), true",
    )
    .await;
    wait_until(&page, hidden, "Escape to close the focused preview").await;
    let after: String = eval(&page, layout).await.unwrap();
    assert_eq!(before, after, "the popover moved the page");
    chromium.close().await;
}

/// Goes to `url`, opens the page's "Graph" box and returns the hrefs of the picture drawn in
/// it (sorted), with the box's text.
async fn local_graph(page: &Page, url: &str) -> (Vec<String>, String) {
    page.goto(url).await.unwrap();
    wait_until(page, "!!window.vbGraph", "the graph script").await;
    eval::<bool>(
        page,
        "(() => { const d = document.querySelector('details.vb-graph'); d.open = true; \
         return true; })()",
    )
    .await;
    wait_until(
        page,
        "!!document.querySelector('details.vb-graph svg a')",
        "the local graph",
    )
    .await;
    let hrefs: String = eval(
        page,
        "[...document.querySelectorAll('details.vb-graph svg a')]\
         .map(a => a.getAttribute('href')).sort().join(' ')",
    )
    .await
    .unwrap();
    let text: String = eval(page, "document.querySelector('details.vb-graph').innerText")
        .await
        .unwrap();
    (hrefs.split(' ').map(String::from).collect(), text)
}

/// The local graphs are drawn in the page from the links table, from `file://`: the notes two
/// links away (not three), the page's own marked, URLs from the page's folder, hostile titles
/// as text, and past 24 neighbours the most linked with a count of the rest.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_graphs_are_drawn_in_the_page() {
    let Some(chromium) = Chromium::launch().await else {
        return;
    };
    let book = BookTest::from_fixture("graph");
    book.build();
    let url = |page: &str| format!("file://{}/book/{page}", book.root().display());
    let page = chromium.browser.new_page("about:blank").await.unwrap();
    let (hrefs, text) = local_graph(&page, &url("alpha.html")).await;
    // Links out (Beta, Gamma) and in (Home, the hostile title), and Delta two links away
    // through Beta; Epsilon is three away, Lonely unlinked, Draft unpublished.
    assert_eq!(
        hrefs,
        [
            "alpha.html",
            "beta.html",
            "deep/delta.html",
            "evil.html",
            "gamma.html",
            "index.html"
        ]
    );
    assert!(!text.contains("more"), "{text}");
    let here: Option<String> = eval(
        &page,
        "document.querySelector('details.vb-graph a.vb-graph-here title').textContent",
    )
    .await;
    assert_eq!(here.as_deref(), Some("Alpha"));
    // Every link of Alpha's is one stroke from the middle; Beta–Delta is another.
    let strokes: Option<String> = eval(
        &page,
        "[...document.querySelectorAll('details.vb-graph path')].map(p => p.getAttribute('class') \
         + ':' + p.getAttribute('d').split('M').length).join(' ')",
    )
    .await;
    assert_eq!(
        strokes.as_deref(),
        Some("vb-graph-edges:2 vb-graph-edges vb-graph-near:5")
    );

    // Delta's graph goes the other way, from a page in a folder.
    let (hrefs, _) = local_graph(&page, &url("deep/delta.html")).await;
    assert_eq!(
        hrefs,
        [
            "../alpha.html",
            "../beta.html",
            "../deep/delta.html",
            "../epsilon.html"
        ]
    );

    // The hostile title is a title, not an element.
    local_graph(&page, &url("evil.html")).await;
    let evil: Option<String> = eval(
        &page,
        "document.querySelectorAll('main img').length + ' ' + \
         document.querySelector('details.vb-graph a.vb-graph-here title').textContent",
    )
    .await;
    assert_eq!(evil.as_deref(), Some("0 <img src=x onerror=alert(1)>"));

    // A hub of 60 notes shows the 24 most linked, the rest counted.
    let hub = BookTest::new();
    hub.write(
        "book.toml",
        "[book]\ntitle = \"Hub\"\n[vaultbook]\nvault = \"vault\"\n",
    );
    let spokes: String = (0..60).map(|i| format!("[[S{i}]] ")).collect();
    hub.write("vault/Hub.md", format!("# Hub\n\n{spokes}\n"));
    for i in 0..60 {
        // The first five are linked to each other too: they are the most linked.
        let more = if i < 5 {
            "[[S0]] [[S1]] [[S2]] [[S3]] [[S4]]"
        } else {
            ""
        };
        hub.write(format!("vault/S{i}.md"), format!("# S{i}\n\n{more}\n"));
    }
    hub.build();
    let at = format!("file://{}/book/hub.html", hub.root().display());
    let (hrefs, text) = local_graph(&page, &at).await;
    assert_eq!(hrefs.len(), 25, "{hrefs:?}");
    for i in 0..5 {
        assert!(hrefs.contains(&format!("s{i}.html")), "{hrefs:?}");
    }
    assert!(
        text.contains("and 36 more notes within two links"),
        "{text}"
    );
    chromium.close().await;
}
