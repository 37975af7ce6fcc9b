//! Page previews: the data that lets a reader hover an internal link and see its target.
//!
//! After mdBook has rendered the book, every chapter's `<main>` is read back (html5ever's
//! tokenizer, then a small tree), and for each heading, each block id (`#^id`) and the page
//! itself a preview is cut out: the heading up to the next heading of the same or a higher
//! level, the block's element, the page's beginning. Each is truncated (text and bytes), loses
//! its `id`s (they would repeat the page's own) and anything that runs, and has its relative URLs
//! rewritten from the book's root (the previewing page can be anywhere in the book). The HTML is
//! the rendered page's, so its heading ids are mdBook's final ones and it was sanitised at emit.
//!
//! One script per page, `vaultbook-previews/<page>.js`, calls `window.vbPreviews.add(page,
//! {id: html, …})`: a script, not JSON, because a browser refuses `fetch()` from `file://`.
//! `vaultbook-previews.js` injects the script of a page the first time a link to it is hovered,
//! so a reader downloads the previews of the pages they point at and nothing else.

use std::cell::RefCell;
use std::path::Path;

use anyhow::{Context, Result};
use html5ever::tokenizer::{TagKind, Token, TokenSink, TokenSinkResult};
use rayon::prelude::*;

/// The previews' script, written into the emitted tree when `[vaultbook] previews` is on.
pub(crate) const PREVIEWS_JS: &str = include_str!("emit/vaultbook-previews.js");

/// Its name in the emitted tree (beside book.toml, as mdBook's `additional-js` wants); the
/// render builds the data exactly when the book's scripts name it.
pub(crate) const PREVIEWS_JS_FILE: &str = "vaultbook-previews.js";

/// The folder of the rendered book holding one data script per page.
pub(crate) const DATA_DIR: &str = "vaultbook-previews";

/// Characters of text a preview keeps: a popover's worth, as Obsidian's shows.
const MAX_TEXT: usize = 1200;

/// Bytes of HTML a preview keeps, so that markup-heavy text (MathML, tables) stays small too.
const MAX_HTML: usize = 6000;

/// Bytes of one page's data script past which no further preview is added: a page with hundreds
/// of headings still downloads quickly; links to its last sections show no preview.
const MAX_FILE: usize = 96 * 1024;

/// Bytes of a page's HTML read for its previews. The data script holds at most `MAX_FILE`
/// bytes of previews, from the top of the page; parsing the rest of a 250 MB page (one
/// 100 MB note) into a tree would only cost gigabytes of memory (html5ever keeps the whole
/// document) for previews that would not fit.
const MAX_PAGE: usize = 8 << 20;

/// Elements left out of a preview with all they hold: nothing in a popover should run, load a
/// frame or ask for input.
const DROPPED: &[&str] = &[
    "script", "style", "template", "iframe", "object", "embed", "noscript", "frame", "frameset",
    "form",
];

/// Elements with no end tag.
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr",
];

/// Builds the preview data of every chapter of the rendered book in `dest` into
/// `dest/vaultbook-previews/`; returns the bytes written.
pub(crate) fn build(dest: &Path) -> Result<u64> {
    let pages = crate::render::rendered_files(dest, previewed)?;
    let out = dest.join(DATA_DIR);
    let _ = std::fs::remove_dir_all(&out);
    let written: Vec<u64> = pages
        .par_iter()
        .map(|(rel, path)| -> Result<u64> {
            let bytes =
                std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
            let text = String::from_utf8_lossy(&bytes);
            let Some(script) = page_script(rel, &text) else {
                return Ok(0);
            };
            let file = out.join(format!("{}.js", rel.trim_end_matches(".html")));
            if let Some(dir) = file.parent() {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
            }
            std::fs::write(&file, &script)
                .with_context(|| format!("cannot write {}", file.display()))?;
            Ok(script.len() as u64)
        })
        .collect::<Result<_>>()?;
    Ok(written.iter().sum())
}

