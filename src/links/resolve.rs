//! Every link of every note looked up in the [`Index`]; what cannot be found becomes a diagnostic.

use std::sync::OnceLock;

use rayon::prelude::*;

use super::index::{AttId, Index, Lookup, NoteId};
use crate::diagnostics::{Code, Diagnostic};
use crate::relpath;
use crate::suggest::Suggester;
use crate::syntax::{Fragment, Link, LinkKind};
use crate::vault::Note;

/// Where a link leads.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Resolved {
    /// A published note, and a place in it.
    Note {
        /// The note.
        note: NoteId,
        /// Where in it.
        anchor: Anchor,
    },
    /// A file of the vault.
    Attachment {
        /// The file.
        att: AttId,
        /// A fragment to keep (`page=3` for a PDF).
        fragment: Option<String>,
    },
    /// A note left out by `publish: false`: shown as plain text.
    Unpublished(NoteId),
    /// Nowhere: shown as visibly broken text.
    Broken,
}

/// A place in a note.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Anchor {
    /// The top of the note.
    None,
    /// A heading, by index in `note.syntax.headings`.
    Heading(usize),
    /// A block id, by index in `note.syntax.blocks`.
    Block(usize),
}

/// Resolves the links of every note (in parallel). The result holds, per note, one entry per
/// link in `note.syntax.links`.
pub fn resolve_all(notes: &[Note], index: &Index) -> (Vec<Vec<Resolved>>, Vec<Diagnostic>) {
    let ids: Vec<NoteId> = (0..notes.len()).collect();
    per_link(resolve_notes(notes, index, &ids))
}

/// Per note, per link: where it leads; and all the problems found, in note order.
pub(crate) fn per_link(
    per_note: Vec<(Vec<Resolved>, Vec<Diagnostic>)>,
) -> (Vec<Vec<Resolved>>, Vec<Diagnostic>) {
    let mut all = Vec::with_capacity(per_note.len());
    let mut diags = Vec::new();
    for (r, d) in per_note {
        all.push(r);
        diags.extend(d);
    }
    (all, diags)
}

/// Resolves the links of the notes `ids` (in parallel): per note, one entry per link, and the
/// problems found.
pub(crate) fn resolve_notes(
    notes: &[Note],
    index: &Index,
    ids: &[NoteId],
) -> Vec<(Vec<Resolved>, Vec<Diagnostic>)> {
    // Near note names for broken links: indexed once, and only if a link is broken.
    let names = OnceLock::new();
    // Near file names, for a missing attachment: a file is not a note.
    let files = OnceLock::new();
    ids.par_iter()
        .map(|&id| {
            let mut diags = Vec::new();
            let resolved = notes[id]
                .syntax
                .links
                .iter()
                .map(|l| resolve_one(notes, index, id, l, (&names, &files), &mut diags))
                .collect();
            (resolved, diags)
        })
        .collect()
}

