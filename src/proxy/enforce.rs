//! The cookie phases of the pipeline: consent is read in `request_filter`, and every
//! `Set-Cookie` line is judged in `response_filter`; violations go to the sink with the request
//! they happened on.

use std::borrow::Cow;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use http::header::{HeaderValue, COOKIE};
use http::Method;

use super::arena::copy_to_shared;
use super::ctx::{Ctx, RequestViolation, StrippedCookie};
use super::set_cookie_lines::{edit_set_cookie_lines, LineChange};
use crate::admin::Counters;
use crate::audit::{
    describe_detail, format_shared_time, AuditHandle, SharedList, SharedStr, Text, ViolationKey,
    ViolationRecord, ViolationSink,
};
use crate::config::Enforcement;
use crate::consent::Consent;
use crate::fields::FieldAccess;
use crate::memo::Memo;
use crate::policy::{
    cookie_pairs, judge_field_value, judge_request_cookie, Detail, Judge, Outcome, Verdict,
    Violation,
};
use crate::privacy::truncate_ip;
use crate::registry::{CategoryId, CategorySet};

pub struct Enforcer {
    pub rules: Enforcement,
    pub sink: Arc<dyn ViolationSink>,
    pub audit: Option<AuditHandle>,
    pub counters: Arc<Counters>,
    /// Moves the cleanup window on when a response cannot carry every deletion.
    pub cleanup_turn: AtomicU64,
    /// The names records repeat, made once per process: each record shares them.
    names: RecordNames,
}

/// Every name a record can carry that does not depend on the request, shared, so that a record
/// clones reference counts and never formats.
struct RecordNames {
    /// Each declaration as records name it (`name "_ga"`), by index.
    described: Vec<SharedStr>,
    /// Each category's id, by index.
    categories: Vec<SharedStr>,
    /// Each consent source as records name it (`json:cookies_preferences`), by index.
    sources: Vec<SharedStr>,
    /// The standard methods; any other is copied per response.
    methods: Vec<(Method, SharedStr)>,
    /// What stands for a request id or host that is absent or not text.
    unknown: SharedStr,
    /// The granted list of a visitor who granted nothing, the commonest.
    nothing_granted: SharedList,
    /// The other granted lists made lately: a visitor's choice is one of a few.
    granted_lists: Memo<CategorySet, SharedList>,
    /// The cookie names, domains and paths records named lately: a portal sets a few cookies,
    /// so each record shares them rather than copying them.
    texts: Memo<Box<str>, SharedStr>,
    /// Detail texts by what they describe: a capped lifetime repeats on every response that
    /// sets the cookie, and formatting it each time cost more than the rest of the record.
    details: Memo<Detail, Option<SharedStr>>,
}

impl RecordNames {
    fn new(rules: &Enforcement) -> RecordNames {
        let registry = &rules.registry;
        let methods = [
            Method::GET,
            Method::POST,
            Method::HEAD,
            Method::PUT,
            Method::DELETE,
            Method::PATCH,
            Method::OPTIONS,
            Method::CONNECT,
            Method::TRACE,
        ];
        RecordNames {
            described: registry
                .declarations()
                .iter()
                .map(|d| SharedStr::from(d.pattern.describe()))
                .collect(),
            categories: registry
                .categories()
                .iter()
                .map(|c| SharedStr::from(c.id.as_str()))
                .collect(),
            sources: rules
                .consent
                .sources
                .iter()
                .map(|s| SharedStr::from(format!("{}:{}", s.format.name(), s.cookie)))
                .collect(),
            methods: methods
                .into_iter()
                .map(|m| {
                    let name = SharedStr::from(m.as_str());
                    (m, name)
                })
                .collect(),
            unknown: SharedStr::from("-"),
            nothing_granted: SharedList::default(),
            granted_lists: Memo::default(),
            texts: Memo::default(),
            details: Memo::default(),
        }
    }

    fn method(&self, method: &Method) -> SharedStr {
        self.methods
            .iter()
            .find(|(m, _)| m == method)
            .map(|(_, name)| name.clone())
            .unwrap_or_else(|| SharedStr::from(method.as_str()))
    }

    /// The request's text, or `-` when it is absent.
    fn text_or_unknown(&self, text: Option<&str>) -> SharedStr {
        text.map_or_else(|| self.unknown.clone(), SharedStr::from)
    }

