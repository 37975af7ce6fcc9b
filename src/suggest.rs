//! "Did you mean …?": the names or headings closest to one that was not found.
//!
//! Names are compared lowercased, with `-` and `_` read as spaces. A candidate is suggested when
//! it is
//! 1. the same name up to case and separators (then only such names are suggested);
//! 2. within an edit distance (optimal string alignment, so a swapped pair of letters costs 1) of
//!    a third of the needle's length, as rustc does for its suggestions; the words may also be in
//!    another order (`Ownership Rust` finds `Rust Ownership`);
//! 3. or a prefix or whole-word part of the other (`Intro` finds `Introduction`).
//!
//! Anything else is unrelated and never suggested.
//!
//! [`closest`] scans its candidates once, with cheap length and letter-count filters in front of
//! the edit distance: right for a note's headings or any one-off list. For many queries against
//! the same large list (every broken link of a 10,000-note vault against all note names), build a
//! [`Suggester`] once: it normalises the names once and looks only at names of a near length and
//! at names sharing a word start, so a query costs tens of microseconds. Both give the same
//! answers.

use std::collections::HashMap;

/// Up to `max` candidates close to `needle`, best first.
///
/// The order is deterministic: by edit distance, then prefix and whole-word matches (closer
/// lengths first), then alphabetically. When some candidates equal the needle up to case and
/// separators, only they are returned. Duplicate candidates are reported once.
///
/// ```text
/// let notes = ["Introduction", "Ownership", "Borrowing", "Lifetimes"];
/// assert_eq!(vaultbook::suggest::closest("Ownershp", notes, 3), ["Ownership"]);
/// assert_eq!(vaultbook::suggest::closest("Intro", notes, 3), ["Introduction"]);
/// assert!(vaultbook::suggest::closest("Tokio", notes, 3).is_empty());
/// ```
pub(crate) fn closest<'a, I: IntoIterator<Item = &'a str>>(
    needle: &str,
    candidates: I,
    max: usize,
) -> Vec<&'a str> {
    let Some(query) = Query::new(needle) else {
        return Vec::new();
    };
    if max == 0 {
        return Vec::new();
    }
    let mut osa = Osa::default();
    let mut norm = String::new();
    let mut chars: Vec<char> = Vec::new();
    let mut found: Vec<(Rank, &'a str)> = Vec::new();
    for cand in candidates {
        normalize_into(cand, &mut norm);
        chars.clear();
        chars.extend(norm.chars());
        let near = query.near(&norm, &chars, None, &mut osa);
        if let Some(rank) = near.or_else(|| query.part(&chars)) {
            found.push((rank, cand));
        }
    }
    finish(found, max)
}

/// Many "did you mean" queries against one list of names (a vault's note names).
///
/// ```text
/// let notes = ["Introduction", "Ownership", "Borrowing", "Lifetimes"];
/// let suggester = vaultbook::suggest::Suggester::new(notes);
/// assert_eq!(suggester.closest("Ownershp", 3), ["Ownership"]);
/// assert_eq!(suggester.closest("Intro", 3), ["Introduction"]);
/// assert!(suggester.closest("Tokio", 3).is_empty());
/// ```
#[derive(Debug, Clone)]
pub struct Suggester<'a> {
    /// The names as given, normalised, sorted by normalised length.
    entries: Vec<Entry<'a>>,
    /// Entries (indices) by the first three chars at each of their word starts.
    word_starts: HashMap<[char; 3], Vec<u32>>,
    /// Entries (indices) by their first three chars.
    heads: HashMap<[char; 3], Vec<u32>>,
}

#[derive(Debug, Clone)]
struct Entry<'a> {
    name: &'a str,
    norm: String,
    chars: Box<[char]>,
    bag: Bag,
    /// The number of words and the words sorted, for names with their words in another order.
    words: usize,
    sorted: Box<[char]>,
}

