//! The link graph: each page's local graph (the notes it links to and that link to it, two
//! links deep) and a whole-vault graph page.
//!
//! Built from the links the resolver already decided (`Resolved::Note`, embeds included, as
//! Obsidian's graph counts them), between published notes, without direction.
//!
//! - **The vault graph** is laid out here ([`layout`]) and drawn here as SVG markup ([`svg`]),
//!   in one data script (`vaultbook-graph/vault.js`): the reader's browser runs no simulation,
//!   so a 10,000-note vault costs nothing until the graph page is opened.
//! - **The local graphs** are drawn by `graph.js` in the reader's browser, as Quartz and
//!   Obsidian Publish do, from one table of the book's notes and links
//!   (`vaultbook-graph/links.js`, [`links_script`]): a picture is rings around the page's note,
//!   with nothing to simulate: in headless Chromium, 0.12 s from opening the box to the
//!   picture on a page of the 10,000-note bench book (measured once), loading the table
//!   included. Drawn here, they were 10,000 files
//!   and 114 MB at 10,000 notes, and half of that emit's time; the table is one file of 1.4 MB.
//!
//! Data scripts, not JSON, since browsers refuse `fetch()` from `file://`; loaded when the
//! reader opens a page's "Graph" box or the graph page, so that no page carries the graph's
//! weight. The vault's markup goes into the page itself (not an `<img>`, whose links could not
//! be followed; not an `<object>`, which would not see the theme's colours), with every URL
//! written from the book's root.

pub(crate) mod layout;
pub(crate) mod svg;

use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::emit::plan::Plan;
use crate::links::{NoteId, Resolved};
use crate::vault::Note;
use layout::Point;
use svg::{Dot, Label, Picture};

/// vaultbook-graph.js: opens the graphs in the page.
pub(crate) const GRAPH_JS: &str = include_str!("graph.js");
/// vaultbook-graph.css: the graphs' colours, from the theme.
pub(crate) const GRAPH_CSS: &str = include_str!("graph.css");
/// The names the two are emitted under (reserved in [`crate::emit::plan::RESERVED`]).
pub(crate) const GRAPH_JS_FILE: &str = "vaultbook-graph.js";
/// See [`GRAPH_JS_FILE`].
pub(crate) const GRAPH_CSS_FILE: &str = "vaultbook-graph.css";

/// The attribute naming a graph's data script, from the book's root (`/` first); `check
/// --html` follows it and the links inside.
pub(crate) const DATA_ATTR: &str = "data-vb-graph";

/// Up to this many notes, the vault graph labels every note; past it only the hubs (a sixth of
/// the notes, 15 to [`LABEL_HUBS`]), whose labels would otherwise hide each other in the core.
const LABEL_ALL: usize = 40;
/// Hubs labelled at most in a larger vault graph.
const LABEL_HUBS: usize = 60;

/// The book's published notes and the links between them.
pub(crate) struct Links {
    /// The notes, in reading order.
    pub nodes: Vec<NoteId>,
    /// Per node: its neighbours (linking or linked), sorted, each once.
    pub adj: Vec<Vec<u32>>,
}

impl Links {
    /// The graph of the notes in `plan.order`.
    pub(crate) fn new(resolved: &[Vec<Resolved>], plan: &Plan) -> Links {
        let nodes = plan.order.clone();
        let mut index = vec![u32::MAX; resolved.len()];
        for (i, &n) in nodes.iter().enumerate() {
            index[n] = i as u32;
        }
        let mut adj: Vec<Vec<u32>> = vec![Vec::new(); nodes.len()];
        for (i, &src) in nodes.iter().enumerate() {
            for r in &resolved[src] {
                if let Resolved::Note { note, .. } = r {
                    let j = index[*note];
                    if j != u32::MAX && j as usize != i {
                        adj[i].push(j);
                        adj[j as usize].push(i as u32);
                    }
                }
            }
        }
        adj.par_iter_mut().for_each(|v| {
            v.sort_unstable();
            v.dedup();
        });
        Links { nodes, adj }
    }

