//! One chapter's markdown: the note's text as written, with only the spans of links, embeds,
//! block ids, comments, highlights and callouts rewritten.
//!
//! Links to headings are written as `vaultbook-ref:N` placeholders: heading ids are only known
//! once every page is assembled (embeds bring headings along), so [`super::finish`] fills them in.

use std::collections::HashMap;
use std::ops::Range;

use super::plan::Plan;
use super::slug::relative;
use crate::diagnostics::{Code, Diagnostic};
use crate::links::{Anchor, AttId, NoteId, Resolved};
use crate::syntax::Link;
use crate::templates::html_escape;
use crate::vault::Note;

/// Embeds nested deeper than this stop with a marker.
pub const MAX_EMBED_DEPTH: usize = 8;

/// Embeds one page may hold in all (nested ones included): notes that each embed the next many
/// times would otherwise grow a page exponentially within the depth limit.
pub const MAX_EMBEDS_PER_PAGE: usize = 1000;

/// Embedded text one page may hold in all.
pub const MAX_EMBEDDED_BYTES: usize = 8 << 20;

/// The scheme of link placeholders.
pub const REF_SCHEME: &str = "vaultbook-ref:";

/// What page assembly reads.
pub struct Context<'a> {
    /// All notes.
    pub notes: &'a [Note],
    /// Per note, per link: where it leads.
    pub resolved: &'a [Vec<Resolved>],
    /// Output paths.
    pub plan: &'a Plan,
    /// Snippet output to insert after a code block: (note, code block index) → markdown.
    pub snippets: &'a HashMap<(NoteId, usize), String>,
    /// Whether inline tags link to the tag index page.
    pub tag_links: bool,
    /// Per note: the HTML appended at the end of its page (backlinks), if any.
    pub footers: &'a [String],
}

/// An assembled chapter, before heading ids are known.
#[derive(Debug, Clone, Default)]
pub struct Page {
    /// The note.
    pub note: NoteId,
    /// Its output path.
    pub path: String,
    /// The markdown, with `vaultbook-ref:N` placeholders.
    pub text: String,
    /// Per heading of the note: where it starts in `text`.
    pub own_headings: Vec<usize>,
    /// Placeholder targets.
    pub refs: Vec<Ref>,
    /// Attachments the page uses.
    pub attachments: Vec<AttId>,
    /// Embed cycles and depth overruns.
    pub diagnostics: Vec<Diagnostic>,
    /// Whether the page has `$math$` (MathJax is switched on for the book).
    pub uses_math: bool,
    /// Whether the page has mermaid diagrams (the script is shipped).
    pub uses_mermaid: bool,
    /// Inline footnotes met so far: (note, the footnote text's span).
    footnotes: Vec<(NoteId, Range<usize>)>,
    /// The title heading added above the note's text, if any.
    pub title: Option<String>,
    /// Embeds made so far, and the bytes they brought.
    embeds: usize,
    embedded_bytes: usize,
    /// Whether mdBook will see exactly the note's own headings (and the title): no embed, and
    /// nothing rewritten inside a heading. Then the first parse's heading texts give the ids,
    /// and the page need not be parsed again.
    pub exact_headings: bool,
}

/// What a `vaultbook-ref:N` placeholder points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ref {
    /// A place in a note's chapter.
    Note(NoteId, Anchor),
    /// A tag's entry on the tag index page (the tag lowercased).
    Tag(String),
}