impl<'a> Suggester<'a> {
    /// Indexes `names` (duplicates are fine; empty names are ignored).
    pub fn new<I: IntoIterator<Item = &'a str>>(names: I) -> Suggester<'a> {
        let mut entries: Vec<Entry<'a>> = names
            .into_iter()
            .filter_map(|name| {
                let norm = normalize(name);
                let chars: Box<[char]> = norm.chars().collect();
                (!chars.is_empty()).then(|| Entry {
                    name,
                    bag: Bag::of(&chars),
                    words: norm.split(' ').count(),
                    sorted: sorted_words(&norm).chars().collect(),
                    norm,
                    chars,
                })
            })
            .collect();
        entries.sort_by(|a, b| (a.chars.len(), a.name).cmp(&(b.chars.len(), b.name)));
        let mut word_starts: HashMap<[char; 3], Vec<u32>> = HashMap::new();
        let mut heads: HashMap<[char; 3], Vec<u32>> = HashMap::new();
        for (i, e) in entries.iter().enumerate() {
            let i = i as u32;
            if let Some(key) = key_at(&e.chars, 0) {
                heads.entry(key).or_default().push(i);
            }
            for p in word_start_positions(&e.chars) {
                if let Some(key) = key_at(&e.chars, p) {
                    let list = word_starts.entry(key).or_default();
                    if list.last() != Some(&i) {
                        list.push(i);
                    }
                }
            }
        }
        Suggester {
            entries,
            word_starts,
            heads,
        }
    }

    /// Up to `max` names close to `needle`, best first; the same answer as [`closest`] over the
    /// same names.
    pub fn closest(&self, needle: &str, max: usize) -> Vec<&'a str> {
        let Some(query) = Query::new(needle) else {
            return Vec::new();
        };
        if max == 0 {
            return Vec::new();
        }
        let mut osa = Osa::default();
        let mut ranks: Vec<(u32, Rank)> = Vec::new();
        // Edit distance: only names whose length is within reach.
        let n = query.chars.len();
        let lo = self
            .entries
            .partition_point(|e| e.chars.len() < n.saturating_sub(query.max_dist));
        let hi = self
            .entries
            .partition_point(|e| e.chars.len() <= n + query.max_dist);
        for (i, e) in self.entries[lo..hi].iter().enumerate() {
            let known = Known {
                bag: &e.bag,
                words: e.words,
                sorted: &e.sorted,
            };
            if let Some(rank) = query.near(&e.norm, &e.chars, Some(known), &mut osa) {
                ranks.push(((lo + i) as u32, rank));
            }
        }
        // Parts: the needle at a word start of a name, or a name at a word start of the needle.
        let mut ranked = vec![false; self.entries.len()];
        for &(i, _) in &ranks {
            ranked[i as usize] = true;
        }
        let mut consider = |i: u32| {
            if std::mem::replace(&mut ranked[i as usize], true) {
                return;
            }
            let e = &self.entries[i as usize];
            if let Some(rank) = query.part(&e.chars) {
                ranks.push((i, rank));
            }
        };
        if let Some(list) = key_at(&query.chars, 0).and_then(|k| self.word_starts.get(&k)) {
            list.iter().copied().for_each(&mut consider);
        }
        for p in word_start_positions(&query.chars) {
            if let Some(list) = key_at(&query.chars, p).and_then(|k| self.heads.get(&k)) {
                list.iter().copied().for_each(&mut consider);
            }
        }
        let found = ranks
            .into_iter()
            .map(|(i, rank)| (rank, self.entries[i as usize].name))
            .collect();
        finish(found, max)
    }
}

/// The first three chars from position `p`, if there are three.
fn key_at(chars: &[char], p: usize) -> Option<[char; 3]> {
    match chars.get(p..p + 3) {
        Some(&[a, b, c]) => Some([a, b, c]),
        _ => None,
    }
}

/// Positions that start a word: the first char, and every char after a non-alphanumeric one.
fn word_start_positions(chars: &[char]) -> impl Iterator<Item = usize> + '_ {
    (0..chars.len()).filter(move |&p| p == 0 || !chars[p - 1].is_alphanumeric())
}

/// What a [`Suggester`] already knows of a name.
struct Known<'e> {
    bag: &'e Bag,
    words: usize,
    sorted: &'e [char],
}

/// A normalised needle and what the comparisons need of it.
struct Query {
    norm: String,
    chars: Vec<char>,
    words: usize,
    sorted: Vec<char>,
    bag: Bag,
    max_dist: usize,
}

impl Query {
    fn new(needle: &str) -> Option<Query> {
        let norm = normalize(needle);
        if norm.is_empty() {
            return None;
        }
        let chars: Vec<char> = norm.chars().collect();
        Some(Query {
            words: norm.split(' ').count(),
            sorted: sorted_words(&norm).chars().collect(),
            bag: Bag::of(&chars),
            // rustc's rule: at most one edit per three characters of what was typed.
            max_dist: chars.len().max(3) / 3,
            norm,
            chars,
        })
    }

