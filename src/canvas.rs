//! JSON Canvas (`.canvas`, the open format Obsidian writes) as a page of the book.
//!
//! A canvas becomes a note-like markdown text, parsed by [`Note::from_bytes`] like any note, so
//! the rest of the pipeline (wikilinks, embeds, SUMMARY, backlinks, the sanitiser) treats it as
//! one: text nodes are their markdown between positioned `<div>`s, file nodes are wikilinks,
//! link nodes are `<a>`s, groups and edge labels are `<div>`s. The edges are an SVG picture in a
//! `data:` URL `<img>`: a picture cannot run script or hold links, so the sanitiser's allowlist
//! stays without SVG. [`Canvas::remap`] takes a diagnostic's span in the generated text back to
//! the JSON (the exact character of a text node's `text` string).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::ops::Range;
use std::path::Path;

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use serde_json::Value;

use crate::diagnostics::{Code, Diagnostic, LineIndex, Span};
use crate::templates::html_escape;

/// Nodes drawn at most: past this a canvas is a wall of boxes no reader can use.
const MAX_NODES: usize = 5_000;
/// Edges drawn at most.
const MAX_EDGES: usize = 10_000;
/// Edges reported one by one for naming a missing node; the rest are counted in one more.
const MAX_EDGE_PROBLEMS: usize = 20;
/// Coordinates are clamped to ±this many pixels, sizes to [`MIN_SIZE`, `MAX_SIZE`].
const MAX_COORD: f64 = 100_000.0;
const MIN_SIZE: f64 = 1.0;
const MAX_SIZE: f64 = 20_000.0;
/// Space around the drawing, so borders and arrowheads at the edge are not cut.
const PAD: f64 = 40.0;
/// How far a drawing wider than the page is scaled down to fit it (`--u`, the size of one
/// canvas pixel, goes no lower): below this the text is too small to read, and the box scrolls.
const MIN_SCALE: f64 = 0.5;
/// The edge colour when none is given: a grey readable on light and dark themes (the SVG is a
/// picture and cannot read the theme's variables).
const EDGE_GREY: &str = "#8a8a8a";

/// Whether a vault path is a canvas.
pub(crate) fn is_canvas(rel: &str) -> bool {
    rel.len() > 7 && rel.as_bytes()[rel.len() - 7..].eq_ignore_ascii_case(b".canvas")
}

/// A canvas read: the markdown that stands for it, the way back to the JSON, and its problems.
#[derive(Debug, Clone)]
pub(crate) struct Canvas {
    /// The generated note text (frontmatter with the title, then the drawing).
    pub markdown: String,
    /// Problems of the JSON itself (spans already in the JSON).
    pub diagnostics: Vec<Diagnostic>,
    /// The JSON as read, which diagnostics quote.
    pub raw: String,
    lines: LineIndex,
    /// Generated ranges that stand for one node (or edge), and where that object starts.
    objects: Vec<(Range<usize>, usize)>,
    /// Generated ranges that are a text node's decoded text, with the JSON offset of each of
    /// its bytes (and one past the end).
    texts: Vec<(Range<usize>, Vec<usize>)>,
}

/// One node, its numbers already clamped.
struct Node<'a> {
    index: usize,
    id: String,
    kind: &'a str,
    x: f64,
    y: f64,
    w: f64,
    h: f64,
    color: Option<String>,
    obj: &'a serde_json::Map<String, Value>,
}

