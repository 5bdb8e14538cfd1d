//! `consentry explain`: runs the same core as the proxy on a request's cookies and a list of
//! `Set-Cookie` lines, and shows the consent read, the matching declaration, the verdict, the
//! violations and the line as it would be forwarded. Its `--json` output is documented in
//! docs/explain.md and kept stable.

use std::time::{SystemTime, UNIX_EPOCH};

use http::header::{HeaderMap, HeaderName, HeaderValue, COOKIE};
use serde_json::{json, Value};

use crate::audit::describe_detail;
use crate::config::Enforcement;
use crate::consent::{find_request_cookie, Consent, Reading};
use crate::policy::{judge_set_cookie, Judge, Outcome, Verdict};
use crate::registry::{Declaration, MaxLifetime, Registry};

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

/// Runs the core and returns the explanation as JSON (the text form is rendered from it).
pub fn explain(rules: &Enforcement, headers: &HeaderMap, lines: &[String]) -> Value {
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
        "lines": lines,
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
    let violations: Vec<Value> = verdict
        .violations
        .iter()
        .map(|v| {
            json!({
                "kind": v.kind.as_str(),
                "action": v.action.as_str(),
                "mode": v.mode.as_str(),
                "enforced": v.is_enforced(),
                "detail": describe_detail(v),
            })
        })
        .collect();
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

/// The text form: a few aligned lines per `Set-Cookie`.
pub fn render_text(explanation: &Value) -> String {
    let mut out = String::new();
    let consent = &explanation["consent"];
    let list = |v: &Value| {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "-".to_owned())
    };
    out.push_str(&format!(
        "consent:      {} (source: {}; granted: {}; GPC: {})\n",
        consent["state"].as_str().unwrap_or("?"),
        consent["source"].as_str().unwrap_or("none"),
        list(&consent["granted"]),
        if consent["gpc"].as_bool() == Some(true) {
            "yes"
        } else {
            "no"
        },
    ));
    for source in consent["sources"].as_array().into_iter().flatten() {
        let keys: Vec<String> = source["keys"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|k| {
                let cats = list(&k["categories"]);
                let cats = if cats == "-" {
                    "unmapped".to_owned()
                } else {
                    cats
                };
                format!(
                    "{}={} ({cats})",
                    k["key"].as_str().unwrap_or("?"),
                    k["granted"]
                )
            })
            .collect();
        out.push_str(&format!(
            "  source {}:{}: {}{}{}\n",
            source["format"].as_str().unwrap_or("?"),
            source["cookie"].as_str().unwrap_or("?"),
            source["status"].as_str().unwrap_or("?"),
            source["reason"]
                .as_str()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default(),
            if keys.is_empty() {
                String::new()
            } else {
                format!(": {}", keys.join(", "))
            },
        ));
    }
    for line in explanation["lines"].as_array().into_iter().flatten() {
        out.push_str(&format!(
            "\nSet-Cookie:   {}\n",
            line["input"].as_str().unwrap_or("")
        ));
        out.push_str(&format!(
            "  cookie:     {}\n",
            line["cookie"].as_str().unwrap_or("(unparseable)")
        ));
        let declaration = &line["declaration"];
        if declaration.is_null() {
            out.push_str("  declared:   no\n");
        } else {
            out.push_str(&format!(
                "  declared:   {} ({} / {}), category {}, at most {}\n",
                declaration["pattern"].as_str().unwrap_or("?"),
                declaration["provider"].as_str().unwrap_or("?"),
                declaration["service"].as_str().unwrap_or("?"),
                declaration["category"].as_str().unwrap_or("?"),
                declaration["max_lifetime"].as_str().unwrap_or("?"),
            ));
        }
        for v in line["violations"].as_array().into_iter().flatten() {
            out.push_str(&format!(
                "  violation:  {} -> {} ({}{}){}\n",
                v["kind"].as_str().unwrap_or("?"),
                v["action"].as_str().unwrap_or("?"),
                v["mode"].as_str().unwrap_or("?"),
                if v["enforced"].as_bool() == Some(true) {
                    ""
                } else {
                    ", not carried out"
                },
                v["detail"]
                    .as_str()
                    .map(|d| format!(": {d}"))
                    .unwrap_or_default(),
            ));
        }
        out.push_str(&format!(
            "  verdict:    {}\n",
            line["verdict"].as_str().unwrap_or("?")
        ));
        match line["output"].as_str() {
            Some(output) => out.push_str(&format!("  forwarded:  {output}\n")),
            None => out.push_str("  forwarded:  (nothing: the line is dropped)\n"),
        }
    }
    out
}