    /// How many links (each pair of notes once).
    pub(crate) fn edges(&self) -> usize {
        self.adj.iter().map(Vec::len).sum::<usize>() / 2
    }
}

/// The graph of the last build, kept so that the next one lays out and draws only what its
/// edit changed.
///
/// The vault layout is most of the graph's cost, and an edit in a live preview rarely adds or
/// removes a note. In serve ([`LayoutCache::live`]), while the notes are the same, a rebuild
/// keeps their positions and draws the current links between them: an added link shows at
/// once, and the picture stays where the reader left it. The vault picture itself is kept while
/// the links and titles are the same.
///
/// `build` keeps the same between runs on disk ([`LayoutCache::load`], [`LayoutCache::save`];
/// `emit` reads it), exactly: there the positions are kept only when the links are the same too,
/// so a built book's layout is always the one its links give, and the vault picture is left in
/// the emitted tree the last build wrote.
#[derive(Default)]
pub(crate) struct LayoutCache {
    kept: std::sync::Mutex<Option<Kept>>,
    /// Keep the positions only for the same links (`build`), not only for the same notes.
    exact: bool,
    /// The emitted tree the kept vault picture is read back from, when it is not in memory.
    tree: Option<std::path::PathBuf>,
}

/// What [`LayoutCache`] keeps.
struct Kept {
    /// The folder of the data scripts in the emitted tree.
    dir: String,
    pages: Vec<String>,
    titles: Vec<String>,
    adj: Vec<Vec<u32>>,
    positions: std::sync::Arc<Vec<Point>>,
    /// The vault picture's data script, in memory (serve), or the SHA-256 of the one the last
    /// build wrote, left where it is if it is the same ([`Output::kept`]).
    vault: Option<Vault>,
}

/// [`Kept`] on disk, positions as bit patterns so that they read back exactly.
#[derive(serde::Serialize, serde::Deserialize)]
struct Saved {
    /// Names the vaultbook executable that wrote it: a record in a checked-out tree (the work
    /// dir is inside the book) is not one this executable made, and is not read.
    maker: String,
    dir: String,
    pages: Vec<String>,
    titles: Vec<String>,
    adj: Vec<Vec<u32>>,
    positions: Vec<[u64; 2]>,
    /// The SHA-256 of the vault picture's data script as written (hex).
    vault: Option<String>,
}

impl LayoutCache {
    /// A cache for a live preview: positions kept while the notes are the same.
    pub(crate) fn live() -> LayoutCache {
        LayoutCache::default()
    }

    /// The graph the last `build` saved at `record` (by the executable `maker` names), its
    /// vault picture to be read from the emitted tree at `tree`; an empty exact cache if there
    /// is none or it does not hold together.
    pub(crate) fn load(
        record: &std::path::Path,
        tree: &std::path::Path,
        maker: &str,
    ) -> LayoutCache {
        let saved: Option<Saved> = std::fs::read(record)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .filter(|s: &Saved| {
                let n = s.pages.len();
                s.maker == maker
                    && s.titles.len() == n
                    && s.positions.len() == n
                    && s.adj.len() == n
                    && s.adj.iter().flatten().all(|&j| (j as usize) < n)
            });
        let kept = saved.map(|s| Kept {
            dir: s.dir,
            pages: s.pages,
            titles: s.titles,
            adj: s.adj,
            positions: std::sync::Arc::new(
                s.positions
                    .iter()
                    .map(|[x, y]| [f64::from_bits(*x), f64::from_bits(*y)])
                    .collect(),
            ),
            vault: s
                .vault
                .as_deref()
                .and_then(crate::snippets::cache::unhex_digest)
                .map(Vault::OnDisk),
        });
        LayoutCache {
            kept: std::sync::Mutex::new(kept),
            exact: true,
            tree: Some(tree.to_path_buf()),
        }
    }

