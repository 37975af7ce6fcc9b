//! Where each note of a graph is drawn, decided when the book is built so that a reader's
//! browser only paints a picture (no simulation runs in the page).
//!
//! [`force`] is Fruchterman–Reingold's force-directed layout: every pair of notes pushes apart
//! (k²/d), every link pulls its ends together (d²/k), a weak pull toward the middle keeps notes
//! without links near the rest, and each note moves at most a "temperature" that cools to zero
//! over a fixed number of rounds. The all-pairs push is approximated with a Barnes–Hut quadtree
//! (a far-away cell of notes acts as one heavy note), so a round costs O(n log n + links)
//! instead of O(n²), and the notes of a round are moved in parallel (rayon). Nothing depends on
//! the thread count or a clock: starting positions come from a hash of each note's path and
//! every sum is taken in a fixed order, so the same vault gives the same picture, byte for byte.
//!
//! Written here, not taken from a crate: what vaultbook needs is byte-for-byte the same output
//! whatever the thread count, and a bounded cost, in about 200 lines. Candidates such as
//! `forceatlas2` or `fdg-sim` were not evaluated against that (no dependency was added); one
//! that is maintained and deterministic could replace this.

use rayon::prelude::*;

/// A point of the layout plane.
pub(crate) type Point = [f64; 2];

/// The ideal distance between linked notes, the plane's unit.
const K: f64 = 1.0;
/// Barnes–Hut opening criterion: a cell whose size is under THETA × its distance counts as one
/// body. 1.0 is the usual trade for layouts (the error only blurs a push that is small anyway).
const THETA: f64 = 1.0;
/// The pull toward the middle, per unit of distance.
const GRAVITY: f64 = 0.3;
/// Rounds of the simulation: bounded, so a 10,000-note vault costs a known time. Past
/// [`BIG`] notes fewer rounds: a round costs O(n log n), and a vault that large is drawn at a
/// scale where the finer settling of more rounds is not seen.
const ROUNDS: usize = 300;
/// Rounds past [`BIG`] notes.
const ROUNDS_BIG: usize = 100;
/// See [`ROUNDS`]. Past it the layout is also made coarse to fine ([`levels`]).
const BIG: usize = 2000;
/// The coarsest graph of [`levels`], laid out in full. 200 rather than 500: its [`ROUNDS`]
/// were a third of the 10,000-note layout's time at 500 (317 notes there), and the clustered
/// graph of the tests keeps its clusters as far apart either way (see [`REFINE_ROUNDS`]).
const COARSEST: usize = 200;
/// Rounds of each finer graph in [`levels`]. Ten, not twenty: the finer graphs start beside
/// their merged notes and only untangle neighbours. Measured on a clustered graph of 10,000
/// notes (the tests' `clustered`): cluster distance over random-pair distance 0.416 with ten
/// rounds and a coarsest graph of 200, against 0.402 with twenty and 500; mean link length
/// over mean pair distance 0.215 against 0.213; the layout 0.14 s against 0.24 s.
const REFINE_ROUNDS: usize = 10;
/// Their starting temperature: a few links' length, enough to untangle neighbours.
const REFINE_T0: f64 = 3.0 * K;
/// Quadtree cells stop splitting here: notes at (almost) the same point share a cell instead
/// of recursing without end.
const MAX_DEPTH: u32 = 48;

/// Positions for the nodes of an undirected graph (`adj[i]`: the neighbours of node `i`, each
/// edge listed at both ends) that start from `seeds` (one per node, any stable hash).
pub(crate) fn force(adj: &[Vec<u32>], seeds: &[u64]) -> Vec<Point> {
    let n = adj.len();
    if n <= 1 {
        return vec![[0.0, 0.0]; n];
    }
    if n > BIG {
        return levels(adj, seeds);
    }
    simulate(adj, start(seeds), ROUNDS)
}

/// Where the notes start: spread over a square where each has about K² of room, as the result
/// will, each at a point of its own seed.
fn start(seeds: &[u64]) -> Vec<Point> {
    let side = (seeds.len() as f64).sqrt() * K;
    seeds
        .iter()
        .map(|&s| {
            let a = splitmix(s);
            let b = splitmix(a);
            [(unit(a) - 0.5) * side, (unit(b) - 0.5) * side]
        })
        .collect()
}