enum Edit {
    /// Replace the span with a link, embed or broken marker (index into `syntax.links`).
    Link(usize),
    /// Replace the span with this text.
    Text(String),
    /// Record where own heading N starts (zero width).
    HeadingMark(usize),
    /// Insert snippet output after code block N (zero width at the block's end).
    Snippet(usize),
    /// Close a callout (zero width at the quote's end).
    CalloutEnd(&'static str, String),
    /// A tag, linked to its entry on the tag index page.
    Tag(String),
    /// An inline footnote (index into `syntax.inline_footnotes`).
    Footnote(usize),
}

/// Assembles the chapter of `note`.
pub fn assemble(ctx: &Context, note: NoteId) -> Page {
    let n = &ctx.notes[note];
    let mut page = Page {
        note,
        path: ctx.plan.chapter[note].clone().unwrap_or_default(),
        own_headings: vec![usize::MAX; n.syntax.headings.len()],
        exact_headings: true,
        ..Page::default()
    };
    // Obsidian shows the title above every note; a page without an H1 gets one.
    if !n.syntax.headings.iter().any(|h| h.level == 1) {
        let title = format!("# {}\n", escape_text(&n.title));
        page.text.push_str(&title);
        page.text.push('\n');
        page.title = Some(title);
    }
    if !n.frontmatter.cssclasses.is_empty() {
        page.text.push_str(&format!(
            "<div data-vb-cssclasses=\"{}\" hidden></div>\n\n",
            html_escape(&n.frontmatter.cssclasses.join(" "))
        ));
    }
    let mut stack = vec![(note, Anchor::None)];
    let mut out = std::mem::take(&mut page.text);
    emit_range(
        ctx,
        &mut page,
        &mut out,
        note,
        n.body..n.text.len(),
        true,
        &mut stack,
    );
    // Inline footnotes become ordinary ones, defined at the end; a footnote may hold another.
    let mut done = 0;
    while done < page.footnotes.len() {
        let (from, range) = page.footnotes[done].clone();
        done += 1;
        let mut body = String::new();
        emit_range(ctx, &mut page, &mut body, from, range, false, &mut stack);
        if !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(&format!("\n[^vb-fn-{done}]: {}\n", body.replace('\n', " ")));
    }
    let footer = &ctx.footers[note];
    if !footer.is_empty() {
        if !out.ends_with('\n') {
            out.push('\n');
        }
        out.push('\n');
        out.push_str(footer);
    }
    // mdBook's own `{{#include}}` would read files named in a note: written literally instead.
    page.text = if out.contains("{{#") {
        out.replace("{{#", "\\{{#")
    } else {
        out
    };
    page
}

/// Writes `range` of `note` into `out`, rewriting what lies in it.
fn emit_range(
    ctx: &Context,
    page: &mut Page,
    out: &mut String,
    note: NoteId,
    range: Range<usize>,
    own: bool,
    stack: &mut Vec<(NoteId, Anchor)>,
) {
    let n = &ctx.notes[note];
    let text = &*n.text;
    let syn = &n.syntax;
    let inside = |r: &Range<usize>| range.start <= r.start && r.end <= range.end;
    // (start, end, order among equal starts, edit)
    let mut edits: Vec<(usize, usize, i64, Edit)> = Vec::new();
    for (i, l) in syn.links.iter().enumerate() {
        if inside(&l.span) {
            edits.push((l.span.start, l.span.end, 0, Edit::Link(i)));
        }
    }
    for c in &syn.comments {
        if inside(c) {
            edits.push((c.start, c.end, 0, Edit::Text(String::new())));
        }
    }
    for (open, close) in &syn.highlights {
        if inside(open) && inside(close) {
            edits.push((open.start, open.end, 0, Edit::Text("<mark>".into())));
            edits.push((close.start, close.end, 0, Edit::Text("</mark>".into())));
        }
    }
    for (i, b) in syn.blocks.iter().enumerate() {
        if !inside(&b.marker) {
            continue;
        }
        let anchor = format!("<a id=\"^{}\"></a>", html_escape(&b.id));
        // Only the first of equal ids is an anchor (links resolve to it).
        let repeated = syn.blocks[..i]
            .iter()
            .any(|o| o.id.eq_ignore_ascii_case(&b.id));
        if !own || repeated {
            edits.push((b.marker.start, b.marker.end, 0, Edit::Text(String::new())));
            continue;
        }
        match b.inline_anchor {
            Some(at) if at <= b.marker.start => {
                edits.push((at, at, -1, Edit::Text(anchor)));
                edits.push((b.marker.start, b.marker.end, 0, Edit::Text(String::new())));
            }
            _ if at_line_start(text, b.block.start) && b.block.start >= range.start => {
                edits.push((
                    b.block.start,
                    b.block.start,
                    -1,
                    Edit::Text(format!("{anchor}\n\n")),
                ));
                edits.push((b.marker.start, b.marker.end, 0, Edit::Text(String::new())));
            }
            _ => {
                edits.push((
                    b.marker.start,
                    b.marker.end,
                    0,
                    Edit::Text(format!("{anchor}\n")),
                ));
            }
        }
    }
    for c in &syn.callouts {
        if !inside(&c.range) {
            continue;
        }
        let prefix = continuation_prefix(text, c.range.start);
        let title_md = c.title.clone().unwrap_or_else(|| capitalize(&c.kind));
        let title = inline_html(&title_md);
        let kind = html_escape(&c.kind);
        let (open, close) = match c.fold {
            Some(f) => (
                format!(
                    "<details class=\"callout\" data-callout=\"{kind}\"{}>\n{prefix}<summary class=\"callout-title\">{title}</summary>\n{prefix}\n",
                    if f == '+' { " open" } else { "" }
                ),
                "</details>",
            ),
            None => (
                format!(
                    "<div class=\"callout\" data-callout=\"{kind}\">\n{prefix}<div class=\"callout-title\">{title}</div>\n{prefix}\n"
                ),
                "</div>",
            ),
        };
        edits.push((c.header.start, c.header.end, 0, Edit::Text(open)));
        // Inner callouts end first when they end at the same place.
        edits.push((
            c.range.end,
            c.range.end,
            -(c.range.start as i64) - 2,
            Edit::CalloutEnd(close, prefix),
        ));
    }
    for (m, content, display) in &syn.math {
        if inside(m) {
            let (open, close) = if *display {
                ("\\\\[", "\\\\]")
            } else {
                ("\\\\(", "\\\\)")
            };
            edits.push((
                m.start,
                m.end,
                0,
                Edit::Text(format!("{open}{}{close}", escape_math(content))),
            ));
            page.uses_math = true;
        }
    }
    for (i, (f, _)) in syn.inline_footnotes.iter().enumerate() {
        if inside(f) {
            edits.push((f.start, f.end, 0, Edit::Footnote(i)));
        }
    }
    for c in &syn.code_blocks {
        if inside(&c.range) && c.info.split_whitespace().next() == Some("mermaid") {
            let prefix = continuation_prefix(text, c.range.start);
            let html = format!(
                "<pre class=\"mermaid\">{}</pre>\n",
                html_escape(c.code.trim_end())
            );
            edits.push((
                c.range.start,
                c.range.end,
                0,
                Edit::Text(with_prefix(&html, &prefix)),
            ));
            page.uses_mermaid = true;
        }
    }
    if ctx.tag_links {
        for t in &syn.tags {
            if inside(&t.range) {
                edits.push((t.range.start, t.range.end, 0, Edit::Tag(t.name.clone())));
            }
        }
    }
    if own {
        for (i, h) in syn.headings.iter().enumerate() {
            if inside(&h.range) {
                edits.push((h.range.start, h.range.start, -1, Edit::HeadingMark(i)));
            }
        }
    }
    for (i, c) in syn.code_blocks.iter().enumerate() {
        if inside(&c.range) && ctx.snippets.contains_key(&(note, i)) {
            edits.push((c.range.end, c.range.end, 1, Edit::Snippet(i)));
        }
    }
    edits.sort_by_key(|e| (e.0, e.2, e.1));
    if own && page.exact_headings {
        let elems = &syn.id_elems;
        let touches = edits.iter().any(|(start, end, _, edit)| {
            !matches!(edit, Edit::HeadingMark(_))
                && elems
                    .iter()
                    .any(|e| *start < e.range.end && e.range.start < (*end).max(start + 1))
        });
        if touches {
            page.exact_headings = false;
        }
    }

    let mut pos = range.start;
    for (start, end, _, edit) in edits {
        if start < pos {
            // Overlaps an edit already made (a link inside a callout title, say): keep the first.
            continue;
        }
        out.push_str(&text[pos..start]);
        pos = end;
        match edit {
            Edit::Text(t) => out.push_str(&t),
            Edit::HeadingMark(i) => page.own_headings[i] = out.len(),
            Edit::Link(i) => emit_link(ctx, page, out, note, i, stack),
            Edit::Footnote(i) => {
                page.footnotes
                    .push((note, syn.inline_footnotes[i].1.clone()));
                out.push_str(&format!("[^vb-fn-{}]", page.footnotes.len()));
            }
            Edit::Tag(name) => {
                page.refs.push(Ref::Tag(name.to_lowercase()));
                out.push_str(&format!(
                    "[#{}]({REF_SCHEME}{})",
                    escape_text(&name),
                    page.refs.len() - 1
                ));
            }
            Edit::Snippet(i) => {
                let md = &ctx.snippets[&(note, i)];
                if !out.ends_with('\n') {
                    out.push('\n');
                }
                let prefix = continuation_prefix(text, syn.code_blocks[i].range.start);
                out.push_str(&prefix);
                out.push('\n');
                out.push_str(&prefix);
                out.push_str(&with_prefix(md, &prefix));
                if !out.ends_with('\n') {
                    out.push('\n');
                }
            }
            Edit::CalloutEnd(close, prefix) => {
                if !out.ends_with('\n') {
                    out.push('\n');
                }
                out.push_str(&format!("{prefix}\n{prefix}{close}\n{prefix}\n"));
            }
        }
    }
    out.push_str(&text[pos..range.end]);
}

fn emit_link(
    ctx: &Context,
    page: &mut Page,
    out: &mut String,
    note: NoteId,
    i: usize,
    stack: &mut Vec<(NoteId, Anchor)>,
) {
    let n = &ctx.notes[note];
    let link = &n.syntax.links[i];
    let resolved = &ctx.resolved[note][i];
    let label = || link_label(link);
    match resolved {
        Resolved::Note {
            note: target,
            anchor,
        } if link.kind.is_embed() => {
            embed_note(ctx, page, out, note, link, *target, *anchor, stack)
        }
        Resolved::Note {
            note: target,
            anchor,
        } => {
            page.refs.push(Ref::Note(*target, *anchor));
            out.push_str(&format!(
                "[{}]({REF_SCHEME}{})",
                label(),
                page.refs.len() - 1
            ));
        }
        Resolved::Attachment { att, fragment } => {
            page.attachments.push(*att);
            let mut url = relative(&page.path, &ctx.plan.attachment[*att]);
            if let Some(f) = fragment {
                url.push('#');
                url.push_str(&f.replace(' ', "%20"));
            }
            if link.kind.is_embed() {
                out.push_str(&media(link, &url, &ctx.plan.attachment[*att]));
            } else {
                out.push_str(&format!("[{}]({url})", label()));
            }
        }
        Resolved::Unpublished(_) => out.push_str(&label()),
        Resolved::Broken => out.push_str(&format!(
            "<span class=\"vb-broken-link\" title=\"Broken link: {}\">{}</span>",
            html_escape(&target_text(link)),
            label()
        )),
    }
}

#[allow(clippy::too_many_arguments)]
fn embed_note(
    ctx: &Context,
    page: &mut Page,
    out: &mut String,
    from: NoteId,
    link: &Link,
    target: NoteId,
    anchor: Anchor,
    stack: &mut Vec<(NoteId, Anchor)>,
) {
    let n = &ctx.notes[from];
    let t = &ctx.notes[target];
    if page.embeds >= MAX_EMBEDS_PER_PAGE || page.embedded_bytes >= MAX_EMBEDDED_BYTES {
        if !page.diagnostics.iter().any(|d| d.code == Code::EmbedLimit) {
            page.diagnostics.push(
                n.diagnostic(
                    Diagnostic::new(
                        Code::EmbedLimit,
                        format!(
                            "the page of `{}` holds more than {MAX_EMBEDS_PER_PAGE} embeds or {} MiB of embedded text",
                            ctx.notes[page.note].rel,
                            MAX_EMBEDDED_BYTES >> 20
                        ),
                    ),
                    link.span.clone(),
                )
                .with_help("the embeds past the limit are shown as markers"),
            );
        }
        out.push_str("<span class=\"vb-embed-error\">embed limit reached</span>");
        return;
    }
    page.embeds += 1;
    let cycle = stack
        .iter()
        .any(|&(s, a)| s == target && (a == anchor || a == Anchor::None));
    if cycle || stack.len() > MAX_EMBED_DEPTH {
        let (code, msg) = if cycle {
            // Name the cycle itself, not the page it was found from.
            let first = stack.iter().position(|&(s, _)| s == target).unwrap_or(0);
            let chain: Vec<&str> = stack[first..]
                .iter()
                .map(|(s, _)| ctx.notes[*s].stem())
                .chain(std::iter::once(t.stem()))
                .collect();
            (
                Code::EmbedCycle,
                format!("embed cycle: {}", chain.join(" → ")),
            )
        } else {
            (
                Code::EmbedDepth,
                format!("embeds nest deeper than {MAX_EMBED_DEPTH} levels"),
            )
        };
        page.diagnostics.push(
            n.diagnostic(Diagnostic::new(code, msg.clone()), link.span.clone())
                .with_help("the embed is shown as a marker in the page"),
        );
        out.push_str(&format!(
            "<span class=\"vb-embed-error\">{}</span>",
            html_escape(&msg)
        ));
        return;
    }
    let range = match anchor {
        Anchor::None => t.body..t.text.len(),
        Anchor::Heading(h) => section(t, h),
        Anchor::Block(b) => t.syntax.blocks[b].block.clone(),
    };
    let prefix = continuation_prefix(&n.text, link.span.start);
    let mut inner = String::new();
    // Embedded text brings headings of its own: ids must come from the page as emitted.
    page.exact_headings = false;
    stack.push((target, anchor));
    emit_range(ctx, page, &mut inner, target, range, false, stack);
    stack.pop();
    page.embedded_bytes += inner.len();
    let inner = inner.trim_matches('\n');
    out.push_str(&format!(
        "\n{prefix}\n{prefix}<div class=\"vb-embed\" data-embed=\"{}\">\n{prefix}\n{prefix}{}\n{prefix}\n{prefix}</div>\n{prefix}\n{prefix}",
        html_escape(&target_text(link)),
        with_prefix(inner, &prefix),
    ));
}

/// A heading's section: from the heading to the next one of the same or a higher level.
pub fn section(note: &Note, h: usize) -> Range<usize> {
    let hs = &note.syntax.headings;
    let level = hs[h].level;
    let end = hs[h + 1..]
        .iter()
        .find(|x| x.level <= level)
        .map_or(note.text.len(), |x| x.range.start);
    hs[h].range.start..end
}

/// HTML for an embedded file: image, audio, video, PDF, or a plain link.
fn media(link: &Link, url: &str, out_path: &str) -> String {
    let ext = out_path
        .rsplit('.')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    let label = link.label.as_deref().unwrap_or("");
    // `|100` or `|100x200` sets the size; any other label is the alt text.
    let (alt, size) = match label.rsplit_once('|').map_or(("", label), |(a, s)| (a, s)) {
        (a, s) if parse_size(s).is_some() => (a, parse_size(s)),
        _ => (label, None),
    };
    let name = link.target.path.rsplit('/').next().unwrap_or("");
    let alt = if alt.is_empty() { name } else { alt };
    let url = html_escape(url);
    let alt = html_escape(alt);
    let size_attrs = match size {
        Some((w, Some(h))) => format!(" width=\"{w}\" height=\"{h}\""),
        Some((w, None)) => format!(" width=\"{w}\""),
        None => String::new(),
    };
    match ext.as_str() {
        "png" | "jpg" | "jpeg" | "gif" | "bmp" | "svg" | "webp" | "avif" | "ico" | "tif"
        | "tiff" => format!("<img src=\"{url}\" alt=\"{alt}\"{size_attrs}>"),
        "mp3" | "wav" | "m4a" | "ogg" | "3gp" | "flac" | "aac" => {
            format!("<audio controls src=\"{url}\"></audio>")
        }
        "mp4" | "webm" | "ogv" | "mov" | "mkv" => {
            format!("<video controls src=\"{url}\"{size_attrs}></video>")
        }
        "pdf" => {
            format!("<iframe class=\"vb-pdf\" src=\"{url}\" title=\"{alt}\"{size_attrs}></iframe>")
        }
        _ => format!("<a href=\"{url}\">{alt}</a>"),
    }
}

fn parse_size(s: &str) -> Option<(u32, Option<u32>)> {
    let s = s.trim();
    match s.split_once('x') {
        Some((w, h)) => Some((w.trim().parse().ok()?, Some(h.trim().parse().ok()?))),
        None => Some((s.parse().ok()?, None)),
    }
}

/// The text a link shows: its alias or label, else the target the way Obsidian shows it
/// (`Note > Heading`).
fn link_label(link: &Link) -> String {
    match &link.label {
        // A wikilink's alias is plain text in Obsidian (and `<script>` in it must stay text); a
        // markdown link's label is markdown the author wrote.
        Some(l) if !l.trim().is_empty() && link.kind == crate::syntax::LinkKind::Wiki => {
            escape_text(l)
        }
        Some(l) if !l.trim().is_empty() => l.clone(),
        _ => {
            // `Note > Heading > Sub`, or `Heading` for a link into the same note.
            use crate::syntax::Fragment;
            let path = crate::links::keys::strip_md(&link.target.path);
            let mut out = escape_text(path);
            let mut part = |p: &str| {
                if !out.is_empty() {
                    out.push_str(" &gt; ");
                }
                out.push_str(&escape_text(p));
            };
            match &link.target.fragment {
                Fragment::None => {}
                Fragment::Headings(h) => h.iter().for_each(|x| part(x)),
                Fragment::Block(b) => part(&format!("^{b}")),
                Fragment::Other(o) => part(o),
            }
            out
        }
    }
}

fn target_text(link: &Link) -> String {
    use crate::syntax::Fragment;
    let path = crate::links::keys::strip_md(&link.target.path).to_string();
    match &link.target.fragment {
        Fragment::None => path,
        Fragment::Headings(h) => format!("{path}#{}", h.join("#")),
        Fragment::Block(b) => format!("{path}#^{b}"),
        Fragment::Other(o) => format!("{path}#{o}"),
    }
}

/// Escapes text for markdown inline content: no markup, no HTML.
pub fn escape_text(s: &str) -> String {
    if !s.contains(['<', '>', '&', '[', ']', '\\', '`', '|', '\n', '\r']) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '[' | ']' | '\\' | '`' | '|' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Math content escaped so that markdown leaves every character to MathJax: all ASCII
/// punctuation is backslash-escaped (CommonMark turns `\\x` back into `x`).
fn escape_math(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c.is_ascii_punctuation() {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Inline markdown to HTML, for titles placed inside HTML elements.
fn inline_html(md: &str) -> String {
    let mut html = String::new();
    pulldown_cmark::html::push_html(
        &mut html,
        pulldown_cmark::Parser::new_ext(md, pulldown_cmark::Options::ENABLE_STRIKETHROUGH),
    );
    let html = html.trim();
    let html = html.strip_prefix("<p>").unwrap_or(html);
    let html = html.strip_suffix("</p>").unwrap_or(html);
    html.replace('\n', " ")
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn at_line_start(text: &str, pos: usize) -> bool {
    pos == 0 || text.as_bytes().get(pos - 1) == Some(&b'\n')
}

/// The prefix that continues the containers (quotes, list items) open at `pos` on a new line:
/// `>` kept, list markers turned into spaces.
pub fn continuation_prefix(text: &str, pos: usize) -> String {
    let line_start = text[..pos].rfind('\n').map_or(0, |i| i + 1);
    let lead = &text[line_start..pos];
    let mut out = String::new();
    let b = lead.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b' ' | b'\t' | b'>' => out.push(b[i] as char),
            b'-' | b'*' | b'+' if b.get(i + 1).is_some_and(|c| *c == b' ') => out.push(' '),
            b'0'..=b'9' => {
                let mut j = i;
                while j < b.len() && b[j].is_ascii_digit() {
                    j += 1;
                }
                if j < b.len() && (b[j] == b'.' || b[j] == b')') {
                    out.push_str(&" ".repeat(j - i + 1));
                    i = j + 1;
                    continue;
                }
                break;
            }
            _ => break,
        }
        i += 1;
    }
    out
}

/// Puts `prefix` after every newline of `s` (not after a final one).
fn with_prefix(s: &str, prefix: &str) -> String {
    if prefix.is_empty() {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut lines = s.split_inclusive('\n').peekable();
    let mut first = true;
    while let Some(line) = lines.next() {
        if !first {
            out.push_str(prefix);
        }
        first = false;
        out.push_str(line);
        if lines.peek().is_none() {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes() {
        assert_eq!(continuation_prefix("> - ![[x]]", 4), ">   ");
        assert_eq!(continuation_prefix("1. ![[x]]", 3), "   ");
        assert_eq!(continuation_prefix("text ![[x]]", 5), "");
        assert_eq!(with_prefix("a\nb\n", "> "), "a\n> b\n");
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("100x200"), Some((100, Some(200))));
        assert_eq!(parse_size("100"), Some((100, None)));
        assert_eq!(parse_size("alt"), None);
    }
}