impl Canvas {
    /// Reads a canvas. `rel` is its vault path, `file` its path for diagnostics, `titles` the
    /// notes' titles by vault path (file nodes show them).
    pub(crate) fn read(
        rel: &str,
        file: &Path,
        raw: String,
        titles: &HashMap<String, String>,
    ) -> Canvas {
        let lines = LineIndex::new(&raw);
        let name = rel.rsplit('/').next().unwrap_or(rel);
        let title = &name[..name.len().saturating_sub(7)];
        let mut c = Canvas {
            markdown: format!(
                "---\ntitle: {}\n---\n\n",
                serde_json::to_string(title).unwrap_or_default()
            ),
            diagnostics: Vec::new(),
            raw: String::new(),
            lines,
            objects: Vec::new(),
            texts: Vec::new(),
        };
        let doc: Value = match serde_json::from_str(&raw) {
            Ok(v) => v,
            Err(e) => {
                let at = offset_of(&raw, e.line(), e.column());
                let span = c.lines.span(&raw, at..at);
                c.diagnostics.push(
                    Diagnostic::new(
                        Code::CanvasError,
                        format!("this canvas is not valid JSON: {e}"),
                    )
                    .in_file(file)
                    .at(span)
                    .with_help("the page shows a notice instead of the drawing"),
                );
                c.markdown.push_str(
                    "<p class=\"vb-canvas-error\">This canvas could not be read (not valid JSON).</p>\n",
                );
                c.raw = raw;
                return c;
            }
        };
        let positions = Positions::of(&raw);
        let empty = Vec::new();
        let nodes_json = doc.get("nodes").and_then(Value::as_array).unwrap_or(&empty);
        let edges_json = doc.get("edges").and_then(Value::as_array).unwrap_or(&empty);
        let mut nodes: Vec<Node> = Vec::new();
        for (index, v) in nodes_json.iter().enumerate().take(MAX_NODES) {
            let Some(obj) = v.as_object() else { continue };
            let num = |k: &str| obj.get(k).and_then(Value::as_f64).unwrap_or(0.0);
            nodes.push(Node {
                index,
                id: obj
                    .get("id")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                kind: obj.get("type").and_then(Value::as_str).unwrap_or(""),
                x: num("x").clamp(-MAX_COORD, MAX_COORD),
                y: num("y").clamp(-MAX_COORD, MAX_COORD),
                w: num("width").clamp(MIN_SIZE, MAX_SIZE),
                h: num("height").clamp(MIN_SIZE, MAX_SIZE),
                color: obj.get("color").and_then(Value::as_str).and_then(colour),
                obj,
            });
        }
        if nodes_json.len() > MAX_NODES || edges_json.len() > MAX_EDGES {
            c.diagnostics.push(
                Diagnostic::new(
                    Code::CanvasError,
                    format!(
                        "this canvas has {} nodes and {} edges; only the first {MAX_NODES} nodes and {MAX_EDGES} edges are drawn",
                        nodes_json.len(),
                        edges_json.len()
                    ),
                )
                .in_file(file),
            );
        }
        // The drawing's box: every node, with room around it.
        let (mut x0, mut y0, mut x1, mut y1) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
        for (i, n) in nodes.iter().enumerate() {
            if i == 0 {
                (x0, y0, x1, y1) = (n.x, n.y, n.x + n.w, n.y + n.h);
            }
            x0 = x0.min(n.x);
            y0 = y0.min(n.y);
            x1 = x1.max(n.x + n.w);
            y1 = y1.max(n.y + n.h);
        }
        let (ox, oy) = (x0 - PAD, y0 - PAD);
        let (width, height) = (x1 - x0 + 2.0 * PAD, y1 - y0 + 2.0 * PAD);

        // Ids of every node, drawn or not: an edge to a node past the limit is not a problem
        // of its own (the limit is reported once).
        let known: std::collections::HashSet<&str> = nodes_json
            .iter()
            .filter_map(|n| n.get("id").and_then(Value::as_str))
            .collect();
        let edges = edges_svg(&nodes, &known, edges_json, ox, oy, width, height);
        let md = &mut c.markdown;
        let _ = writeln!(
            md,
            "<div class=\"vb-canvas-scroll\"><div class=\"vb-canvas\" style=\"--u:clamp({MIN_SCALE}px, 100cqw / {width:.0}, 1px);width:calc({width:.0} * var(--u));height:calc({height:.0} * var(--u))\">"
        );
        let _ = writeln!(
            md,
            "<img class=\"vb-canvas-edges\" alt=\"\" src=\"{}\">",
            html_escape(&edges.svg_url)
        );
        // Groups first, the largest lowest: they are drawn behind what they hold.
        let mut groups: Vec<&Node> = nodes.iter().filter(|n| n.kind == "group").collect();
        groups.sort_by(|a, b| (b.w * b.h).total_cmp(&(a.w * a.h)));
        let mut objects = Vec::new();
        let mut texts = Vec::new();
        for n in groups {
            let start = md.len();
            let label = n.obj.get("label").and_then(Value::as_str).unwrap_or("");
            let _ = writeln!(
                md,
                "<div class=\"vb-canvas-group\" data-node=\"{}\" style=\"{}\"><div class=\"vb-canvas-group-label\">{}</div></div>",
                one_line(&n.id),
                place(n, ox, oy),
                one_line(label)
            );
            objects.push((start..md.len(), positions.node(n.index)));
        }
        for n in nodes.iter().filter(|n| n.kind != "group") {
            let start = md.len();
            let open = |md: &mut String, class: &str| {
                let _ = write!(
                    md,
                    "<div class=\"vb-canvas-node vb-canvas-{class}\" data-node=\"{}\" style=\"{}\">",
                    one_line(&n.id),
                    place(n, ox, oy)
                );
            };
            match n.kind {
                "text" => {
                    open(md, "text");
                    md.push_str("\n\n");
                    let text = n.obj.get("text").and_then(Value::as_str).unwrap_or("");
                    let t0 = md.len();
                    md.push_str(text);
                    if let Some(q) = positions.text(n.index) {
                        texts.push((t0..md.len(), decoded_offsets(&raw, q, text.len())));
                    }
                    md.push_str(&closers(text));
                    md.push_str("\n\n</div>\n");
                }
                "file" => {
                    open(md, "file");
                    let path = n.obj.get("file").and_then(Value::as_str).unwrap_or("");
                    let sub = n.obj.get("subpath").and_then(Value::as_str).unwrap_or("");
                    md.push_str("\n\n");
                    file_link(md, path, sub, titles);
                    md.push_str("\n\n</div>\n");
                }
                "link" => {
                    open(md, "link");
                    let url: String = n
                        .obj
                        .get("url")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .chars()
                        .filter(|c| !c.is_control())
                        .collect();
                    let _ = writeln!(
                        md,
                        "<a class=\"vb-canvas-url\" href=\"{0}\">{0}</a></div>",
                        html_escape(url.trim())
                    );
                }
                _ => {
                    open(md, "unknown");
                    md.push_str("</div>\n");
                }
            }
            let at = if n.kind == "file" {
                positions.file(n.index)
            } else {
                positions.node(n.index)
            };
            objects.push((start..md.len(), at));
        }
        for (x, y, label) in &edges.labels {
            let _ = writeln!(
                md,
                "<div class=\"vb-canvas-edge-label\" style=\"left:calc({x:.0} * var(--u));top:calc({y:.0} * var(--u))\">{}</div>",
                one_line(label)
            );
        }
        md.push_str("</div></div>\n");
        let dangling = edges.problems.len();
        for (i, why) in edges.problems.into_iter().take(MAX_EDGE_PROBLEMS) {
            let at = positions.edge(i);
            c.diagnostics.push(
                Diagnostic::new(Code::CanvasError, why)
                    .in_file(file)
                    .at(c.lines.span(&raw, at..at))
                    .with_help("the edge is not drawn"),
            );
        }
        if dangling > MAX_EDGE_PROBLEMS {
            c.diagnostics.push(
                Diagnostic::new(
                    Code::CanvasError,
                    format!(
                        "{} more edges join nodes the canvas does not have",
                        dangling - MAX_EDGE_PROBLEMS
                    ),
                )
                .in_file(file)
                .with_help("they are not drawn"),
            );
        }
        c.objects = objects;
        c.texts = texts;
        c.raw = raw;
        c
    }