    /// Equal, or within the edit distance (words in any order), behind two cheap lower bounds:
    /// the length difference and the letter counts.
    fn near(
        &self,
        norm: &str,
        chars: &[char],
        known: Option<Known>,
        osa: &mut Osa,
    ) -> Option<Rank> {
        if chars.is_empty() {
            return None;
        }
        if norm == self.norm {
            return Some(Rank::Exact);
        }
        if self.chars.len().abs_diff(chars.len()) > self.max_dist {
            return None;
        }
        let bag_distance = match &known {
            Some(k) => self.bag.distance(k.bag),
            None => self.bag.distance(&Bag::of(chars)),
        };
        if bag_distance > self.max_dist {
            return None;
        }
        let mut d = osa.bounded(&self.chars, chars, self.max_dist);
        if d.is_none() && self.words > 1 {
            d = match known {
                Some(k) if k.words == self.words => {
                    osa.bounded(&self.sorted, k.sorted, self.max_dist)
                }
                Some(_) => None,
                None if norm.split(' ').count() == self.words => {
                    let sorted: Vec<char> = sorted_words(norm).chars().collect();
                    osa.bounded(&self.sorted, &sorted, self.max_dist)
                }
                None => None,
            };
        }
        d.map(Rank::Distance)
    }

    /// A prefix or whole-word part, either way round.
    fn part(&self, chars: &[char]) -> Option<Rank> {
        let (n, m) = (self.chars.len(), chars.len());
        (m > 0 && part_of(&self.chars, chars)).then(|| Rank::Part(n.abs_diff(m)))
    }
}

/// Sorts, keeps only exact matches when there are some, removes duplicates and caps.
fn finish<'a>(mut found: Vec<(Rank, &'a str)>, max: usize) -> Vec<&'a str> {
    found.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(b.1)));
    // A name that differs only in case or separators is the answer; others would be noise.
    if found.first().is_some_and(|(rank, _)| *rank == Rank::Exact) {
        found.retain(|(rank, _)| *rank == Rank::Exact);
    }
    let mut out: Vec<&'a str> = Vec::with_capacity(max.min(found.len()));
    for (_, cand) in found {
        if out.len() == max {
            break;
        }
        if !out.contains(&cand) {
            out.push(cand);
        }
    }
    out
}

/// How good a match is; smaller is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Rank {
    /// Equal up to case and separators.
    Exact,
    /// Within this edit distance.
    Distance(usize),
    /// A prefix or whole-word part, with this difference in length.
    Part(usize),
}

/// Whether one of the two names is a prefix or a whole-word part of the other, long enough to
/// mean something: the needle at least 3 chars; a candidate inside the needle at least 4 chars and
/// half of it.
fn part_of(needle: &[char], cand: &[char]) -> bool {
    let (n, m) = (needle.len(), cand.len());
    (n >= 3 && m > n && at_word_start(cand, needle))
        || (m >= 4 && m < n && 2 * m >= n && at_word_start(needle, cand))
}

/// Whether `part` occurs in `whole` at its start or right after a non-alphanumeric char.
fn at_word_start(whole: &[char], part: &[char]) -> bool {
    word_start_positions(whole).any(|p| whole[p..].starts_with(part))
}

/// Lowercased, `-`/`_` read as spaces, runs of whitespace collapsed, trimmed.
fn normalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    normalize_into(s, &mut out);
    out
}

fn normalize_into(s: &str, out: &mut String) {
    out.clear();
    let mut space = false;
    for c in s.chars() {
        if c.is_whitespace() || c == '-' || c == '_' {
            space = true;
            continue;
        }
        if space && !out.is_empty() {
            out.push(' ');
        }
        space = false;
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else {
            out.extend(c.to_lowercase());
        }
    }
}

/// The words of a name in sorted order.
fn sorted_words(s: &str) -> String {
    let mut words: Vec<&str> = s.split(' ').collect();
    words.sort_unstable();
    words.join(" ")
}

/// Letter counts in 64 buckets. The bag distance (the larger of the two one-sided count
/// differences) never exceeds the edit distance; buckets shared by different chars only make it
/// smaller, so it stays a lower bound.
#[derive(Debug, Clone)]
struct Bag([u8; 64]);

impl Bag {
    fn of(chars: &[char]) -> Bag {
        let mut b = [0u8; 64];
        for &c in chars {
            let slot = &mut b[(c as u32 % 64) as usize];
            *slot = slot.saturating_add(1);
        }
        Bag(b)
    }

