//! Pages as Obsidian's reading view shows them (issue 11, item 10): callout icons, stacked image
//! embeds, sizes in markdown images' alt text, Obsidian's task states, section embeds, a PDF's
//! `#height=N` and code in link text. The markup is asserted on the rendered HTML of the
//! `reading_view` fixture; what only the stylesheet does is measured in a headless Chromium.

use std::path::Path;
use std::time::Duration;

use chromiumoxide::{Browser, BrowserConfig};
use futures_util::StreamExt;

use crate::harness::BookTest;

/// The `reading_view` fixture, built with no errors or warnings.
fn built() -> BookTest {
    let book = BookTest::from_fixture("reading_view");
    let report = book.build();
    assert!(report.diagnostics.is_empty(), "{:#?}", report.diagnostics);
    book
}

#[test]
fn consecutive_image_embeds_are_separate_lines() {
    let main = built().main_of("home.html");
    assert!(
        main.contains(
            "<img src=\"media/a.png\" alt=\"a.png\"><br>\n<img src=\"media/b.png\" alt=\"b.png\">"
        ),
        "{main}"
    );
    assert!(
        main.contains(
            "<p>Text with an inline <img src=\"media/a.png\" alt=\"a.png\" width=\"16\"> image that"
        ),
        "an image within a line of text stays in it: {main}"
    );
}

