//! Notes' HTML made safe, as Obsidian's reading view makes it: scripts, event handlers and
//! `javascript:` URLs are removed; safe markup (`<details>`, `<span style>`, `<kbd>`, `<iframe>`
//! embeds) stays. `[vaultbook] raw-html = true` turns this off for a vault its readers trust.
//!
//! Two uses of one rule. [`audit`] reads a note and says what would be removed, where, for the
//! diagnostics. [`clean`] rewrites an assembled page, which is where every path by which a
//! note's text reaches the book meets (embeds, callout titles, link labels, footnotes): the
//! page is read as mdBook will read it, so what is judged is what mdBook will write.

mod fragment;

use std::ops::Range;

use pulldown_cmark::{Event, LinkType, Options, Tag, TagEnd};

pub(crate) use fragment::Removed;

/// Something [`audit`] found, at a byte range of the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Finding {
    /// Where, in the text given.
    pub range: Range<usize>,
    /// What would be removed.
    pub removed: Removed,
}

/// What a note's raw HTML and link URLs would lose, from byte `start` of `text` on. (The
/// syntax scan feeds its own events to a [`Pass`] instead, reading each note once.)
#[cfg(test)]
pub(crate) fn audit(text: &str, start: usize, options: Options) -> Vec<Finding> {
    pass(text, start, options).1
}

/// Passes over a page before [`clean`] gives up and shows it as text: each pass removes
/// something, and removing can only let the next parse see less HTML, so two are the most a
/// real page needs.
const MAX_PASSES: usize = 8;

/// The page's markdown with its raw HTML and link URLs made safe, and whether anything changed.
pub(crate) fn clean(mut text: String, options: Options) -> (String, bool) {
    let mut changed = false;
    for _ in 0..MAX_PASSES {
        let (edits, _) = pass(&text, 0, options);
        if edits.is_empty() {
            return (text, changed);
        }
        changed = true;
        text = apply(&text, edits);
    }
    // Removal keeps uncovering HTML (never seen in a real page): show the page as text.
    let mut out = String::from("<pre>");
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            _ => out.push(c),
        }
    }
    out.push_str("</pre>\n");
    (out, true)
}

fn apply(text: &str, mut edits: Vec<(Range<usize>, String)>) -> String {
    edits.sort_by_key(|(r, _)| r.start);
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    for (r, t) in edits {
        if r.start < pos {
            continue;
        }
        out.push_str(&text[pos..r.start]);
        out.push_str(&t);
        pos = r.end;
    }
    out.push_str(&text[pos..]);
    out
}

/// A link whose URL is being removed: it becomes its text.
struct UnsafeLink {
    range: Range<usize>,
    label: Option<Range<usize>>,
    scheme: String,
    depth: usize,
}

/// One reading of the markdown: the edits that make it safe, and what they remove.
fn pass(text: &str, start: usize, options: Options) -> (Vec<(Range<usize>, String)>, Vec<Finding>) {
    let mut p = Pass::new(text);
    crate::syntax::pieces::events(
        text,
        start,
        options,
        crate::syntax::pieces::PIECE,
        |e, r| p.event(&e, r),
    );
    p.finish()
}

/// The sanitiser following one parse of a markdown text, event by event.
pub(crate) struct Pass<'t> {
    text: &'t str,
    /// The HTML block being read: its lines' ranges and text.
    block: Option<(Vec<Range<usize>>, String)>,
    link: Option<UnsafeLink>,
    edits: Vec<(Range<usize>, String)>,
    findings: Vec<Finding>,
}

