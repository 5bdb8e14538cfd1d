//! The text form of an explanation, rendered from its JSON: the consent, the request's cookies
//! and deletions, then a few aligned lines per `Set-Cookie`.

use serde_json::Value;

/// A JSON list of strings as `a, b`, or `-` when empty.
fn list(v: &Value) -> String {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        })
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "-".to_owned())
}

/// The text form: a few aligned lines per `Set-Cookie`.
pub fn render_text(explanation: &Value) -> String {
    let mut out = String::new();
    let consent = &explanation["consent"];
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
    render_request(&mut out, &explanation["request"]);
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
            out.push_str(&format!("  violation:  {}\n", describe_violation(v)));
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

/// `kind -> action (mode)`, said when not carried out, with the detail if any.
fn describe_violation(v: &Value) -> String {
    format!(
        "{} -> {} ({}{}){}",
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
    )
}

/// Each cookie the browser sent and what becomes of it, then the deletions.
fn render_request(out: &mut String, request: &Value) {
    let cookies = request["cookies"].as_array().map_or(&[][..], Vec::as_slice);
    if cookies.is_empty() {
        return;
    }
    out.push_str(&format!(
        "\nrequest:      {}\n",
        request["page"].as_str().unwrap_or("?")
    ));
    for cookie in cookies {
        let name = cookie["cookie"].as_str().unwrap_or("?");
        let why = if cookie["consent_cookie"].as_bool() == Some(true) {
            " (the consent cookie)".to_owned()
        } else {
            match cookie["declaration"]["category"].as_str() {
                Some(category) => format!(" ({category})"),
                None => " (undeclared)".to_owned(),
            }
        };
        let violation = &cookie["violation"];
        let violation = if violation.is_null() {
            String::new()
        } else {
            format!(": {}", describe_violation(violation))
        };
        out.push_str(&format!(
            "  {:<6}      {name}{why}{violation}\n",
            cookie["verdict"].as_str().unwrap_or("?"),
        ));
    }
    out.push_str(&format!("  upstream:   {}\n", list(&request["forwarded"])));
    if request["cleanup"].as_bool() != Some(true) {
        out.push_str("  cleanup:    off\n");
        return;
    }
    for deletion in request["deletions"].as_array().into_iter().flatten() {
        out.push_str(&format!(
            "  delete:     {}\n",
            deletion.as_str().unwrap_or("?")
        ));
    }
    if let Some(left) = request["deletions_left_out"].as_u64().filter(|n| *n > 0) {
        out.push_str(&format!(
            "  ({left} more deletions over policy.cleanup.max_per_response, sent on later responses)\n"
        ));
    }
}
