//! `$…$` and `$$…$$` typeset at build time, to MathML Core (which Chromium and Firefox draw
//! natively), with pulldown-latex: no script and nothing from the network, so math reads the
//! same from `serve`, a static host, `file://` or offline. The TeX stays in the page as the
//! formula's annotation (copy, screen readers).

use pulldown_latex::config::{DisplayMode, RenderConfig};
use pulldown_latex::{Parser, Storage, push_mathml};

/// The MathML of a formula, or why it cannot be typeset.
pub(crate) fn to_mathml(tex: &str, display: bool) -> Result<String, String> {
    let storage = Storage::new();
    let events: Vec<_> = Parser::new(tex, &storage).collect();
    if let Some(err) = events.iter().find_map(|e| e.as_ref().err()) {
        return Err(first_line(&err.to_string()));
    }
    // pulldown-latex writes the annotation as given: escaped here, it is the TeX as text.
    let annotation = crate::templates::html_escape(tex);
    let config = RenderConfig {
        display_mode: if display {
            DisplayMode::Block
        } else {
            DisplayMode::Inline
        },
        annotation: Some(&annotation),
        ..RenderConfig::default()
    };
    let mut out = String::new();
    push_mathml(&mut out, events.into_iter(), config).map_err(|e| first_line(&e.to_string()))?;
    // One line: in markdown a blank line inside the element would end it.
    Ok(out.replace(['\n', '\r'], " "))
}

/// pulldown-latex's messages quote the formula with a caret under the fault over several
/// lines: the diagnostic has its own span, so its first line is the message.
fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or(s).trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_become_mathml_with_their_source() {
        let m = to_mathml("a_1 * b_2", false).unwrap();
        assert!(m.starts_with("<math"), "{m}");
        assert!(m.contains("<msub>"), "{m}");
        assert!(
            m.contains("<annotation encoding=\"application/x-tex\">a_1 * b_2</annotation>"),
            "{m}"
        );
        let d = to_mathml(r"\frac{1}{2}", true).unwrap();
        assert!(d.contains("display=\"block\""), "{d}");
        assert!(!d.contains('\n'));
    }

    #[test]
    fn bad_formulas_are_errors() {
        assert!(to_mathml(r"\frac{1}", false).is_err());
        assert!(to_mathml(r"x^", false).is_err());
    }

    #[test]
    fn text_in_formulas_is_escaped() {
        let m = to_mathml(r"\text{<script>alert(1)</script>}", false).unwrap();
        assert!(!m.contains("<script") && !m.contains("</script"), "{m}");
        let m = to_mathml(r"x</annotation><img src=x onerror=alert(1)>", false).unwrap();
        assert!(!m.contains("<img"), "{m}");
    }
}