    /// A span of the generated text, as a span of the JSON: inside a text node's text, the
    /// same character of the `text` string; elsewhere in a node, the node's start.
    pub(crate) fn remap(&self, span: &Span) -> Span {
        let map = |g: usize| -> usize {
            if let Some((r, offs)) = self
                .texts
                .iter()
                .find(|(r, _)| r.contains(&g) || r.end == g)
            {
                return offs.get(g - r.start).copied().unwrap_or(0);
            }
            self.objects
                .iter()
                .find(|(r, _)| r.contains(&g))
                .map_or(0, |(_, at)| *at)
        };
        let start = map(span.start);
        let end = map(span.end).max(start);
        self.lines.span(&self.raw, start..end)
    }
}

/// What closes the blocks a text node leaves open at its end: an unclosed code fence, or an
/// HTML block that only its closing tag ends (`<pre>`, `<script>`, a comment), would run on
/// through the `</div>`s after it and swallow the rest of the drawing; so would an unclosed
/// `%%` comment (markers in text pair up across the whole page), and an unclosed `<div>` would
/// take the nodes after it inside it.
fn closers(text: &str) -> String {
    use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag};
    let mut out = String::new();
    let mut comment_marks = 0usize;
    let mut divs = 0isize;
    let end = text.trim_end().len();
    for (event, range) in Parser::new(text).into_offset_iter() {
        match &event {
            Event::Text(t) => comment_marks += t.matches("%%").count(),
            Event::Html(h) | Event::InlineHtml(h) => {
                let h = h.to_ascii_lowercase();
                let opens = h
                    .match_indices("<div")
                    .filter(|(i, _)| {
                        h[i + 4..]
                            .chars()
                            .next()
                            .is_none_or(|c| c == '>' || c == '/' || c.is_whitespace())
                    })
                    .count();
                divs += opens as isize - h.matches("</div").count() as isize;
            }
            _ => {}
        }
        if range.end < end {
            continue;
        }
        let block = &text[range.start..range.end.min(text.len())];
        match event {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(_))) => {
                let first = block.trim_start();
                let Some(c) = first.chars().next().filter(|c| matches!(c, '`' | '~')) else {
                    continue;
                };
                let fence: String = first.chars().take_while(|&x| x == c).collect();
                let last = block.trim_end().rsplit('\n').next().unwrap_or("").trim();
                let closed = block.trim_end().contains('\n')
                    && last.len() >= fence.len()
                    && last.chars().all(|x| x == c);
                if !closed {
                    out = format!("\n{fence}\n");
                }
            }
            Event::Start(Tag::HtmlBlock) => {
                let lower = block.trim_start().to_ascii_lowercase();
                for (open, close) in [
                    ("<!--", "-->"),
                    ("<pre", "</pre>"),
                    ("<script", "</script>"),
                    ("<style", "</style>"),
                    ("<textarea", "</textarea>"),
                ] {
                    if lower.starts_with(open) && !lower.contains(close) {
                        out = format!("\n{close}\n");
                    }
                }
            }
            _ => {}
        }
    }
    if comment_marks % 2 == 1 {
        out.push_str("\n%%\n");
    }
    if divs > 0 {
        // Bounded: at most one per byte of the text that opened them.
        out.push('\n');
        for _ in 0..divs {
            out.push_str("</div>");
        }
        out.push('\n');
    }
    out
}

