//! Fast lookup of a cookie name against the registry's declared name patterns.
//!
//! The proxy asks "which declaration governs this cookie?" for every
//! `Set-Cookie` of every response, so the lookup must not scan every pattern:
//! exact names live in a `HashMap` (foldhash, seeded per process: several times faster than
//! SipHash on short names, and still not predictable by whoever picks the names), prefixes and
//! globs in a byte trie keyed by
//! each pattern's literal prefix (so one walk over the name reaches only the
//! patterns that can possibly match), and regexes in one `RegexSet` that is
//! consulted only when nothing cheaper matched.
//!
//! # Which declaration wins: most specific match
//!
//! 1. An exact name (or a glob without wildcards) beats everything else.
//! 2. Then prefixes and globs: the one with the most literal (non-wildcard)
//!    bytes wins; a prefix counts its whole length, so `_pk_id.*` (7) beats
//!    `_pk_*` (4), and glob `_ga_*` ties with prefix `_ga_`.
//! 3. Then regexes, which are the least specific since they say nothing
//!    checkable about their literal content.
//!
//! Within one level, ties go to the declaration added first (lowest id).
//!
//! Names are compared as bytes and case-sensitively, as browsers do: a glob
//! `?` matches exactly one byte and `*` any run of bytes, including none.
//! Regexes must match the whole name (they are wrapped as `^(?:…)$`).

use std::cmp::Ordering;
use std::collections::HashMap;

use regex::{RegexBuilder, RegexSet, RegexSetBuilder};

/// Compiled size allowed per regex, so one hostile declaration cannot make
/// config loading eat the machine's memory.
const REGEX_SIZE_LIMIT: usize = 1 << 20;
/// Compiled size allowed for all regexes together, for the same reason.
const REGEX_SET_SIZE_LIMIT: usize = 32 << 20;

/// How a registry declaration names the cookies it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pattern {
    /// The exact cookie name.
    Exact(String),
    /// Every name starting with this string.
    Prefix(String),
    /// `*` = any run of bytes (also none), `?` = one byte; no escapes.
    Glob(String),
    /// A regex that must match the whole name.
    Regex(String),
}

impl Pattern {
    /// Renders the pattern the way config errors and logs mention it, so an
    /// operator can find the declaration in their file.
    pub fn describe(&self) -> String {
        match self {
            Pattern::Exact(s) => format!("name {s:?}"),
            Pattern::Prefix(s) => format!("prefix {s:?}"),
            Pattern::Glob(s) => format!("glob {s:?}"),
            Pattern::Regex(s) => format!("regex {s:?}"),
        }
    }
}

/// Why a set of patterns could not be turned into a [`NameMatcher`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MatcherError {
    /// The pattern is the empty string, which is never a useful declaration.
    EmptyPattern { id: usize },
    /// The regex does not compile (or is too big); `message` is one line.
    InvalidRegex { id: usize, message: String },
}

/// A prefix or glob stored at the trie node of its literal prefix.
#[derive(Debug)]
struct TrieEntry {
    id: usize,
    /// Literal (non-wildcard) byte count, the specificity among prefix/globs.
    literal: usize,
    /// The glob after its literal prefix (starts with a wildcard); `None`
    /// for a prefix, which matches whatever follows.
    tail: Option<Box<[u8]>>,
}

impl TrieEntry {
    /// Orders entries best first: more literal bytes, then lower id.
    fn rank(&self, other: &Self) -> Ordering {
        other
            .literal
            .cmp(&self.literal)
            .then(self.id.cmp(&other.id))
    }

    /// Tests the entry against the part of the name after its literal prefix.
    fn matches_rest(&self, rest: &[u8]) -> bool {
        self.tail
            .as_deref()
            .is_none_or(|tail| match_glob(tail, rest))
    }
}

/// One trie node; children are sorted by byte for binary search.
#[derive(Debug, Default)]
struct TrieNode {
    children: Vec<(u8, usize)>,
    /// Sorted best first (see [`TrieEntry::rank`]) so `find` can stop early.
    entries: Vec<TrieEntry>,
}

