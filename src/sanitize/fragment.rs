//! One fragment of a note's raw HTML made safe: a tag, or the lines of an HTML block.
//!
//! A note's HTML comes in pieces: `<details>` may open in one HTML block and close in another,
//! with markdown between them, as Obsidian users write it. A tree sanitiser given one piece
//! would close what it opens and break that, so the fragment is tokenized the way a browser
//! tokenizes it (html5ever's tokenizer, told of raw-text elements as the tree builder would tell
//! it), and ammonia, the sanitiser, judges each start tag on its own: which elements, attributes
//! and URL schemes stay. End tags of allowed elements stay; text stays, escaped.
//!
//! A fragment from which nothing is removed is kept byte for byte; one from which something
//! is removed is written again from its tokens, so that the output holds only what was judged.

use std::cell::RefCell;
use std::collections::HashSet;
use std::sync::LazyLock;

use html5ever::tokenizer::{Tag, TagKind, Token, TokenSink, TokenSinkResult};

/// What the fragment became.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Fragment {
    /// The safe HTML, `None` when nothing was removed (the fragment is kept as written).
    pub clean: Option<String>,
    /// What was removed, with the fragment's line (from 1) it was on.
    pub removed: Vec<(usize, Removed)>,
}

/// One thing taken out of a note's HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Removed {
    /// An element not allowed (`script`, `object`, …); its tags go, and for script-like
    /// elements its content too.
    Element(String),
    /// An attribute of an allowed element: an event handler, or a URL whose scheme is not
    /// allowed (`javascript:`).
    Attribute {
        /// The element.
        element: String,
        /// The attribute.
        name: String,
        /// Its value had a scheme that is not allowed (the attribute itself is).
        url: bool,
    },
    /// A markdown link or image to a URL of this scheme (`javascript`): it becomes its text.
    Url(String),
}

impl Removed {
    /// The removal in words, for a diagnostic.
    pub(crate) fn describe(&self) -> String {
        match self {
            Removed::Element(e) => format!("the `<{e}>` element is left out of the book"),
            Removed::Attribute {
                element,
                name,
                url: true,
            } => format!(
                "the `{name}` of this `<{element}>` is left out of the book: its URL's scheme \
                 is not allowed"
            ),
            Removed::Attribute { element, name, .. } => {
                format!("the `{name}` attribute of this `<{element}>` is left out of the book")
            }
            Removed::Url(scheme) => {
                format!("this link to a `{scheme}:` URL is shown as its text only")
            }
        }
    }
}

/// Elements whose content goes with them: it is code or styling, never text to show.
const CONTENT_TAGS: &[&str] = &[
    "script", "style", "noscript", "template", "title", "textarea",
];

/// Elements kept beyond ammonia's defaults: Obsidian's reading view shows media, embedded
/// frames (video players, maps) and the older presentational tags people paste from the web.
const EXTRA_TAGS: &[&str] = &[
    "iframe", "video", "audio", "source", "track", "picture", "section", "font", "big", "label",
    "fieldset", "legend", "progress", "meter", "address", "main", "input",
];

/// Attributes any element may have: Obsidian keeps styling, ids and classes.
const GENERIC_ATTRIBUTES: &[&str] = &[
    "lang", "title", "class", "id", "style", "dir", "align", "width", "height", "hidden", "role",
];

/// Attributes of particular elements, beyond ammonia's defaults.
const TAG_ATTRIBUTES: &[(&str, &[&str])] = &[
    // Task checkboxes, Obsidian's `- [/]` among them.
    ("input", &["type", "checked", "disabled"]),
    ("a", &["href", "hreflang", "target", "name", "download"]),
    (
        "img",
        &["src", "alt", "loading", "srcset", "sizes", "decoding"],
    ),
    (
        "iframe",
        &[
            "src",
            "allow",
            "allowfullscreen",
            "frameborder",
            "loading",
            "referrerpolicy",
            "sandbox",
            "scrolling",
        ],
    ),
    (
        "video",
        &[
            "src",
            "controls",
            "poster",
            "autoplay",
            "muted",
            "loop",
            "playsinline",
            "preload",
        ],
    ),
    (
        "audio",
        &["src", "controls", "autoplay", "muted", "loop", "preload"],
    ),
    ("source", &["src", "srcset", "type", "media", "sizes"]),
    ("track", &["src", "kind", "srclang", "label", "default"]),
    ("details", &["open", "name"]),
    ("ol", &["start", "type", "reversed"]),
    ("ul", &["type"]),
    ("li", &["value"]),
    ("td", &["colspan", "rowspan", "valign", "headers"]),
    (
        "th",
        &["colspan", "rowspan", "valign", "headers", "scope", "abbr"],
    ),
    ("font", &["color", "size", "face"]),
    ("progress", &["value", "max"]),
    ("meter", &["value", "min", "max", "low", "high", "optimum"]),
    ("time", &["datetime"]),
    ("label", &["for"]),
];