/// The byte offset of serde_json's 1-based line and column.
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let mut at = (start + column.saturating_sub(1)).min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// `style` placing a node in the drawing.
fn place(n: &Node, ox: f64, oy: f64) -> String {
    let mut s = format!(
        "left:calc({:.0} * var(--u));top:calc({:.0} * var(--u));width:calc({:.0} * var(--u));height:calc({:.0} * var(--u))",
        n.x - ox,
        n.y - oy,
        n.w,
        n.h
    );
    if let Some(c) = &n.color {
        let _ = write!(s, ";--vb-canvas-color:{c}");
    }
    s
}

/// Text for one line of an HTML block, escaped: a line break (a blank line above all) would
/// end the block and turn the rest into markdown.
fn one_line(s: &str) -> String {
    let flat: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    html_escape(&flat)
}

/// A node's colour: a preset `"1"`..`"6"` (Obsidian's red, orange, yellow, green, cyan,
/// purple) or `#hex`; anything else is no colour (it would go into a `style`).
fn colour(v: &str) -> Option<String> {
    const PRESETS: [&str; 6] = [
        "#e93147", "#ec7500", "#c8a600", "#08b94e", "#00a5b5", "#7852ee",
    ];
    if let Ok(i) = v.parse::<usize>() {
        return PRESETS.get(i.wrapping_sub(1)).map(|s| s.to_string());
    }
    let hex = v.strip_prefix('#')?;
    (matches!(hex.len(), 3 | 4 | 6 | 8) && hex.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| v.to_string())
}