/// The layout of a large graph, coarse to fine: the graph is halved (each note merged with a
/// neighbour, see [`coarsen`]) until [`COARSEST`] notes are left; that one is laid out in full
/// ([`ROUNDS`] from the seeds); each finer graph then starts with every note beside its merged
/// note (spread out to the finer graph's room) and needs only [`REFINE_ROUNDS`] from a low
/// temperature to settle. This is the multilevel scheme of Walshaw's and of Graphviz's sfdp:
/// the rounds of the finest graph, which cost the most, only untangle what is near, since the
/// coarse layouts already placed the book's clusters. On the 10,000-note bench vault it takes
/// a quarter of the time of [`ROUNDS_BIG`] rounds from the seeds (0.16 s against 0.56–0.64 s), and
/// on a clustered graph of that size it keeps the clusters further apart (see the tests).
fn levels(adj: &[Vec<u32>], seeds: &[u64]) -> Vec<Point> {
    let n = adj.len();
    if n <= COARSEST {
        return simulate(adj, start(seeds), ROUNDS);
    }
    let (group, coarse_adj, coarse_seeds) = coarsen(adj, seeds);
    let m = coarse_adj.len();
    if m * 10 > n * 9 {
        // Merging hardly shrinks the graph (dense and tangled, or no two notes could merge):
        // laid out from the seeds.
        return simulate(adj, start(seeds), ROUNDS_BIG);
    }
    let coarse = levels(&coarse_adj, &coarse_seeds);
    let spread = (n as f64 / m as f64).sqrt();
    let pos = (0..n)
        .map(|i| {
            let c = coarse[group[i] as usize];
            let a = splitmix(seeds[i] ^ 0x5eed);
            let b = splitmix(a);
            [
                c[0] * spread + (unit(a) - 0.5) * K,
                c[1] * spread + (unit(b) - 0.5) * K,
            ]
        })
        .collect();
    simulate_from(adj, pos, REFINE_ROUNDS, REFINE_T0)
}

/// Merges the graph's notes two by two: each note, the least linked first, with its least
/// linked neighbour not yet merged; then notes left alone with another alone note of the same
/// first neighbour (the leaves of one hub) or, without links, with another without links.
/// Returns each note's merged note, the merged graph and its seeds (its first note's).
fn coarsen(adj: &[Vec<u32>], seeds: &[u64]) -> (Vec<u32>, Vec<Vec<u32>>, Vec<u64>) {
    let n = adj.len();
    const NONE: u32 = u32::MAX;
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.sort_by_key(|&i| (adj[i as usize].len(), i));
    let mut mate = vec![NONE; n];
    for &i in &order {
        let i = i as usize;
        if mate[i] != NONE {
            continue;
        }
        let pick = adj[i]
            .iter()
            .copied()
            .filter(|&j| j as usize != i && mate[j as usize] == NONE)
            .min_by_key(|&j| (adj[j as usize].len(), j));
        match pick {
            Some(j) => {
                mate[i] = j;
                mate[j as usize] = i as u32;
            }
            None => mate[i] = i as u32,
        }
    }
    // Alone notes, paired by their first neighbour (`NONE`: no links).
    let mut waiting: std::collections::HashMap<u32, u32> = std::collections::HashMap::new();
    for &i in &order {
        let i = i as usize;
        if mate[i] != i as u32 {
            continue;
        }
        let key = adj[i].first().copied().unwrap_or(NONE);
        match waiting.remove(&key) {
            Some(j) => {
                mate[i] = j;
                mate[j as usize] = i as u32;
            }
            None => {
                waiting.insert(key, i as u32);
            }
        }
    }
    // Merged notes numbered in the order of their first notes.
    let mut group = vec![NONE; n];
    let mut coarse_seeds = Vec::new();
    for i in 0..n {
        if group[i] == NONE {
            let g = coarse_seeds.len() as u32;
            group[i] = g;
            group[mate[i] as usize] = g;
            coarse_seeds.push(seeds[i]);
        }
    }
    let mut coarse_adj: Vec<Vec<u32>> = vec![Vec::new(); coarse_seeds.len()];
    for (i, links) in adj.iter().enumerate() {
        let g = group[i];
        coarse_adj[g as usize].extend(links.iter().map(|&j| group[j as usize]).filter(|&h| h != g));
    }
    coarse_adj.par_iter_mut().for_each(|v| {
        v.sort_unstable();
        v.dedup();
    });
    (group, coarse_adj, coarse_seeds)
}