    /// Saves what the last [`build`] kept at `record`, for the next `build` (whose emitted tree
    /// is the one just written, with `digests` its files' SHA-256); removes `record` if there
    /// is nothing to save.
    pub(crate) fn save(
        &self,
        record: &std::path::Path,
        maker: &str,
        digests: &std::collections::BTreeMap<String, [u8; 32]>,
    ) {
        let slot = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        let bytes = slot.as_ref().and_then(|k| {
            serde_json::to_vec(&Saved {
                maker: maker.to_string(),
                dir: k.dir.clone(),
                pages: k.pages.clone(),
                titles: k.titles.clone(),
                adj: k.adj.clone(),
                positions: k
                    .positions
                    .iter()
                    .map(|[x, y]| [x.to_bits(), y.to_bits()])
                    .collect(),
                vault: digests
                    .get(&format!("src/{}/vault.js", k.dir))
                    .map(|d| crate::snippets::cache::hex(d)),
            })
            .ok()
        });
        match bytes {
            Some(b) if std::fs::write(record, &b).is_ok() => {}
            _ => {
                let _ = std::fs::remove_file(record);
            }
        }
    }
}

/// What the graph adds to the book (the boxes that show it are [`footers`]).
pub(crate) struct Output {
    /// Data scripts: path in the emitted tree (under `src/`) → bytes.
    pub files: Vec<(String, std::sync::Arc<[u8]>)>,
    /// Data scripts that are the last build's, left in its emitted tree (`kept_in`) unread:
    /// path → SHA-256.
    pub kept: Vec<(String, [u8; 32])>,
    /// The emitted tree of `kept`.
    pub kept_in: Option<std::path::PathBuf>,
    /// The markdown of the whole-vault graph page.
    pub page: String,
}

/// Per note: the "Graph" box ending its page, naming the links table and the page (empty for a
/// note without links, which has no graph). Known from the links alone, so that the pages are
/// assembled while the vault graph is laid out ([`crate::emit::build_tree`]).
pub(crate) fn footers(links: &Links, plan: &Plan, notes: usize) -> Vec<String> {
    let mut out = vec![String::new(); notes];
    for (i, &note) in links.nodes.iter().enumerate() {
        if links.adj[i].is_empty() {
            continue;
        }
        let page = plan.chapter[note].as_deref().unwrap_or("");
        out[note] = footer(&plan.graph_dir, page);
    }
    out
}