/// A file node's content: a wikilink, which the pipeline resolves (a missing file is a
/// broken-link diagnostic and a marked link); an image is embedded; a note shows its title.
fn file_link(md: &mut String, path: &str, sub: &str, titles: &HashMap<String, String>) {
    let unsafe_in_link = |s: &str| s.contains(['[', ']', '|']) || s.chars().any(char::is_control);
    if path.is_empty() || unsafe_in_link(path) || unsafe_in_link(sub) {
        let _ = write!(
            md,
            "<span class=\"vb-broken-link\" title=\"Broken link\">{}</span>",
            one_line(path)
        );
        return;
    }
    let ext = path
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let image = matches!(
        ext.as_str(),
        "png" | "jpg" | "jpeg" | "gif" | "webp" | "svg" | "bmp" | "avif"
    );
    let sub = if sub.is_empty() || sub.starts_with('#') {
        sub.to_string()
    } else {
        format!("#{sub}")
    };
    if image {
        let _ = write!(md, "![[{path}]]");
        return;
    }
    let label = titles
        .get(path)
        .filter(|t| !unsafe_in_link(t) && !t.trim().is_empty());
    match label {
        Some(t) => {
            let _ = write!(md, "[[{path}{sub}|{t}]]");
        }
        None => {
            let _ = write!(md, "[[{path}{sub}]]");
        }
    }
}

/// The edges drawn: an SVG picture as a `data:` URL, the labels (to be HTML, readable and
/// searchable), and the edges that could not be drawn.
struct Edges {
    svg_url: String,
    labels: Vec<(f64, f64, String)>,
    problems: Vec<(usize, String)>,
}

