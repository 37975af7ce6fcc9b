//! What a link's span becomes: a link (to a chapter through a placeholder, or to an attachment),
//! an embedded note's text, an embedded file's HTML, or a broken-link marker.

use std::ops::Range;

use super::edits::emit_range;
use super::markup::{continuation_prefix, escape_text_with_code, with_prefix};
use super::{
    Context, MAX_EMBED_DEPTH, MAX_EMBEDDED_BYTES, MAX_EMBEDS_PER_PAGE, Page, REF_SCHEME, Ref,
};
use crate::diagnostics::{Code, Diagnostic};
use crate::emit::slug::relative;
use crate::links::{Anchor, NoteId, Resolved};
use crate::syntax::Link;
use crate::syntax::links::{Size, split_size};
use crate::templates::html_escape;
use crate::vault::Note;

/// Writes link `i` of `note`.
pub(super) fn emit_link(
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
            let url = relative(&page.path, &ctx.plan.attachment[*att]);
            let fragment = fragment.as_ref().map(|f| f.replace(' ', "%20"));
            if link.kind.is_embed() {
                let html = media(link, &url, fragment.as_deref(), &ctx.plan.attachment[*att]);
                out.push_str(&html);
                if html.starts_with("<img") && !link.in_heading && image_below(&n.text, link) {
                    // Obsidian breaks the line there: the images stack instead of sitting
                    // side by side, as mdBook's soft line break would have them.
                    out.push_str("<br>");
                }
            } else {
                let url = with_fragment(url, fragment.as_deref());
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
    // A cycle is an embed of text that is being embedded already (the same range of the same
    // note): embedding it would meet this very embed again. Another section of a note on the
    // stack, the page's own note included, is not one: Obsidian renders it.
    let range = anchor_range(t, anchor);
    let cycle = stack
        .iter()
        .any(|&(s, a)| s == target && anchor_range(&ctx.notes[s], a) == range);
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
/// The text of `note` an embed with `anchor` shows: the whole body, a heading's section, or a
/// block.
fn anchor_range(note: &Note, anchor: Anchor) -> Range<usize> {
    match anchor {
        Anchor::None => note.body..note.text.len(),
        Anchor::Heading(h) => section(note, h),
        Anchor::Block(b) => note.syntax.blocks[b].block.clone(),
    }
}

pub(crate) fn section(note: &Note, h: usize) -> Range<usize> {
    let hs = &note.syntax.headings;
    let level = hs[h].level;
    let end = hs[h + 1..]
        .iter()
        .find(|x| x.level <= level)
        .map_or(note.text.len(), |x| x.range.start);
    hs[h].range.start..end
}

/// HTML for an embedded file: image, audio, video, PDF, or a plain link. `fragment` is the
/// embed's `#…`, for the URL but for a PDF's `height=N`.
fn media(link: &Link, url: &str, fragment: Option<&str>, out_path: &str) -> String {
    let ext = out_path
        .rsplit('.')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    let label = link.label.as_deref().unwrap_or("");
    let (alt, size) = split_size(label);
    let name = link.target.path.rsplit('/').next().unwrap_or("");
    let alt = if alt.is_empty() { name } else { alt };
    if ext == "pdf" {
        return pdf(url, fragment, alt, size);
    }
    let url = html_escape(&with_fragment(url.to_string(), fragment));
    let size_attrs = size_attrs(size);
    match ext.as_str() {
        "png" | "jpg" | "jpeg" | "gif" | "bmp" | "svg" | "webp" | "avif" | "ico" | "tif"
        | "tiff" => image_tag(&url, alt, "", size),
        "mp3" | "wav" | "m4a" | "ogg" | "3gp" | "flac" | "aac" => {
            format!("<audio controls src=\"{url}\"></audio>")
        }
        "mp4" | "webm" | "ogv" | "mov" | "mkv" => {
            format!("<video controls src=\"{url}\"{size_attrs}></video>")
        }
        _ => format!("<a href=\"{url}\">{}</a>", html_escape(alt)),
    }
}

/// An embedded PDF: Obsidian reads `#height=N` as the viewer's height, and leaves the rest of
/// the fragment (`page=N`) to the PDF viewer.
fn pdf(url: &str, fragment: Option<&str>, alt: &str, size: Option<Size>) -> String {
    let mut height = None;
    let mut kept = Vec::new();
    for part in fragment.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        match part.strip_prefix("height=").map(str::parse::<u32>) {
            Some(Ok(h)) => height = Some(h),
            _ => kept.push(part),
        }
    }
    let kept = kept.join("&");
    let fragment = (!kept.is_empty()).then_some(kept.as_str());
    let url = html_escape(&with_fragment(url.to_string(), fragment));
    let size = size.or(height.map(|h| (0, Some(h))));
    format!(
        "<iframe class=\"vb-pdf\" src=\"{url}\" title=\"{}\"{}></iframe>",
        html_escape(alt),
        size_attrs(size)
    )
}

/// `<img>` with the size Obsidian's alt text or label gives. `url` is escaped already.
pub(super) fn image_tag(url: &str, alt: &str, title: &str, size: Option<Size>) -> String {
    let title = if title.is_empty() {
        String::new()
    } else {
        format!(" title=\"{}\"", html_escape(title))
    };
    format!(
        "<img src=\"{url}\" alt=\"{}\"{title}{}>",
        html_escape(alt),
        size_attrs(size)
    )
}

/// ` width="W" height="H"`; a width of 0 is none (a PDF's height alone).
fn size_attrs(size: Option<Size>) -> String {
    match size {
        Some((w, h)) => {
            let width = if w > 0 {
                format!(" width=\"{w}\"")
            } else {
                String::new()
            };
            let height = h.map_or(String::new(), |h| format!(" height=\"{h}\""));
            width + &height
        }
        None => String::new(),
    }
}

/// `url#fragment`.
fn with_fragment(mut url: String, fragment: Option<&str>) -> String {
    if let Some(f) = fragment {
        url.push('#');
        url.push_str(f);
    }
    url
}

/// Whether the line after the embed `link` starts with another image: the two are lines of one
/// paragraph, which Obsidian shows one above the other.
fn image_below(text: &str, link: &Link) -> bool {
    let rest = &text[link.span.end..];
    let Some(eol) = rest.find('\n') else {
        return false;
    };
    if !rest[..eol].trim().is_empty() {
        return false;
    }
    // The next line's containers (quotes, item indentation) come first.
    let next = rest[eol + 1..].trim_start_matches([' ', '\t', '>']);
    next.starts_with("![")
}

/// The text a link shows: its alias or label, else the target the way Obsidian shows it
/// (`Note > Heading`).
fn link_label(link: &Link) -> String {
    match &link.label {
        // A wikilink's alias is plain text in Obsidian (and `<script>` in it must stay text); a
        // markdown link's label is markdown the author wrote.
        Some(l) if !l.trim().is_empty() && link.kind == crate::syntax::LinkKind::Wiki => {
            escape_text_with_code(l)
        }
        Some(l) if !l.trim().is_empty() => l.clone(),
        _ => {
            // `Note > Heading > Sub`, or `Heading` for a link into the same note.
            use crate::syntax::Fragment;
            let path = crate::links::keys::strip_md(&link.target.path);
            let mut out = escape_text_with_code(path);
            let mut part = |p: &str| {
                if !out.is_empty() {
                    out.push_str(" &gt; ");
                }
                out.push_str(&escape_text_with_code(p));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdf_height_leaves_the_url() {
        let html = pdf("doc.pdf", Some("page=2&height=400"), "doc", None);
        assert_eq!(
            html,
            r#"<iframe class="vb-pdf" src="doc.pdf#page=2" title="doc" height="400"></iframe>"#
        );
        let html = pdf("doc.pdf", Some("height=tall"), "doc", None);
        assert!(html.contains(r#"src="doc.pdf#height=tall""#), "{html}");
    }
}