    /// A lower bound of the edit distance between the two strings (saturated counts only make
    /// it lower).
    fn distance(&self, other: &Bag) -> usize {
        let (mut more, mut less) = (0u32, 0u32);
        for (&a, &b) in self.0.iter().zip(other.0.iter()) {
            more += u32::from(a.saturating_sub(b));
            less += u32::from(b.saturating_sub(a));
        }
        more.max(less) as usize
    }
}

/// Optimal string alignment distance (Damerau-Levenshtein without repeated edits of a
/// substring), with its rows kept between calls.
#[derive(Default)]
struct Osa {
    prev2: Vec<usize>,
    prev: Vec<usize>,
    cur: Vec<usize>,
}

impl Osa {
    /// The distance between `a` and `b` if it is at most `max`.
    ///
    /// A common prefix and suffix are skipped first, and the table stops as soon as a whole row
    /// exceeds `max` (no later row can come back under it, transpositions included).
    fn bounded(&mut self, a: &[char], b: &[char], max: usize) -> Option<usize> {
        let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
        let (a, b) = (&a[prefix..], &b[prefix..]);
        let suffix = a
            .iter()
            .rev()
            .zip(b.iter().rev())
            .take_while(|(x, y)| x == y)
            .count();
        let (a, b) = (&a[..a.len() - suffix], &b[..b.len() - suffix]);
        if a.len().abs_diff(b.len()) > max {
            return None;
        }
        if a.is_empty() || b.is_empty() {
            return Some(a.len().max(b.len()));
        }
        let w = b.len() + 1;
        for row in [&mut self.prev2, &mut self.prev, &mut self.cur] {
            row.clear();
            row.resize(w, 0);
        }
        for (j, v) in self.prev.iter_mut().enumerate() {
            *v = j;
        }
        for i in 1..=a.len() {
            self.cur[0] = i;
            let mut row_min = i;
            for j in 1..w {
                let cost = usize::from(a[i - 1] != b[j - 1]);
                let mut v = (self.prev[j] + 1)
                    .min(self.cur[j - 1] + 1)
                    .min(self.prev[j - 1] + cost);
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    v = v.min(self.prev2[j - 2] + 1);
                }
                self.cur[j] = v;
                row_min = row_min.min(v);
            }
            if row_min > max {
                return None;
            }
            std::mem::swap(&mut self.prev2, &mut self.prev);
            std::mem::swap(&mut self.prev, &mut self.cur);
        }
        Some(self.prev[w - 1]).filter(|&d| d <= max)
    }
}