/// Draws the edges between the nodes' sides as cubic curves, with arrowheads.
fn edges_svg(
    nodes: &[Node],
    known: &std::collections::HashSet<&str>,
    edges: &[Value],
    ox: f64,
    oy: f64,
    w: f64,
    h: f64,
) -> Edges {
    let by_id: HashMap<&str, &Node> = nodes.iter().map(|n| (n.id.as_str(), n)).collect();
    let mut svg = format!(
        "<svg xmlns='http://www.w3.org/2000/svg' width='{w:.0}' height='{h:.0}' viewBox='0 0 {w:.0} {h:.0}'>"
    );
    let mut labels = Vec::new();
    let mut problems = Vec::new();
    for (i, e) in edges.iter().enumerate().take(MAX_EDGES) {
        let Some(e) = e.as_object() else { continue };
        let s = |k: &str| e.get(k).and_then(Value::as_str);
        let (Some(from), Some(to)) = (
            s("fromNode").and_then(|id| by_id.get(id)),
            s("toNode").and_then(|id| by_id.get(id)),
        ) else {
            let dangling = [s("fromNode"), s("toNode")]
                .iter()
                .any(|id| !id.is_some_and(|id| known.contains(id)));
            if !dangling {
                continue;
            }
            problems.push((
                i,
                format!(
                    "the edge `{}` joins a node the canvas does not have",
                    s("id").unwrap_or("")
                ),
            ));
            continue;
        };
        let (fs, ts) = match (s("fromSide"), s("toSide")) {
            (Some(a), Some(b)) => (a, b),
            (a, b) => {
                let (fa, tb) = facing(from, to);
                (a.unwrap_or(fa), b.unwrap_or(tb))
            }
        };
        let (p0, n0) = side(from, fs, ox, oy);
        let (p3, n3) = side(to, ts, ox, oy);
        let dist = ((p3.0 - p0.0).powi(2) + (p3.1 - p0.1).powi(2)).sqrt();
        let k = (dist / 2.0).clamp(20.0, 150.0);
        let p1 = (p0.0 + n0.0 * k, p0.1 + n0.1 * k);
        let p2 = (p3.0 + n3.0 * k, p3.1 + n3.1 * k);
        let colour = s("color").and_then(colour);
        let stroke = colour.as_deref().unwrap_or(EDGE_GREY);
        let _ = write!(
            svg,
            "<path d='M{:.1} {:.1} C{:.1} {:.1} {:.1} {:.1} {:.1} {:.1}' fill='none' stroke='{stroke}' stroke-width='2'/>",
            p0.0, p0.1, p1.0, p1.1, p2.0, p2.1, p3.0, p3.1
        );
        if s("toEnd").unwrap_or("arrow") == "arrow" {
            arrow(&mut svg, p3, n3, stroke);
        }
        if s("fromEnd") == Some("arrow") {
            arrow(&mut svg, p0, n0, stroke);
        }
        if let Some(label) = s("label").filter(|l| !l.trim().is_empty()) {
            let mx = (p0.0 + 3.0 * p1.0 + 3.0 * p2.0 + p3.0) / 8.0;
            let my = (p0.1 + 3.0 * p1.1 + 3.0 * p2.1 + p3.1) / 8.0;
            labels.push((mx, my, label.to_string()));
        }
    }
    svg.push_str("</svg>");
    /// What a `data:` URL must not hold raw.
    const SVG_URL: &AsciiSet = &CONTROLS
        .add(b' ')
        .add(b'"')
        .add(b'#')
        .add(b'%')
        .add(b'<')
        .add(b'>')
        .add(b'&');
    Edges {
        svg_url: format!("data:image/svg+xml,{}", utf8_percent_encode(&svg, SVG_URL)),
        labels,
        problems,
    }
}

/// An arrowhead at `tip`, pointing into the node (against the side's outward normal `n`).
fn arrow(svg: &mut String, tip: (f64, f64), n: (f64, f64), stroke: &str) {
    let (len, half) = (12.0, 6.0);
    let base = (tip.0 + n.0 * len, tip.1 + n.1 * len);
    let perp = (-n.1, n.0);
    let _ = write!(
        svg,
        "<path d='M{:.1} {:.1} L{:.1} {:.1} L{:.1} {:.1} Z' fill='{stroke}'/>",
        tip.0,
        tip.1,
        base.0 + perp.0 * half,
        base.1 + perp.1 * half,
        base.0 - perp.0 * half,
        base.1 - perp.1 * half
    );
}

/// The sides of two nodes that face each other, when the edge does not say.
fn facing(a: &Node, b: &Node) -> (&'static str, &'static str) {
    let dx = (b.x + b.w / 2.0) - (a.x + a.w / 2.0);
    let dy = (b.y + b.h / 2.0) - (a.y + a.h / 2.0);
    if dx.abs() >= dy.abs() {
        if dx >= 0.0 {
            ("right", "left")
        } else {
            ("left", "right")
        }
    } else if dy >= 0.0 {
        ("bottom", "top")
    } else {
        ("top", "bottom")
    }
}

/// The middle of a node's side, in the drawing's coordinates, and the side's outward normal.
fn side(n: &Node, side: &str, ox: f64, oy: f64) -> ((f64, f64), (f64, f64)) {
    let (x, y) = (n.x - ox, n.y - oy);
    match side {
        "top" => ((x + n.w / 2.0, y), (0.0, -1.0)),
        "bottom" => ((x + n.w / 2.0, y + n.h), (0.0, 1.0)),
        "left" => ((x, y + n.h / 2.0), (-1.0, 0.0)),
        _ => ((x + n.w, y + n.h / 2.0), (1.0, 0.0)),
    }
}

