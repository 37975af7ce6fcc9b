//! Finds mojibake: UTF-8 text that was once decoded as Windows-1252 and saved again.
//!
//! `—` is the bytes `E2 80 94`; read as Windows-1252 they are `â`, `€` and `”`, and the note now
//! says `â€”`. [`find`] looks for such runs and gives the text they stood for.
//!
//! Each char of the text that Windows-1252 (or Latin-1, for the C1 controls) can encode is turned
//! back into its byte. Starting at a char whose byte can lead a UTF-8 sequence (`Â` to `ô`), the
//! right number of following chars must give continuation bytes, and the bytes must be valid
//! UTF-8 for a char that is not a control. Such *pieces* that touch each other form one finding.
//!
//! Ordinary accented text rarely looks like this: it would need a capital or accented letter
//! followed right away by symbols such as `€`, `©` or `…`. To keep those rare cases quiet, a
//! finding must contain a piece that decodes to a char mojibake usually stands for (Latin
//! letters and symbols, punctuation, currency, arrows, emoji, …) or at least two pieces (a word of
//! Cyrillic, Greek, Hebrew, CJK …). `Fuß“`, `CAFÉ…` and `un café…”` are not reported.

use std::ops::Range;
use std::path::Path;

use crate::diagnostics::{Code, Diagnostic, LineIndex};

/// One run of mojibake in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Mojibake {
    /// Byte range of the run in the text that was searched.
    pub range: Range<usize>,
    /// The text the run stood for (repaired until stable, so text garbled twice comes back whole).
    pub repaired: String,
}

/// Every run of mojibake in `text`, in order.
///
/// Texts without any char from `Â` to `ô` are rejected after one fast byte scan, so calling this
/// on every note costs little.
///
/// ```text
/// let found = vaultbook::mojibake::find("It isnâ€™t â€” ðŸ’¡ a cafÃ©, but a café.");
/// let repaired: Vec<&str> = found.iter().map(|m| m.repaired.as_str()).collect();
/// assert_eq!(repaired, ["’", "—", "💡", "é"]);
/// ```
pub(crate) fn find(text: &str) -> Vec<Mojibake> {
    let mut out = Vec::new();
    for range in runs(text) {
        let repaired = repair(&decode(&text[range.clone()]));
        out.push(Mojibake { range, repaired });
    }
    out
}

/// A `mojibake` warning for every finding in `text` (the contents of `file`, relative to the book
/// root), with the repaired text as help. Invisible repairs (a no-break space, a byte order mark)
/// are shown escaped.
///
/// ```text
/// let diags = vaultbook::mojibake::diagnostics("vault/A.md".as_ref(), "x â€” y");
/// assert_eq!(diags[0].message, "`â€”` looks like mojibake (UTF-8 text read as Windows-1252)");
/// assert_eq!(diags[0].help.as_deref(), Some("replace it with `—`"));
/// assert_eq!((diags[0].span.unwrap().line, diags[0].span.unwrap().column), (1, 3));
/// ```
pub(crate) fn diagnostics(file: &Path, text: &str) -> Vec<Diagnostic> {
    let found = find(text);
    if found.is_empty() {
        return Vec::new();
    }
    let lines = LineIndex::new(text);
    found
        .into_iter()
        .map(|m| {
            let shown: String = m
                .repaired
                .chars()
                .map(|c| {
                    if c.is_control() || (c.is_whitespace() && c != ' ') || c == '\u{feff}' {
                        c.escape_unicode().to_string()
                    } else {
                        c.to_string()
                    }
                })
                .collect();
            Diagnostic::new(
                Code::Mojibake,
                format!(
                    "`{}` looks like mojibake (UTF-8 text read as Windows-1252)",
                    &text[m.range.clone()]
                ),
            )
            .in_file(file)
            .at(lines.span(text, m.range))
            .with_help(format!("replace it with `{shown}`"))
        })
        .collect()
}

/// `text` with every run of mojibake replaced by what it stood for, repeated (at most three
/// times) while the result still contains mojibake.
pub(crate) fn repair(text: &str) -> String {
    let mut current = text.to_string();
    for _ in 0..3 {
        let found = runs(&current);
        if found.is_empty() {
            break;
        }
        let mut next = String::with_capacity(current.len());
        let mut at = 0;
        for range in found {
            next.push_str(&current[at..range.start]);
            next.push_str(&decode(&current[range.clone()]));
            at = range.end;
        }
        next.push_str(&current[at..]);
        current = next;
    }
    current
}