/// The links table, the vault graph and its page; the vault graph's positions come from
/// `cache` when it holds them for these notes.
pub(crate) fn build(
    links: &Links,
    notes: &[Note],
    plan: &Plan,
    cache: Option<&LayoutCache>,
) -> Output {
    let dir = &plan.graph_dir;
    let pages: Vec<&str> = links
        .nodes
        .iter()
        .map(|&n| plan.chapter[n].as_deref().unwrap_or(""))
        .collect();
    let titles: Vec<&str> = links
        .nodes
        .iter()
        .map(|&n| notes[n].title.as_str())
        .collect();

    let mut slot = cache.map(|c| c.kept.lock().unwrap_or_else(|e| e.into_inner()));
    let exact = cache.is_some_and(|c| c.exact);
    let tree = cache.and_then(|c| c.tree.as_deref());
    // The last build's graph, when it had the same notes in the same order (a loaded record
    // was checked to hold together).
    let kept = slot
        .as_mut()
        .and_then(|s| s.take())
        .filter(|k| &k.dir == dir && k.pages.iter().map(String::as_str).eq(pages.iter().copied()));
    let vault_key = format!("{dir}/vault.js");
    let (positions, vault) = match kept {
        Some(k) => {
            let same_links = k.adj == links.adj;
            // The same notes, links and titles draw the same vault picture: the one in memory,
            // or the one the last build wrote, if it is still there.
            let vault = (same_links
                && k.titles
                    .iter()
                    .map(String::as_str)
                    .eq(titles.iter().copied()))
            .then_some(k.vault)
            .flatten()
            .filter(|v| match v {
                Vault::Bytes(_) => true,
                Vault::OnDisk(_) => tree.is_some_and(|t| t.join("src").join(&vault_key).is_file()),
            });
            let positions = if exact && !same_links {
                std::sync::Arc::new(vault_layout(links, &pages))
            } else {
                k.positions
            };
            (positions, vault)
        }
        None => (std::sync::Arc::new(vault_layout(links, &pages)), None),
    };
    let vault = vault.unwrap_or_else(|| {
        let hrefs: Vec<String> = pages.iter().map(|p| href(p)).collect();
        Vault::Bytes(data_script(
            &vault_key,
            &vault_picture(links, &positions, &hrefs, &titles),
        ))
    });
    let mut files = vec![(
        format!("src/{dir}/{LINKS_FILE}"),
        links_script(&pages, &titles, &links.adj),
    )];
    let mut kept_files = Vec::new();
    match &vault {
        Vault::Bytes(bytes) => files.push((format!("src/{vault_key}"), bytes.clone())),
        Vault::OnDisk(digest) => kept_files.push((format!("src/{vault_key}"), *digest)),
    }
    if let Some(slot) = slot.as_mut() {
        **slot = Some(Kept {
            dir: dir.clone(),
            pages: pages.iter().map(|p| p.to_string()).collect(),
            titles: titles.iter().map(|t| t.to_string()).collect(),
            adj: links.adj.clone(),
            positions,
            // A build's next run is in another process, which reads the record instead.
            vault: Some(vault),
        });
    }
    let page = format!(
        "# {}\n\n<p class=\"vb-graph-info\">{} notes, {} links. A note's title shows when the \
         pointer rests on it; a click opens it.</p>\n\n<div class=\"vb-graph-vault\" \
         {DATA_ATTR}=\"/{}\"></div>\n",
        plan.graph_title,
        links.nodes.len(),
        links.edges(),
        crate::templates::html_escape(&vault_key),
    );
    let kept_in = (!kept_files.is_empty())
        .then(|| tree.map(std::path::Path::to_path_buf))
        .flatten();
    Output {
        files,
        kept: kept_files,
        kept_in,
        page,
    }
}

/// The vault picture of a run.
enum Vault {
    Bytes(std::sync::Arc<[u8]>),
    /// The last build's, left in its emitted tree unread, with its SHA-256.
    OnDisk([u8; 32]),
}

/// How long the vault graph takes to build and lay out, for the benchmark: the graph of the
/// analysed book, its layout, and the whole of [`build`] (every local graph too), with the
/// bytes of the data it writes.
pub fn measure(
    config: &crate::Config,
    analysis: &crate::Analysis,
) -> anyhow::Result<(Duration, Duration, usize)> {
    let plan = crate::emit::plan::plan(
        config,
        &analysis.notes,
        &analysis.attachments,
        &analysis.tera,
        false,
        true,
    )?;
    let t = Instant::now();
    let links = Links::new(&analysis.resolved, &plan);
    let pages: Vec<&str> = links
        .nodes
        .iter()
        .map(|&n| plan.chapter[n].as_deref().unwrap_or(""))
        .collect();
    std::hint::black_box(vault_layout(&links, &pages));
    let layout = t.elapsed();
    let t = Instant::now();
    let out = build(&links, &analysis.notes, &plan, None);
    let all = t.elapsed();
    let bytes = out.files.iter().map(|(_, b)| b.len()).sum();
    Ok((layout, all, bytes))
}

/// The links table's file name in the graph's folder.
const LINKS_FILE: &str = "links.js";