/// [`simulate_from`] with the temperature of a layout from the seeds: a tenth of the square's
/// side, so that a note can cross the picture in the first rounds.
fn simulate(adj: &[Vec<u32>], pos: Vec<Point>, rounds: usize) -> Vec<Point> {
    let side = (adj.len() as f64).sqrt() * K;
    simulate_from(adj, pos, rounds, side / 10.0 + K)
}

/// `rounds` rounds of the force layout from `pos`, the temperature cooling from `t0`.
fn simulate_from(adj: &[Vec<u32>], mut pos: Vec<Point>, rounds: usize, t0: f64) -> Vec<Point> {
    let n = adj.len();
    let mut tree = Quadtree::default();
    let mut moved: Vec<Point> = Vec::with_capacity(n);
    for round in 0..rounds {
        let t = t0 * (1.0 - round as f64 / rounds as f64) + 0.01 * K;
        tree.build(&pos);
        (0..n)
            .into_par_iter()
            .map(|i| {
                let p = pos[i];
                let [mut fx, mut fy] = tree.push_on(i, p, &pos);
                for &j in &adj[i] {
                    let q = pos[j as usize];
                    let (dx, dy) = (q[0] - p[0], q[1] - p[1]);
                    let d = (dx * dx + dy * dy).sqrt();
                    fx += dx * d / K;
                    fy += dy * d / K;
                }
                fx -= p[0] * GRAVITY;
                fy -= p[1] * GRAVITY;
                let len = (fx * fx + fy * fy).sqrt();
                if !len.is_finite() || len < 1e-12 {
                    return p;
                }
                let step = len.min(t) / len;
                [p[0] + fx * step, p[1] + fy * step]
            })
            .collect_into_vec(&mut moved);
        std::mem::swap(&mut pos, &mut moved);
    }
    pos
}

