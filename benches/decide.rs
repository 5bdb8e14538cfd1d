//! The verdict on one `Set-Cookie` line, measured beside a bare `cookie::Cookie::parse` of the same
//! line in the same run. Registry: 1,000 declarations (700 exact names, 150 prefixes, 140 globs,
//! 10 regexes) plus the seed portal's own, loaded through the real configuration loader.

use std::fmt::Write as _;
use std::hint::black_box;
use std::path::Path;

use consentry::config::{Config, Overrides};
use consentry::consent::{Consent, ConsentState};
use consentry::policy::{judge_set_cookie, Judge};
use consentry::registry::CategorySet;
use criterion::{criterion_group, criterion_main, Criterion};

/// Realistic lines as portals and trackers send them.
const LINES: [(&str, &str); 4] = [
    (
        "sessionid",
        "sessionid=8yq3kx2n1v7w0p4r6t9s5u2m3j6h8f1d; expires=Wed, 21 Oct 2037 07:28:00 GMT; HttpOnly; Max-Age=1209600; Path=/; SameSite=Lax; Secure",
    ),
    (
        "csrftoken",
        "csrftoken=Xk9vQ2mZ7rT4bN8cW1yH6jL3pF5sD0gA; expires=Thu, 20 Nov 2027 10:00:00 GMT; Max-Age=31449600; Path=/; SameSite=Lax",
    ),
    (
        "_pk_id (glob)",
        "_pk_id.1.a1b2=4f2c9d81e7a03b56.1764393123.; Max-Age=34128000; Path=/; SameSite=Lax",
    ),
    ("undeclared", "ab_test_variant=B; Path=/; Max-Age=2592000"),
];

fn registry_toml() -> String {
    let mut text = String::from(
        "[proxy]\nupstream = \"http://127.0.0.1:1\"\n\
         [[category]]\nid = \"necessary\"\nneeds_consent = false\n\
         [[category]]\nid = \"statistics\"\n\
         [[cookie]]\nname = \"sessionid\"\ncategory = \"necessary\"\nmax_lifetime = \"2w\"\n\
         [[cookie]]\nname = \"csrftoken\"\ncategory = \"necessary\"\nmax_lifetime = \"12mo\"\n\
         [[cookie]]\nglob = \"_pk_id.*\"\ncategory = \"statistics\"\nmax_lifetime = \"13mo\"\n",
    );
    let mut add = |kind: &str, pattern: String| {
        let _ = write!(
            text,
            "[[cookie]]\n{kind} = '{pattern}'\ncategory = \"statistics\"\nmax_lifetime = \"13mo\"\n"
        );
    };
    for i in 0..700 {
        add("name", format!("vendor{i}_uid"));
    }
    for i in 0..150 {
        add("prefix", format!("pfx{i}_"));
    }
    for i in 0..140 {
        add("glob", format!("tag{i}_*_id"));
    }
    for i in 0..10 {
        add("regex", format!("rx{i}_[0-9a-f]{{8}}"));
    }
    text
}

fn bench_verdict_beside_parse(c: &mut Criterion) {
    let config = Config::from_toml(
        &registry_toml(),
        "bench.toml",
        Path::new("."),
        &Overrides::default(),
    )
    .expect("bench registry");
    let rules = config.enforcement.expect("enforcement");
    assert!(rules.registry.declarations().len() >= 1_000);
    let mut granted = CategorySet::EMPTY;
    granted.insert(
        rules
            .registry
            .category_id("statistics")
            .expect("statistics"),
    );
    let consent = Consent {
        state: ConsentState::Given,
        granted,
        ..Consent::NONE
    };
    let judge = Judge {
        registry: &rules.registry,
        policy: &rules.policy,
        consent: &consent,
        now: 1_764_393_123,
    };
    let mut group = c.benchmark_group("set-cookie");
    for (label, line) in LINES {
        group.bench_function(format!("verdict/{label}"), |b| {
            b.iter(|| black_box(judge_set_cookie(&judge, black_box(line.as_bytes()))))
        });
        group.bench_function(format!("cookie::Cookie::parse/{label}"), |b| {
            b.iter(|| black_box(cookie::Cookie::parse(black_box(line))))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_verdict_beside_parse);
criterion_main!(benches);