/// Resolves one link of note `from`. `names` and `files` hold the suggestion indexes of note
/// and attachment names, built by the first broken link that needs each.
pub fn resolve_one<'n>(
    notes: &'n [Note],
    index: &'n Index,
    from: NoteId,
    link: &Link,
    (names, files): (&OnceLock<Suggester<'n>>, &OnceLock<Suggester<'n>>),
    diags: &mut Vec<Diagnostic>,
) -> Resolved {
    let note = &notes[from];
    let at = |d: Diagnostic| note.diagnostic(d, link.span.clone());
    let path = link.target.path.as_str();
    let markdown = matches!(link.kind, LinkKind::Markdown | LinkKind::MarkdownImage);

    let mut escaped = false;
    let target_note = if path.is_empty() {
        Some(Lookup::Found(from))
    } else {
        let candidates;
        (candidates, escaped) = match candidate_paths(note.folder(), path, markdown) {
            Ok(c) => c,
            Err(()) => {
                diags.push(outside(&at, path));
                return Resolved::Broken;
            }
        };
        let wants_file = has_file_extension(path);
        if wants_file
            && let Some((att, l)) = candidates.first_found(|p| index.attachment(p, note.folder()))
        {
            report_ambiguity(&l, diags, &at, path, |i| {
                index.attachment_path(i).to_string()
            });
            let fragment = match &link.target.fragment {
                Fragment::None => None,
                Fragment::Other(f) => Some(f.clone()),
                Fragment::Headings(h) => Some(h.join("#")),
                Fragment::Block(b) => Some(format!("^{b}")),
            };
            let ext = path.rsplit('.').next().unwrap_or("");
            if link.kind.is_embed() && ext.eq_ignore_ascii_case("base") {
                diags.push(
                    at(Diagnostic::new(
                        Code::UnrenderedEmbed,
                        format!("`{path}` is an Obsidian Base, which the book cannot show"),
                    ))
                    .with_help("the embed is a link to the file"),
                );
            }
            return Resolved::Attachment { att, fragment };
        }
        candidates
            .first_found(|p| index.note(p, note.folder()))
            .map(|(_, l)| l)
    };

    let Some(lookup) = target_note else {
        if escaped {
            diags.push(outside(&at, path));
            return Resolved::Broken;
        }
        let (code, what) = if link.kind.is_embed() && has_file_extension(path) {
            (Code::MissingAttachment, "file")
        } else if link.kind.is_embed() {
            (Code::MissingEmbed, "note")
        } else {
            (Code::BrokenLink, "note")
        };
        let file = path.rsplit('/').next().unwrap_or(path);
        let near = if has_file_extension(path) {
            files
                .get_or_init(|| Suggester::new(index.attachment_names()))
                .closest(file, 3)
        } else {
            names
                .get_or_init(|| Suggester::new(notes.iter().map(|n| n.stem())))
                .closest(super::keys::strip_md(file), 3)
        };
        diags.push(suggesting(
            at(Diagnostic::new(
                code,
                format!("no {what} named `{path}` in the vault"),
            )),
            &near,
            "",
        ));
        return Resolved::Broken;
    };
    report_ambiguity(&lookup, diags, &at, path, |i| notes[i].rel.clone());
    let target = match lookup {
        Lookup::Found(t) | Lookup::Ambiguous(t, _) => t,
        Lookup::Missing => return Resolved::Broken,
    };
    let tnote = &notes[target];
    if !tnote.frontmatter.publish {
        diags.push(
            at(Diagnostic::new(
                Code::UnpublishedLink,
                format!("`{}` is left out of the book (`publish: false`)", tnote.rel),
            ))
            .with_help("the link is shown as plain text"),
        );
        return Resolved::Unpublished(target);
    }
    let anchor = match &link.target.fragment {
        Fragment::None | Fragment::Other(_) => Anchor::None,
        Fragment::Headings(chain) => match index.heading(target, chain) {
            Some(h) => Anchor::Heading(h),
            None => {
                let wanted = chain.last().map(String::as_str).unwrap_or("");
                let headings: Vec<&str> = tnote
                    .syntax
                    .headings
                    .iter()
                    .map(|h| h.text.as_str())
                    .collect();
                let near = crate::suggest::closest(wanted, headings.iter().copied(), 3);
                diags.push(suggesting(
                    at(Diagnostic::new(
                        Code::MissingHeading,
                        format!("`{}` has no heading `{}`", tnote.rel, chain.join("#")),
                    )),
                    &near,
                    "",
                ));
                return Resolved::Broken;
            }
        },
        Fragment::Block(id) => {
            match tnote
                .syntax
                .blocks
                .iter()
                .position(|b| b.id.eq_ignore_ascii_case(id))
            {
                Some(b) => Anchor::Block(b),
                None => {
                    let ids: Vec<&str> =
                        tnote.syntax.blocks.iter().map(|b| b.id.as_str()).collect();
                    let near = crate::suggest::closest(id, ids.iter().copied(), 1);
                    diags.push(suggesting(
                        at(Diagnostic::new(
                            Code::MissingBlock,
                            format!("`{}` has no block `^{id}`", tnote.rel),
                        )),
                        &near,
                        "^",
                    ));
                    return Resolved::Broken;
                }
            }
        }
    };
    Resolved::Note {
        note: target,
        anchor,
    }
}