impl<'t> Pass<'t> {
    /// A pass over `text`, whose events (with byte ranges of `text`) are to come.
    pub(crate) fn new(text: &'t str) -> Pass<'t> {
        Pass {
            text,
            block: None,
            link: None,
            edits: Vec::new(),
            findings: Vec::new(),
        }
    }

    /// What the pass found: the edits that make the text safe, and what they remove.
    pub(crate) fn finish(self) -> (Vec<(Range<usize>, String)>, Vec<Finding>) {
        (self.edits, self.findings)
    }

    /// Takes the next event of the parse.
    pub(crate) fn event(&mut self, event: &Event, r: Range<usize>) {
        let text = self.text;
        if let Some(l) = &mut self.link {
            // Inside a link that goes: its label is written as text, judged on the next pass.
            match event {
                Event::Start(Tag::Link { .. } | Tag::Image { .. }) => l.depth += 1,
                Event::End(TagEnd::Link | TagEnd::Image) if l.depth > 0 => l.depth -= 1,
                Event::End(TagEnd::Link | TagEnd::Image) => {
                    let l = self.link.take().expect("inside a link");
                    let label = l.label.map_or("", |lr| &text[lr]).to_string();
                    self.findings.push(Finding {
                        range: l.range.clone(),
                        removed: Removed::Url(l.scheme),
                    });
                    self.edits.push((l.range, label));
                    return;
                }
                _ => {}
            }
            let label = l.label.get_or_insert(r.clone());
            label.start = label.start.min(r.start);
            label.end = label.end.max(r.end);
            return;
        }
        let (edits, findings) = (&mut self.edits, &mut self.findings);
        match event {
            Event::Start(Tag::HtmlBlock) => self.block = Some((Vec::new(), String::new())),
            Event::Html(s) => match &mut self.block {
                Some((lines, source)) => {
                    lines.push(r);
                    source.push_str(s);
                }
                None => inline(text, r, s, edits, findings),
            },
            Event::End(TagEnd::HtmlBlock) => {
                if let Some((lines, source)) = self.block.take() {
                    html_block(text, &lines, &source, edits, findings);
                }
            }
            Event::InlineHtml(s) => inline(text, r, s, edits, findings),
            Event::Start(
                tag @ (Tag::Link {
                    dest_url,
                    link_type,
                    ..
                }
                | Tag::Image {
                    dest_url,
                    link_type,
                    ..
                }),
            ) => {
                // A wikilink names a note, not a URL (`[[data: a note]]`).
                let wiki = matches!(link_type, LinkType::WikiLink { .. });
                let image = matches!(tag, Tag::Image { .. });
                if let Some(scheme) = unsafe_scheme(dest_url, image).filter(|_| !wiki) {
                    self.link = Some(UnsafeLink {
                        range: r,
                        label: None,
                        scheme,
                        depth: 0,
                    });
                }
            }
            _ => {}
        }
    }
}

/// One tag (or comment) within a paragraph.
fn inline(
    text: &str,
    r: Range<usize>,
    source: &str,
    edits: &mut Vec<(Range<usize>, String)>,
    findings: &mut Vec<Finding>,
) {
    let f = fragment::sanitize(source);
    for (_, removed) in f.removed {
        findings.push(Finding {
            range: locate(text, r.clone(), &removed),
            removed,
        });
    }
    if let Some(clean) = f.clean {
        edits.push((r, clean));
    }
}

/// An HTML block, read as one fragment: a tag may run over several of its lines.
fn html_block(
    text: &str,
    lines: &[Range<usize>],
    source: &str,
    edits: &mut Vec<(Range<usize>, String)>,
    findings: &mut Vec<Finding>,
) {
    let (Some(first), Some(last)) = (lines.first(), lines.last()) else {
        return;
    };
    let f = fragment::sanitize(source);
    for (line, removed) in f.removed {
        let at = lines
            .get(line.saturating_sub(1))
            .or(lines.last())
            .cloned()
            .unwrap_or(first.clone());
        findings.push(Finding {
            range: locate(text, at, &removed),
            removed,
        });
    }
    let Some(mut clean) = f.clean else { return };
    if source.ends_with('\n') && !clean.ends_with('\n') {
        clean.push('\n');
    }
    // In a quote or a list the block's lines carry a prefix, which its rewrite must keep.
    let prefix = match lines {
        [a, b, ..] => &text[a.end..b.start],
        _ => "",
    };
    let mut out = String::with_capacity(clean.len());
    let mut rest = clean.as_str();
    while let Some(i) = rest.find('\n') {
        out.push_str(&rest[..=i]);
        rest = &rest[i + 1..];
        if !rest.is_empty() {
            out.push_str(prefix);
        }
    }
    out.push_str(rest);
    edits.push((first.start..last.end, out));
}

/// The part of `within` a removal is about: the `<tag` or the attribute's name, if found.
fn locate(text: &str, within: Range<usize>, removed: &Removed) -> Range<usize> {
    let hay = text[within.clone()].to_ascii_lowercase();
    let needle = match removed {
        Removed::Element(e) => format!("<{e}"),
        Removed::Attribute { name, .. } => name.clone(),
        Removed::Url(_) => return within,
    };
    match hay.find(&needle) {
        Some(i) => within.start + i..within.start + i + needle.len(),
        None => within,
    }
}

/// The scheme of a URL no reader should be sent to: script URLs, and `data:` documents (a
/// `data:` picture is an image's own bytes).
fn unsafe_scheme(url: &str, image: bool) -> Option<String> {
    // No colon, no scheme: most links of a note (`Note`, `page.md#id`) are done here, without
    // the copy below (one allocation a link: 1.7 million for a 100 MB note).
    memchr::memchr(b':', url.as_bytes())?;
    // Browsers drop whitespace and control characters around and inside a scheme.
    let squeezed: String = url
        .chars()
        .filter(|c| !c.is_ascii_control() && *c != ' ')
        .take(64)
        .collect();
    let (scheme, rest) = squeezed.split_once(':')?;
    if scheme.is_empty()
        || !scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    {
        return None;
    }
    let scheme = scheme.to_ascii_lowercase();
    let bad = match scheme.as_str() {
        "javascript" | "vbscript" | "livescript" => true,
        "data" => !(image && rest.to_ascii_lowercase().starts_with("image/")),
        _ => false,
    };
    bad.then_some(scheme)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> Options {
        Options::ENABLE_TABLES | Options::ENABLE_FOOTNOTES | Options::ENABLE_STRIKETHROUGH
    }

    fn cleaned(s: &str) -> String {
        clean(s.to_string(), opts()).0
    }

    #[test]
    fn markdown_without_unsafe_html_is_untouched() {
        let md = "# T\n\n<details>\n<summary>More</summary>\n\nSome *text*.\n\n</details>\n\n\
                  > <div class=\"x\">\n> quoted\n> </div>\n\n[ok](https://example.com) <kbd>K</kbd>\n";
        assert_eq!(clean(md.to_string(), opts()), (md.to_string(), false));
    }

    #[test]
    fn an_html_block_in_a_quote_keeps_its_prefix() {
        let md = "> <div onclick=\"x()\">\n> <script>alert(1)</script>\n> </div>\n\nafter\n";
        assert_eq!(cleaned(md), "> <div>\n> \n> </div>\n\nafter\n");
    }

    #[test]
    fn script_links_become_their_text() {
        assert_eq!(cleaned("[click](javascript:alert(1)) x\n"), "click x\n");
        assert_eq!(cleaned("[click](JavaScript&#58;alert(1))\n"), "click\n");
        assert_eq!(
            cleaned("[r]\n\n[r]: javascript:alert(1)\n"),
            "r\n\n[r]: javascript:alert(1)\n"
        );
        assert_eq!(cleaned("<javascript:alert(1)>\n"), "javascript:alert(1)\n");
        assert_eq!(
            cleaned("![pic](data:image/png;base64,AAAA)\n"),
            "![pic](data:image/png;base64,AAAA)\n"
        );
        assert_eq!(cleaned("[doc](data:text/html,hi)\n"), "doc\n");
    }

    #[test]
    fn inline_tags_in_a_paragraph() {
        assert_eq!(
            cleaned("a <img src=x onerror=alert(1)> b <span style=\"color:red\">c</span>\n"),
            "a <img src=\"x\"> b <span style=\"color:red\">c</span>\n"
        );
    }

    #[test]
    fn audit_points_at_the_tag_or_attribute() {
        let md = "text\n\n<div>\n<script>x</script>\n</div>\n\n<img src=a onerror=b>\n";
        let f = audit(md, 0, opts());
        assert_eq!(f.len(), 2);
        assert_eq!(&md[f[0].range.clone()], "<script");
        assert_eq!(f[0].removed, Removed::Element("script".into()));
        assert_eq!(&md[f[1].range.clone()], "onerror");
    }

    #[test]
    fn removing_a_tag_that_hid_markdown_judges_the_markdown_too() {
        // Once the `<script>` opening the block is gone, mdBook reads the rest as markdown.
        let md = "<script>\n</script>[x](javascript:alert(1))\n";
        let out = cleaned(md);
        assert!(!out.contains("javascript:alert"), "{out}");
    }
}