    /// `text` shared: made once, then handed out again while it is remembered.
    fn text(&self, text: &str) -> SharedStr {
        self.texts.answer(text, |text| SharedStr::from(text))
    }

    fn detail(&self, violation: &Violation) -> Option<SharedStr> {
        self.details.answer(&violation.detail, |_| {
            describe_detail(violation).map(|text| SharedStr::from(text.as_ref()))
        })
    }

    fn category(&self, id: CategoryId) -> Option<SharedStr> {
        self.categories.get(id.index()).cloned()
    }

    /// The granted categories' ids, in category order.
    fn granted(&self, granted: CategorySet) -> SharedList {
        if granted.is_empty() {
            return self.nothing_granted.clone();
        }
        self.granted_lists.answer(&granted, |granted| {
            granted.iter().filter_map(|c| self.category(c)).collect()
        })
    }
}

impl Enforcer {
    pub fn new(
        rules: Enforcement,
        sink: Arc<dyn ViolationSink>,
        audit: Option<AuditHandle>,
        counters: Arc<Counters>,
    ) -> Enforcer {
        let names = RecordNames::new(&rules);
        Enforcer {
            rules,
            sink,
            audit,
            counters,
            cleanup_turn: AtomicU64::new(0),
            names,
        }
    }

    pub fn read_consent(&self, headers: &impl FieldAccess) -> Consent {
        let consent = self
            .rules
            .consent
            .read(headers, self.rules.registry.needs_consent());
        if consent.unreadable {
            self.counters.count_unreadable_consent();
        }
        consent
    }

    /// Judges every `Set-Cookie` line, drops or rewrites those the verdict says, and returns a
    /// record per violation (sent on by the caller, which may wait for the audit queue), and
    /// whether a line left may name a domain.
    pub fn filter_set_cookies(
        &self,
        ctx: &Ctx,
        status: u16,
        headers: &mut impl FieldAccess,
    ) -> FilteredLines {
        let mut records = Vec::new();
        let mut names_a_domain = false;
        let now = SystemTime::now();
        let judge = Judge {
            registry: &self.rules.registry,
            policy: &self.rules.policy,
            consent: &ctx.consent,
            now: unix_seconds(now),
        };
        let mut template = None;
        // When no sink wants the records, the audit log counts a repeat of an open line with no
        // record built; what that needs of the response is made at its first violation.
        let counting = self.audit.as_ref().filter(|_| !self.sink.wants_records());
        let mut repeats = None;
        edit_set_cookie_lines(headers, |line| {
            let verdict = judge_field_value(&judge, line);
            for violation in verdict.violations.iter() {
                if let Some(audit) = counting {
                    let repeats = repeats.get_or_insert_with(|| ResponseShared::of(ctx, now, self));
                    let seen = seen_on_line(&verdict);
                    let detail = self.names.detail(violation);
                    let response = repeats.key(ctx, &self.names);
                    let key = self.violation_key(response, &seen, violation, detail.as_ref());
                    if audit.count_repeat(key, &repeats.time) {
                        continue;
                    }
                }
                let template =
                    template.get_or_insert_with(|| self.record_template(ctx, status, now));
                if records.capacity() == 0 {
                    // Room for a response's usual few, taken at the first record (a counted
                    // repeat needs none): three records stay within the allocator's fast
                    // per-thread cache (a test in audit::record pins it), four do not. Exactly
                    // three: `reserve` rounds a first allocation up to four.
                    records.reserve_exact(3);
                }
                #[cfg(debug_assertions)]
                if let Some(repeats) = &repeats {
                    assert_eq!(repeats.key(ctx, &self.names), template.key());
                }
                records.push(self.make_record(template, &verdict, violation));
            }
            if verdict.outcome != Outcome::Drop {
                // A line that did not parse is assumed to name one. Edits never touch `Domain`.
                let domain = verdict
                    .cookie
                    .as_ref()
                    .map(|cookie| cookie.domain.is_some());
                names_a_domain |= domain.unwrap_or(true);
            }
            match verdict.outcome {
                Outcome::Forward => LineChange::Keep,
                Outcome::Drop => LineChange::Remove,
                // The rewrite only cuts and appends ASCII, so the line stays a valid field value;
                // should it not, dropping is the safe answer.
                // The edited line goes into this thread's shared block: `Bytes::from` the
                // `String`, whose room is larger than the line, would allocate a header for it.
                Outcome::Rewrite(text) => {
                    match HeaderValue::from_maybe_shared(copy_to_shared(text.as_bytes())) {
                        Ok(value) => LineChange::Replace(value),
                        Err(_) => LineChange::Remove,
                    }
                }
            }
        });
        FilteredLines {
            records,
            names_a_domain,
        }
    }

