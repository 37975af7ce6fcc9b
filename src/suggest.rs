//! "Did you mean …?": the names or headings closest to one that was not found.
//!
//! [`closest`] compares lowercased names with `-` and `_` read as spaces, and accepts a
//! candidate when it is
//! 1. the same name up to case and separators;
//! 2. within an edit distance (optimal string alignment, so a swapped pair of letters costs 1) of
//!    a third of the needle's length, as rustc does for its suggestions; the words may also be in
//!    another order (`Ownership Rust` finds `Rust Ownership`);
//! 3. or a prefix or whole-word part of the other (`Intro` finds `Introduction`).
//!
//! Anything else is unrelated and never suggested. The cost is linear in the number of candidates
//! with a cheap length and letter-count filter in front of the edit distance, so calling it for
//! every broken link of a 10,000-note vault is fine.

use std::cmp::Ordering;

/// Up to `max` candidates close to `needle`, best first.
///
/// The order is deterministic: by edit distance, then prefix and whole-word matches, then
/// alphabetically. When some candidates equal the needle up to case and separators, only they
/// are returned. Duplicate candidates are reported once.
///
/// ```
/// let notes = ["Introduction", "Ownership", "Borrowing", "Lifetimes"];
/// assert_eq!(vaultbook::suggest::closest("Ownershp", notes, 3), ["Ownership"]);
/// assert_eq!(vaultbook::suggest::closest("Intro", notes, 3), ["Introduction"]);
/// assert!(vaultbook::suggest::closest("Tokio", notes, 3).is_empty());
/// ```
pub fn closest<'a, I: IntoIterator<Item = &'a str>>(
    needle: &str,
    candidates: I,
    max: usize,
) -> Vec<&'a str> {
    if max == 0 {
        return Vec::new();
    }
    let needle_norm = normalize(needle);
    if needle_norm.is_empty() {
        return Vec::new();
    }
    let needle_chars: Vec<char> = needle_norm.chars().collect();
    let needle_sorted = sorted_words(&needle_norm);
    let needle_bag = Bag::of(&needle_chars);
    let n = needle_chars.len();
    // rustc's rule: at most one edit per three characters of what was typed.
    let max_dist = n.max(3) / 3;

    let mut found: Vec<(Rank, &'a str)> = Vec::new();
    let mut cand_norm = String::new();
    let mut cand_chars: Vec<char> = Vec::new();
    for cand in candidates {
        normalize_into(cand, &mut cand_norm);
        if cand_norm.is_empty() {
            continue;
        }
        cand_chars.clear();
        cand_chars.extend(cand_norm.chars());
        let m = cand_chars.len();

        if cand_norm == needle_norm {
            found.push((Rank::Exact, cand));
            continue;
        }
        let mut rank = None;
        // Edit distance, behind two cheap lower bounds: length difference and letter counts.
        if n.abs_diff(m) <= max_dist && needle_bag.distance(&Bag::of(&cand_chars)) <= max_dist {
            let mut d = osa(&needle_chars, &cand_chars);
            if d > max_dist && needle_sorted.is_some() {
                let cand_sorted = sorted_words(&cand_norm);
                if let (Some(a), Some(b)) = (&needle_sorted, &cand_sorted) {
                    let a: Vec<char> = a.chars().collect();
                    let b: Vec<char> = b.chars().collect();
                    d = d.min(osa(&a, &b));
                }
            }
            if d <= max_dist {
                rank = Some(Rank::Distance(d));
            }
        }
        if rank.is_none() && part_of(&needle_norm, n, &cand_norm, m) {
            rank = Some(Rank::Part(n.abs_diff(m)));
        }
        if let Some(rank) = rank {
            found.push((rank, cand));
        }
    }
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
fn part_of(needle: &str, n: usize, cand: &str, m: usize) -> bool {
    (n >= 3 && m > n && contains_at_word_start(cand, needle))
        || (m >= 4 && m < n && 2 * m >= n && contains_at_word_start(needle, cand))
}

/// Whether `part` occurs in `whole` starting at the beginning or right after a non-alphanumeric
/// char.
fn contains_at_word_start(whole: &str, part: &str) -> bool {
    whole.match_indices(part).any(|(i, _)| {
        whole[..i]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric())
    })
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

/// The words of a multi-word name in sorted order; `None` for a single word.
fn sorted_words(s: &str) -> Option<String> {
    if !s.contains(' ') {
        return None;
    }
    let mut words: Vec<&str> = s.split(' ').collect();
    words.sort_unstable();
    Some(words.join(" "))
}

/// Letter counts in 64 buckets. The bag distance (the larger of the two one-sided count
/// differences) never exceeds the edit distance; buckets shared by different chars only make it
/// smaller, so it stays a lower bound.
struct Bag([i16; 64]);

impl Bag {
    fn of(chars: &[char]) -> Bag {
        let mut b = [0i16; 64];
        for &c in chars {
            let slot = &mut b[(c as u32 % 64) as usize];
            *slot = slot.saturating_add(1);
        }
        Bag(b)
    }

    /// A lower bound of the edit distance between the two strings.
    fn distance(&self, other: &Bag) -> usize {
        let (mut more, mut less) = (0usize, 0usize);
        for (a, b) in self.0.iter().zip(other.0.iter()) {
            match a.cmp(b) {
                Ordering::Greater => more += (a - b) as usize,
                Ordering::Less => less += (b - a) as usize,
                Ordering::Equal => {}
            }
        }
        more.max(less)
    }
}

/// Optimal string alignment distance (Damerau-Levenshtein without repeated edits of a substring).
fn osa(a: &[char], b: &[char]) -> usize {
    if a.is_empty() {
        return b.len();
    }
    if b.is_empty() {
        return a.len();
    }
    let w = b.len() + 1;
    let mut prev2 = vec![0usize; w];
    let mut prev: Vec<usize> = (0..w).collect();
    let mut cur = vec![0usize; w];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..w {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(prev2[j - 2] + 1);
            }
            cur[j] = v;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[w - 1]
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

    #[test]
    fn ten_thousand_candidates_stay_cheap() {
        let names: Vec<String> = (0..10_000).map(|i| format!("Note number {i}")).collect();
        let start = std::time::Instant::now();
        for _ in 0..20 {
            let got = closest("Note numbr 4711", names.iter().map(|s| s.as_str()), 3);
            assert_eq!(got[0], "Note number 4711");
        }
        // Generous even for a debug build on a slow machine; release is ~50x faster.
        assert!(start.elapsed() < std::time::Duration::from_secs(5));
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