/// Makes the preview data of the pages `pages` (paths of the book, `a/b.html`) of `out` again,
/// after a partial render replaced them (in the book being served or the build dir, whose files
/// may be hard links shared with another copy): each data file is written new and renamed over
/// the old one. A book without preview data (`previews = false`) is left as it is.
pub(crate) fn refresh(out: &Path, pages: &[String]) -> Result<()> {
    let data = out.join(DATA_DIR);
    if !data.is_dir() {
        return Ok(());
    }
    for rel in pages.iter().filter(|r| previewed(r)) {
        let page = out.join(rel);
        let Ok(bytes) = std::fs::read(&page) else {
            continue;
        };
        let file = data.join(format!("{}.js", rel.trim_end_matches(".html")));
        let Some(script) = page_script(rel, &String::from_utf8_lossy(&bytes)) else {
            let _ = std::fs::remove_file(&file);
            continue;
        };
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let staged = file.with_extension("js.vaultbook-new");
        std::fs::write(&staged, &script)
            .with_context(|| format!("cannot write {}", staged.display()))?;
        std::fs::rename(&staged, &file)?;
    }
    Ok(())
}

/// Whether a file of the rendered book is a chapter to preview: not the print page (every
/// chapter again), the sidebar or the 404 page, nor the data itself.
fn previewed(rel: &str) -> bool {
    rel.ends_with(".html")
        && !matches!(rel, "print.html" | "toc.html" | "404.html")
        && !rel.starts_with(&format!("{DATA_DIR}/"))
}

/// The data script of the page `rel` (its path in the book) with HTML `html`; `None` when the
/// page has no `<main>` (an HTML attachment, say).
fn page_script(rel: &str, html: &str) -> Option<String> {
    let mut end = html.len().min(MAX_PAGE);
    while !html.is_char_boundary(end) {
        end -= 1;
    }
    let main = parse_main(&html[..end])?;
    let previews = previews_of(&main, rel);
    let mut out = format!(
        "window.vbPreviews&&window.vbPreviews.add({},{{",
        js_string(rel)
    );
    let mut first = true;
    let page = previews.first().map(|(_, h)| h.clone()).unwrap_or_default();
    for (id, html) in previews {
        if out.len() > MAX_FILE {
            break;
        }
        if !first {
            out.push(',');
        }
        first = false;
        out.push_str(&js_string(&id));
        out.push(':');
        if !id.is_empty() && html == page {
            // The page's title heading: its section is the page, written once (`1` says so).
            out.push('1');
        } else {
            out.push_str(&js_string(&html));
        }
    }
    out.push_str("});\n");
    Some(out)
}

/// A JavaScript string literal: JSON's, with `</` and `<!--` escaped so that no `</script` or
/// comment opener appears in the file even if something inlines it. Only those: every `<`
/// escaped would make the files a third larger.
fn js_string(s: &str) -> String {
    serde_json::to_string(s)
        .unwrap_or_else(|_| "\"\"".to_string())
        .replace("</", "<\\/")
        .replace("<!--", "\\u003c!--")
}

/// A node of the small tree a page's `<main>` is read into.
#[derive(Debug)]
enum Node {
    /// An element: its name, its attributes (name, value) and what it holds.
    Element {
        name: String,
        attrs: Vec<(String, String)>,
        children: Vec<Node>,
    },
    /// Text, unescaped.
    Text(String),
}

impl Node {
    /// The element's attribute `key`.
    fn attr(&self, key: &str) -> Option<&str> {
        match self {
            Node::Element { attrs, .. } => attrs
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str()),
            Node::Text(_) => None,
        }
    }

    /// The element's name, `""` for text.
    fn name(&self) -> &str {
        match self {
            Node::Element { name, .. } => name,
            Node::Text(_) => "",
        }
    }

    /// The element's children, none for text.
    fn children(&self) -> &[Node] {
        match self {
            Node::Element { children, .. } => children,
            Node::Text(_) => &[],
        }
    }

    /// Whether this element is one of vaultbook's or mdBook's additions about other pages (the
    /// backlinks footer, the graph box), which no preview shows.
    fn is_chrome(&self) -> bool {
        self.attr("class").is_some_and(|c| {
            c.split_ascii_whitespace()
                .any(|c| c == "vb-backlinks" || c == "vb-graph")
        })
    }
}

/// The level of a heading element (`h1` → 1), or `None`.
fn heading_level(name: &str) -> Option<u8> {
    match name {
        "h1" => Some(1),
        "h2" => Some(2),
        "h3" => Some(3),
        "h4" => Some(4),
        "h5" => Some(5),
        "h6" => Some(6),
        _ => None,
    }
}