    /// Hands each record to the sink and, when configured, to the audit log, whose bounded
    /// queue makes this wait rather than lose a record.
    pub async fn record_violations(&self, records: Vec<ViolationRecord>) {
        let mut records = records.into_iter();
        // Only a full queue waits. The wait is boxed and built inside the closure, so that its
        // state (whole records among it) is no part of every request's future, and so of every
        // connection's memory.
        let wait = self
            .queue_until_full(&mut records)
            .map(|blocked| Box::pin(self.queue_waiting(blocked, records)));
        if let Some(wait) = wait {
            wait.await;
        }
    }

    /// Logs and queues records while the audit queue has room; the first that found it full.
    fn queue_until_full(
        &self,
        records: &mut std::vec::IntoIter<ViolationRecord>,
    ) -> Option<ViolationRecord> {
        for record in records {
            self.sink.record(&record);
            let Some(audit) = &self.audit else { continue };
            if let Some(record) = audit.try_append(record) {
                return Some(record);
            }
        }
        None
    }

    /// Queues `blocked` (logged already) and the rest, waiting for room each time.
    async fn queue_waiting(
        &self,
        blocked: ViolationRecord,
        rest: std::vec::IntoIter<ViolationRecord>,
    ) {
        let Some(audit) = &self.audit else { return };
        audit.append(blocked).await;
        for record in rest {
            self.sink.record(&record);
            audit.append(record).await;
        }
    }

    fn make_record(
        &self,
        template: &Template,
        verdict: &Verdict<'_, '_>,
        violation: &Violation,
    ) -> ViolationRecord {
        self.build_record(template, seen_on_line(verdict), violation)
    }

