//! The link graph: each page's local graph (the notes it links to and that link to it, two
//! links deep) and a whole-vault graph page, laid out when the book is built.
//!
//! Built from the links the resolver already decided (`Resolved::Note`, embeds included, as
//! Obsidian's graph counts them), between published notes, without direction. The pictures are
//! SVG markup made here ([`svg`]) at positions decided here ([`layout`]): the reader's browser
//! runs no simulation, so a 10,000-note vault costs nothing until the graph is opened.
//!
//! Each picture is one small data script (`vaultbook-graph/pages/<page>.js`, the vault's
//! `vaultbook-graph/vault.js`) that `graph.js` injects when the reader opens the page's
//! "Graph" box or the graph page: scripts, not JSON, since browsers refuse `fetch()` from
//! `file://`, and separate files so that no page carries its graph's weight. The markup goes
//! into the page itself (not an `<img>`, whose links could not be followed; not an `<object>`,
//! which would not see the theme's colours), with every URL written from the book's root.

pub(crate) mod layout;
pub(crate) mod svg;

use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::emit::plan::Plan;
use crate::links::{NoteId, Resolved};
use crate::vault::Note;
use layout::Point;
use svg::{Dot, Label, Names, Picture};

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

/// Notes one link away shown at most in a local graph (the most linked first).
const LOCAL_FIRST: usize = 24;
/// Notes shown at most in a local graph, the page's own included.
const LOCAL_MAX: usize = 48;
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

/// The graph of the last build, kept so that the next one redoes only what its edit changed.
///
/// - **The vault layout** is most of the graph's cost (2.3 s at 10,000 notes, more than the rest
///   of a serve rebuild), and an edit in a live preview rarely adds or removes a note. In serve
///   ([`LayoutCache::live`]), while the notes are the same, a rebuild keeps their positions and
///   draws the current links between them: an added link shows at once, and the picture stays
///   where the reader left it.
/// - **A local graph** shows a note's links two deep, with the degrees of the notes it shows.
///   It is drawn again only when a note within two links of it (before or after the edit)
///   changed its links or its title; the others are the last build's, byte for byte the same as
///   drawing them again.
///
/// `build` keeps the same between runs on disk ([`LayoutCache::load`], [`LayoutCache::save`];
/// `emit` reads it), exactly: there the positions are kept only when the links are the same too,
/// so a built book's layout is always the one its links give, and the local graphs are read back
/// from the emitted tree the last build wrote.
#[derive(Default)]
pub(crate) struct LayoutCache {
    kept: std::sync::Mutex<Option<Kept>>,
    /// Keep the positions only for the same links (`build`), not only for the same notes.
    exact: bool,
    /// The emitted tree the kept local graphs are read back from, when they are not in memory.
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
    vault: Option<std::sync::Arc<[u8]>>,
    /// `None` when loaded from disk: read from [`LayoutCache::tree`].
    locals: Option<Vec<Option<Local>>>,
    /// Loaded from disk: the SHA-256 of each data script the last build wrote (`None` for a
    /// node without links), and of the vault's, so that those that stay the same are left
    /// where they are, unread ([`Output::kept`]).
    scripts: Option<Scripts>,
}

/// Per node, the SHA-256 of its data script as the last build wrote it (`None`: no script),
/// and the vault picture's.
type Scripts = (Vec<Option<[u8; 32]>>, Option<[u8; 32]>);

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
    /// Per node, the SHA-256 of its data script as written (hex; `None`: no script).
    scripts: Vec<Option<String>>,
    /// The vault picture's.
    vault: Option<String>,
}

impl LayoutCache {
    /// A cache for a live preview: positions kept while the notes are the same.
    pub(crate) fn live() -> LayoutCache {
        LayoutCache::default()
    }