/// For each byte of the decoded JSON string whose opening quote is at `q`, the offset in the
/// JSON of the character (or escape) it came from; then one past the end.
fn decoded_offsets(raw: &str, q: usize, len: usize) -> Vec<usize> {
    let b = raw.as_bytes();
    let mut out = Vec::with_capacity(len + 1);
    let mut i = q + 1;
    while i < b.len() && b[i] != b'"' && out.len() < len {
        if b[i] == b'\\' {
            let start = i;
            let (ch_len, esc_len) = match b.get(i + 1) {
                Some(b'u') => {
                    let hex = |at: usize| {
                        raw.get(at..at + 4)
                            .and_then(|h| u32::from_str_radix(h, 16).ok())
                    };
                    let hi = hex(i + 2).unwrap_or(0);
                    if (0xD800..0xDC00).contains(&hi) && b.get(i + 6) == Some(&b'\\') {
                        (4, 12)
                    } else {
                        (char::from_u32(hi).map_or(3, char::len_utf8), 6)
                    }
                }
                _ => (1, 2),
            };
            out.extend(std::iter::repeat_n(start, ch_len));
            i += esc_len;
        } else {
            out.push(i);
            i += 1;
        }
    }
    out.truncate(len);
    while out.len() < len {
        out.push(i);
    }
    out.push(i.min(raw.len()));
    out
}

/// Where the nodes and edges of a canvas start in its JSON, and where each node's `text`
/// string opens: serde_json's `Value` keeps no positions, so the (already valid) JSON is
/// walked once more.
#[derive(Default)]
struct Positions {
    /// Per node: where it starts, where its `text` string opens, where its `file` value is.
    nodes: Vec<(usize, Option<usize>, Option<usize>)>,
    edges: Vec<usize>,
}

impl Positions {
    /// Walks valid JSON.
    fn of(raw: &str) -> Positions {
        let b = raw.as_bytes();
        let mut p = Positions::default();
        let i = ws(b, 0);
        if b.get(i) != Some(&b'{') {
            return p;
        }
        members(b, i, &mut |key, v| match key {
            b"nodes" | b"edges" if b.get(v) == Some(&b'[') => {
                let nodes = key == b"nodes";
                elements(b, v, &mut |e| {
                    if nodes {
                        let (mut text, mut file) = (None, None);
                        if b.get(e) == Some(&b'{') {
                            members(b, e, &mut |k, tv| {
                                if k == b"text" && b.get(tv) == Some(&b'"') {
                                    text = Some(tv);
                                } else if k == b"file" {
                                    file = Some(tv);
                                }
                            });
                        }
                        p.nodes.push((e, text, file));
                    } else {
                        p.edges.push(e);
                    }
                });
            }
            _ => {}
        });
        p
    }

    /// Where node `i` starts (0 when unknown).
    fn node(&self, i: usize) -> usize {
        self.nodes.get(i).map_or(0, |n| n.0)
    }

    /// Where node `i`'s `file` value is, else where the node starts.
    fn file(&self, i: usize) -> usize {
        self.nodes.get(i).map_or(0, |n| n.2.unwrap_or(n.0))
    }

    /// Where node `i`'s text string opens.
    fn text(&self, i: usize) -> Option<usize> {
        self.nodes.get(i).and_then(|n| n.1)
    }

    /// Where edge `i` starts.
    fn edge(&self, i: usize) -> usize {
        self.edges.get(i).copied().unwrap_or(0)
    }
}