/// The "Graph" box ending the page of chapter `page`, whose graph is drawn from the links table
/// in the graph's folder `dir`. It names the page by its path, not by its place in the table,
/// so that a note added elsewhere changes no other page.
fn footer(dir: &str, page: &str) -> String {
    format!(
        "<details class=\"vb-graph\" {DATA_ATTR}=\"/{}\" data-vb-page=\"{}\">\n<summary>Graph</summary>\n</details>\n",
        crate::templates::html_escape(&format!("{dir}/{LINKS_FILE}")),
        crate::templates::html_escape(stem(page)),
    )
}

/// The links table `graph.js` draws the local graphs from: per note, its page from the root
/// (without `.html`), its title, and its neighbours after it in the table, as differences
/// (each from the one before, the first from the note's own place): small numbers, 1.4
/// MB at 10,000 notes of 25 links. Titles stay plain text: the page script puts them into
/// the picture as text nodes, never as markup.
fn links_script(pages: &[&str], titles: &[&str], adj: &[Vec<u32>]) -> std::sync::Arc<[u8]> {
    #[derive(serde::Serialize)]
    struct Table<'a> {
        page: Vec<&'a str>,
        title: Vec<&'a str>,
        next: Vec<Vec<u32>>,
    }
    let next = adj
        .par_iter()
        .enumerate()
        .map(|(i, v)| {
            let mut last = i as u32;
            v.iter()
                .filter(|&&j| j as usize > i)
                .map(|&j| {
                    let d = j - last;
                    last = j;
                    d
                })
                .collect()
        })
        .collect();
    let table = Table {
        page: pages.iter().map(|p| stem(p)).collect(),
        title: titles.to_vec(),
        next,
    };
    let json = serde_json::to_vec(&table).unwrap_or_default();
    let mut out = Vec::with_capacity(json.len() + 64);
    out.extend_from_slice(b"window.vbGraph&&vbGraph.links(");
    // `<` and `>` only occur inside the JSON's strings: written as escapes there, no file of
    // the book holds a title's markup as it stands, whatever reads it.
    for &b in &json {
        match b {
            b'<' => out.extend_from_slice(b"\\u003c"),
            b'>' => out.extend_from_slice(b"\\u003e"),
            b => out.push(b),
        }
    }
    out.extend_from_slice(b");\n");
    out.into()
}

/// The pages a links table links to, from the root, as they are once drawn (`None` when the
/// script is not a links table).
fn links_of(script: &str) -> Option<Vec<String>> {
    #[derive(serde::Deserialize)]
    struct Table {
        page: Vec<String>,
    }
    let json = script
        .trim_end()
        .strip_prefix("window.vbGraph&&vbGraph.links(")?
        .strip_suffix(");")?;
    let table: Table = serde_json::from_str(json).ok()?;
    Some(table.page.iter().map(|p| format!("{p}.html")).collect())
}

/// The chapter path without `.md`.
fn stem(page: &str) -> &str {
    page.strip_suffix(".md").unwrap_or(page)
}

/// The URL of a chapter from the book's root, as mdBook renders it.
fn href(page: &str) -> String {
    format!("{}.html", stem(page))
}

/// The data script of one picture: it hands the markup to `graph.js`, by the key the page
/// names it with.
fn data_script(key: &str, markup: &str) -> std::sync::Arc<[u8]> {
    // Two JSON strings are two JavaScript string literals, written into one buffer and copied
    // once into the shared bytes. The markup made in `svg` is already a string literal's body
    // (no `"`, `\` or control character): it is only checked, in one pass of comparisons,
    // and escaped only if it is not.
    let mut out = Vec::with_capacity(markup.len() + key.len() + 40);
    out.extend_from_slice(b"window.vbGraph&&vbGraph.add(");
    let _ = serde_json::to_writer(&mut out, key);
    out.push(b',');
    if markup.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push(b'"');
        out.extend_from_slice(markup.as_bytes());
        out.push(b'"');
    } else {
        let _ = serde_json::to_writer(&mut out, markup);
    }
    out.extend_from_slice(b");\n");
    out.into()
}