/// URL schemes kept (relative URLs are kept too). `data:` only for images, see
/// [`data_urls_only_for_images`].
const URL_SCHEMES: &[&str] = &[
    "http",
    "https",
    "mailto",
    "tel",
    "ftp",
    "obsidian",
    "data",
    // vaultbook's own link placeholders (callout titles carry them as HTML), filled in later.
    "vaultbook-ref",
];

/// `data:` URLs are pictures in `<img>` and `<source>`; elsewhere (a link, a frame) they are
/// documents the reader did not ask for.
fn data_urls_only_for_images<'u>(
    element: &str,
    attribute: &str,
    value: &'u str,
) -> Option<std::borrow::Cow<'u, str>> {
    let v = value.trim_start();
    let is_data = v.get(..5).is_some_and(|s| s.eq_ignore_ascii_case("data:"));
    let picture = matches!(element, "img" | "source")
        && matches!(attribute, "src" | "srcset")
        && v.get(5..)
            .is_some_and(|r| r.trim_start().to_ascii_lowercase().starts_with("image/"));
    if is_data && !picture {
        None
    } else {
        Some(value.into())
    }
}

/// The sanitiser's settings, built once.
static AMMONIA: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::default();
    b.add_tags(EXTRA_TAGS)
        .add_generic_attributes(GENERIC_ATTRIBUTES)
        .add_generic_attribute_prefixes(&["data-", "aria-"])
        .url_schemes(URL_SCHEMES.iter().copied().collect())
        .link_rel(None)
        .strip_comments(true)
        .attribute_filter(data_urls_only_for_images);
    for (tag, attrs) in TAG_ATTRIBUTES {
        b.add_tag_attributes(tag, attrs.iter());
    }
    b
});

/// The allowed element names.
static ALLOWED: LazyLock<HashSet<&'static str>> = LazyLock::new(|| AMMONIA.clone_tags());

/// The attributes allowed on every element, and per element.
static GENERIC: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| AMMONIA.clone_generic_attributes());
static PER_TAG: LazyLock<std::collections::HashMap<&'static str, HashSet<&'static str>>> =
    LazyLock::new(|| AMMONIA.clone_tag_attributes());

/// Makes one fragment of raw HTML safe.
pub(crate) fn sanitize(fragment: &str) -> Fragment {
    let tokens = tokenize(fragment);
    let mut out = String::with_capacity(fragment.len());
    let mut removed = Vec::new();
    // Inside a removed element whose content goes too: its name.
    let mut skipping: Option<String> = None;
    for (line, token) in tokens {
        match token {
            Token::TagToken(tag) => {
                let name = tag.name.to_string();
                if let Some(s) = &skipping {
                    if tag.kind == TagKind::EndTag && *s == name {
                        skipping = None;
                    }
                    continue;
                }
                match tag.kind {
                    TagKind::StartTag if ALLOWED.contains(name.as_str()) && plainly_kept(&tag) => {
                        write_tag(&tag, &mut out);
                    }
                    TagKind::StartTag if ALLOWED.contains(name.as_str()) => {
                        let (kept, lost) = judge(&tag);
                        removed.extend(lost.into_iter().map(|r| (line, r)));
                        out.push_str(&kept);
                    }
                    TagKind::StartTag => {
                        removed.push((line, Removed::Element(name.clone())));
                        if CONTENT_TAGS.contains(&name.as_str()) && !tag.self_closing {
                            skipping = Some(name);
                        }
                    }
                    TagKind::EndTag if ALLOWED.contains(name.as_str()) => {
                        out.push_str("</");
                        out.push_str(&name);
                        out.push('>');
                    }
                    TagKind::EndTag => {}
                }
            }
            Token::CharacterTokens(t) if skipping.is_none() => escape_text(&t, &mut out),
            // Comments, doctypes, NULs: nothing a reader sees.
            _ => {}
        }
    }
    // An unclosed `<script>` has swallowed the rest of the fragment, as in a browser.
    let clean = (!removed.is_empty()).then_some(out);
    Fragment { clean, removed }
}

