//! Temporary stand-in (replaced by the real module on merge).

/// Near matches of `needle` among `candidates`.
pub fn closest<'a, I: IntoIterator<Item = &'a str>>(needle: &str, candidates: I, max: usize) -> Vec<&'a str> {
    let n = needle.to_lowercase();
    let mut v: Vec<(f64, &str)> = candidates
        .into_iter()
        .map(|c| (strsim::normalized_damerau_levenshtein(&n, &c.to_lowercase()), c))
        .filter(|(s, _)| *s > 0.6)
        .collect();
    v.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    v.into_iter().take(max).map(|(_, c)| c).collect()
}