/// What a data script puts into a page, for `check --html`: the vault picture's markup, or
/// for the links table a link to every page its pictures can link to (`None` when it is
/// neither).
pub(crate) fn markup_of(script: &str) -> Option<String> {
    if let Some(pages) = links_of(script) {
        return Some(
            pages
                .iter()
                .map(|p| format!("<a href=\"{}\"></a>", crate::templates::html_escape(p)))
                .collect(),
        );
    }
    let args = script
        .trim_end()
        .strip_prefix("window.vbGraph&&vbGraph.add(")?
        .strip_suffix(");")?;
    let (_, markup): (String, String) = serde_json::from_str(&format!("[{args}]")).ok()?;
    Some(markup)
}

/// Starting seeds from the pages' paths (FNV-1a): a note keeps its start when others are added.
fn seeds(pages: &[&str]) -> Vec<u64> {
    pages
        .iter()
        .map(|p| {
            p.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
            })
        })
        .collect()
}

fn vault_layout(links: &Links, pages: &[&str]) -> Vec<Point> {
    layout::force(&links.adj, &seeds(pages))
}

/// A dot's radius by its number of links.
fn radius(degree: usize, base: f64) -> f64 {
    base + (degree as f64).sqrt().min(8.0) * 0.7
}

/// The whole vault: the force layout scaled to a picture with about 24 px of room a note
/// (at least the page's width), labels on every note of a small vault, on the hubs of a big one.
fn vault_picture(links: &Links, pos: &[Point], hrefs: &[String], titles: &[&str]) -> String {
    let n = links.nodes.len();
    let (mut x0, mut y0, mut x1, mut y1) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    if let Some(first) = pos.first() {
        (x0, y0, x1, y1) = (first[0], first[1], first[0], first[1]);
    }
    for p in pos {
        x0 = x0.min(p[0]);
        y0 = y0.min(p[1]);
        x1 = x1.max(p[0]);
        y1 = y1.max(p[1]);
    }
    let side = (24.0 * (n as f64).sqrt()).max(720.0);
    // Room for half a centred label at the sides, a label's line below.
    let (mx, my) = (90.0, 30.0);
    let span = (x1 - x0).max(y1 - y0).max(1e-9);
    let scale = (side - 2.0 * mx) / span;
    let (w, h) = ((x1 - x0) * scale + 2.0 * mx, (y1 - y0) * scale + 2.0 * my);
    let mut hubs: Vec<usize> = (0..n).collect();
    hubs.sort_by_key(|&i| (std::cmp::Reverse(links.adj[i].len()), i));
    let mut labelled = vec![n <= LABEL_ALL; n];
    if n > LABEL_ALL {
        for &i in hubs.iter().take((n / 6).clamp(15, LABEL_HUBS)) {
            labelled[i] = true;
        }
    }
    let dots = (0..n)
        .map(|i| Dot {
            at: [(pos[i][0] - x0) * scale + mx, (pos[i][1] - y0) * scale + my],
            r: radius(links.adj[i].len(), 2.5),
            node: i as u32,
            label: if labelled[i] {
                Label::Below
            } else {
                Label::None
            },
        })
        .collect();
    let edges: Vec<(u32, u32)> = links
        .adj
        .iter()
        .enumerate()
        .flat_map(|(i, v)| {
            v.iter()
                .filter(move |&&j| (j as usize) > i)
                .map(move |&j| (i as u32, j))
        })
        .collect();
    let picture = Picture {
        view: [0.0, 0.0, w, h],
        size: (side > 800.0).then_some([w, h]),
        dots,
        edges,
        font: 11.0,
        decimals: if n > 2000 { 0 } else { 1 },
        label: format!("Link graph of the book: {n} notes"),
    };
    svg::svg(&picture, hrefs, titles)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_graph_record_is_read_only_from_this_executable_and_whole() {
        let dir = tempfile::tempdir().unwrap();
        let record = dir.path().join("graph.json");
        let write = |maker: &str, adj: Vec<Vec<u32>>| {
            let saved = Saved {
                maker: maker.into(),
                dir: "vaultbook-graph".into(),
                pages: vec!["a.md".into(), "b.md".into()],
                titles: vec!["A".into(), "B".into()],
                adj,
                positions: vec![[0, 0], [1, 1]],
                vault: None,
            };
            std::fs::write(&record, serde_json::to_vec(&saved).unwrap()).unwrap();
        };
        let kept = |maker: &str| {
            let cache = LayoutCache::load(&record, dir.path(), maker);
            cache.kept.lock().unwrap().is_some()
        };
        write("me", vec![vec![1], vec![0]]);
        assert!(kept("me"));
        // Checked in with the book, or left by another vaultbook: not trusted.
        assert!(!kept("someone else"));
        // A neighbour that is no node would index out of the graph.
        write("me", vec![vec![7], vec![0]]);
        assert!(!kept("me"));
        std::fs::write(&record, b"{not json").unwrap();
        assert!(!kept("me"));
    }

    #[test]
    fn data_scripts_read_back() {
        let markup = "<svg><a href=\"a.html\"><title>\"x\" </script></title></a></svg>\u{2028}";
        let script =
            String::from_utf8(data_script("vaultbook-graph/vault.js", markup).to_vec()).unwrap();
        assert_eq!(markup_of(&script).as_deref(), Some(markup));
        assert_eq!(markup_of("alert(1)"), None);
    }

    #[test]
    fn a_picture_stands_in_its_script_as_made() {
        // Titles with every character a string literal would need escaped.
        let titles = ["C:\\x \"q\" 'a'\u{1}\t</script>", "B\\"];
        let hrefs = ["a.html".to_string(), "b\\.html".to_string()];
        let links = Links {
            nodes: vec![0, 1],
            adj: vec![vec![1], vec![0]],
        };
        let markup = vault_picture(&links, &[[0.0, 0.0], [1.0, 1.0]], &hrefs, &titles);
        assert!(!markup.contains(['"', '\\', '\u{1}', '\t']), "{markup}");
        let script = String::from_utf8(data_script("k.js", &markup).to_vec()).unwrap();
        assert!(script.contains(&markup), "written as made: {script}");
        assert_eq!(markup_of(&script).as_deref(), Some(markup.as_str()));
        assert!(markup.contains("C:&#92;x &quot;q&quot; &#39;a&#39;  &lt;/script&gt;"));
    }

    #[test]
    fn the_links_table_reads_back_and_keeps_titles_as_text() {
        let pages = ["a.md", "deep/b.md", "c.md"];
        let titles = ["</script><img src=x>", "B \"q\"", "C"];
        let adj = vec![vec![1, 2], vec![0], vec![0]];
        let script = String::from_utf8(links_script(&pages, &titles, &adj).to_vec()).unwrap();
        // Node 0 links to 1 and 2 (differences 1, 1); the others only to an earlier node.
        assert!(script.contains("\"next\":[[1,1],[],[]]"), "{script}");
        assert!(
            script.contains("\"page\":[\"a\",\"deep/b\",\"c\"]"),
            "{script}"
        );
        assert_eq!(
            links_of(&script).unwrap(),
            ["a.html", "deep/b.html", "c.html"]
        );
        assert!(!script.contains(['<', '>']), "{script}");
        assert!(
            script.contains("\\u003c/script\\u003e\\u003cimg src=x\\u003e"),
            "{script}"
        );
        let markup = markup_of(&script).unwrap();
        assert!(markup.contains("<a href=\"deep/b.html\"></a>"), "{markup}");
        assert!(!markup.contains("img"), "{markup}");
    }
}