/// The byte ranges of the findings (groups of touching pieces that pass the confidence rule).
fn runs(text: &str) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    // Every lead char (U+00C2..=U+00F4) is encoded as C3 xx: no C3 byte, nothing to find.
    if !bytes.contains(&0xC3) {
        return Vec::new();
    }
    let mut out = Vec::new();
    // The current group: its range, and whether it is already confident enough.
    let mut group: Option<(Range<usize>, usize, bool)> = None;
    let mut i = 0;
    while let Some(off) = bytes[i..].iter().position(|&b| b == 0xC3) {
        let start = i + off;
        match piece(text, start) {
            Some((end, confident)) => {
                group = match group.take() {
                    Some((range, n, conf)) if range.end == start => {
                        Some((range.start..end, n + 1, conf || confident))
                    }
                    other => {
                        flush(other, &mut out);
                        Some((start..end, 1, confident))
                    }
                };
                i = end;
            }
            None => i = start + 2,
        }
        if i >= bytes.len() {
            break;
        }
    }
    flush(group, &mut out);
    out
}

fn flush(group: Option<(Range<usize>, usize, bool)>, out: &mut Vec<Range<usize>>) {
    if let Some((range, n, confident)) = group
        && (confident || n >= 2)
    {
        out.push(range);
    }
}

/// A piece of mojibake starting at byte `start` (the start of a C3 xx char): its end and whether
/// it alone is enough to report.
fn piece(text: &str, start: usize) -> Option<(usize, bool)> {
    let mut chars = text[start..].char_indices();
    let (_, lead) = chars.next()?;
    let lead = lead as u32;
    let len = match lead {
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => return None,
    };
    let mut buf = [lead as u8, 0, 0, 0];
    let mut end = start + 2;
    for slot in buf.iter_mut().take(len).skip(1) {
        let (at, c) = chars.next()?;
        let b = cp1252_byte(c).filter(|b| (0x80..=0xBF).contains(b))?;
        *slot = b;
        end = start + at + c.len_utf8();
    }
    let decoded = std::str::from_utf8(&buf[..len]).ok()?.chars().next()?;
    let cp = decoded as u32;
    if decoded.is_control() {
        return None;
    }
    let confident = match len {
        // Latin-1 and Latin Extended-A letters and symbols, Vietnamese ơ/ư. (Not combining
        // accents: Czech capitals such as `NÍŽE` would look like one.)
        2 => matches!(cp, 0xA0..=0x17F | 0x1A0..=0x1B0),
        // Punctuation, symbols, arrows, dingbats; CJK punctuation; variation selectors; BOM.
        3 => matches!(cp, 0x2000..=0x2BFF | 0x3000..=0x303F | 0xFE00..=0xFE0F | 0xFEFF),
        // Emoji and other astral chars: `ð` followed by three symbols is never ordinary text.
        _ => true,
    };
    Some((end, confident))
}

