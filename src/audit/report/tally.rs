//! The running aggregates: everything the report needs, and nothing per line, so that memory
//! grows with the number of distinct cookies, paths and days, not with the size of the log.

use std::collections::{BTreeMap, HashMap};

use super::line::Violation;

/// Violations (the sum of `count`) and the lines that stand for them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counter {
    pub violations: u64,
    pub lines: u64,
}

impl Counter {
    fn add(&mut self, count: u64) {
        self.violations = self.violations.saturating_add(count);
        self.lines += 1;
    }
}

/// How the lines read were classified.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LineCounts {
    /// Violation lines inside the period (the ones counted).
    pub violations: u64,
    pub file_starts: u64,
    /// Torn or unparseable lines, and violations missing a field the report needs.
    pub unreadable: u64,
    /// Violation lines outside `--since`/`--until`.
    pub outside_period: u64,
    /// Well-formed lines of a `type` this version does not know.
    pub other: u64,
}

/// First and last occurrence, as RFC 3339 strings (which compare chronologically).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Span {
    pub first: Option<String>,
    pub last: Option<String>,
}

impl Span {
    fn widen(&mut self, first: &str, last: &str) {
        if self.first.as_deref().is_none_or(|seen| first < seen) {
            self.first = Some(first.to_owned());
        }
        if self.last.as_deref().is_none_or(|seen| last > seen) {
            self.last = Some(last.to_owned());
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstanceTally {
    pub counter: Counter,
    pub span: Span,
}

/// A cookie as the report tells cookies apart: its name, the declaration it matched (`None`:
/// undeclared) and that declaration's category.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CookieKey {
    pub name: String,
    pub declaration: Option<String>,
    pub category: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CookieTally {
    pub counter: Counter,
    /// Violations per kind.
    pub kinds: BTreeMap<String, u64>,
}

#[derive(Debug, Default)]
pub struct Tally {
    pub lines: LineCounts,
    pub total: Counter,
    pub span: Span,
    pub instances: HashMap<String, InstanceTally>,
    pub kinds: HashMap<String, Counter>,
    pub cookies: HashMap<CookieKey, CookieTally>,
    pub categories: HashMap<Option<String>, Counter>,
    pub paths: HashMap<String, Counter>,
    /// Day (`YYYY-MM-DD`) → kind → violations.
    pub days: BTreeMap<String, BTreeMap<String, u64>>,
    pub consent_states: HashMap<String, Counter>,
    /// (`mode`, `enforced`) → counter.
    pub enforcement: HashMap<(String, bool), Counter>,
}

impl Tally {
    /// Counts one violation line (already known to be inside the period).
    pub fn add_violation(&mut self, v: &Violation<'_>) {
        let count = v.count;
        self.lines.violations += 1;
        self.total.add(count);
        self.span.widen(&v.time, &v.last_time);
        update(&mut self.instances, &v.instance, |instance| {
            instance.counter.add(count);
            instance.span.widen(&v.time, &v.last_time);
        });
        update(&mut self.kinds, &v.kind, |c: &mut Counter| c.add(count));
        update(&mut self.paths, &v.path, |c: &mut Counter| c.add(count));
        update(
            &mut self.consent_states,
            &v.consent_state,
            |c: &mut Counter| {
                c.add(count);
            },
        );
        update_sorted(&mut self.days, v.day(), |kinds| {
            update_sorted(kinds, &v.kind, |n| add_to(n, count));
        });

        let category = v.category.as_deref().map(str::to_owned);
        self.categories
            .entry(category.clone())
            .or_default()
            .add(count);
        let cookie = self
            .cookies
            .entry(CookieKey {
                name: v.cookie.to_string(),
                declaration: v.declaration.as_deref().map(str::to_owned),
                category,
            })
            .or_default();
        cookie.counter.add(count);
        update_sorted(&mut cookie.kinds, &v.kind, |n| add_to(n, count));
        self.enforcement
            .entry((v.mode.to_string(), v.enforced))
            .or_default()
            .add(count);
    }
}

fn add_to(slot: &mut u64, count: u64) {
    *slot = slot.saturating_add(count);
}

/// Applies `change` to the map's value for `key`, allocating the key only the first time it is
/// seen: most lines repeat a kind, path or instance already counted.
fn update<V: Default>(map: &mut HashMap<String, V>, key: &str, change: impl FnOnce(&mut V)) {
    if let Some(value) = map.get_mut(key) {
        change(value);
        return;
    }
    change(map.entry(key.to_owned()).or_default());
}

/// [`update`] for the maps whose order the report keeps (days, kinds).
fn update_sorted<V: Default>(
    map: &mut BTreeMap<String, V>,
    key: &str,
    change: impl FnOnce(&mut V),
) {
    if let Some(value) = map.get_mut(key) {
        change(value);
        return;
    }
    change(map.entry(key.to_owned()).or_default());
}