/// Reads the first `<main>` of a page into a tree: start and end tags matched on a stack, as
/// well-formed rendered HTML needs (a stray end tag is ignored, an unclosed element is closed
/// with its parent).
fn parse_main(html: &str) -> Option<Node> {
    let sink = Builder {
        state: RefCell::new(BuildState::default()),
    };
    let mut state = crate::html_tokens::tokenize(html, sink).state.into_inner();
    // The end of the input closes what is open, as in a browser (a page cut at `MAX_PAGE`).
    while state.main.is_none() && !state.stack.is_empty() && !state.too_deep {
        state.close_one();
    }
    if state.too_deep { None } else { state.main }
}

/// Elements nested deeper than this in a page's `<main>` (a note of 3,000 nested quotes) give
/// the page no previews: the tree is walked by recursion, which such a page would overflow.
const MAX_DEPTH: usize = 200;

/// What [`Builder`] has read so far.
#[derive(Default)]
struct BuildState {
    /// The open elements inside `<main>` (`main` first); empty outside it.
    stack: Vec<Node>,
    /// The finished `<main>`.
    main: Option<Node>,
    /// `<main>` nests deeper than [`MAX_DEPTH`]: reading stopped.
    too_deep: bool,
}

/// The token sink that builds the tree of `<main>`.
struct Builder {
    state: RefCell<BuildState>,
}

impl BuildState {
    /// Closes the innermost open element into its parent (or into `main` when it is `main`).
    fn close_one(&mut self) {
        let Some(node) = self.stack.pop() else {
            return;
        };
        match self.stack.last_mut() {
            Some(Node::Element { children, .. }) => children.push(node),
            _ => self.main = Some(node),
        }
    }

    /// Adds a finished node to the innermost open element.
    fn push_child(&mut self, node: Node) {
        if let Some(Node::Element { children, .. }) = self.stack.last_mut() {
            children.push(node);
        }
    }
}

impl TokenSink for Builder {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let mut st = self.state.borrow_mut();
        if st.main.is_some() || st.too_deep {
            return TokenSinkResult::Continue;
        }
        let tag = match token {
            Token::TagToken(tag) => tag,
            Token::CharacterTokens(text) => {
                // Text outside <main> (the stack is empty there) is not kept.
                if let Some(Node::Element { children, .. }) = st.stack.last_mut() {
                    if let Some(Node::Text(t)) = children.last_mut() {
                        t.push_str(&text);
                    } else {
                        children.push(Node::Text(text.to_string()));
                    }
                }
                return TokenSinkResult::Continue;
            }
            _ => return TokenSinkResult::Continue,
        };
        let name = tag.name.to_string();
        if tag.kind == TagKind::EndTag {
            if let Some(at) = st.stack.iter().rposition(|n| n.name() == name) {
                while st.stack.len() > at {
                    st.close_one();
                }
            }
            return TokenSinkResult::Continue;
        }
        if st.stack.is_empty() && name != "main" {
            // Outside <main>: only the tokenizer's state matters (below).
        } else {
            let node = Node::Element {
                name: name.clone(),
                attrs: tag
                    .attrs
                    .iter()
                    .map(|a| (a.name.local.to_string(), a.value.to_string()))
                    .collect(),
                children: Vec::new(),
            };
            if tag.self_closing || VOID.contains(&name.as_str()) {
                st.push_child(node);
            } else if st.stack.len() >= MAX_DEPTH {
                st.too_deep = true;
                // Dropped one level at a time, never as one deep tree.
                while st.stack.len() > 1 {
                    st.stack.pop();
                }
                return TokenSinkResult::Continue;
            } else {
                st.stack.push(node);
            }
        }
        if tag.self_closing {
            return TokenSinkResult::Continue;
        }
        crate::html_tokens::after_start_tag(&name, false)
    }
}

/// The previews of a page, in document order: `""` (the page) first, then one per heading id
/// and per block id.
fn previews_of(main: &Node, rel: &str) -> Vec<(String, String)> {
    let page: Vec<&Node> = main.children().iter().filter(|n| !n.is_chrome()).collect();
    let mut out = vec![(String::new(), serialize(&page, rel))];
    let mut seen = std::collections::HashSet::new();
    collect(main, rel, &mut out, &mut seen);
    out
}

