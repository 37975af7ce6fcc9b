//! YAML frontmatter: split from the body, parsed, and read for the keys vaultbook uses.

use std::ops::Range;

use serde_yaml_ng::Value;

/// The frontmatter keys vaultbook understands.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Frontmatter {
    /// `title`: the chapter title.
    pub title: Option<String>,
    /// `aliases` (or `alias`): other names links may use.
    pub aliases: Vec<String>,
    /// `tags` (or `tag`), without `#`.
    pub tags: Vec<String>,
    /// `publish: false` leaves the note out of the book.
    pub publish: bool,
    /// The ordering key (`order` unless configured otherwise).
    pub order: Option<f64>,
    /// `cssclasses`: classes for the page.
    pub cssclasses: Vec<String>,
}

/// A frontmatter problem: where (in the note's text) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrontmatterError {
    /// The byte range to underline.
    pub range: Range<usize>,
    /// What is wrong.
    pub message: String,
}

/// Where the frontmatter is: the YAML text and where the body starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    /// The YAML between the fences.
    pub yaml: Range<usize>,
    /// The first byte after the closing fence line.
    pub body: usize,
}

/// Finds a frontmatter block: `---` on the first line, closed by `---` or `...` on its own line.
pub fn split(text: &str) -> Option<Split> {
    let first_end = text.find('\n')?;
    if text[..first_end].trim_end() != "---" {
        return None;
    }
    let yaml_start = first_end + 1;
    let mut pos = yaml_start;
    while pos <= text.len() {
        let end = text[pos..].find('\n').map_or(text.len(), |i| pos + i);
        let line = text[pos..end].trim_end();
        if line == "---" || line == "..." {
            return Some(Split {
                yaml: yaml_start..pos,
                body: (end + 1).min(text.len()),
            });
        }
        if end == text.len() {
            break;
        }
        pos = end + 1;
    }
    None
}

/// Parses the frontmatter of `text` (if any). Returns the keys, where the body starts, and an
/// error if the YAML is malformed or not a mapping (the keys are then empty and the note is
/// still built).
pub fn parse(text: &str, order_key: &str) -> (Frontmatter, usize, Option<FrontmatterError>) {
    let mut fm = Frontmatter {
        publish: true,
        ..Frontmatter::default()
    };
    let Some(split) = split(text) else {
        return (fm, 0, None);
    };
    let yaml = &text[split.yaml.clone()];
    if yaml.trim().is_empty() {
        return (fm, split.body, None);
    }
    let value: Value = match serde_yaml_ng::from_str(yaml) {
        Ok(v) => v,
        Err(e) => {
            let mut at = e.location().map_or(split.yaml.start, |l| {
                split.yaml.start + l.index().min(yaml.len())
            });
            // A problem found at the end (an unclosed bracket) belongs to the last YAML line.
            if at >= split.yaml.end {
                let last = yaml.trim_end().rfind('\n').map_or(0, |i| i + 1);
                at = split.yaml.start + last;
            }
            let end = text[at..]
                .find('\n')
                .map_or(text.len(), |i| at + i)
                .max(at + 1)
                .min(text.len());
            let msg = e.to_string();
            let msg = msg.split(" at line").next().unwrap_or(&msg).to_string();
            return (
                fm,
                split.body,
                Some(FrontmatterError {
                    range: at..end,
                    message: format!("malformed frontmatter: {msg}"),
                }),
            );
        }
    };
    let Value::Mapping(map) = value else {
        return (
            fm,
            split.body,
            Some(FrontmatterError {
                range: split.yaml.start..split.yaml.end.max(split.yaml.start + 1).min(text.len()),
                message: "frontmatter is not a mapping of keys to values".into(),
            }),
        );
    };
    let get = |k: &str| map.get(Value::String(k.to_string()));
    fm.title = get("title").and_then(scalar_string);
    fm.aliases = get("aliases")
        .or_else(|| get("alias"))
        .map(strings)
        .unwrap_or_default();
    fm.tags = get("tags")
        .or_else(|| get("tag"))
        .map(strings)
        .unwrap_or_default()
        .into_iter()
        .map(|t| t.trim_start_matches('#').to_string())
        .filter(|t| !t.is_empty())
        .collect();
    fm.cssclasses = get("cssclasses")
        .or_else(|| get("cssclass"))
        .map(strings)
        .unwrap_or_default();
    fm.publish = !matches!(get("publish"), Some(Value::Bool(false)))
        && !matches!(get("draft"), Some(Value::Bool(true)));
    fm.order = get(order_key).and_then(|v| match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    });
    (fm, split.body, None)
}

fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A list of strings from a sequence, or a comma/space separated string.
fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::Sequence(items) => items.iter().filter_map(scalar_string).collect(),
        Value::String(s) => s
            .split([',', ' '])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        other => scalar_string(other).into_iter().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_keys() {
        let t = "---\ntitle: Hello\naliases: [Hi, Hey]\ntags: a, b\norder: 2\npublish: true\n---\n# Body\n";
        let (fm, body, err) = parse(t, "order");
        assert!(err.is_none());
        assert_eq!(fm.title.as_deref(), Some("Hello"));
        assert_eq!(fm.aliases, ["Hi", "Hey"]);
        assert_eq!(fm.tags, ["a", "b"]);
        assert_eq!(fm.order, Some(2.0));
        assert_eq!(&t[body..], "# Body\n");
    }

    #[test]
    fn malformed_yaml_is_reported_with_a_place() {
        let t = "---\ntitle: [unclosed\n---\nbody\n";
        let (fm, body, err) = parse(t, "order");
        let err = err.unwrap();
        assert!(
            err.message.starts_with("malformed frontmatter"),
            "{}",
            err.message
        );
        assert!(err.range.start >= 4);
        assert!(fm.publish);
        assert_eq!(&t[body..], "body\n");
    }

    #[test]
    fn non_mapping_and_unclosed() {
        assert!(parse("---\n- a\n- b\n---\n", "order").2.is_some());
        let (_, body, err) = parse("---\ntitle: x\nno end\n", "order");
        assert_eq!((body, err), (0, None));
        assert!(!parse("---\npublish: false\n---\n", "order").0.publish);
    }
}