    /// The aggregation key of a violation, from what was seen and what its response shares: the
    /// key of the record [`Enforcer::build_record`] would build from the same (debug builds check
    /// it on every record), without building it.
    fn violation_key<'a>(
        &'a self,
        response: ResponseKey<'a>,
        seen: &'a Seen<'_>,
        violation: &Violation,
        detail: Option<&'a SharedStr>,
    ) -> ViolationKey<'a> {
        let names = &self.names;
        let declaration = seen.declaration;
        ViolationKey {
            direction: Text(seen.direction),
            cookie: Text(&seen.cookie),
            cookie_domain: seen.domain.map(Text),
            cookie_path: seen.path.map(Text),
            kind: Text(violation.kind.as_str()),
            declaration: declaration
                .and_then(|(i, _)| names.described.get(i))
                .map(|text| Text(text)),
            category: declaration
                .and_then(|(_, d)| names.categories.get(d.category.index()))
                .map(|text| Text(text)),
            consent_state: Text(response.consent_state),
            consent_source: response.consent_source,
            granted: response.granted,
            gpc: response.gpc,
            action: Text(violation.action.as_str()),
            mode: Text(violation.mode.as_str()),
            enforced: violation.is_enforced(),
            detail: detail.map(|text| Text(text)),
            host: response.host,
            client: Some(response.client),
        }
    }

    /// Records for the cookies the browser sent, now that the status is known. Takes them out
    /// of `ctx`, so that an error after this point does not record them twice.
    pub fn request_records(&self, ctx: &mut Ctx, status: u16) -> Vec<ViolationRecord> {
        let seen = std::mem::take(&mut ctx.request_violations);
        if seen.is_empty() {
            return Vec::new();
        }
        let declarations = self.rules.registry.declarations();
        let template = self.record_template(ctx, status, SystemTime::now());
        // Owned, so each cookie's name moves into its record rather than being copied.
        seen.into_iter()
            .map(|seen| {
                let declaration = seen
                    .declaration
                    .and_then(|i| declarations.get(i).map(|d| (i, d)));
                self.build_record(
                    &template,
                    Seen {
                        direction: "request",
                        cookie: Cow::Owned(seen.cookie),
                        domain: None,
                        path: None,
                        declaration,
                    },
                    &seen.violation,
                )
            })
            .collect()
    }

    /// Strips from the (single, merged) `Cookie` line every cookie the visitor's consent does
    /// not cover, keeping the others' bytes, and notes each breach in `ctx`.
    pub fn filter_request_cookies(&self, ctx: &mut Ctx, headers: &mut impl FieldAccess) {
        let Some(line) = headers.first(&COOKIE) else {
            return;
        };
        // Kept for a withdrawal the response may carry (a cheap clone: the bytes are shared).
        ctx.request_cookie = Some(line.clone());
        // A line that is not UTF-8 cannot be split into names reliably; it goes on unchanged.
        let Ok(text) = std::str::from_utf8(line.as_bytes()) else {
            return;
        };
        let judge = Judge {
            registry: &self.rules.registry,
            policy: &self.rules.policy,
            consent: &ctx.consent,
            now: 0,
        };
        // The kept pairs are only copied out once a pair is stripped.
        let mut kept: Option<String> = None;
        for (index, (name, pair)) in cookie_pairs(text).enumerate() {
            let verdict = judge_request_cookie(&judge, name, self.rules.consent.owns_cookie(name));
            if let Some(violation) = verdict.violation {
                ctx.request_violations.push(RequestViolation {
                    cookie: name.to_owned(),
                    declaration: verdict.declaration.map(|(i, _)| i),
                    violation,
                });
            }
            if verdict.keep {
                if let Some(kept) = kept.as_mut() {
                    push_pair(kept, pair);
                }
                continue;
            }
            // At the first stripped pair, every pair before it was kept.
            kept.get_or_insert_with(|| {
                let mut before = String::with_capacity(text.len());
                cookie_pairs(text)
                    .take(index)
                    .for_each(|(_, pair)| push_pair(&mut before, pair));
                before
            });
            if self.rules.cleanup.enabled && !ctx.stripped.iter().any(|s| s.name == name) {
                ctx.stripped.push(StrippedCookie {
                    name: name.to_owned(),
                    declaration: verdict.declaration.map(|(i, _)| i),
                });
            }
        }
        if let Some(kept) = kept {
            match HeaderValue::from_str(&kept) {
                Ok(value) if !kept.is_empty() => headers.set(COOKIE, value),
                _ => headers.remove_all(&COOKIE),
            }
        }
    }

    /// What every record of one response shares (time, request, consent, client), formatted
    /// once; each violation then fills in its own fields.
    fn record_template(&self, ctx: &Ctx, status: u16, now: SystemTime) -> Template {
        let names = &self.names;
        let consent = &ctx.consent;
        Template {
            time: format_shared_time(now),
            request_id: names.text_or_unknown(ctx.request_id.to_str().ok()),
            method: names.method(&ctx.method),
            // A portal answers to a host or two: one shared text each, not one per response.
            host: ctx
                .host_str()
                .map_or_else(|| names.unknown.clone(), |host| names.text(host)),
            path: SharedStr::from(ctx.uri.path()),
            status,
            consent_state: consent.state.as_str(),
            consent_source: consent.source.and_then(|i| names.sources.get(i).cloned()),
            granted: names.granted(consent.granted),
            gpc: consent.gpc,
            client: truncated_client(ctx),
        }
    }

    fn build_record(
        &self,
        template: &Template,
        seen: Seen<'_>,
        violation: &Violation,
    ) -> ViolationRecord {
        let names = &self.names;
        let record = ViolationRecord {
            time: template.time.clone(),
            request_id: template.request_id.clone(),
            method: template.method.clone(),
            host: template.host.clone(),
            path: template.path.clone(),
            status: template.status,
            direction: seen.direction,
            cookie: names.text(&seen.cookie),
            cookie_domain: seen.domain.map(|domain| names.text(domain)),
            cookie_path: seen.path.map(|path| names.text(path)),
            kind: violation.kind.as_str(),
            declaration: seen
                .declaration
                .and_then(|(i, _)| names.described.get(i).cloned()),
            category: seen
                .declaration
                .and_then(|(_, d)| names.category(d.category)),
            consent_state: template.consent_state,
            consent_source: template.consent_source.clone(),
            granted: template.granted.clone(),
            gpc: template.gpc,
            action: violation.action.as_str(),
            mode: violation.mode.as_str(),
            enforced: violation.is_enforced(),
            detail: names.detail(violation),
            client: Some(template.client.clone()),
        };
        // The key counted for a repeat must be the record's, or repeats would open lines of
        // their own (or, worse, count into another violation's).
        #[cfg(debug_assertions)]
        {
            let detail = names.detail(violation);
            let key = self.violation_key(template.key(), &seen, violation, detail.as_ref());
            assert_eq!(ViolationKey::of(&record), key);
        }
        record
    }
}

