//! Cost of the header rules applied to every request on its way upstream: hop-by-hop removal,
//! forwarding headers, `Via` and the request id, on a realistic browser request.

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};

use consentry::proxy::headers::{forwarded, hop};
use criterion::{criterion_group, criterion_main, Criterion};
use http::header::{HeaderMap, HeaderValue};
use http::Version;

fn browser_request_headers() -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, value) in [
        ("host", "data.example.fr"),
        (
            "user-agent",
            "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
        ),
        (
            "accept",
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        ),
        ("accept-language", "fr-FR,fr;q=0.8,en-US;q=0.5,en;q=0.3"),
        ("accept-encoding", "gzip, deflate, br, zstd"),
        ("connection", "keep-alive"),
        (
            "cookie",
            "csrftoken=abc; sessionid=def; cookies_preferences=%7B%7D; django_language=fr",
        ),
        ("upgrade-insecure-requests", "1"),
        ("sec-fetch-dest", "document"),
        ("sec-fetch-mode", "navigate"),
    ] {
        headers.append(name, HeaderValue::from_static(value));
    }
    headers
}

fn bench_request_rules(c: &mut Criterion) {
    let template = browser_request_headers();
    let trusted = ["10.0.0.0/8".parse().expect("net")];
    let peer = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 10));
    // Made once per connection and once per process, as the proxy does.
    let peer_value = forwarded::ip_value(peer);
    let via = forwarded::ViaEntries::new("consentry");
    // The request's own `Host` value, which the forwarding fields share.
    let host = HeaderValue::from_static("data.example.fr");
    // The connection's `Forwarded` element, kept from its first request: each iteration is one
    // of a keep-alive connection's later requests.
    let element = forwarded::ElementMemo::default();
    c.bench_function("request header rules", |b| {
        b.iter_batched(
            || template.clone(),
            |mut headers| {
                let id = forwarded::ensure_request_id(&mut headers);
                hop::remove_hop_by_hop_headers(&mut headers);
                let hop = forwarded::Hop {
                    peer,
                    peer_value: &peer_value,
                    proto: "http",
                    host: Some(&host),
                    trusted: forwarded::is_trusted_proxy(peer, &trusted),
                    element: &element,
                };
                let origin = forwarded::add_forwarding_headers(&mut headers, &hop);
                via.append(&mut headers, Version::HTTP_11);
                black_box((headers, id, origin))
            },
            criterion::BatchSize::SmallInput,
        )
    });
    c.bench_function("clone of the request headers (baseline)", |b| {
        b.iter(|| black_box(template.clone()))
    });
}

criterion_group!(benches, bench_request_rules);
criterion_main!(benches);
