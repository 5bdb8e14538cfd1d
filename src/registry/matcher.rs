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
mod tests;