/// What filtering a response's `Set-Cookie` lines leaves to do.
pub struct FilteredLines {
    /// A record per violation.
    pub records: Vec<ViolationRecord>,
    /// Whether a line left has a `Domain` attribute with a value, which the public-host rewrite
    /// may have to change: the verdicts parsed every line, so the rewrite need not look again.
    pub names_a_domain: bool,
}

/// What every violation of one response shares in its aggregation key, borrowed from the
/// response (or from its record template).
#[derive(Debug, Clone, Copy, PartialEq)]
struct ResponseKey<'a> {
    host: Text<'a>,
    consent_state: &'static str,
    consent_source: Option<Text<'a>>,
    granted: &'a SharedList,
    gpc: bool,
    client: Text<'a>,
}

/// What counting a response's repeats needs that is not borrowed: the time of the repeats (the
/// `last_time` of their lines), the granted list and the client, each made once per response.
struct ResponseShared {
    time: SharedStr,
    granted: SharedList,
    client: SharedStr,
}

impl ResponseShared {
    fn of(ctx: &Ctx, now: SystemTime, enforcer: &Enforcer) -> ResponseShared {
        ResponseShared {
            time: format_shared_time(now),
            granted: enforcer.names.granted(ctx.consent.granted),
            client: truncated_client(ctx),
        }
    }

    /// The same fields as [`Template::key`] (`record_template` makes them from the same parts).
    fn key<'a>(&'a self, ctx: &'a Ctx, names: &'a RecordNames) -> ResponseKey<'a> {
        let consent = &ctx.consent;
        ResponseKey {
            host: Text(ctx.host_str().unwrap_or(&names.unknown)),
            consent_state: consent.state.as_str(),
            consent_source: consent
                .source
                .and_then(|i| names.sources.get(i))
                .map(|text| Text(text)),
            granted: &self.granted,
            gpc: consent.gpc,
            client: Text(&self.client),
        }
    }
}

/// What a record says about the cookie of a `Set-Cookie` line.
fn seen_on_line<'a>(verdict: &'a Verdict<'_, '_>) -> Seen<'a> {
    let cookie = verdict.cookie.as_ref();
    Seen {
        direction: "response",
        cookie: Cow::Borrowed(cookie.map(|c| c.name).unwrap_or_default()),
        domain: cookie.and_then(|c| c.domain),
        path: cookie.and_then(|c| c.path),
        declaration: verdict.declaration,
    }
}

/// What every record of one response shares, each field made once.
struct Template {
    time: SharedStr,
    request_id: SharedStr,
    method: SharedStr,
    host: SharedStr,
    path: SharedStr,
    status: u16,
    consent_state: &'static str,
    consent_source: Option<SharedStr>,
    granted: SharedList,
    gpc: bool,
    client: SharedStr,
}

impl Template {
    /// For the checks that the keys counted for repeats are the records' keys.
    #[cfg(debug_assertions)]
    fn key(&self) -> ResponseKey<'_> {
        ResponseKey {
            host: Text(&self.host),
            consent_state: self.consent_state,
            consent_source: self.consent_source.as_deref().map(Text),
            granted: &self.granted,
            gpc: self.gpc,
            client: Text(&self.client),
        }
    }
}

/// The visitor's truncated address: the connection's, made once, unless a trusted proxy in
/// front named another client.
fn truncated_client(ctx: &Ctx) -> SharedStr {
    if ctx.client.to_canonical() == ctx.peer.addr.ip().to_canonical() {
        return ctx.peer.truncated.clone();
    }
    SharedStr::display(truncate_ip(ctx.client))
}

/// Seconds since the epoch, as the verdicts count time.
pub fn unix_now() -> i64 {
    unix_seconds(SystemTime::now())
}

fn unix_seconds(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Appends a `name=value` pair as a `Cookie` header joins them.
fn push_pair(kept: &mut String, pair: &str) {
    if !kept.is_empty() {
        kept.push_str("; ");
    }
    kept.push_str(pair);
}

/// What a record says about the cookie it is about.
struct Seen<'a> {
    direction: &'static str,
    /// Borrowed from a `Set-Cookie` line, or owned by the request's list of violations.
    cookie: Cow<'a, str>,
    domain: Option<&'a str>,
    path: Option<&'a str>,
    declaration: Option<(usize, &'a crate::registry::Declaration)>,
}
