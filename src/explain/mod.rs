//! `consentry explain`: runs the same core as the proxy on a request's cookies and a list of
//! `Set-Cookie` lines, and shows the consent read; for each cookie the browser sent, whether it
//! would be stripped and the deletions the response would carry; for each line, the matching
//! declaration, the verdict, the violations and the line as it would be forwarded. Its `--json`
//! output is documented in docs/explain.md and kept stable.

use std::time::{SystemTime, UNIX_EPOCH};

use http::header::{HeaderMap, HeaderName, HeaderValue, COOKIE};
use serde_json::{json, Value};

pub use text::render_text;

use crate::audit::describe_detail;
use crate::config::Enforcement;
use crate::consent::{find_request_cookie, Consent, Reading};
use crate::policy::{
    cookie_pairs, judge_request_cookie, judge_set_cookie, plan_deletions, Judge, Outcome, Site,
    Target, Verdict, Violation,
};
use crate::registry::{Declaration, MaxLifetime, Registry};

mod text;

/// The request as `explain` was told it: a `Cookie` header value and other headers.
pub fn build_request_headers(
    cookie: Option<&str>,
    headers: &[String],
) -> Result<HeaderMap, String> {
    let mut map = HeaderMap::new();
    if let Some(cookie) = cookie {
        let value = HeaderValue::from_str(cookie)
            .map_err(|_| "--cookie: not a valid header value".to_owned())?;
        map.append(COOKIE, value);
    }
    for header in headers {
        let (name, value) = header
            .split_once(':')
            .ok_or_else(|| format!("--header `{header}`: expected `Name: value`"))?;
        let name = HeaderName::from_bytes(name.trim().as_bytes())
            .map_err(|_| format!("--header `{header}`: invalid name"))?;
        let value = HeaderValue::from_str(value.trim())
            .map_err(|_| format!("--header `{header}`: invalid value"))?;
        map.append(name, value);
    }
    Ok(map)
}

/// The page the visitor asks for (`--url`).
pub struct Page {
    pub url: String,
    pub host: String,
    pub path: String,
    pub secure: bool,
}

impl Page {
    pub fn parse(url: &str) -> Result<Page, String> {
        let uri: http::Uri = url
            .parse()
            .map_err(|_| format!("--url `{url}`: not a URL"))?;
        let secure = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => {
                return Err(format!(
                    "--url `{url}`: expected http://HOST/PATH or https://…"
                ))
            }
        };
        let host = uri
            .authority()
            .map(|a| a.as_str().to_owned())
            .ok_or_else(|| format!("--url `{url}`: no host"))?;
        Ok(Page {
            url: url.to_owned(),
            host,
            path: uri.path().to_owned(),
            secure,
        })
    }
}

/// Runs the core and returns the explanation as JSON (the text form is rendered from it).
pub fn explain(rules: &Enforcement, headers: &HeaderMap, page: &Page, lines: &[String]) -> Value {
    let consent = rules.consent.read(headers, rules.registry.needs_consent());
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let judge = Judge {
        registry: &rules.registry,
        policy: &rules.policy,
        consent: &consent,
        now,
    };
    let lines: Vec<Value> = lines
        .iter()
        .map(|line| {
            describe_line(
                &rules.registry,
                line,
                &judge_set_cookie(&judge, line.as_bytes()),
            )
        })
        .collect();
    json!({
        "consent": describe_consent(rules, headers, &consent),
        "request": describe_request(rules, headers, &judge, page),
        "lines": lines,
    })
}