/// Whether ammonia would keep every attribute of an allowed start tag as it is, known without
/// asking it: each attribute is allowed by ammonia's own lists, and each that may hold a URL
/// holds one that is plainly relative or of an allowed web scheme. A "no" only means ammonia
/// is asked: most of a book's tags (vaultbook's own anchors, callouts, embeds) are plain, and
/// asking costs a parse per tag.
fn plainly_kept(tag: &Tag) -> bool {
    let name = &*tag.name;
    tag.attrs.iter().all(|a| {
        let attr = &*a.name.local;
        let allowed = GENERIC.contains(attr)
            || PER_TAG.get(name).is_some_and(|s| s.contains(attr))
            || attr.starts_with("data-")
            || attr.starts_with("aria-");
        let url_like = matches!(
            attr,
            "href"
                | "src"
                | "srcset"
                | "cite"
                | "poster"
                | "action"
                | "formaction"
                | "background"
                | "data"
                | "ping"
                | "longdesc"
                | "manifest"
                | "codebase"
        ) || a.name.prefix.is_some();
        allowed && (!url_like || plainly_safe_url(&a.value))
    })
}

/// A URL with no scheme (`page.html#x`, `../a b.png`, `#id`) or an http(s) one.
fn plainly_safe_url(v: &str) -> bool {
    if v.bytes().any(|b| b.is_ascii_control()) {
        return false;
    }
    let v = v.trim_start_matches(' ');
    let before_path = v.find(['/', '?', '#']).unwrap_or(v.len());
    !v[..before_path].contains(':') && !v.starts_with("//")
        || v.starts_with("https://")
        || v.starts_with("http://")
}

/// An allowed start tag as ammonia writes it, and what ammonia took from it.
fn judge(tag: &Tag) -> (String, Vec<Removed>) {
    let name = &*tag.name;
    let mut source = String::from(context_open(name));
    write_tag(tag, &mut source);
    let cleaned = AMMONIA.clean(&source).to_string();
    let kept = extract_tag(&cleaned, name).unwrap_or_default();
    let kept_names = attribute_names(&kept);
    let mut lost = Vec::new();
    if kept.is_empty() {
        lost.push(Removed::Element(name.to_string()));
    }
    for a in &tag.attrs {
        let attr = a.name.local.to_string();
        if kept.is_empty() || kept_names.contains(&attr) {
            continue;
        }
        let allowed_attr = GENERIC.contains(attr.as_str())
            || PER_TAG.get(name).is_some_and(|s| s.contains(attr.as_str()));
        lost.push(Removed::Attribute {
            element: name.to_string(),
            name: attr,
            url: allowed_attr,
        });
    }
    (kept, lost)
}

/// What an element must sit in for the HTML parser to keep it (table parts outside a table are
/// dropped by the parser, not the sanitiser).
fn context_open(name: &str) -> &'static str {
    match name {
        "td" | "th" => "<table><tbody><tr>",
        "tr" => "<table><tbody>",
        "tbody" | "thead" | "tfoot" | "caption" | "colgroup" => "<table>",
        "col" => "<table><colgroup>",
        "source" | "track" => "<video>",
        _ => "",
    }
}

/// Writes a start tag from its token: names as tokenized, values quoted and escaped.
fn write_tag(tag: &Tag, out: &mut String) {
    out.push('<');
    out.push_str(&tag.name);
    for a in &tag.attrs {
        out.push(' ');
        out.push_str(&a.name.local);
        out.push_str("=\"");
        for c in a.value.chars() {
            match c {
                '"' => out.push_str("&quot;"),
                '&' => out.push_str("&amp;"),
                _ => out.push(c),
            }
        }
        out.push('"');
    }
    out.push('>');
}

/// The first start tag named `name` in serialized HTML (attribute values double-quoted, with
/// no `"` inside), from `<` to `>`.
fn extract_tag(html: &str, name: &str) -> Option<String> {
    let mut from = 0;
    while let Some(i) = html[from..].find('<') {
        let at = from + i;
        let rest = &html[at + 1..];
        if rest.starts_with(name)
            && rest[name.len()..]
                .chars()
                .next()
                .is_some_and(|c| c == ' ' || c == '>')
        {
            let mut quoted = false;
            for (j, c) in html[at..].char_indices() {
                match c {
                    '"' => quoted = !quoted,
                    '>' if !quoted => return Some(html[at..at + j + 1].to_string()),
                    _ => {}
                }
            }
            return None;
        }
        from = at + 1;
    }
    None
}

/// The attribute names of one serialized start tag.
fn attribute_names(tag: &str) -> HashSet<String> {
    let mut names = HashSet::new();
    for (_, token) in tokenize(tag) {
        if let Token::TagToken(t) = token {
            names.extend(t.attrs.iter().map(|a| a.name.local.to_string()));
        }
    }
    names
}

fn escape_text(t: &str, out: &mut String) {
    for c in t.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            _ => out.push(c),
        }
    }
}

/// The fragment's tokens with their lines.
fn tokenize(fragment: &str) -> Vec<(usize, Token)> {
    let sink = Collector {
        tokens: RefCell::new(Vec::new()),
    };
    let mut tokens = crate::html_tokens::tokenize(fragment, sink)
        .tokens
        .into_inner();
    // Adjacent character tokens are one text.
    tokens.dedup_by(|b, a| {
        if let (Token::CharacterTokens(x), Token::CharacterTokens(y)) = (&mut a.1, &b.1) {
            x.push_tendril(y);
            true
        } else {
            false
        }
    });
    tokens
}

