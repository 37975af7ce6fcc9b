//! A laid-out graph as SVG markup: links as one path, each note a link (`<a href>`) holding a
//! dot, its title on hover (`<title>`) and maybe a label. Colours are classes, styled by
//! `graph.css` from mdBook's theme variables, since the markup is put into the page itself.
//!
//! Titles come from the vault, which is untrusted: every text and attribute is escaped here,
//! and nothing else of a note reaches the markup.

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
    /// Outward from the middle along the given angle (radians), read left to right.
    Radial(f64),
}

/// One note of the picture.
pub(crate) struct Dot<'a> {
    /// Where it is, in the picture's coordinates.
    pub at: Point,
    /// The dot's radius.
    pub r: f64,
    /// The page, relative to the book's root (the page script prefixes the way there).
    pub href: String,
    /// The note's title.
    pub title: &'a str,
    /// Its label.
    pub label: Label,
    /// Whether this is the page the graph is shown on.
    pub here: bool,
}

/// A whole picture.
pub(crate) struct Picture<'a> {
    /// `min-x min-y width height` of the drawing.
    pub view: [f64; 4],
    /// Width and height in CSS pixels when the picture should have its own size (larger than
    /// the page, in a scrolling box); `None` to fit the page's width.
    pub size: Option<[f64; 2]>,
    /// The notes.
    pub dots: Vec<Dot<'a>>,
    /// Links between notes, as indices into `dots`.
    pub edges: Vec<(u32, u32)>,
    /// Which of `edges` are the page's own (drawn stronger).
    pub near: Vec<bool>,
    /// Label size.
    pub font: f64,
    /// Decimals of coordinates: 0 for large pictures, where a unit is under a pixel anyway.
    pub decimals: usize,
    /// What a screen reader announces.
    pub label: String,
}

/// The SVG element.
pub(crate) fn svg(p: &Picture) -> String {
    let dec = p.decimals;
    let mut out = String::with_capacity(200 + p.dots.len() * 120 + p.edges.len() * 16);
    let [x, y, w, h] = p.view;
    out.push_str("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"vb-graph-svg\" viewBox=\"");
    for (k, v) in [x, y, w, h].into_iter().enumerate() {
        if k > 0 {
            out.push(' ');
        }
        push_num(&mut out, v, dec);
    }
    out.push('"');
    if let Some([sw, sh]) = p.size {
        push_attr(&mut out, "width", sw, 0);
        push_attr(&mut out, "height", sh, 0);
    }
    let _ = write!(
        out,
        " role=\"group\" aria-label=\"{}\"",
        html_escape(&p.label)
    );
    push_attr(&mut out, "font-size", p.font, 1);
    out.push('>');
    let mut d = String::new();
    for strong in [false, true] {
        d.clear();
        for (e, &(a, b)) in p.edges.iter().enumerate() {
            if p.near.get(e).copied().unwrap_or(false) != strong {
                continue;
            }
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
            let class = if strong {
                "vb-graph-edges vb-graph-near"
            } else {
                "vb-graph-edges"
            };
            let _ = write!(out, "<path class=\"{class}\" d=\"{d}\"/>");
        }
    }
    for dot in &p.dots {
        // Classless but for the page's own note: 10,000 of them add up.
        let class = if dot.here {
            " class=\"vb-graph-here\""
        } else {
            ""
        };
        let _ = write!(
            out,
            "<a{class} href=\"{}\"><title>{}</title><circle",
            html_escape(&dot.href),
            html_escape(dot.title),
        );
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
                let _ = write!(
                    out,
                    " text-anchor=\"middle\">{}</text>",
                    html_escape(&cut(dot.title))
                );
            }
            Label::Radial(angle) => {
                let mut deg = angle.to_degrees().rem_euclid(360.0);
                // On the left half the text would be upside down: turned round, read inward
                // from its end, it still starts next to the dot.
                let left = deg > 90.0 && deg < 270.0;
                if left {
                    deg -= 180.0;
                }
                let gap = dot.r + p.font * 0.4;
                let (c, s) = (angle.cos(), angle.sin());
                let (tx, ty) = (dot.at[0] + c * gap, dot.at[1] + s * gap);
                out.push_str("<text");
                push_attr(&mut out, "x", tx, 1);
                push_attr(&mut out, "y", ty, 1);
                if left {
                    out.push_str(" text-anchor=\"end\"");
                }
                out.push_str(" transform=\"rotate(");
                push_num(&mut out, deg, 1);
                out.push(' ');
                push_num(&mut out, tx, 1);
                out.push(' ');
                push_num(&mut out, ty, 1);
                let _ = write!(out, ")\">{}</text>", html_escape(&cut(dot.title)));
            }
        }
        out.push_str("</a>");
    }
    out.push_str("</svg>");
    out
}

/// How many characters a title's label has.
pub(crate) fn label_chars(title: &str) -> usize {
    title.trim().chars().count().min(LABEL_CHARS)
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

/// Appends `v` as [`fmt`] writes it, without a string of its own: a picture of 10,000 notes
/// writes some 50,000 numbers.
fn push_num(out: &mut String, v: f64, decimals: usize) {
    let v = if v.is_finite() { v } else { 0.0 };
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

/// Appends `name="v"` after a space.
fn push_attr(out: &mut String, name: &str, v: f64, decimals: usize) {
    out.push(' ');
    out.push_str(name);
    out.push_str("=\"");
    push_num(out, v, decimals);
    out.push('"');
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
    fn titles_are_escaped_everywhere() {
        let evil = "<img src=x onerror=alert(1)>\"'&";
        let p = Picture {
            view: [0.0, 0.0, 10.0, 10.0],
            size: None,
            dots: vec![Dot {
                at: [1.0, 1.0],
                r: 2.0,
                href: "a\".html".into(),
                title: evil,
                label: Label::Below,
                here: true,
            }],
            edges: vec![],
            near: vec![],
            font: 10.0,
            decimals: 1,
            label: evil.into(),
        };
        let s = svg(&p);
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