/// The plain distance, for tests.
#[cfg(test)]
fn osa(a: &[char], b: &[char]) -> usize {
    Osa::default()
        .bounded(a, b, usize::MAX / 2)
        .unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osa_counts_transpositions_once() {
        let c = |s: &str| s.chars().collect::<Vec<_>>();
        assert_eq!(osa(&c("ab"), &c("ba")), 1);
        assert_eq!(osa(&c("kitten"), &c("sitting")), 3);
        assert_eq!(osa(&c(""), &c("abc")), 3);
    }

    const NOTES: &[&str] = &[
        "Introduction",
        "Ownership",
        "Borrowing",
        "Lifetimes",
        "Rust Ownership Rules",
        "Trust and Safety",
        "Send and Sync",
        "Threads",
        "Thread Pools",
        "cat",
    ];

    fn near(needle: &str) -> Vec<&'static str> {
        closest(needle, NOTES.iter().copied(), 3)
    }

    #[test]
    fn typos_find_the_name() {
        assert_eq!(near("Ownershp"), ["Ownership"]);
        assert_eq!(near("ownership"), ["Ownership"]);
        assert_eq!(near("Borowing"), ["Borrowing"]);
        assert_eq!(near("Liftimes"), ["Lifetimes"]);
        assert_eq!(near("Thraeds"), ["Threads"]);
        assert_eq!(near("car"), ["cat"]);
    }

    #[test]
    fn separators_case_and_word_order_do_not_matter() {
        assert_eq!(near("send-and-sync"), ["Send and Sync"]);
        assert_eq!(near("SEND_AND_SYNC"), ["Send and Sync"]);
        assert_eq!(near("Ownership Rules Rust"), ["Rust Ownership Rules"]);
    }

    #[test]
    fn prefixes_and_whole_words_are_suggested() {
        assert_eq!(near("Intro"), ["Introduction"]);
        // "Rust" is a word of one name and only part of a word ("Trust") in another.
        assert_eq!(near("Rust"), ["Rust Ownership Rules"]);
        assert_eq!(near("Thread"), ["Threads", "Thread Pools"]);
    }

    #[test]
    fn unrelated_names_are_not_suggested() {
        for needle in [
            "Tokio",
            "Async Await",
            "Macros",
            "x",
            "",
            "Ownership of Memory in C++",
        ] {
            assert_eq!(near(needle), Vec::<&str>::new(), "{needle}");
        }
    }

    #[test]
    fn order_is_best_first_then_alphabetical_and_capped() {
        let names = ["abd", "abc", "abe", "xyz", "abc"];
        assert_eq!(closest("abc", names, 10), ["abc"]);
        assert_eq!(closest("abx", names, 10), ["abc", "abd", "abe"]);
        assert_eq!(closest("abx", names, 2), ["abc", "abd"]);
        assert_eq!(closest("abx", names, 0), Vec::<&str>::new());
    }

    /// Speed is the benchmarks' business (a timed test fails on a busy machine); this one
    /// checks that the pruned search finds the same answer among many near-identical names.
    #[test]
    fn ten_thousand_candidates_find_the_closest() {
        let names: Vec<String> = (0..10_000).map(|i| format!("Note number {i}")).collect();
        let got = closest("Note numbr 4711", names.iter().map(|s| s.as_str()), 3);
        assert_eq!(got[0], "Note number 4711");
    }

    #[test]
    fn bounded_distance_agrees_with_the_full_table() {
        let c = |s: &str| s.chars().collect::<Vec<_>>();
        let words = [
            "", "a", "ab", "ba", "abc", "acb", "cab", "abcd", "badc", "xabcx", "kitten", "sitting",
            "aab", "aba", "baa", "abab", "baba",
        ];
        for x in words {
            for y in words {
                let full = strsim::osa_distance(x, y);
                assert_eq!(osa(&c(x), &c(y)), full, "{x} {y}");
                for max in 0..5 {
                    let want = (full <= max).then_some(full);
                    assert_eq!(
                        Osa::default().bounded(&c(x), &c(y), max),
                        want,
                        "{x} {y} {max}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_suggester_agrees_with_closest() {
        let words = [
            "rust",
            "thread",
            "pool",
            "async",
            "ownership",
            "borrow",
            "trait",
            "mutex",
        ];
        let mut seed = 0x2545_f491_u64;
        let mut rnd = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let names: Vec<String> = (0..2000)
            .map(|_| {
                let k = 1 + rnd() % 3;
                let mut name: Vec<&str> = (0..k).map(|_| words[(rnd() % 8) as usize]).collect();
                let tail = format!("{}", rnd() % 30);
                name.push(&tail);
                name.join(if rnd() % 2 == 0 { " " } else { "-" })
            })
            .collect();
        let suggester = Suggester::new(names.iter().map(String::as_str));
        for i in 0..300 {
            let base = &names[(i * 7) % names.len()];
            let needle = match i % 4 {
                0 => base.replace('o', "0"),
                1 => base[..base.len().min(6)].to_string(),
                2 => base.to_uppercase(),
                _ => format!("{base} extra words here"),
            };
            assert_eq!(
                suggester.closest(&needle, 5),
                closest(&needle, names.iter().map(String::as_str), 5),
                "{needle}"
            );
        }
        for needle in ["", "x", "ab", "tokio", "rust"] {
            assert_eq!(
                suggester.closest(needle, 3),
                closest(needle, names.iter().map(String::as_str), 3),
                "{needle}"
            );
        }
    }

    #[test]
    fn bag_is_a_lower_bound() {
        let c = |s: &str| s.chars().collect::<Vec<_>>();
        for (a, b) in [
            ("kitten", "sitting"),
            ("abc", "cba"),
            ("rust", "trust"),
            ("", "xy"),
        ] {
            let (a, b) = (c(a), c(b));
            assert!(Bag::of(&a).distance(&Bag::of(&b)) <= osa(&a, &b));
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
        let notes = ["Introduction", "Ownership", "Borrowing", "Lifetimes"];
        assert_eq!(closest("Ownershp", notes, 3), ["Ownership"]);
        assert_eq!(closest("Intro", notes, 3), ["Introduction"]);
        assert!(closest("Tokio", notes, 3).is_empty());
    }

    #[test]
    fn doc_example_2() {
        let notes = ["Introduction", "Ownership", "Borrowing", "Lifetimes"];
        let suggester = Suggester::new(notes);
        assert_eq!(suggester.closest("Ownershp", 3), ["Ownership"]);
        assert_eq!(suggester.closest("Intro", 3), ["Introduction"]);
        assert!(suggester.closest("Tokio", 3).is_empty());
    }
}