#[test]
fn sizes_in_markdown_images_alt_text() {
    let main = built().main_of("home.html");
    for img in [
        r#"<img src="media/a.png" alt="a.png" width="250">"#,
        r#"<img src="media/b.png" alt="alt text" width="100" height="50">"#,
        r#"<img src="https://example.com/x.png" alt="" width="250">"#,
        r#"<img src="https://example.com/logo.png" alt="Logo" title="The logo" width="64" height="32">"#,
    ] {
        assert!(main.contains(img), "no {img} in {main}");
    }
    assert!(!main.contains("alt=\"250\""), "{main}");
    assert!(!main.contains("Logo|64x32"), "{main}");
    assert!(
        main.contains(r#"<img src="https://example.com/y.png" alt="plain alt">"#),
        "an image without a size is mdBook's: {main}"
    );
}

#[test]
fn obsidian_task_states_are_checkboxes() {
    let main = built().main_of("home.html");
    for (state, text) in [
        ("/", "doing"),
        ("?", "question"),
        ("-", "cancelled"),
        ("&gt;", "forwarded"),
        ("!", "important"),
    ] {
        let item = format!(
            r#"<li><input type="checkbox" class="task-list-item-checkbox" disabled="" checked="" data-task="{state}"> {text}</li>"#
        );
        assert!(main.contains(&item), "no {item} in {main}");
    }
    assert!(
        main.contains(r#"<li><input type="checkbox" class="task-list-item-checkbox" disabled="" checked="" data-task="/"> ordered doing</li>"#),
        "{main}"
    );
    assert!(
        main.contains(r#"<p><input type="checkbox" class="task-list-item-checkbox" disabled="" checked="" data-task="/"> loose doing</p>"#),
        "{main}"
    );
    // mdBook's own two states as before.
    assert!(main.contains(r#"<li><input disabled="" type="checkbox"> open</li>"#));
    assert!(main.contains(r#"<li><input disabled="" type="checkbox" checked=""> done</li>"#));
    assert!(main.contains("Not a task: [/] in text."));
    assert!(
        !main.contains("[/] doing") && !main.contains("[?]"),
        "{main}"
    );
}

#[test]
fn a_pdf_height_is_the_viewer_height() {
    let main = built().main_of("home.html");
    assert!(
        main.contains(
            r#"<iframe class="vb-pdf" src="media/doc.pdf" title="doc.pdf" height="400"></iframe>"#
        ),
        "{main}"
    );
    assert!(
        main.contains(
            r#"<iframe class="vb-pdf" src="media/doc.pdf#page=2" title="doc.pdf"></iframe>"#
        ),
        "`#page=N` is the PDF viewer's: {main}"
    );
}

#[test]
fn code_in_link_text_is_code() {
    let main = built().main_of("home.html");
    assert!(
        main.contains(r#"<a href="utils.html"><code>Arc</code></a>"#),
        "{main}"
    );
    assert!(
        main.contains(r#"<a href="utils.html#send-and-sync">Utils &gt; <code>Send</code> and <code>Sync</code></a>"#),
        "a heading's generated link text: {main}"
    );
    assert!(
        main.contains(
            r#"the <code>Send</code> <em>and</em> <code>Sync</code> &lt;b&gt;traits&lt;/b&gt;</a>"#
        ),
        "the rest of an alias as before: {main}"
    );
    assert!(!main.contains('`'), "{main}");
}

#[test]
fn every_link_of_the_rendered_book_resolves() {
    built().assert_links_reach_ids();
}

/// What the stylesheet and vaultbook.js make of the page, measured in the browser: a JSON
/// object of the facts the test below asserts.
const MEASURE: &str = r#"(() => {
  const q = (s) => document.querySelector(s);
  const box = (e) => e.getBoundingClientRect();
  const icon = (s) => getComputedStyle(q(s), '::before');
  const imgs = [...document.querySelectorAll('main img')];
  const a = imgs.find((i) => i.getAttribute('src') === 'media/a.png' && !i.hasAttribute('width'));
  const b = imgs.find((i) => i.getAttribute('src') === 'media/b.png' && !i.hasAttribute('width'));
  const inline = imgs.find((i) => i.getAttribute('width') === '16');
  const items = [...document.querySelectorAll('main ul > li')];
  const item = (t) => items.find((li) => li.textContent.trim() === t);
  const summary = q('details.callout > summary.callout-title');
  const embed = q('.vb-embed');
  return {
    note_icon: icon('.callout[data-callout="note"] .callout-title').maskImage,
    warning_icon: icon('.callout[data-callout="warning"] .callout-title').maskImage,
    unknown_icon: icon('.callout[data-callout="mystery"] .callout-title').maskImage,
    icon_width: parseFloat(icon('.callout[data-callout="note"] .callout-title').width),
    icon_colour: icon('.callout[data-callout="warning"] .callout-title').backgroundColor,
    title_colour: getComputedStyle(summary).color,
    summary_height: box(summary).height,
    title_height: box(q('div.callout > div.callout-title')).height,
    a_bottom: box(a).bottom,
    b_top: box(b).top,
    inline_line: box(inline.parentElement).height,
    text_line: parseFloat(getComputedStyle(inline.parentElement).lineHeight),
    doing_bullet: getComputedStyle(item('doing')).listStyleType,
    open_bullet: getComputedStyle(item('open')).listStyleType,
    loose_bullet: getComputedStyle(item('loose doing')).listStyleType,
    doing_state: item('doing').dataset.task,
    open_state: item('open').dataset.task,
    done_state: item('done').dataset.task,
    doing_class: item('doing').className,
    embed_gap: box(embed.firstElementChild).top - box(embed).top,
    pdf_height: q('iframe.vb-pdf').clientHeight,
  };
})()"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stylesheet_shows_them_as_obsidian_does() {
    if std::env::var("VAULTBOOK_SKIP_BROWSER").is_ok_and(|v| v == "1") {
        eprintln!("VAULTBOOK_SKIP_BROWSER=1: skipping the browser test");
        return;
    }
    let book = tokio::task::spawn_blocking(built).await.unwrap();
    let m = measure(&book.path().join("book/home.html")).await;
    let text = |k: &str| m[k].as_str().unwrap_or_default().to_string();
    let num = |k: &str| m[k].as_f64().unwrap_or(f64::NAN);

    // 1. An icon before each title, in the callout's colour; unknown types get the note's.
    assert!(text("note_icon").contains("data:image/svg+xml"), "{m:#}");
    assert_ne!(text("note_icon"), text("warning_icon"), "{m:#}");
    assert_eq!(text("unknown_icon"), text("note_icon"), "{m:#}");
    assert!(num("icon_width") > 8.0, "{m:#}");
    assert_eq!(text("icon_colour"), text("title_colour"), "{m:#}");
    assert!(
        num("summary_height") <= num("title_height") + 1.0,
        "a foldable title stays one line: {m:#}"
    );
    // 2. Consecutive embeds stack with a gap; an inline image keeps its line.
    assert!(num("b_top") - num("a_bottom") >= 2.0, "{m:#}");
    assert!(num("inline_line") < 1.6 * num("text_line"), "{m:#}");
    // 4. Task items have no bullet, and carry their state as Obsidian's do.
    assert_eq!(text("doing_bullet"), "none", "{m:#}");
    assert_eq!(text("open_bullet"), "none", "{m:#}");
    assert_eq!(text("loose_bullet"), "none", "{m:#}");
    assert_eq!(text("doing_state"), "/", "{m:#}");
    assert_eq!(text("open_state"), "", "{m:#}");
    assert_eq!(text("done_state"), "x", "{m:#}");
    assert!(text("doing_class").contains("task-list-item"), "{m:#}");
    // 5. An embedded section starts at the top of its box.
    assert!(num("embed_gap") < 20.0, "{m:#}");
    // 6. `#height=400`.
    assert!((num("pdf_height") - 400.0).abs() < 1.0, "{m:#}");
}

/// Loads `page` in a headless Chromium and returns what [`MEASURE`] finds there.
async fn measure(page: &Path) -> serde_json::Value {
    let profile = tempfile::tempdir().unwrap();
    let config = BrowserConfig::builder()
        .chrome_executable("/usr/bin/chromium")
        .user_data_dir(profile.path())
        .no_sandbox()
        .window_size(1200, 1500)
        .args([
            "headless",
            "disable-gpu",
            "no-first-run",
            "disable-background-networking",
            "disable-dev-shm-usage",
        ])
        .launch_timeout(Duration::from_secs(90))
        .build()
        .unwrap();
    let (mut browser, mut handler) = Browser::launch(config)
        .await
        .expect("cannot launch chromium (VAULTBOOK_SKIP_BROWSER=1 skips this test)");
    let driver = tokio::spawn(async move { while handler.next().await.is_some() {} });
    let url = format!("file://{}", page.display());
    let tab = browser.new_page(url).await.unwrap();
    // Everything measured is in the page as loaded: wait for its scripts to have run.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let value = loop {
        let ready = tab
            .evaluate("document.readyState === 'complete'")
            .await
            .ok()
            .and_then(|r| r.into_value::<bool>().ok());
        if ready == Some(true) {
            break tab.evaluate(MEASURE).await.unwrap().into_value().unwrap();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the page never loaded"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let _ = tokio::time::timeout(Duration::from_secs(5), browser.close()).await;
    let _ = tokio::time::timeout(Duration::from_secs(5), browser.wait()).await;
    driver.abort();
    value
}