/// Adds the previews of the ids among the descendants of `parent`.
fn collect(
    parent: &Node,
    rel: &str,
    out: &mut Vec<(String, String)>,
    seen: &mut std::collections::HashSet<String>,
) {
    let children = parent.children();
    for (i, child) in children.iter().enumerate() {
        if child.is_chrome() {
            continue;
        }
        let id = child.attr("id").filter(|id| !id.is_empty());
        if let Some(id) = id
            && !seen.contains(id)
        {
            if let Some(level) = heading_level(child.name()) {
                // The heading up to the next heading of the same or a higher level.
                let end = children[i + 1..]
                    .iter()
                    .position(|n| {
                        n.is_chrome() || heading_level(n.name()).is_some_and(|l| l <= level)
                    })
                    .map_or(children.len(), |p| i + 1 + p);
                let section: Vec<&Node> = children[i..end].iter().collect();
                seen.insert(id.to_string());
                out.push((id.to_string(), serialize(&section, rel)));
            } else if id.starts_with('^') && child.children().is_empty() {
                // vaultbook's block anchor: at the start of the block it names, or just before
                // it when the block (a list, a table) cannot hold it.
                let next = children[i + 1..]
                    .iter()
                    .find(|n| matches!(n, Node::Element { .. }));
                let container = matches!(
                    parent.name(),
                    "main" | "div" | "blockquote" | "section" | "article" | "aside" | "details"
                );
                let block: Vec<&Node> = match next {
                    Some(next) if container => vec![next],
                    _ if parent.name() == "main" => Vec::new(),
                    _ => vec![parent],
                };
                seen.insert(id.to_string());
                out.push((id.to_string(), serialize(&block, rel)));
            }
        }
        if let Some(id) = lone_anchor(child)
            && !seen.contains(id)
        {
            // A block anchor alone in a paragraph, just before the block (a table) it names.
            let next = children[i + 1..]
                .iter()
                .find(|n| matches!(n, Node::Element { .. }));
            seen.insert(id.to_string());
            out.push((
                id.to_string(),
                serialize(&next.into_iter().collect::<Vec<_>>(), rel),
            ));
            continue;
        }
        collect(child, rel, out, seen);
    }
}

/// The block id of a paragraph that holds nothing but a block anchor.
fn lone_anchor(node: &Node) -> Option<&str> {
    if node.name() != "p" {
        return None;
    }
    let mut elements = node.children().iter().filter(|n| match n {
        Node::Text(t) => !t.trim().is_empty(),
        Node::Element { .. } => true,
    });
    let anchor = elements.next()?;
    if elements.next().is_some() || anchor.name() != "a" || !anchor.children().is_empty() {
        return None;
    }
    anchor.attr("id").filter(|id| id.starts_with('^'))
}

/// How much a preview may still hold while it is written.
struct Budget {
    /// Characters of text left.
    text: usize,
    /// Whether something was left out.
    cut: bool,
}

/// The HTML of `nodes`, truncated to a preview's length, with a `…` line when cut.
fn serialize(nodes: &[&Node], rel: &str) -> String {
    let mut out = String::new();
    let mut budget = Budget {
        text: MAX_TEXT,
        cut: false,
    };
    for n in nodes {
        if matches!(n, Node::Text(t) if t.trim().is_empty()) {
            // The template's indentation around <main>'s content.
            continue;
        }
        write_node(n, rel, &mut out, &mut budget);
    }
    if budget.cut {
        out.push_str("<p class=\"vb-preview-more\">…</p>");
    }
    out
}