/// The request side: each cookie the browser sent, what the upstream would receive, and the
/// deletions the response would carry.
fn describe_request(
    rules: &Enforcement,
    headers: &HeaderMap,
    judge: &Judge<'_>,
    page: &Page,
) -> Value {
    let texts: Vec<&str> = headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let mut cookies = Vec::new();
    let mut forwarded = Vec::new();
    let mut targets: Vec<Target<'_>> = Vec::new();
    for (name, _) in texts.iter().flat_map(|text| cookie_pairs(text)) {
        let consent_cookie = rules.consent.owns_cookie(name);
        let verdict = judge_request_cookie(judge, name, consent_cookie);
        if verdict.keep {
            forwarded.push(name);
        } else if rules.cleanup.enabled && !targets.iter().any(|t| t.name == name) {
            targets.push(Target::declared(name, verdict.declaration.map(|(_, d)| d)));
        }
        cookies.push(json!({
            "cookie": name,
            "consent_cookie": consent_cookie,
            "declaration": verdict.declaration.map(|(_, d)| describe_declaration(&rules.registry, d)),
            "verdict": if verdict.keep { "keep" } else { "strip" },
            "violation": verdict.violation.as_ref().map(describe_violation),
        }));
    }
    let site = Site {
        host: &page.host,
        path: &page.path,
        secure: page.secure,
    };
    let plan = plan_deletions(&site, &targets, rules.cleanup.max_per_response, 0);
    json!({
        "page": page.url,
        "cookies": cookies,
        "forwarded": forwarded,
        "cleanup": rules.cleanup.enabled,
        "deletions": plan.deletions.iter().map(|d| d.to_line()).collect::<Vec<_>>(),
        "deletions_left_out": plan.left_out,
    })
}

fn describe_violation(v: &Violation) -> Value {
    json!({
        "kind": v.kind.as_str(),
        "action": v.action.as_str(),
        "mode": v.mode.as_str(),
        "enforced": v.is_enforced(),
        "detail": describe_detail(v),
    })
}

fn describe_consent(rules: &Enforcement, headers: &HeaderMap, consent: &Consent) -> Value {
    let registry = &rules.registry;
    let sources: Vec<Value> = rules
        .consent
        .sources
        .iter()
        .enumerate()
        .map(|(i, source)| {
            let present = find_request_cookie(headers, &source.cookie);
            let mut keys = Vec::new();
            let reading = present.map(|value| {
                source.format.read(value, &mut |key, granted| {
                    let mapped: Vec<&str> = source
                        .keys
                        .get(key)
                        .map(|set| {
                            set.iter()
                                .map(|c| registry.category(c).id.as_str())
                                .collect()
                        })
                        .unwrap_or_default();
                    keys.push(json!({"key": key, "granted": granted, "categories": mapped}));
                })
            });
            let status = match reading {
                None => "absent",
                Some(Ok(Reading::Decided)) => "decided",
                Some(Ok(Reading::Undecided)) => "undecided",
                Some(Err(_)) => "unreadable",
            };
            json!({
                "format": source.format.name(),
                "cookie": source.cookie,
                "status": status,
                "reason": reading.and_then(|r| r.err()).map(|e| e.0),
                "used": consent.source == Some(i),
                "keys": if matches!(reading, Some(Err(_))) { Vec::new() } else { keys },
            })
        })
        .collect();
    let names = |set: crate::registry::CategorySet| -> Vec<&str> {
        set.iter()
            .map(|c| registry.category(c).id.as_str())
            .collect()
    };
    json!({
        "state": consent.state.as_str(),
        "source": consent.source.and_then(|i| rules.consent.sources.get(i)).map(|s| format!("{}:{}", s.format.name(), s.cookie)),
        "granted": names(consent.granted),
        "gpc": consent.gpc,
        "gpc_denied": if consent.gpc { names(consent.gpc_denied) } else { Vec::new() },
        "unreadable": consent.unreadable,
        "sources": sources,
    })
}

fn describe_line(registry: &Registry, line: &str, verdict: &Verdict<'_, '_>) -> Value {
    let (verdict_name, output) = match &verdict.outcome {
        Outcome::Forward => ("forward", Some(line.to_owned())),
        Outcome::Drop => ("drop", None),
        Outcome::Rewrite(new) => ("rewrite", Some(new.clone())),
    };
    let violations: Vec<Value> = verdict.violations.iter().map(describe_violation).collect();
    json!({
        "input": line,
        "cookie": verdict.cookie.as_ref().map(|c| c.name),
        "declaration": verdict.declaration.map(|(_, d)| describe_declaration(registry, d)),
        "verdict": verdict_name,
        "output": output,
        "violations": violations,
    })
}

fn describe_declaration(registry: &Registry, declaration: &Declaration) -> Value {
    let category = registry.category(declaration.category);
    json!({
        "pattern": declaration.pattern.describe(),
        "provider": declaration.provider,
        "service": declaration.service,
        "category": category.id,
        "needs_consent": category.needs_consent,
        "max_lifetime": match declaration.max_lifetime {
            MaxLifetime::Session => "session".to_owned(),
            MaxLifetime::Duration(d) => format!("{} s", d.as_secs()),
        },
    })
}
