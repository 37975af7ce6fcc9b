//! A laid-out graph as SVG markup: links as one path, each note a link (`<a href>`) holding a
//! dot, its title on hover (`<title>`) and maybe a label. Colours are classes, styled by
//! `graph.css` from mdBook's theme variables, since the markup is put into the page itself.
//!
//! Titles come from the vault, which is untrusted: every text and attribute is escaped here
//! ([`text`]), and nothing else of a note reaches the markup. Attributes are quoted with `'`,
//! so that the markup holds no `"` and goes into its data script's string literal as it is.

use std::fmt::Write as _;

use super::layout::Point;
use crate::templates::html_escape;

/// Labels longer than this are cut, with an ellipsis (the whole title is in the tooltip).
const LABEL_CHARS: usize = 28;

/// How a note's label is placed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Label {
    /// No label: the title shows on hover only.
    None,
    /// Centred under the dot.
    Below,
}

/// One note of the picture.
pub(crate) struct Dot {
    /// Where it is, in the picture's coordinates.
    pub at: Point,
    /// The dot's radius.
    pub r: f64,
    /// The note, an index into the hrefs and titles the picture is drawn with.
    pub node: u32,
    /// Its label.
    pub label: Label,
}

/// A whole picture.
pub(crate) struct Picture {
    /// `min-x min-y width height` of the drawing.
    pub view: [f64; 4],
    /// Width and height in CSS pixels when the picture should have its own size (larger than
    /// the page, in a scrolling box); `None` to fit the page's width.
    pub size: Option<[f64; 2]>,
    /// The notes.
    pub dots: Vec<Dot>,
    /// Links between notes, as indices into `dots`.
    pub edges: Vec<(u32, u32)>,
    /// Label size.
    pub font: f64,
    /// Decimals of coordinates: 0 for large pictures, where a unit is under a pixel anyway.
    pub decimals: usize,
    /// What a screen reader announces.
    pub label: String,
}

/// The SVG element; `hrefs[i]`: note `i`'s page from the book's root (the page script
/// prefixes the way there), `titles[i]`: its title.
pub(crate) fn svg(p: &Picture, hrefs: &[String], titles: &[&str]) -> String {
    let dec = p.decimals;
    let mut out = String::with_capacity(200 + p.dots.len() * 120 + p.edges.len() * 16);
    let [x, y, w, h] = p.view;
    out.push_str("<svg xmlns='http://www.w3.org/2000/svg' class='vb-graph-svg' viewBox='");
    for (k, v) in [x, y, w, h].into_iter().enumerate() {
        if k > 0 {
            out.push(' ');
        }
        push_num(&mut out, v, dec);
    }
    out.push('\'');
    if let Some([sw, sh]) = p.size {
        push_attr(&mut out, "width", sw, 0);
        push_attr(&mut out, "height", sh, 0);
    }
    let _ = write!(out, " role='group' aria-label='{}'", text(&p.label));
    push_attr(&mut out, "font-size", p.font, 1);
    out.push('>');
    let mut d = String::new();
    for &(a, b) in &p.edges {
        let (pa, pb) = (p.dots[a as usize].at, p.dots[b as usize].at);
        d.push('M');
        push_num(&mut d, pa[0], dec);
        d.push(' ');
        push_num(&mut d, pa[1], dec);
        d.push('L');
        push_num(&mut d, pb[0], dec);
        d.push(' ');
        push_num(&mut d, pb[1], dec);
    }
    if !d.is_empty() {
        out.push_str("<path class='vb-graph-edges' d='");
        out.push_str(&d);
        out.push_str("'/>");
    }
    for dot in &p.dots {
        let node = dot.node as usize;
        out.push_str("<a href='");
        out.push_str(&text(&hrefs[node]));
        out.push_str("'><title>");
        out.push_str(&text(titles[node]));
        out.push_str("</title><circle");
        push_attr(&mut out, "cx", dot.at[0], dec);
        push_attr(&mut out, "cy", dot.at[1], dec);
        push_attr(&mut out, "r", dot.r, 1);
        out.push_str("/>");
        match dot.label {
            Label::None => {}
            Label::Below => {
                out.push_str("<text");
                push_attr(&mut out, "x", dot.at[0], dec);
                push_attr(&mut out, "y", dot.at[1] + dot.r + p.font * 0.75, dec);
                out.push_str(" text-anchor='middle'>");
                out.push_str(&text(&cut(titles[node])));
                out.push_str("</text>");
            }
        }
        out.push_str("</a>");
    }
    out.push_str("</svg>");
    out
}