/// Writes one node, unless the budget is spent.
fn write_node(node: &Node, rel: &str, out: &mut String, budget: &mut Budget) {
    if budget.text == 0 || out.len() >= MAX_HTML {
        budget.cut = true;
        return;
    }
    match node {
        Node::Text(t) => {
            let count = t.chars().count();
            if count <= budget.text {
                budget.text -= count;
                escape_into(out, t, false);
            } else {
                let end = t
                    .char_indices()
                    .nth(budget.text)
                    .map_or(t.len(), |(at, _)| at);
                // At a word's end where there is one, rather than inside a word.
                let cut = t[..end].rfind(char::is_whitespace).unwrap_or(end);
                escape_into(out, t[..cut].trim_end(), false);
                out.push('…');
                budget.text = 0;
                budget.cut = true;
            }
        }
        Node::Element {
            name,
            attrs,
            children,
        } => {
            if DROPPED.contains(&name.as_str()) || node.is_chrome() {
                return;
            }
            if name == "a"
                && node
                    .attr("class")
                    .is_some_and(|c| c.split_ascii_whitespace().any(|c| c == "header"))
            {
                // mdBook's link of a heading to itself: the heading's text is enough.
                for c in children {
                    write_node(c, rel, out, budget);
                }
                return;
            }
            if name == "a" && children.is_empty() && node.attr("href").is_none() {
                // A block anchor: only an id, which the preview drops.
                return;
            }
            out.push('<');
            out.push_str(name);
            for (k, v) in attrs {
                if !kept_attribute(k) {
                    continue;
                }
                out.push(' ');
                out.push_str(k);
                out.push_str("=\"");
                if matches!(k.as_str(), "href" | "src" | "xlink:href" | "poster") {
                    escape_into(out, &from_root(rel, v), true);
                } else {
                    escape_into(out, v, true);
                }
                out.push('"');
            }
            if VOID.contains(&name.as_str()) {
                out.push('>');
                return;
            }
            out.push('>');
            for c in children {
                write_node(c, rel, out, budget);
            }
            out.push_str("</");
            out.push_str(name);
            out.push('>');
        }
    }
}

/// Whether an attribute stays in a preview: not ids or what refers to ids (they belong to the
/// page), not event handlers, not `srcset` (its URLs would need rewriting too).
fn kept_attribute(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    !(name == "id"
        || name == "name"
        || name == "for"
        || name == "srcset"
        || name == "autoplay"
        || name == "autofocus"
        || name == "tabindex"
        || name.starts_with("on")
        || matches!(
            name.as_str(),
            "aria-describedby" | "aria-labelledby" | "aria-controls" | "aria-owns"
        ))
}

/// HTML-escapes `s` onto `out` (`"` too inside an attribute value).
fn escape_into(out: &mut String, s: &str, attribute: bool) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\u{a0}' => out.push_str("&nbsp;"),
            c => out.push(c),
        }
    }
}