/// Past whitespace.
fn ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// Past the string opening at `i`.
fn string_end(b: &[u8], mut i: usize) -> usize {
    i += 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

/// Past the value at `i` (valid JSON: serde_json has read it; its depth limit bounds this).
fn value_end(b: &[u8], i: usize) -> usize {
    match b.get(i) {
        Some(b'"') => string_end(b, i),
        Some(b'{') => members(b, i, &mut |_, _| {}),
        Some(b'[') => elements(b, i, &mut |_| {}),
        _ => {
            let mut j = i;
            while j < b.len() && !matches!(b[j], b',' | b'}' | b']') && !b[j].is_ascii_whitespace()
            {
                j += 1;
            }
            j
        }
    }
}

/// Calls `f(raw key, value start)` per member of the object at `i`; returns past it.
fn members(b: &[u8], i: usize, f: &mut dyn FnMut(&[u8], usize)) -> usize {
    let mut i = ws(b, i + 1);
    while i < b.len() && b[i] != b'}' {
        let k = string_end(b, i);
        let key = &b[(i + 1).min(k)..k.saturating_sub(1).max(i + 1).min(b.len())];
        let colon = ws(b, k);
        let v = ws(b, colon + 1);
        f(key, v);
        i = ws(b, value_end(b, v));
        if b.get(i) == Some(&b',') {
            i = ws(b, i + 1);
        } else if b.get(i) != Some(&b'}') {
            return b.len();
        }
    }
    i + 1
}

/// Calls `f(element start)` per element of the array at `i`; returns past it.
fn elements(b: &[u8], i: usize, f: &mut dyn FnMut(usize)) -> usize {
    let mut i = ws(b, i + 1);
    while i < b.len() && b[i] != b']' {
        f(i);
        i = ws(b, value_end(b, i));
        if b.get(i) == Some(&b',') {
            i = ws(b, i + 1);
        } else if b.get(i) != Some(&b']') {
            return b.len();
        }
    }
    i + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(json: &str) -> Canvas {
        Canvas::read(
            "Board.canvas",
            Path::new("vault/Board.canvas"),
            json.to_string(),
            &HashMap::new(),
        )
    }

    #[test]
    fn text_positions_map_back_through_escapes() {
        let json = "{\"nodes\":[\n {\"id\":\"a\",\"type\":\"text\",\"x\":0,\"y\":0,\"width\":10,\"height\":10,\n  \"text\":\"\\u00e9\\n[[Gone]]\"}]}";
        let c = read(json);
        let at = c.markdown.find("[[Gone]]").unwrap();
        let span = Span {
            start: at,
            end: at + 8,
            line: 0,
            column: 0,
            end_line: 0,
            end_column: 0,
        };
        let s = c.remap(&span);
        assert_eq!(&json[s.start..s.end], "[[Gone]]");
        assert_eq!(s.line, 3);
    }

    #[test]
    fn blocks_left_open_are_closed() {
        assert_eq!(closers("text\n\n```rust\nfn x"), "\n```\n");
        assert_eq!(closers("~~~~\na\n~~~~"), "");
        assert_eq!(closers("<pre>\nx"), "\n</pre>\n");
        assert_eq!(closers("<!-- x"), "\n-->\n");
        assert_eq!(closers("plain *text*"), "");
        assert_eq!(closers("a %% b"), "\n%%\n");
        assert_eq!(closers("<div>\n<div class=x>a</div>"), "\n</div>\n");
        assert_eq!(closers("a %% b %% `%%`"), "");
        assert_eq!(closers("````\n```\n"), "\n````\n");
    }

    #[test]
    fn bad_json_is_a_diagnostic_with_a_position() {
        let c = read("{\"nodes\": [\n  {\"id\": }\n]}");
        assert_eq!(c.diagnostics.len(), 1);
        assert_eq!(c.diagnostics[0].span.as_ref().unwrap().line, 2);
    }

    #[test]
    fn hostile_numbers_and_shapes_do_not_panic() {
        for json in [
            "[]",
            "{\"nodes\":{}}",
            "{\"nodes\":[1,null,{\"x\":\"a\",\"width\":-5}],\"edges\":[{},{\"fromNode\":1}]}",
            "{\"nodes\":[{\"id\":\"a\",\"x\":1e300,\"y\":-1e300,\"width\":1e300,\"height\":0,\"color\":\"9\"}]}",
            "{\"nodes\":[{\"id\":\"a\",\"type\":\"text\",\"text\":\"\\ud83d\\ude00\"}]}",
        ] {
            let c = read(json);
            assert!(c.markdown.starts_with("---\n"), "{json}");
        }
        assert_eq!(colour("0"), None);
        assert_eq!(colour("#12g"), None);
        assert_eq!(colour("6").as_deref(), Some("#7852ee"));
        assert_eq!(colour("#abc").as_deref(), Some("#abc"));
    }
}