/// The token sink that keeps every token.
struct Collector {
    tokens: RefCell<Vec<(usize, Token)>>,
}

impl TokenSink for Collector {
    type Handle = ();

    fn process_token(&self, token: Token, line_number: u64) -> TokenSinkResult<()> {
        let line = usize::try_from(line_number).unwrap_or(usize::MAX);
        let mut result = TokenSinkResult::Continue;
        if let Token::TagToken(tag) = &token
            && tag.kind == TagKind::StartTag
            && !tag.self_closing
        {
            result = crate::html_tokens::after_start_tag(&tag.name, true);
        }
        if !matches!(token, Token::ParseError(_) | Token::EOFToken) {
            self.tokens.borrow_mut().push((line, token));
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean(s: &str) -> String {
        sanitize(s).clean.unwrap_or_else(|| s.to_string())
    }

    #[test]
    fn safe_markup_is_kept_byte_for_byte() {
        for s in [
            "<details>",
            "</details>",
            "<summary>Spoiler</summary>",
            "<span style=\"color: red\">",
            "<kbd>Ctrl</kbd>",
            "<iframe width=\"560\" src=\"https://www.youtube.com/embed/x\" allowfullscreen></iframe>",
            "<div align=center>",
            "<td colspan=2>",
            "<img src=\"pic.png\" width=200>",
            "<!-- a comment -->",
            "<a href=\"#section\">",
        ] {
            assert_eq!(sanitize(s), Fragment::default(), "{s}");
        }
    }

    #[test]
    fn scripts_go_with_their_content() {
        let f = sanitize("<p>a</p>\n<script>alert(1)</script>\n<p>b</p>\n");
        assert_eq!(f.clean.as_deref(), Some("<p>a</p>\n\n<p>b</p>\n"));
        assert_eq!(f.removed, vec![(2, Removed::Element("script".into()))]);
    }

    #[test]
    fn event_handlers_and_script_urls_go() {
        assert_eq!(clean("<img src=x onerror=alert(1)>"), "<img src=\"x\">");
        assert_eq!(clean("<a href=\"javascript:alert(1)\">"), "<a>");
        assert_eq!(clean("<a href=\"JaVaScRiPt&colon;alert(1)\">"), "<a>");
        assert_eq!(clean("<a href=\" javascript:alert(1)\">"), "<a>");
        assert_eq!(clean("<iframe src=\"javascript:alert(1)\">"), "<iframe>");
        assert_eq!(
            clean("<iframe srcdoc=\"<script>alert(1)</script>\">"),
            "<iframe>"
        );
        let f = sanitize("<img src=x onerror=alert(1)>");
        assert_eq!(
            f.removed,
            vec![(
                1,
                Removed::Attribute {
                    element: "img".into(),
                    name: "onerror".into(),
                    url: false
                }
            )]
        );
        let f = sanitize("<a href=\"javascript:x\">");
        assert!(matches!(
            &f.removed[0].1,
            Removed::Attribute { url: true, .. }
        ));
    }

    #[test]
    fn data_urls_only_show_pictures() {
        let pic = "<img src=\"data:image/png;base64,iVBORw0KGgo=\">";
        assert_eq!(clean(pic), pic);
        assert_eq!(
            clean("<a href=\"data:text/html,<script>alert(1)</script>\">"),
            "<a>"
        );
        assert_eq!(clean("<iframe src=\"data:text/html,x\">"), "<iframe>");
    }

    #[test]
    fn tags_a_browser_would_read_differently_are_judged_as_it_reads_them() {
        // The `>` in the quoted value does not end the tag.
        assert_eq!(
            clean("<img src=\"a>b\" onerror=alert(1)>"),
            "<img src=\"a&gt;b\">"
        );
        // A tag across lines of an HTML block.
        assert_eq!(
            clean("<img\n src=x\n onerror=alert(1)>\n"),
            "<img src=\"x\">\n"
        );
        // Foreign content is not allowed: svg goes, its text is escaped.
        let c = clean("<svg><style><img src=x onerror=alert(1)></style></svg>");
        assert!(!c.contains("onerror") || c.contains("&lt;"), "{c}");
        assert!(!c.contains("<img"), "{c}");
        // Whatever is left of a removed tag's neighbours is text, escaped.
        assert_eq!(clean("<object>x < y</object>"), "x &lt; y");
    }

    #[test]
    fn unclosed_script_swallows_the_rest() {
        assert_eq!(clean("<script>alert(1)\n<p>b</p>"), "");
    }
}