    /// The graph the last `build` saved at `record` (by the executable `maker` names), its
    /// local graphs to be read from the emitted tree at `tree`; an empty exact cache if there
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
                    && s.scripts.len() == n
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
            vault: None,
            locals: None,
            scripts: Some((
                s.scripts
                    .iter()
                    .map(|d| d.as_deref().and_then(crate::snippets::cache::unhex_digest))
                    .collect(),
                s.vault
                    .as_deref()
                    .and_then(crate::snippets::cache::unhex_digest),
            )),
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
        let hex = |path: String| digests.get(&path).map(|d| crate::snippets::cache::hex(d));
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
                scripts: k
                    .pages
                    .iter()
                    .zip(&k.adj)
                    .map(|(page, adj)| {
                        let path = format!("src/{}", script_key(&k.dir, page));
                        if adj.is_empty() { None } else { hex(path) }
                    })
                    .collect(),
                vault: hex(format!("src/{}/vault.js", k.dir)),
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

/// One local graph: its data script's path in the emitted tree and its bytes.
type Local = (String, std::sync::Arc<[u8]>);

/// The nodes within two links of a node of `changed`, in the graph `adj`, marked in `out`.
fn within_two(adj: &[Vec<u32>], changed: &[usize], out: &mut [bool]) {
    for &c in changed {
        out[c] = true;
        for &i in &adj[c] {
            out[i as usize] = true;
            for &j in &adj[i as usize] {
                out[j as usize] = true;
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

/// Per note: the "Graph" box ending its page, naming the page's data script (empty for a note
/// without links, which has none). Known from the links alone, before any picture is drawn, so
/// that the pages are assembled while the graph is laid out ([`crate::emit::build_tree`]).
pub(crate) fn footers(links: &Links, plan: &Plan, notes: usize) -> Vec<String> {
    let mut out = vec![String::new(); notes];
    for (i, &note) in links.nodes.iter().enumerate() {
        if links.adj[i].is_empty() {
            continue;
        }
        let page = plan.chapter[note].as_deref().unwrap_or("");
        out[note] = footer(&script_key(&plan.graph_dir, page));
    }
    out
}

/// The local graphs, the vault graph and its page; the vault graph's positions come from
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
    let n = links.nodes.len();
    let (reused, positions, vault): (Vec<Reuse>, _, Option<Vault>) = match kept {
        Some(k) => {
            let changed: Vec<usize> = (0..n)
                .filter(|&i| k.adj[i] != links.adj[i] || k.titles[i] != titles[i])
                .collect();
            let mut stale = vec![false; n];
            within_two(&k.adj, &changed, &mut stale);
            within_two(&links.adj, &changed, &mut stale);
            // A script the last build wrote is left where it is, if it is still there.
            let on_disk = |key: &str, digest: Option<[u8; 32]>| {
                let there = tree.is_some_and(|t| t.join("src").join(key).is_file());
                digest.filter(|_| there)
            };
            let scripts = k.scripts.as_ref();
            // The same notes, links and titles draw the same vault picture: the one in memory,
            // or the one the last build wrote (redrawing it is a tenth of a build after an edit
            // at 10,000 notes).
            let vault = match (changed.is_empty(), k.vault) {
                (false, _) => None,
                (true, Some(bytes)) => Some(Vault::Bytes(bytes)),
                (true, None) => on_disk(&format!("{dir}/vault.js"), scripts.and_then(|s| s.1))
                    .map(Vault::OnDisk),
            };
            let reused = match (k.locals, scripts) {
                (Some(locals), _) => locals
                    .into_iter()
                    .zip(&stale)
                    .map(|(local, &s)| if s { Reuse::Draw } else { Reuse::Same(local) })
                    .collect(),
                (None, Some((digests, _))) => (0..n)
                    .into_par_iter()
                    .map(|i| {
                        if stale[i] {
                            return Reuse::Draw;
                        }
                        // Not stale: its links are the last build's.
                        if k.adj[i].is_empty() {
                            return Reuse::Same(None);
                        }
                        let key = script_key(dir, pages[i]);
                        match on_disk(&key, digests[i]) {
                            Some(d) => Reuse::OnDisk(format!("src/{key}"), d),
                            None => Reuse::Draw,
                        }
                    })
                    .collect(),
                (None, None) => (0..n).map(|_| Reuse::Draw).collect(),
            };
            let positions = if exact && k.adj != links.adj {
                std::sync::Arc::new(vault_layout(links, &pages))
            } else {
                k.positions
            };
            (reused, positions, vault)
        }
        None => (
            (0..n).map(|_| Reuse::Draw).collect(),
            std::sync::Arc::new(vault_layout(links, &pages)),
            None,
        ),
    };
    let names = Names::new(&pages.iter().map(|p| href(p)).collect::<Vec<_>>(), &titles);
    let vault_key = format!("{dir}/vault.js");
    let vault = vault.unwrap_or_else(|| {
        let vault = vault_picture(links, &positions, &names);
        Vault::Bytes(data_script(&vault_key, &vault))
    });
    let mut files = Vec::new();
    let mut kept_files = Vec::new();
    let vault_bytes = match vault {
        Vault::Bytes(bytes) => {
            files.push((format!("src/{vault_key}"), bytes.clone()));
            Some(bytes)
        }
        Vault::OnDisk(digest) => {
            kept_files.push((format!("src/{vault_key}"), digest));
            None
        }
    };

    let locals: Vec<Reuse> = reused
        .into_par_iter()
        .enumerate()
        .map_init(
            || Scratch::new(links.nodes.len()),
            |scratch, (i, reuse)| {
                if !matches!(reuse, Reuse::Draw) {
                    return reuse;
                }
                if links.adj[i].is_empty() {
                    return Reuse::Same(None);
                }
                let key = script_key(dir, pages[i]);
                let markup = local_picture(links, i, &titles, &names, scratch);
                Reuse::Same(Some((format!("src/{key}"), data_script(&key, &markup))))
            },
        )
        .collect();
    // Kept in memory for the next run when all are in memory (serve); a build's next run is
    // in another process, which reads the record.
    let in_memory: Option<Vec<Option<Local>>> = slot
        .is_some()
        .then(|| {
            locals
                .iter()
                .map(|r| match r {
                    Reuse::Same(local) => Some(local.clone()),
                    _ => None,
                })
                .collect::<Option<Vec<_>>>()
        })
        .flatten();
    for reuse in locals {
        match reuse {
            Reuse::Same(Some((path, bytes))) => files.push((path, bytes)),
            Reuse::OnDisk(path, digest) => kept_files.push((path, digest)),
            Reuse::Same(None) | Reuse::Draw => {}
        }
    }
    if let Some(slot) = slot.as_mut() {
        **slot = Some(Kept {
            dir: dir.clone(),
            pages: pages.iter().map(|p| p.to_string()).collect(),
            titles: titles.iter().map(|t| t.to_string()).collect(),
            adj: links.adj.clone(),
            positions,
            vault: vault_bytes,
            locals: in_memory,
            scripts: None,
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

/// What becomes of one node's local graph in a run.
enum Reuse {
    /// Drawn (again).
    Draw,
    /// The last run's, in memory, or drawn in this one (`None`: a node without links).
    Same(Option<Local>),
    /// The last build's, left in its emitted tree unread: the script's path in the tree and
    /// its SHA-256.
    OnDisk(String, [u8; 32]),
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

/// The "Graph" box ending a page whose graph is the data script `key`.
fn footer(key: &str) -> String {
    format!(
        "<details class=\"vb-graph\" {DATA_ATTR}=\"/{}\">\n<summary>Graph</summary>\n</details>\n",
        crate::templates::html_escape(key)
    )
}

/// The data script of the local graph of the chapter `page`, from the book's root (`dir`: the
/// graph's folder).
fn script_key(dir: &str, page: &str) -> String {
    format!("{dir}/pages/{}.js", stem(page))
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

/// The markup inside a data script, for `check --html` (`None` when it is not one).
pub(crate) fn markup_of(script: &str) -> Option<String> {
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
fn vault_picture(links: &Links, pos: &[Point], names: &Names) -> String {
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
            here: false,
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
        near: Vec::new(),
        edges,
        font: 11.0,
        decimals: if n > 2000 { 0 } else { 1 },
        label: format!("Link graph of the book: {n} notes"),
    };
    svg::svg(&picture, names)
}

/// Per-thread marks for finding a note's neighbourhood without a hash map per page.
struct Scratch {
    /// The round in which a node was last seen, per node.
    seen: Vec<u32>,
    /// Per node: how many of the shown first ring link to it (valid where `seen` is this round).
    count: Vec<u32>,
    /// Per node: its place among the shown notes of the picture being drawn, else `u32::MAX`.
    slot: Vec<u32>,
    round: u32,
}

impl Scratch {
    fn new(n: usize) -> Scratch {
        Scratch {
            seen: vec![0; n],
            count: vec![0; n],
            slot: vec![u32::MAX; n],
            round: 0,
        }
    }
}

/// The local graph of node `c`: the page's note in the middle, the notes one link away around
/// it (the most linked first, at most [`LOCAL_FIRST`], in reading order around the ring), and
/// on an outer ring the notes two links away that most of those link to, beside the first of
/// them they link to; at most [`LOCAL_MAX`] in all, and a line saying how many more there are.
fn local_picture(
    links: &Links,
    c: usize,
    titles: &[&str],
    names: &Names,
    s: &mut Scratch,
) -> String {
    let adj = &links.adj;
    let deg = |i: u32| adj[i as usize].len();
    let mut first: Vec<u32> = adj[c].clone();
    first.sort_by_key(|&i| (std::cmp::Reverse(deg(i)), i));
    let all_first = first.len();
    first.truncate(LOCAL_FIRST);
    first.sort_unstable();

    // Marks of this round: the middle and the first ring (shown or not), the second ring
    // reached from a shown note, the second ring reached only through hidden ones.
    if s.round > u32::MAX - 3 {
        s.seen.iter_mut().for_each(|v| *v = 0);
        s.round = 0;
    }
    let (near_mark, cand_mark, any_mark) = (s.round + 1, s.round + 2, s.round + 3);
    s.round += 3;
    s.seen[c] = near_mark;
    for &i in &adj[c] {
        s.seen[i as usize] = near_mark;
    }
    let mut second: Vec<u32> = Vec::new();
    for &i in &first {
        for &j in &adj[i as usize] {
            let ju = j as usize;
            if s.seen[ju] == near_mark {
                continue;
            }
            if s.seen[ju] != cand_mark {
                s.seen[ju] = cand_mark;
                s.count[ju] = 0;
                second.push(j);
            }
            s.count[ju] += 1;
        }
    }
    let mut all_second = second.len();
    for &i in &adj[c] {
        if first.binary_search(&i).is_ok() {
            continue;
        }
        for &j in &adj[i as usize] {
            let seen = &mut s.seen[j as usize];
            if *seen != near_mark && *seen != cand_mark && *seen != any_mark {
                *seen = any_mark;
                all_second += 1;
            }
        }
    }
    // The most linked of the second ring, by a key made once per note (a hub's second ring is
    // hundreds of notes, of which a few dozen are shown): the ones kept are picked, then only
    // they are sorted. Keys are distinct (`j` ends each), so this is the order a full sort gives.
    let keep = LOCAL_MAX.saturating_sub(1 + first.len());
    let mut ranked: Vec<_> = second
        .iter()
        .map(|&j| {
            (
                std::cmp::Reverse(s.count[j as usize]),
                std::cmp::Reverse(deg(j)),
                j,
            )
        })
        .collect();
    if ranked.len() > keep {
        if keep > 0 {
            ranked.select_nth_unstable(keep - 1);
        }
        ranked.truncate(keep);
    }
    // Beside its first shown neighbour in the inner ring.
    let parent = |j: u32| {
        first
            .iter()
            .position(|&i| adj[i as usize].binary_search(&j).is_ok())
            .unwrap_or(0)
    };
    let mut placed: Vec<(usize, u32)> = ranked.iter().map(|&(_, _, j)| (parent(j), j)).collect();
    placed.sort_unstable();
    let second: Vec<u32> = placed.into_iter().map(|(_, j)| j).collect();
    let hidden = (all_first - first.len()) + (all_second - second.len());

    let tau = std::f64::consts::TAU;
    let top = -tau / 4.0;
    let r1 = (first.len() as f64 * 18.0 / tau).max(80.0);
    let r2 = (second.len() as f64 * 15.0 / tau).max(r1 + 90.0);
    let mut shown: Vec<(u32, Point, Label)> = vec![(c as u32, [0.0, 0.0], Label::Below)];
    let angle = |k: usize, of: usize| top + tau * k as f64 / of as f64;
    for (k, (&i, p)) in first
        .iter()
        .zip(layout::ring(first.len(), r1, top))
        .enumerate()
    {
        shown.push((i, p, Label::Radial(angle(k, first.len()))));
    }
    for (k, (&j, p)) in second
        .iter()
        .zip(layout::ring(second.len(), r2, top))
        .enumerate()
    {
        shown.push((j, p, Label::Radial(angle(k, second.len()))));
    }
    let outer = if second.is_empty() { r1 } else { r2 };
    // Room for the longest label beyond the outer ring (about 6.5 px a character at 11 px).
    let longest = shown
        .iter()
        .map(|&(node, _, _)| svg::label_chars(titles[node as usize]))
        .max()
        .unwrap_or(0);
    let extent = outer + 16.0 + longest as f64 * 6.5;

    for (k, (node, _, _)) in shown.iter().enumerate() {
        s.slot[*node as usize] = k as u32;
    }
    let mut edges = Vec::new();
    let mut near = Vec::new();
    for (a, (node, _, _)) in shown.iter().enumerate() {
        for &b in &adj[*node as usize] {
            let lb = s.slot[b as usize];
            if lb != u32::MAX && lb as usize > a {
                edges.push((a as u32, lb));
                near.push(a == 0);
            }
        }
    }
    for (node, _, _) in &shown {
        s.slot[*node as usize] = u32::MAX;
    }
    let dots = shown
        .iter()
        .map(|&(node, at, label)| Dot {
            at,
            r: if node as usize == c {
                7.0
            } else {
                radius(deg(node), 3.0)
            },
            node,
            label,
            here: node as usize == c,
        })
        .collect();
    let picture = Picture {
        view: [-extent, -extent, 2.0 * extent, 2.0 * extent],
        size: None,
        dots,
        edges,
        near,
        font: 11.0,
        decimals: 1,
        label: format!("Notes within two links of {}", titles[c].trim()),
    };
    let mut markup = svg::svg(&picture, names);
    if hidden > 0 {
        markup.push_str(&format!(
            "<p class='vb-graph-more'>and {hidden} more {} within two links</p>",
            if hidden == 1 { "note" } else { "notes" }
        ));
    }
    markup
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
                scripts: vec![None, None],
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
        let names = Names::new(&hrefs, &titles);
        let links = Links {
            nodes: vec![0, 1],
            adj: vec![vec![1], vec![0]],
        };
        let mut scratch = Scratch::new(2);
        let markup = local_picture(&links, 0, &titles, &names, &mut scratch);
        assert!(!markup.contains(['"', '\\', '\u{1}', '\t']), "{markup}");
        let script = String::from_utf8(data_script("k.js", &markup).to_vec()).unwrap();
        assert!(script.contains(&markup), "written as made: {script}");
        assert_eq!(markup_of(&script).as_deref(), Some(markup.as_str()));
        assert!(markup.contains("C:&#92;x &quot;q&quot; &#39;a&#39;  &lt;/script&gt;"));
    }
}