/// `d` with a "did you mean `a` or `b`?" help when there are near names (`prefix` goes before
/// each, such as `^` for block ids).
fn suggesting(d: Diagnostic, near: &[&str], prefix: &str) -> Diagnostic {
    if near.is_empty() {
        return d;
    }
    let names: Vec<String> = near.iter().map(|n| format!("`{prefix}{n}`")).collect();
    d.with_help(format!("did you mean {}?", names.join(" or ")))
}

fn outside(at: &dyn Fn(Diagnostic) -> Diagnostic, path: &str) -> Diagnostic {
    at(Diagnostic::new(
        Code::OutsideVault,
        format!("`{path}` is outside the vault; it is not read"),
    ))
    .with_help("links can only reach notes and files inside the vault")
}

/// Warns of a link that matched several notes or files, saying how they collide: only in
/// letter case (one file on macOS and Windows), by an alias they share, or by name.
fn report_ambiguity(
    l: &Lookup<usize>,
    diags: &mut Vec<Diagnostic>,
    at: &dyn Fn(Diagnostic) -> Diagnostic,
    written: &str,
    name: impl Fn(usize) -> String,
) {
    let Lookup::Ambiguous(chosen, all) = l else {
        return;
    };
    let names: Vec<String> = all.iter().map(|&i| name(i)).collect();
    let list: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    let list = list.join(", ");
    let stem = |p: &str| {
        let file = p.rsplit('/').next().unwrap_or(p);
        super::keys::name_key(file)
    };
    let case_only = names
        .windows(2)
        .all(|w| w[0].to_lowercase() == w[1].to_lowercase());
    let by_alias = names.iter().all(|n| stem(n) != stem(written));
    let (message, help) = if case_only {
        (
            format!(
                "{} notes or files differ only in letter case: {list}",
                all.len()
            ),
            format!(
                "using `{}`; rename one: on macOS and Windows they would be one file",
                name(*chosen)
            ),
        )
    } else if by_alias {
        (
            format!("{} notes have the alias `{written}`: {list}", all.len()),
            format!(
                "using `{}`; link by file name, or keep the alias on one note",
                name(*chosen)
            ),
        )
    } else {
        (
            format!("{} notes or files share this name: {list}", all.len()),
            format!("using `{}`; write the folder too to choose", name(*chosen)),
        )
    };
    diags.push(at(Diagnostic::new(Code::AmbiguousLink, message)).with_help(help));
}

/// Whether the last path component has a file extension other than `.md`.
fn has_file_extension(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    match name.rfind('.') {
        Some(i) if i > 0 => {
            let ext = &name[i + 1..];
            // Obsidian's own JSON Canvas files are longer than the usual extension.
            !ext.is_empty()
                && (ext.len() <= 5 || ext.eq_ignore_ascii_case("canvas"))
                && ext.chars().all(|c| c.is_ascii_alphanumeric())
                && !ext.eq_ignore_ascii_case("md")
                && !ext.chars().all(|c| c.is_ascii_digit())
        }
        _ => false,
    }
}

/// The vault paths a link's path may mean, in the order to try them.
enum Candidates<'a> {
    /// A bare name: the name itself, then the name in the note's folder (a Markdown link tries
    /// its folder first). The folder's path is made only when the name alone is not found.
    Bare {
        /// The name as written.
        name: &'a str,
        /// The linking note's folder.
        folder: &'a str,
        /// Whether the link is a Markdown one.
        markdown: bool,
    },
    /// The paths worked out from a path with folders in it.
    Paths(Vec<String>),
}