/// Answers "which declaration governs this cookie name?" without scanning
/// every declaration; built once at config load.
#[derive(Debug)]
pub struct NameMatcher {
    /// Ids per exact name, ascending, so the first is the winner.
    exact: HashMap<String, Vec<usize>, foldhash::fast::RandomState>,
    /// Node 0 is the root (empty literal prefix, e.g. for `*_consent`).
    trie: Vec<TrieNode>,
    regexes: RegexSet,
    /// Declaration id of each regex in `regexes`, ascending.
    regex_ids: Vec<usize>,
    len: usize,
}

impl NameMatcher {
    /// Builds the matcher, reporting every bad pattern at once so an operator
    /// can fix the whole config in one go.
    pub fn build(patterns: &[(usize, Pattern)]) -> Result<NameMatcher, Vec<MatcherError>> {
        let mut errors = Vec::new();
        let mut exact: HashMap<String, Vec<usize>, foldhash::fast::RandomState> =
            HashMap::default();
        let mut trie = vec![TrieNode::default()];
        let mut regexes: Vec<(usize, &str)> = Vec::new();
        for (id, pattern) in patterns {
            let id = *id;
            let (Pattern::Exact(text)
            | Pattern::Prefix(text)
            | Pattern::Glob(text)
            | Pattern::Regex(text)) = pattern;
            if text.is_empty() {
                errors.push(MatcherError::EmptyPattern { id });
                continue;
            }
            match pattern {
                Pattern::Exact(name) => exact.entry(name.clone()).or_default().push(id),
                Pattern::Prefix(prefix) => insert_entry(&mut trie, prefix.as_bytes(), None, id),
                Pattern::Glob(glob) => {
                    let bytes = glob.as_bytes();
                    match bytes.iter().position(|&b| is_wildcard(b)) {
                        None => exact.entry(glob.clone()).or_default().push(id),
                        Some(cut) => {
                            let (literal, tail) = bytes.split_at(cut);
                            // `lit*` (or `lit**`) is just a prefix: skip the glob engine.
                            let tail = (!tail.iter().all(|&b| b == b'*')).then_some(tail);
                            insert_entry(&mut trie, literal, tail, id);
                        }
                    }
                }
                Pattern::Regex(source) => {
                    // Compiling the bare source alone both attributes errors to
                    // this id and rejects sources like `a)|(b` that would
                    // escape the `^(?:…)$` wrapper.
                    match RegexBuilder::new(source)
                        .size_limit(REGEX_SIZE_LIMIT)
                        .build()
                    {
                        Ok(_) => regexes.push((id, source)),
                        Err(err) => errors.push(MatcherError::InvalidRegex {
                            id,
                            message: summarize_regex_error(&err),
                        }),
                    }
                }
            }
        }
        for ids in exact.values_mut() {
            ids.sort_unstable();
        }
        for node in &mut trie {
            node.entries.sort_by(TrieEntry::rank);
        }
        regexes.sort_unstable_by_key(|&(id, _)| id);
        let set = RegexSetBuilder::new(regexes.iter().map(|(_, s)| format!("^(?:{s})$")))
            .size_limit(REGEX_SET_SIZE_LIMIT)
            .build();
        let set = match set {
            Ok(set) => set,
            Err(err) => {
                // Only the combined size can fail here; blame the first regex.
                if let Some(&(id, _)) = regexes.first() {
                    let message = format!("all regexes together: {}", summarize_regex_error(&err));
                    errors.push(MatcherError::InvalidRegex { id, message });
                }
                RegexSet::empty()
            }
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(NameMatcher {
            exact,
            trie,
            regexes: set,
            regex_ids: regexes.into_iter().map(|(id, _)| id).collect(),
            len: patterns.len(),
        })
    }

    /// Returns the id of the most specific declaration matching `name`.
    ///
    /// Runs on every Set-Cookie, so the exact and prefix/glob paths touch no
    /// allocator: one hash lookup, then one walk down the trie.
    pub fn find(&self, name: &str) -> Option<usize> {
        if let Some(&id) = self.exact.get(name).and_then(|ids| ids.first()) {
            return Some(id);
        }
        let mut best: Option<&TrieEntry> = None;
        self.walk_trie(name.as_bytes(), |entries, rest| {
            for entry in entries {
                // Entries are sorted best first: once one cannot beat the
                // current best, none after it can either.
                if best.is_some_and(|b| entry.rank(b) != Ordering::Less) {
                    break;
                }
                if entry.matches_rest(rest) {
                    best = Some(entry);
                    break;
                }
            }
        });
        if let Some(entry) = best {
            return Some(entry.id);
        }
        // `is_match` answers without allocating; most names that reach this point match nothing.
        if self.regex_ids.is_empty() || !self.regexes.is_match(name) {
            return None;
        }
        let first = self.regexes.matches(name).iter().next()?;
        self.regex_ids.get(first).copied()
    }

    /// Returns every id whose pattern matches `name`, in no particular order,
    /// so config loading can spot declarations that contradict each other.
    pub fn find_all(&self, name: &str) -> Vec<usize> {
        let mut ids = self.exact.get(name).cloned().unwrap_or_default();
        self.walk_trie(name.as_bytes(), |entries, rest| {
            let hits = entries.iter().filter(|e| e.matches_rest(rest));
            ids.extend(hits.map(|e| e.id));
        });
        let hits = self.regexes.matches(name).into_iter();
        ids.extend(hits.filter_map(|i| self.regex_ids.get(i).copied()));
        ids
    }

    /// Returns names the pattern certainly matches, so config loading can
    /// probe which other declarations overlap it (regexes give none: their
    /// language can't be sampled cheaply).
    pub fn sample_names(pattern: &Pattern) -> Vec<String> {
        match pattern {
            Pattern::Exact(name) => vec![name.clone()],
            Pattern::Prefix(prefix) => vec![prefix.clone(), format!("{prefix}x")],
            Pattern::Glob(glob) => {
                let shortest = glob.replace('*', "").replace('?', "x");
                let longer = glob.replace(['*', '?'], "x");
                if shortest == longer {
                    vec![shortest]
                } else {
                    vec![shortest, longer]
                }
            }
            Pattern::Regex(_) => Vec::new(),
        }
    }

    /// Returns how many declarations the matcher was built from.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Tells whether the matcher was built from no declarations at all.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Walks the trie along `name`, handing each reached node's entries and
    /// the rest of the name after that node's literal prefix to `visit`.
    fn walk_trie<'a>(&'a self, name: &[u8], mut visit: impl FnMut(&'a [TrieEntry], &[u8])) {
        let mut node = self.trie.first();
        let mut depth = 0;
        while let Some(current) = node {
            visit(&current.entries, name.get(depth..).unwrap_or_default());
            node = name.get(depth).and_then(|byte| {
                let children = &current.children;
                let slot = children.binary_search_by_key(byte, |&(b, _)| b).ok()?;
                let &(_, child) = children.get(slot)?;
                self.trie.get(child)
            });
            depth += 1;
        }
    }
}

/// Tells whether a byte is a glob wildcard.
fn is_wildcard(byte: u8) -> bool {
    byte == b'*' || byte == b'?'
}

/// Adds a prefix (`tail == None`) or glob under its literal prefix's node.
fn insert_entry(trie: &mut Vec<TrieNode>, literal: &[u8], tail: Option<&[u8]>, id: usize) {
    let mut index = 0;
    for &byte in literal {
        let Some(node) = trie.get(index) else { return };
        index = match node.children.binary_search_by_key(&byte, |&(b, _)| b) {
            Ok(slot) => node.children.get(slot).map_or(0, |&(_, child)| child),
            Err(slot) => {
                let child = trie.len();
                trie.push(TrieNode::default());
                if let Some(node) = trie.get_mut(index) {
                    node.children.insert(slot, (byte, child));
                }
                child
            }
        };
    }
    let literal =
        literal.len() + tail.map_or(0, |t| t.iter().filter(|&&b| !is_wildcard(b)).count());
    if let Some(node) = trie.get_mut(index) {
        node.entries.push(TrieEntry {
            id,
            literal,
            tail: tail.map(Box::from),
        });
    }
}

/// Matches a glob against bytes without allocating: greedy with one
/// backtrack point (the last `*`), which is enough since a later star can
/// absorb anything an earlier one would have.
fn match_glob(glob: &[u8], text: &[u8]) -> bool {
    let (mut g, mut t) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while let Some(&byte) = text.get(t) {
        match glob.get(g) {
            Some(&b'*') => {
                g += 1;
                backtrack = Some((g, t));
                continue;
            }
            Some(&b'?') => {
                (g, t) = (g + 1, t + 1);
                continue;
            }
            Some(&literal) if literal == byte => {
                (g, t) = (g + 1, t + 1);
                continue;
            }
            _ => {}
        }
        let Some((star_g, star_t)) = backtrack else {
            return false;
        };
        (g, t) = (star_g, star_t + 1);
        backtrack = Some((star_g, star_t + 1));
    }
    glob.get(g..).unwrap_or_default().iter().all(|&b| b == b'*')
}

/// Squeezes the regex crate's multi-line diagnostic into one line for logs.
fn summarize_regex_error(err: &regex::Error) -> String {
    let text = err.to_string();
    match text.lines().find_map(|l| l.trim().strip_prefix("error:")) {
        Some(reason) => format!("regex parse error: {}", reason.trim()),
        None => text.split_whitespace().collect::<Vec<_>>().join(" "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Builds a matcher whose ids are the patterns' positions.
    fn matcher(patterns: &[Pattern]) -> NameMatcher {
        let pairs: Vec<_> = patterns.iter().cloned().enumerate().collect();
        NameMatcher::build(&pairs).unwrap()
    }

    fn exact(s: &str) -> Pattern {
        Pattern::Exact(s.into())
    }
    fn prefix(s: &str) -> Pattern {
        Pattern::Prefix(s.into())
    }
    fn glob(s: &str) -> Pattern {
        Pattern::Glob(s.into())
    }
    fn regex(s: &str) -> Pattern {
        Pattern::Regex(s.into())
    }

    /// An exact declaration matches only its own name.
    #[test]
    fn exact_name_hits_only_itself() {
        let m = matcher(&[exact("sessionid")]);
        assert_eq!(m.find("sessionid"), Some(0));
        assert_eq!(m.find("sessionid2"), None);
        assert_eq!(m.find("session"), None);
    }

    /// A prefix matches itself and anything longer, nothing shorter.
    #[test]
    fn prefix_matches_names_starting_with_it() {
        let m = matcher(&[prefix("_pk_")]);
        assert_eq!(m.find("_pk_"), Some(0));
        assert_eq!(m.find("_pk_ses.1.abc"), Some(0));
        assert_eq!(m.find("_pk"), None);
        assert_eq!(m.find("x_pk_"), None);
    }

    /// A trailing star may match the empty run but the literal part is required.
    #[test]
    fn trailing_star_glob_requires_its_literal_prefix() {
        let m = matcher(&[glob("_ga_*"), glob("_pk_id.*")]);
        assert_eq!(m.find("_ga_ABC123"), Some(0));
        assert_eq!(m.find("_ga_"), Some(0));
        assert_eq!(m.find("_ga"), None);
        assert_eq!(m.find("_pk_id.1.abcd"), Some(1));
    }

    /// `?` matches exactly one byte.
    #[test]
    fn question_mark_matches_exactly_one_byte() {
        let m = matcher(&[glob("id_?")]);
        assert_eq!(m.find("id_7"), Some(0));
        assert_eq!(m.find("id_"), None);
        assert_eq!(m.find("id_77"), None);
        assert_eq!(m.find("id_é"), None, "é is two bytes");
    }

    /// Inner stars backtrack correctly, including over repeated letters.
    #[test]
    fn inner_stars_match_any_runs() {
        let m = matcher(&[glob("a*b*c")]);
        for hit in ["abc", "aXbYc", "abbbcc", "acbc", "abcbc"] {
            assert_eq!(m.find(hit), Some(0), "{hit}");
        }
        for miss in ["ab", "acb", "abcx", "bac"] {
            assert_eq!(m.find(miss), None, "{miss}");
        }
    }

    /// A glob with an empty literal prefix is still found (it sits at the root).
    #[test]
    fn leading_star_glob_matches_suffix() {
        let m = matcher(&[glob("*_consent")]);
        assert_eq!(m.find("site_consent"), Some(0));
        assert_eq!(m.find("_consent"), Some(0));
        assert_eq!(m.find("_consent_x"), None);
    }

    /// Exact beats glob, glob beats regex, whatever the declaration order.
    #[test]
    fn exact_beats_glob_beats_regex() {
        let m = matcher(&[regex("_ga.*"), glob("_ga*"), exact("_ga")]);
        assert_eq!(m.find("_ga"), Some(2));
        assert_eq!(m.find("_gaX"), Some(1));
        let m = matcher(&[regex("_ga.*"), glob("_ga?")]);
        assert_eq!(m.find("_gaX"), Some(1));
        assert_eq!(m.find("_gaXY"), Some(0));
    }

    /// The prefix/glob with more literal bytes wins, even when added later.
    #[test]
    fn longer_literal_wins_among_prefixes_and_globs() {
        let m = matcher(&[prefix("_pk_"), glob("_pk_id.*"), glob("*.x")]);
        assert_eq!(m.find("_pk_id.1.x"), Some(1));
        assert_eq!(m.find("_pk_ses.1"), Some(0));
        let m = matcher(&[glob("_p*"), glob("*_pk_id")]);
        assert_eq!(m.find("_pk_id"), Some(1), "6 literal bytes beat 2");
    }

    /// Equal specificity goes to the lowest id, not to insertion order.
    #[test]
    fn ties_go_to_the_lowest_id() {
        let pairs = vec![(5, glob("_ga_*")), (2, prefix("_ga_")), (9, glob("_g?_*"))];
        let m = NameMatcher::build(&pairs).unwrap();
        assert_eq!(m.find("_ga_1"), Some(2));
        let pairs = vec![
            (4, regex("a.*")),
            (1, regex(".*b")),
            (3, exact("x")),
            (0, exact("x")),
        ];
        let m = NameMatcher::build(&pairs).unwrap();
        assert_eq!(m.find("ab"), Some(1));
        assert_eq!(m.find("x"), Some(0));
    }

    /// Regexes must match the whole name, not a substring.
    #[test]
    fn regex_needs_a_full_match() {
        let m = matcher(&[regex("_hj.*"), regex("a|b")]);
        assert_eq!(m.find("_hjid"), Some(0));
        assert_eq!(m.find("x_hjid"), None);
        assert_eq!(m.find("ab"), None, "alternation stays inside the anchors");
    }

    /// Cookie names are case-sensitive on every path.
    #[test]
    fn matching_is_case_sensitive() {
        let m = matcher(&[
            exact("sessionid"),
            prefix("_pk_"),
            glob("_ga_*"),
            regex("hj"),
        ]);
        for miss in ["SessionId", "_PK_x", "_GA_1", "HJ"] {
            assert_eq!(m.find(miss), None, "{miss}");
        }
    }

    /// Every empty pattern and every bad regex is reported, each with its id.
    #[test]
    fn build_reports_all_errors() {
        let pairs = vec![
            (0, exact("")),
            (1, prefix("")),
            (2, glob("ok*")),
            (3, glob("")),
            (4, regex("")),
            (5, regex("(")),
            (6, regex("a)|(b")),
        ];
        let errors = NameMatcher::build(&pairs).unwrap_err();
        let ids: Vec<_> = errors
            .iter()
            .map(|e| match e {
                MatcherError::EmptyPattern { id } => (*id, "empty"),
                MatcherError::InvalidRegex { id, message } => {
                    assert!(!message.contains('\n'), "{message}");
                    (*id, "regex")
                }
            })
            .collect();
        let expected = [
            (0, "empty"),
            (1, "empty"),
            (3, "empty"),
            (4, "empty"),
            (5, "regex"),
            (6, "regex"),
        ];
        assert_eq!(ids, expected);
    }

    /// A regex too big to compile is rejected instead of eating memory.
    #[test]
    fn oversized_regex_is_rejected() {
        let errors = NameMatcher::build(&[(7, regex(r"\w{1000}{1000}"))]).unwrap_err();
        assert!(matches!(
            &errors[..],
            [MatcherError::InvalidRegex { id: 7, .. }]
        ));
    }

    /// `find_all` reports every matching declaration, duplicates included.
    #[test]
    fn find_all_returns_every_matching_id() {
        let m = matcher(&[
            exact("_ga_1"),
            glob("_ga_1"),
            prefix("_ga"),
            glob("_ga_*"),
            glob("*1"),
            regex("_ga.*"),
            regex("x.*"),
            exact("other"),
        ]);
        let mut ids = m.find_all("_ga_1");
        ids.sort_unstable();
        assert_eq!(ids, [0, 1, 2, 3, 4, 5]);
        assert_eq!(m.find("_ga_1"), Some(0));
        assert!(m.find_all("zzz").is_empty());
    }

    /// Samples are names the pattern itself matches; regexes give none.
    #[test]
    fn sample_names_are_matched_by_their_pattern() {
        assert_eq!(NameMatcher::sample_names(&exact("sid")), ["sid"]);
        assert_eq!(
            NameMatcher::sample_names(&prefix("_pk_")),
            ["_pk_", "_pk_x"]
        );
        assert_eq!(
            NameMatcher::sample_names(&glob("_ga_*.?")),
            ["_ga_.x", "_ga_x.x"]
        );
        assert_eq!(NameMatcher::sample_names(&glob("id_?")), ["id_x"]);
        assert!(NameMatcher::sample_names(&regex(".*")).is_empty());
        for p in [prefix("_pk_"), glob("a*b?c*")] {
            let m = matcher(std::slice::from_ref(&p));
            for name in NameMatcher::sample_names(&p) {
                assert_eq!(m.find(&name), Some(0), "{name}");
            }
        }
    }

    /// `describe` names the kind and quotes the text.
    #[test]
    fn describe_names_kind_and_text() {
        assert_eq!(exact("sessionid").describe(), r#"name "sessionid""#);
        assert_eq!(prefix("_pk_").describe(), r#"prefix "_pk_""#);
        assert_eq!(glob("_ga_*").describe(), r#"glob "_ga_*""#);
        assert_eq!(regex("^_hj.*$").describe(), r#"regex "^_hj.*$""#);
    }

    /// `len` counts declarations, whatever their kind.
    #[test]
    fn len_counts_declarations() {
        assert!(matcher(&[]).is_empty());
        let m = matcher(&[exact("a"), exact("a"), glob("b*"), regex("c")]);
        assert_eq!(m.len(), 4);
        assert!(!m.is_empty());
    }

    /// Reference glob matcher, recursive and obviously correct.
    fn naive_glob(g: &[u8], t: &[u8]) -> bool {
        match g.split_first() {
            None => t.is_empty(),
            Some((b'*', rest)) => (0..=t.len()).any(|i| naive_glob(rest, &t[i..])),
            Some((b'?', rest)) => !t.is_empty() && naive_glob(rest, &t[1..]),
            Some((c, rest)) => t.first() == Some(c) && naive_glob(rest, &t[1..]),
        }
    }

    /// Specificity (level, literal bytes) of a pattern if it matches `name`.
    fn naive_rank(p: &Pattern, name: &str) -> Option<(u8, usize)> {
        let literal = |s: &str| s.bytes().filter(|&b| b != b'*' && b != b'?').count();
        match p {
            Pattern::Exact(s) => (s == name).then_some((2, 0)),
            Pattern::Glob(s) if literal(s) == s.len() => (s == name).then_some((2, 0)),
            Pattern::Prefix(s) => name.starts_with(s.as_str()).then_some((1, s.len())),
            Pattern::Glob(s) => naive_glob(s.as_bytes(), name.as_bytes()).then(|| (1, literal(s))),
            Pattern::Regex(s) => {
                let re = regex::Regex::new(&format!("^(?:{s})$")).unwrap();
                re.is_match(name).then_some((0, 0))
            }
        }
    }

    /// Reference `find`: scans every pattern and keeps the best
    /// (level, literal bytes), ties to the lowest id.
    fn naive_find(pairs: &[(usize, Pattern)], name: &str) -> Option<usize> {
        let ranked = pairs
            .iter()
            .filter_map(|(id, p)| Some((naive_rank(p, name)?, *id)));
        ranked
            .max_by(|(ra, ia), (rb, ib)| ra.cmp(rb).then(ib.cmp(ia)))
            .map(|(_, id)| id)
    }

    /// Small patterns over an alphabet dense enough to make them overlap.
    fn pattern_strategy() -> impl Strategy<Value = Pattern> {
        let text = "[abc_.*?]{1,6}";
        prop_oneof![
            1 => text.prop_map(Pattern::Exact),
            1 => text.prop_map(Pattern::Prefix),
            3 => text.prop_map(Pattern::Glob),
            2 => prop::sample::select(vec!["a.*", "[ab]+", "_?c", r".*\.b", "a|b|ab"])
                .prop_map(|s| Pattern::Regex(s.into())),
        ]
    }

    /// Pattern lists with shuffled ids, so id order differs from insertion order.
    fn pairs_strategy() -> impl Strategy<Value = Vec<(usize, Pattern)>> {
        prop::collection::vec(pattern_strategy(), 0..12).prop_flat_map(|patterns| {
            let ids: Vec<usize> = (0..patterns.len()).collect();
            Just(ids)
                .prop_shuffle()
                .prop_map(move |ids| ids.into_iter().zip(patterns.clone()).collect())
        })
    }

    proptest! {
        /// `find` agrees with a full scan using the same specificity rule,
        /// and `find_all` with the full set of matches.
        #[test]
        fn find_agrees_with_naive_scan(
            pairs in pairs_strategy(),
            names in prop::collection::vec("[abc_.*?]{0,8}", 1..8),
        ) {
            let m = NameMatcher::build(&pairs).unwrap();
            for name in &names {
                prop_assert_eq!(m.find(name), naive_find(&pairs, name), "name {:?}", name);
                let mut all = m.find_all(name);
                all.sort_unstable();
                let mut expected: Vec<_> = pairs
                    .iter()
                    .filter(|(_, p)| naive_rank(p, name).is_some())
                    .map(|(id, _)| *id)
                    .collect();
                expected.sort_unstable();
                prop_assert_eq!(all, expected, "name {:?}", name);
            }
        }

        /// Sample names of every pattern are matched by that pattern.
        #[test]
        fn samples_match_their_pattern(pattern in pattern_strategy()) {
            for name in NameMatcher::sample_names(&pattern) {
                prop_assert!(naive_rank(&pattern, &name).is_some(), "{:?}", name);
            }
        }

        /// Arbitrary (non-ASCII, control) names never make lookups panic.
        #[test]
        fn arbitrary_names_never_panic(pairs in pairs_strategy(), name in any::<String>()) {
            let m = NameMatcher::build(&pairs).unwrap();
            let found = m.find(&name);
            prop_assert_eq!(found, naive_find(&pairs, &name));
            let _ = m.find_all(&name);
        }
    }
}