/// Re-decodes a run (every char of which has a Windows-1252 byte) as UTF-8.
fn decode(run: &str) -> String {
    let bytes: Vec<u8> = run
        .chars()
        .map(|c| cp1252_byte(c).unwrap_or(b'?'))
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The byte that Windows-1252 encodes `c` as, for chars at or above 0x80 (the C1 controls map to
/// themselves, as Latin-1 and the WHATWG decoder of the five unassigned bytes give them).
fn cp1252_byte(c: char) -> Option<u8> {
    let b = match c as u32 {
        cp @ 0x80..=0xFF => cp as u8,
        0x20AC => 0x80,
        0x201A => 0x82,
        0x0192 => 0x83,
        0x201E => 0x84,
        0x2026 => 0x85,
        0x2020 => 0x86,
        0x2021 => 0x87,
        0x02C6 => 0x88,
        0x2030 => 0x89,
        0x0160 => 0x8A,
        0x2039 => 0x8B,
        0x0152 => 0x8C,
        0x017D => 0x8E,
        0x2018 => 0x91,
        0x2019 => 0x92,
        0x201C => 0x93,
        0x201D => 0x94,
        0x2022 => 0x95,
        0x2013 => 0x96,
        0x2014 => 0x97,
        0x02DC => 0x98,
        0x2122 => 0x99,
        0x0161 => 0x9A,
        0x203A => 0x9B,
        0x0153 => 0x9C,
        0x017E => 0x9E,
        0x0178 => 0x9F,
        _ => return None,
    };
    Some(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<(&str, String)> {
        find(text)
            .into_iter()
            .map(|m| (&text[m.range], m.repaired))
            .collect()
    }

    fn one(bad: &str, good: &str) {
        let text = format!("before {bad} after");
        assert_eq!(found(&text), [(bad, good.to_string())], "{bad}");
    }

    #[test]
    fn common_mojibake_is_found_and_repaired() {
        one("â€”", "—");
        one("â€“", "–");
        one("â€™", "’");
        one("â€œ", "“");
        one("â€\u{9d}", "”");
        one("â€¦", "…");
        one("ðŸ’¡", "💡");
        one("ðŸ‘‰", "👉");
        one("Ã©", "é");
        one("Ã¼", "ü");
        one("Â\u{a0}", "\u{a0}");
        one("Â©", "©");
        one("Å‚", "ł");
        one("Ä…", "ą");
        one("â†’", "→");
        one("ï»¿", "\u{feff}");
        one("Ð¿Ñ€Ð¸Ð²ÐµÑ‚", "привет");
        one("ä¸\u{AD}æ–‡", "中文");
    }

    #[test]
    fn seed_note_is_fully_found() {
        let text = include_str!("../tests/fixtures/check_mojibake/seed.md");
        let found = found(text);
        let count =
            |bad: &str, good: &str| found.iter().filter(|(b, g)| *b == bad && g == good).count();
        assert_eq!(count("â€”", "—"), 5);
        assert_eq!(count("ðŸ’¡", "💡"), 1);
        assert_eq!(count("ðŸ‘‰", "👉"), 1);
        assert_eq!(count("â€™", "’"), 1);
        assert_eq!(found.len(), 8, "{found:?}");
        let isnt = text.find("isnâ€™t").unwrap() + 3;
        assert!(
            find(text)
                .iter()
                .any(|m| m.range == (isnt..isnt + "â€™".len()))
        );
    }

    #[test]
    fn invisible_repairs_are_shown_escaped() {
        let diags = diagnostics(Path::new("a.md"), "a\u{a0}Â\u{a0}b ï»¿");
        let help: Vec<&str> = diags.iter().filter_map(|d| d.help.as_deref()).collect();
        assert_eq!(
            help,
            ["replace it with `\\u{a0}`", "replace it with `\\u{feff}`"]
        );
    }

    #[test]
    fn text_garbled_twice_comes_back_whole() {
        one("Ã¢â‚¬â„¢", "’");
    }

    #[test]
    fn touching_pieces_form_one_finding() {
        assert_eq!(found("xâ€œhiâ€\u{9d}y").len(), 2);
        assert_eq!(found("Ã©Ã¨"), [("Ã©Ã¨", "éè".to_string())],);
    }

    #[test]
    fn ordinary_text_is_quiet() {
        for text in [
            "café, naïve, Ångström, Straße, Æsir, Øresund, Þórr, façade, œuvre",
            "Größenverhältnisse: „Fuß“ und „Maß“ — über Öl, Äpfel und Übermut.",
            "« Un café… » dit-elle, « à bientôt ! » L'été, l'hôtel, où, çà, Noël, “un café…”",
            "CAFÉ… ENTRÉ” CAFÉ’ ÉTÉ™ SÃO PAULO, IRMÃ, Åland, Ça va ?",
            "¿Qué tal? ¡Olé! El niño, el año, la acción; 5 × 3 = 15; 20 °C; ½ ± ¼; © 2024 ® ™",
            "Zürich, Málaga, Kraków, Łódź, Dvořák, Smørrebrød, Ísland, Ñandú",
            "NÍŽE, ÚŽASNÉ, PŘÍŠTÍ, ŠÍŘE; níže, příští, vyšší, môžeš, cœur, Œuvre, ŸVELINE",
            "Ação, coração, não; Việt Nam; İstanbul, ağaç; Ελληνικά; Русский; 日本語; עברית",
            "plain ascii only",
            "",
        ] {
            assert_eq!(found(text), [], "{text}");
        }
    }

    #[test]
    fn incomplete_sequences_are_not_reported() {
        assert_eq!(found("Ã"), []);
        assert_eq!(found("â€ then"), []);
        assert_eq!(found("ðŸ’"), []);
    }

    #[test]
    fn cp1252_specials_round_trip() {
        let specials = "€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ";
        assert_eq!(specials.chars().count(), 27);
        for c in specials.chars() {
            let b = cp1252_byte(c).unwrap();
            assert!((0x80..=0x9F).contains(&b), "{c}");
        }
    }
}

#[cfg(test)]
mod doc_examples {
    //! The examples of this module's doc comments (a private module's doctests cannot name
    //! it), run as unit tests.
    use super::*;

    #[test]
    fn doc_example_1() {
        let found = find("It isnâ€™t â€” ðŸ’¡ a cafÃ©, but a café.");
        let repaired: Vec<&str> = found.iter().map(|m| m.repaired.as_str()).collect();
        assert_eq!(repaired, ["’", "—", "💡", "é"]);
    }

    #[test]
    fn doc_example_2() {
        let diags = diagnostics("vault/A.md".as_ref(), "x â€” y");
        assert_eq!(
            diags[0].message,
            "`â€”` looks like mojibake (UTF-8 text read as Windows-1252)"
        );
        assert_eq!(diags[0].help.as_deref(), Some("replace it with `—`"));
        assert_eq!(
            (diags[0].span.unwrap().line, diags[0].span.unwrap().column),
            (1, 3)
        );
    }
}