impl Candidates<'_> {
    /// Tries the candidates in order until `f` gives something: the one rule of their order.
    fn try_each<T>(&self, mut f: impl FnMut(&str) -> Option<T>) -> Option<T> {
        match *self {
            Candidates::Bare {
                name,
                folder,
                markdown,
            } => {
                let in_folder = || (!folder.is_empty()).then(|| format!("{folder}/{name}"));
                if markdown {
                    in_folder().and_then(|p| f(&p)).or_else(|| f(name))
                } else {
                    f(name).or_else(|| in_folder().and_then(|p| f(&p)))
                }
            }
            Candidates::Paths(ref paths) => paths.iter().find_map(|p| f(p)),
        }
    }

    /// The first candidate `lookup` finds, with what it found.
    fn first_found(
        &self,
        lookup: impl Fn(&str) -> Lookup<usize>,
    ) -> Option<(usize, Lookup<usize>)> {
        self.try_each(|c| match lookup(c) {
            Lookup::Missing => None,
            l @ (Lookup::Found(i) | Lookup::Ambiguous(i, _)) => Some((i, l)),
        })
    }

    /// Every candidate, in the order [`Candidates::try_each`] tries them.
    #[cfg(test)]
    fn to_vec(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.try_each(|c| {
            out.push(c.to_string());
            None::<()>
        });
        out
    }
}

/// The vault paths a link's path may mean. Markdown links are relative to the note, then to the
/// vault root; wikilinks the other way round. A path that climbs out of the vault
/// (`../../x.png` one level too many) or starts at `/` is never read: like Obsidian, its file
/// name is looked up inside the vault instead, and the flag says so. `Err` for paths that name
/// another drive or a home folder.
fn candidate_paths<'a>(
    folder: &'a str,
    path: &'a str,
    markdown: bool,
) -> Result<(Candidates<'a>, bool), ()> {
    // The common case, a bare name, is looked up without copying it (one link in three
    // hundred thousand at 10,000 notes is not).
    if !path.contains(['/', '\\', '~', ':']) && !path.starts_with('.') {
        return Ok((
            Candidates::Bare {
                name: path,
                folder,
                markdown,
            },
            false,
        ));
    }
    let path = path.replace('\\', "/");
    if path.starts_with('~') || path.as_bytes().get(1) == Some(&b':') {
        return Err(());
    }
    if let Some(rooted) = path.strip_prefix('/') {
        let mut out: Vec<String> = relpath::join("", rooted).into_iter().collect();
        out.extend(file_name(&path));
        return Ok((Candidates::Paths(out), true));
    }
    let relative = relpath::join(folder, &path);
    let rooted = relpath::join("", &path);
    let explicit_relative = path.starts_with("./") || path.starts_with("../");
    let order = if markdown || explicit_relative {
        [relative, rooted]
    } else {
        [rooted, relative]
    };
    let mut out: Vec<String> = Vec::new();
    for c in order.into_iter().flatten() {
        if !out.contains(&c) {
            out.push(c);
        }
    }
    let escaped = out.is_empty();
    if escaped {
        out.extend(file_name(&path));
    }
    Ok((Candidates::Paths(out), escaped))
}

fn file_name(path: &str) -> Option<String> {
    path.rsplit('/')
        .next()
        .filter(|n| !n.is_empty() && *n != "." && *n != "..")
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths((c, escaped): (Candidates, bool)) -> (Vec<String>, bool) {
        (c.to_vec(), escaped)
    }

    #[test]
    fn paths_never_leave_the_vault() {
        assert_eq!(
            paths(candidate_paths("a", "../../etc/passwd", true).unwrap()),
            (vec!["passwd".to_string()], true)
        );
        assert_eq!(
            paths(candidate_paths("", "/etc/passwd", false).unwrap()),
            (vec!["etc/passwd".to_string(), "passwd".to_string()], true)
        );
        assert!(candidate_paths("", "C:/x", false).is_err());
        assert_eq!(
            paths(candidate_paths("a/b", "../c.md", true).unwrap()),
            (vec!["a/c.md".to_string()], false)
        );
        assert_eq!(
            paths(candidate_paths("a", "Note", false).unwrap()),
            (vec!["Note".to_string(), "a/Note".to_string()], false)
        );
        assert_eq!(
            paths(candidate_paths("a", "Note", true).unwrap()),
            (vec!["a/Note".to_string(), "Note".to_string()], false)
        );
        assert_eq!(
            paths(candidate_paths("", "Note", true).unwrap()),
            (vec!["Note".to_string()], false)
        );
    }

    #[test]
    fn extensions() {
        assert!(has_file_extension("pic.png"));
        assert!(!has_file_extension("Note.md"));
        assert!(!has_file_extension("v1.2 notes"));
        assert!(!has_file_extension("Note"));
    }
}