/// A URL of the page `rel` rewritten relative to the book's root (the script resolves it
/// against the root): `#x` becomes `rel#x`, `../a.png` the path from the root. URLs with a
/// scheme or an absolute path stay as they are.
fn from_root(rel: &str, url: &str) -> String {
    if url.starts_with('/') || crate::htmlcheck::has_scheme(url) {
        return url.to_string();
    }
    if url.is_empty() || url.starts_with('#') || url.starts_with('?') {
        return format!("{rel}{url}");
    }
    let split = url.find(['?', '#']).unwrap_or(url.len());
    let (path, rest) = url.split_at(split);
    let mut segments: Vec<&str> = rel.split('/').collect();
    segments.pop();
    let mut up = 0usize;
    for seg in path.split('/') {
        match seg {
            "." => {}
            ".." => {
                if segments.pop().is_none() {
                    up += 1;
                }
            }
            s => segments.push(s),
        }
    }
    let mut joined = "../".repeat(up);
    joined.push_str(&segments.join("/"));
    joined.push_str(rest);
    joined
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "<html><body><nav><a href=\"x.html\">side</a></nav><main>\
        <h1 id=\"utils\"><a class=\"header\" href=\"#utils\">Utils</a></h1>\
        <h2 id=\"execution\"><a class=\"header\" href=\"#execution\">Execution</a></h2>\
        <p><a id=\"^exec-para\"></a>Running code.</p>\
        <h3 id=\"deeper\">Deeper</h3><p>Deep text <img src=\"../images/a.png\"></p>\
        <script>alert(1)</script>\
        <h2 id=\"gil\">GIL</h2><p onclick=\"x()\">Python's lock.</p>\
        <p><a id=\"^table-id\"></a></p>\n<table><tr><td>cell</td></tr></table>\
        <div class=\"vb-backlinks\"><a href=\"o.html\">Other</a></div>\
        </main><nav class=\"nav-wrapper\"><a href=\"next.html\">next</a></nav></body></html>";

    fn previews() -> std::collections::HashMap<String, String> {
        let main = parse_main(PAGE).unwrap();
        previews_of(&main, "dir/utils.html").into_iter().collect()
    }

    /// A page too large to parse whole still gets the previews of its top: the HTML past
    /// `MAX_PAGE` is not read.
    #[test]
    fn a_huge_page_is_previewed_from_its_top() {
        let filler = "<p>words and more words</p>".repeat(MAX_PAGE / 20);
        let page = PAGE.replace(
            "<h2 id=\"gil\">",
            &format!("{filler}<h2 id=\"late\">Late</h2><h2 id=\"gil\">"),
        );
        assert!(page.len() > MAX_PAGE);
        let script = page_script("dir/utils.html", &page).unwrap();
        assert!(
            script.contains("\"execution\""),
            "the top's sections are kept"
        );
        assert!(!script.contains("\"late\""), "past the cut, nothing");
        assert!(script.len() <= MAX_FILE + MAX_HTML * 2);
    }

    #[test]
    fn a_section_runs_to_the_next_heading_of_its_level() {
        let p = previews();
        let exec = &p["execution"];
        assert!(
            exec.contains("Running code.") && exec.contains("Deep text"),
            "{exec}"
        );
        assert!(!exec.contains("Python"), "{exec}");
        assert!(!exec.contains("alert"), "{exec}");
        assert!(!exec.contains("id="), "{exec}");
        assert!(exec.starts_with("<h2>Execution</h2>"), "{exec}");
        assert!(exec.contains("src=\"images/a.png\""), "{exec}");
        assert!(p["deeper"].contains("Deep text") && !p["deeper"].contains("Running"));
        assert!(!p["gil"].contains("onclick") && p["gil"].contains("lock"));
    }

    #[test]
    fn blocks_pages_and_chrome() {
        let p = previews();
        assert_eq!(p["^exec-para"], "<p>Running code.</p>");
        assert_eq!(p["^table-id"], "<table><tr><td>cell</td></tr></table>");
        let page = &p[""];
        assert!(page.contains("Utils") && page.contains("Running code."));
        assert!(!page.contains("Other") && !page.contains("side") && !page.contains("next"));
    }

    #[test]
    fn long_sections_are_cut() {
        let long = format!(
            "<main><h2 id=\"a\">A</h2><p>{}</p></main>",
            "word ".repeat(2000)
        );
        let main = parse_main(&long).unwrap();
        let p: std::collections::HashMap<_, _> = previews_of(&main, "a.html").into_iter().collect();
        assert!(p["a"].len() < MAX_HTML + 200, "{}", p["a"].len());
        assert!(p["a"].ends_with("<p class=\"vb-preview-more\">…</p>"));
    }

    #[test]
    fn urls_from_the_root() {
        assert_eq!(from_root("a/b.html", "#x"), "a/b.html#x");
        assert_eq!(from_root("a/b.html", "../c.html#y"), "c.html#y");
        assert_eq!(from_root("a/b.html", "d/e.png"), "a/d/e.png");
        assert_eq!(from_root("b.html", "../../x.png"), "../../x.png");
        assert_eq!(from_root("b.html", "https://x.org/a"), "https://x.org/a");
        assert_eq!(from_root("b.html", "/abs"), "/abs");
    }

    #[test]
    fn a_page_nested_too_deep_has_no_previews_and_no_overflow() {
        let deep = format!(
            "<main><h1 id=\"t\">T</h1>{}x{}</main>",
            "<blockquote>".repeat(5000),
            "</blockquote>".repeat(5000)
        );
        assert!(parse_main(&deep).is_none());
        let fine = format!(
            "<main>{}x{}</main>",
            "<div>".repeat(50),
            "</div>".repeat(50)
        );
        assert!(parse_main(&fine).is_some());
    }

    #[test]
    fn data_script_is_a_call() {
        let s = page_script("dir/utils.html", PAGE).unwrap();
        assert!(
            s.starts_with("window.vbPreviews&&window.vbPreviews.add(\"dir/utils.html\",{\"\":")
        );
        assert!(!s.contains("</"), "{s}");
        assert!(s.contains("\"utils\":1"), "{s}");
        assert!(page_script("x.html", "<p>no main</p>").is_none());
    }
}
