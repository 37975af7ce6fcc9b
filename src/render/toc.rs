//! The sidebar's table of contents as mdBook writes it into `toc.js` and `toc.html`.
//!
//! A shard of a sharded render (see [`super::shards`]) holds only its own chapters, so the table
//! mdBook writes for it is the shard's. The book's is written here from the whole book, and put
//! where the shard's stood; the shard's own table, written here too, must be found in mdBook's
//! output first, so that a table this module would write differently from mdBook's (another
//! mdBook release) is caught and the book is rendered in one pass instead.

use std::cmp::Ordering;

use mdbook_driver::book::{Book, BookItem};

/// What of `[output.html]` the table depends on.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TocStyle {
    /// `[output.html.fold] enable`.
    pub fold_enable: bool,
    /// `[output.html.fold] level`.
    pub fold_level: u64,
    /// `[output.html] no-section-label`.
    pub no_section_label: bool,
}

/// The table of contents of `book`, as the `{{#toc}}{{/toc}}` of mdBook's templates expands:
/// `frame` is true for `toc.html`, whose links open in the parent window of its iframe.
pub(crate) fn write(book: &Book, style: TocStyle, frame: bool) -> String {
    let mut out = String::from("<ol class=\"chapter\">");
    let mut level = 1usize;
    let mut first = true;
    for item in book.iter() {
        let depth = match item {
            BookItem::Chapter(ch) => ch
                .number
                .as_ref()
                .map_or(1, |n| n.to_string().matches('.').count()),
            _ => 1,
        };
        let expanded = !style.fold_enable || (depth as u64) <= style.fold_level;
        match depth.cmp(&level) {
            Ordering::Greater => {
                // A summary list descends one level at a time; deeper jumps cannot be written
                // as mdBook would (it refuses them), so they are written one level deeper only.
                level += 1;
                out.push_str("<ol class=\"section\">");
            }
            Ordering::Less => {
                while depth < level {
                    out.push_str("</li></ol>");
                    level -= 1;
                }
            }
            Ordering::Equal if !first => out.push_str("</li>"),
            Ordering::Equal => {}
        }
        out.push_str(if expanded {
            "<li class=\"chapter-item expanded \">"
        } else {
            "<li class=\"chapter-item \">"
        });
        first = false;
        match item {
            BookItem::Separator => out.push_str("<li class=\"spacer\"></li>"),
            BookItem::PartTitle(title) => {
                out.push_str("<li class=\"part-title\">");
                escape_into(&mut out, title);
                out.push_str("</li>");
            }
            BookItem::Chapter(ch) => {
                out.push_str("<span class=\"chapter-link-wrapper\">");
                let path = ch
                    .path
                    .as_ref()
                    .map(|p| p.to_string_lossy().into_owned())
                    .filter(|p| !p.is_empty());
                match &path {
                    Some(p) => {
                        out.push_str("<a href=\"");
                        out.push_str(&html_path(p));
                        out.push_str(if frame {
                            "\" target=\"_parent\">"
                        } else {
                            "\">"
                        });
                    }
                    None => out.push_str("<span>"),
                }
                if !style.no_section_label
                    && let Some(n) = &ch.number
                {
                    out.push_str("<strong aria-hidden=\"true\">");
                    out.push_str(&n.to_string());
                    out.push_str("</strong> ");
                }
                escape_into(&mut out, &ch.name);
                out.push_str(if path.is_some() { "</a>" } else { "</span>" });
                if style.fold_enable && !ch.sub_items.is_empty() {
                    out.push_str("<a class=\"chapter-fold-toggle\"><div>❱</div></a>");
                }
                out.push_str("</span>");
            }
        }
    }
    while level > 0 {
        out.push_str("</li></ol>");
        level -= 1;
    }
    out
}

/// A chapter's source path as the URL of its page: `.html` for the extension, `/` between
/// folders.
fn html_path(path: &str) -> String {
    std::path::Path::new(path)
        .with_extension("html")
        .to_string_lossy()
        .replace('\\', "/")
}

/// Text escaped for an attribute (mdBook escapes `'` and `\` too: the table is also a
/// single-quoted JavaScript string in `toc.js`).
fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\'' => out.push_str("&#39;"),
            '"' => out.push_str("&quot;"),
            '\\' => out.push_str("&#92;"),
            '&' => out.push_str("&amp;"),
            c => out.push(c),
        }
    }
}

/// The name of the `toc.js` mdBook wrote in `dir`: `toc.js`, or `toc-HASH.js` with hashed
/// file names; `None` unless there is exactly one.
pub(crate) fn js_name(dir: &std::path::Path) -> Option<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).ok()? {
        let name = entry.ok()?.file_name().to_string_lossy().into_owned();
        let hashed = name
            .strip_prefix("toc-")
            .and_then(|r| r.strip_suffix(".js"))
            .is_some_and(|h| h.len() == 8 && h.bytes().all(|b| b.is_ascii_hexdigit()));
        if name == "toc.js" || hashed {
            found.push(name);
        }
    }
    (found.len() == 1).then(|| found.remove(0))
}

/// A page rendered with the sidebar file `old` (a shard's, a partial render's), naming the
/// book's `new` instead. The first mention is the `<script>` in the page's head, before any
/// of the note's text, which is left as it is.
pub(crate) fn retarget(page: &str, old: &str, new: &str) -> String {
    page.replacen(old, new, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_page_urls() {
        assert_eq!(html_path("a/b.md"), "a/b.html");
        assert_eq!(html_path("a.b/c"), "a.b/c.html");
        assert_eq!(html_path("a/.hidden"), "a/.hidden.html");
    }

    #[test]
    fn names_are_escaped_for_an_attribute_and_a_script_string() {
        let mut s = String::new();
        escape_into(&mut s, "<a href='x'>\\&\"");
        assert_eq!(s, "&lt;a href=&#39;x&#39;&gt;&#92;&amp;&quot;");
    }
}