/// SplitMix64's finaliser: a well-mixed 64-bit value from any seed.
fn splitmix(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A value in [0, 1) from the top 53 bits.
fn unit(v: u64) -> f64 {
    (v >> 11) as f64 / (1u64 << 53) as f64
}

/// One cell of the quadtree: its square, the centre of mass and count of its notes, and either
/// its four quarters or (a leaf) the one note it holds.
#[derive(Clone, Copy)]
struct Cell {
    x: f64,
    y: f64,
    size: f64,
    mx: f64,
    my: f64,
    mass: f64,
    /// Index of the first of four children in the arena, or 0 for a leaf.
    children: u32,
    /// The note of a leaf holding exactly one (`u32::MAX`: none, or several at one point).
    body: u32,
}

/// A Barnes–Hut quadtree in one arena, rebuilt each round without reallocating.
#[derive(Default)]
struct Quadtree {
    cells: Vec<Cell>,
}

const NO_BODY: u32 = u32::MAX;

impl Quadtree {
    fn build(&mut self, pos: &[Point]) {
        let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
        for p in pos {
            x0 = x0.min(p[0]);
            y0 = y0.min(p[1]);
            x1 = x1.max(p[0]);
            y1 = y1.max(p[1]);
        }
        let size = (x1 - x0).max(y1 - y0).max(1e-9) * 1.000_001;
        self.cells.clear();
        self.cells.push(Cell::empty(x0, y0, size));
        for (i, p) in pos.iter().enumerate() {
            self.insert(i as u32, *p, pos);
        }
        // Centres of mass were kept as sums while inserting.
        for c in &mut self.cells {
            if c.mass > 0.0 {
                c.mx /= c.mass;
                c.my /= c.mass;
            }
        }
    }

    fn insert(&mut self, i: u32, p: Point, pos: &[Point]) {
        let mut cell = 0usize;
        let mut depth = 0;
        loop {
            let c = self.cells[cell];
            self.cells[cell].mass += 1.0;
            self.cells[cell].mx += p[0];
            self.cells[cell].my += p[1];
            if c.children != 0 {
                cell = c.children as usize + c.quarter(p);
                depth += 1;
                continue;
            }
            if c.mass == 0.0 {
                self.cells[cell].body = i;
                return;
            }
            if depth >= MAX_DEPTH {
                // Notes at one point: the cell keeps their mass, and no single body.
                self.cells[cell].body = NO_BODY;
                return;
            }
            // Split the leaf: its one note moves down into a quarter, then this one follows.
            let first = self.cells.len();
            let half = c.size / 2.0;
            for q in 0..4 {
                let (qx, qy) = (q & 1, q >> 1);
                self.cells.push(Cell::empty(
                    c.x + half * qx as f64,
                    c.y + half * qy as f64,
                    half,
                ));
            }
            self.cells[cell].children = first as u32;
            self.cells[cell].body = NO_BODY;
            if c.body != NO_BODY {
                let o = pos[c.body as usize];
                let q = first + c.quarter(o);
                self.cells[q].body = c.body;
                self.cells[q].mass = 1.0;
                self.cells[q].mx = o[0];
                self.cells[q].my = o[1];
            } else {
                // A cell at the depth limit that held several notes never splits (see above),
                // so a leaf with mass and no body only happens there.
                return;
            }
            cell = first + c.quarter(p);
            depth += 1;
        }
    }

    /// The repulsion on note `i` at `p` from every other note (approximated cell by cell).
    fn push_on(&self, i: usize, p: Point, pos: &[Point]) -> Point {
        let mut f = [0.0, 0.0];
        // A walk holds at most three siblings a level and four at the last: no allocation
        // for the million walks of a 10,000-note layout.
        let mut stack = [0u32; 3 * MAX_DEPTH as usize + 8];
        let mut len = 1;
        while len > 0 {
            len -= 1;
            let ci = stack[len];
            let c = &self.cells[ci as usize];
            if c.mass == 0.0 || c.body == i as u32 {
                continue;
            }
            let (dx, dy) = (p[0] - c.mx, p[1] - c.my);
            let d2 = dx * dx + dy * dy;
            // A cell holding this note is opened whatever its distance, or the note would
            // push itself away from its own cell's centre.
            let inside = p[0] >= c.x && p[0] < c.x + c.size && p[1] >= c.y && p[1] < c.y + c.size;
            if c.children == 0 || (!inside && c.size * c.size < THETA * THETA * d2) {
                let mut mass = c.mass;
                if c.children == 0 && c.body == NO_BODY {
                    // A crowded leaf holds this note too when it sits at that point.
                    let here = pos[i];
                    if (here[0] - c.mx).abs() < 1e-9 && (here[1] - c.my).abs() < 1e-9 {
                        mass -= 1.0;
                    }
                }
                if d2 < 1e-18 {
                    // On top of each other: part them in a direction of this note's own.
                    let a = unit(splitmix(i as u64)) * std::f64::consts::TAU;
                    f[0] += a.cos() * K * mass;
                    f[1] += a.sin() * K * mass;
                    continue;
                }
                let s = K * K * mass / d2;
                f[0] += dx * s;
                f[1] += dy * s;
            } else {
                for q in 0..4 {
                    stack[len] = c.children + q;
                    len += 1;
                }
            }
        }
        f
    }
}

impl Cell {
    fn empty(x: f64, y: f64, size: f64) -> Cell {
        Cell {
            x,
            y,
            size,
            mx: 0.0,
            my: 0.0,
            mass: 0.0,
            children: 0,
            body: NO_BODY,
        }
    }

    /// Which quarter of this cell `p` is in: bit 0 the right half, bit 1 the lower half.
    fn quarter(&self, p: Point) -> usize {
        let half = self.size / 2.0;
        let right = usize::from(p[0] >= self.x + half);
        let lower = usize::from(p[1] >= self.y + half);
        right | (lower << 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ring of `n` nodes, each linked to the next.
    fn cycle(n: usize) -> Vec<Vec<u32>> {
        (0..n)
            .map(|i| {
                let mut v = vec![((i + 1) % n) as u32, ((i + n - 1) % n) as u32];
                v.sort();
                v.dedup();
                v
            })
            .collect()
    }

    #[test]
    fn the_same_graph_gives_the_same_positions() {
        let adj = cycle(200);
        let seeds: Vec<u64> = (0..200).collect();
        let a = force(&adj, &seeds);
        let b = force(&adj, &seeds);
        assert_eq!(a, b);
        assert!(a.iter().all(|p| p[0].is_finite() && p[1].is_finite()));
    }

    #[test]
    fn linked_notes_end_closer_than_unlinked_ones() {
        // Two cliques of ten, one link between them.
        let mut adj: Vec<Vec<u32>> = vec![Vec::new(); 20];
        for g in [0u32, 10] {
            for i in g..g + 10 {
                for j in g..g + 10 {
                    if i != j {
                        adj[i as usize].push(j);
                    }
                }
            }
        }
        adj[0].push(10);
        adj[10].insert(0, 0);
        let pos = force(&adj, &(0..20).map(|i| i * 7919).collect::<Vec<_>>());
        let d = |a: usize, b: usize| {
            ((pos[a][0] - pos[b][0]).powi(2) + (pos[a][1] - pos[b][1]).powi(2)).sqrt()
        };
        let within = (1..10)
            .map(|j| d(1, j + 1).min(d(1, j)))
            .fold(0.0, f64::max);
        let across = (11..20).map(|j| d(1, j)).fold(f64::MAX, f64::min);
        assert!(within < across, "within {within}, across {across}");
        // No two notes share a point.
        for a in 0..20 {
            for b in a + 1..20 {
                assert!(d(a, b) > 0.05, "{a} and {b} overlap");
            }
        }
    }

    #[test]
    fn notes_at_one_point_are_parted() {
        let adj = vec![Vec::new(); 5];
        // Identical seeds: every note starts at the same point.
        let pos = force(&adj, &[42; 5]);
        for a in 0..5 {
            for b in a + 1..5 {
                assert_ne!(pos[a], pos[b]);
            }
        }
    }

    /// A graph of `n` notes in clusters of 100, each note with about 10 links, nine in ten
    /// inside its cluster, and 200 notes without links.
    fn clustered(n: usize) -> Vec<Vec<u32>> {
        let mut x = 0x1234_5678_9abc_def1u64;
        let mut next = || {
            x = splitmix(x);
            x
        };
        let mut adj = vec![Vec::new(); n];
        for i in 0..n {
            for _ in 0..5 {
                let j = if next() % 10 < 9 {
                    ((i / 100) * 100 + next() as usize % 100).min(n - 1)
                } else {
                    next() as usize % n
                };
                if j != i && i % 50 != 7 && j % 50 != 7 {
                    adj[i].push(j as u32);
                    adj[j].push(i as u32);
                }
            }
        }
        for v in adj.iter_mut() {
            v.sort_unstable();
            v.dedup();
        }
        adj
    }

    #[test]
    fn a_large_graph_laid_out_coarse_to_fine_keeps_its_clusters_apart() {
        let n = BIG + 400;
        let adj = clustered(n);
        let seeds: Vec<u64> = (0..n as u64).map(splitmix).collect();
        let pos = force(&adj, &seeds);
        assert_eq!(pos, force(&adj, &seeds), "the same graph, the same layout");
        let d = |a: usize, b: usize| {
            ((pos[a][0] - pos[b][0]).powi(2) + (pos[a][1] - pos[b][1]).powi(2)).sqrt()
        };
        // Notes of one cluster end nearer each other than notes of any two.
        let (mut inside, mut across) = (0.0, 0.0);
        for a in (0..n).step_by(7) {
            inside += d(a, ((a / 100) * 100 + (a * 31) % 100).min(n - 1));
            across += d(a, (a * 7919 + 13) % n);
        }
        assert!(inside < 0.8 * across, "inside {inside}, across {across}");
        // Merged notes are parted again: few notes end on top of another.
        let close = (0..n)
            .step_by(11)
            .filter(|&a| (0..n).any(|b| b != a && d(a, b) < 0.05 * K))
            .count();
        assert!(close * 20 < n / 11, "{close} notes on top of another");
        assert!(pos.iter().all(|p| p[0].is_finite() && p[1].is_finite()));
    }

    #[test]
    fn merging_pairs_neighbours_and_the_leaves_of_a_hub() {
        // A hub (0) with five leaves, a linked pair (6, 7) and two notes without links.
        let mut adj: Vec<Vec<u32>> = vec![
            vec![1, 2, 3, 4, 5],
            vec![0],
            vec![0],
            vec![0],
            vec![0],
            vec![0],
        ];
        adj.extend([vec![7], vec![6], vec![], vec![]]);
        let (group, coarse, seeds) = coarsen(&adj, &(0..10).collect::<Vec<u64>>());
        assert_eq!(group[6], group[7]);
        assert_eq!(group[8], group[9]);
        // The hub takes one leaf; the other four pair up among themselves.
        assert_eq!(coarse.len(), 5, "{group:?}");
        assert_eq!(group.iter().filter(|&&g| g == group[0]).count(), 2);
        assert_eq!(seeds.len(), 5);
        assert!(
            coarse
                .iter()
                .enumerate()
                .all(|(g, v)| !v.contains(&(g as u32)))
        );
    }
}