/// `s` as markup text or a quoted attribute value that is also, as it stands, the body of a
/// JavaScript string literal: HTML-escaped (quotes too), `\` as a character reference and
/// control characters (invisible in a title) as spaces. The markup around it quotes with `'`,
/// so the picture goes into its data script with no escaping pass over its bytes (see
/// `data_script`).
fn text(s: &str) -> String {
    let s = html_escape(s);
    if !s.contains(|c: char| c == '\\' || c.is_ascii_control()) {
        return s;
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("&#92;"),
            c if c.is_ascii_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A title cut to [`LABEL_CHARS`] characters.
fn cut(title: &str) -> String {
    let title = title.trim();
    if title.chars().count() <= LABEL_CHARS {
        return title.to_string();
    }
    let mut s: String = title.chars().take(LABEL_CHARS - 1).collect();
    s.push('…');
    s
}

/// A number with at most `decimals` decimals, without trailing zeros or `-0`: short, and the
/// same text for the same value.
#[cfg(test)]
pub(crate) fn fmt(v: f64, decimals: usize) -> String {
    let mut s = String::new();
    push_num(&mut s, v, decimals);
    s
}

/// Appends `v` as [`fmt`] writes it, without a string of its own: the vault picture of the
/// 10,000-note bench vault writes some 1.2 million numbers (four a link).
fn push_num(out: &mut String, v: f64, decimals: usize) {
    let v = if v.is_finite() { v } else { 0.0 };
    if let Some(scaled) = fixed(v, decimals) {
        push_fixed(out, scaled, decimals);
        return;
    }
    let start = out.len();
    let _ = write!(out, "{v:.decimals$}");
    if out[start..].contains('.') {
        let trimmed = out.trim_end_matches('0').trim_end_matches('.').len();
        out.truncate(trimmed);
    }
    if &out[start..] == "-0" {
        out.truncate(start);
        out.push('0');
    }
}

/// `v` rounded to `decimals` (at most 3) decimals, as an integer count of those decimals,
/// whenever that rounding is beyond doubt: `None` for a value whose scaled fraction is within
/// a millionth of one half (where `{:.N}`'s exact half-to-even rule decides) or too large for
/// the scaling to be exact to that millionth. Those few go through `fmt`, so every number is
/// written as `fmt` writes it, only without its cost.
fn fixed(v: f64, decimals: usize) -> Option<i64> {
    const SCALE: [f64; 4] = [1.0, 10.0, 100.0, 1000.0];
    let scale = *SCALE.get(decimals)?;
    let scaled = v * scale;
    if scaled.abs() >= 1e9 {
        return None;
    }
    let floor = scaled.floor();
    let frac = scaled - floor;
    if (frac - 0.5).abs() < 1e-6 {
        return None;
    }
    let rounded = if frac > 0.5 { floor + 1.0 } else { floor };
    Some(rounded as i64)
}

/// Writes `scaled` / 10^`decimals` without trailing zeros, a lone `.` or a `-0`.
fn push_fixed(out: &mut String, mut scaled: i64, mut decimals: usize) {
    while decimals > 0 && scaled % 10 == 0 {
        scaled /= 10;
        decimals -= 1;
    }
    if scaled < 0 {
        out.push('-');
    }
    // Digits from the last, with the point and any leading zeros of a fraction under one.
    let mut buf = [0u8; 24];
    let mut at = buf.len();
    let mut rest = scaled.unsigned_abs();
    let mut written = 0;
    while rest > 0 || written <= decimals {
        if written == decimals && decimals > 0 {
            at -= 1;
            buf[at] = b'.';
        }
        at -= 1;
        buf[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        written += 1;
    }
    out.push_str(std::str::from_utf8(&buf[at..]).unwrap_or("0"));
}

/// Appends `name="v"` after a space.
fn push_attr(out: &mut String, name: &str, v: f64, decimals: usize) {
    out.push(' ');
    out.push_str(name);
    out.push_str("='");
    push_num(out, v, decimals);
    out.push('\'');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_short_and_stable() {
        assert_eq!(fmt(1.0, 1), "1");
        assert_eq!(fmt(1.25, 1), "1.2");
        assert_eq!(fmt(-0.01, 1), "0");
        assert_eq!(fmt(f64::NAN, 1), "0");
        assert_eq!(fmt(12.6, 0), "13");
    }

    #[test]
    fn the_fast_numbers_are_the_ones_fmt_writes() {
        // Every value the fast path writes, against `{:.N}` trimmed as before.
        let slow = |v: f64, d: usize| {
            let mut s = format!("{v:.d$}");
            if s.contains('.') {
                s = s.trim_end_matches('0').trim_end_matches('.').to_string();
            }
            if s == "-0" { "0".to_string() } else { s }
        };
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        for k in 0..200_000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let mag = [1.0, 10.0, 1000.0, 1e6, 1e8][(k % 5) as usize];
            let v = ((x >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 2.0 * mag;
            // Halves and near-halves too, where the exact rule decides.
            let v = if k % 7 == 0 {
                (v * 10.0).round() / 10.0 + 0.05
            } else {
                v
            };
            for d in 0..4 {
                assert_eq!(fmt(v, d), slow(v, d), "{v:e} at {d}");
            }
        }
        for v in [
            0.0, -0.0, 0.05, -0.05, 0.95, 9.95, 99.95, 1e-7, -1e-7, 0.001, 123.0,
        ] {
            for d in 0..4 {
                assert_eq!(fmt(v, d), slow(v, d), "{v:e} at {d}");
            }
        }
    }

    #[test]
    fn titles_are_escaped_everywhere() {
        let evil = "<img src=x onerror=alert(1)>\"'&";
        let p = Picture {
            view: [0.0, 0.0, 10.0, 10.0],
            size: None,
            dots: vec![Dot {
                at: [1.0, 1.0],
                r: 2.0,
                node: 0,
                label: Label::Below,
            }],
            edges: vec![],
            font: 10.0,
            decimals: 1,
            label: evil.into(),
        };
        let s = svg(&p, &["a\".html".into()], &[evil]);
        assert!(!s.contains("<img"), "{s}");
        assert!(!s.contains("a\".html"), "{s}");
        assert!(
            s.contains("&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;"),
            "{s}"
        );
    }

    #[test]
    fn long_labels_are_cut() {
        assert_eq!(cut(&"x".repeat(40)).chars().count(), LABEL_CHARS);
        assert_eq!(cut(" short "), "short");
    }
}
