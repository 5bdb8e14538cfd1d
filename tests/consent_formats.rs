//! Every consent format through the running proxy: the visitor's choice, in the consent
//! manager's own cookie, decides whether a statistics cookie reaches the browser.

mod common;

use common::*;
use http::{Method, Response};

/// (format, cookie name in the config, keys mapping, accept-all Cookie header, refuse-all one)
const CASES: &[(&str, &str, &str, &str, &str)] = &[
    ("json", "cookies_policy", "{ usage = \"statistics\" }",
        r#"cookies_policy={"essential":true,"usage":true}"#,
        r#"cookies_policy={"essential":true,"usage":false}"#),
    ("tarteaucitron", "tarteaucitron", "{ gtag = \"statistics\" }",
        "tarteaucitron=!tarteaucitron=true!gtag=true!youtube=false",
        "tarteaucitron=!tarteaucitron=true!gtag=false!youtube=false"),
    ("klaro", "klaro", "{ matomo = \"statistics\" }",
        "klaro=%7B%22matomo%22%3Atrue%2C%22youtube%22%3Afalse%7D",
        "klaro=%7B%22matomo%22%3Afalse%2C%22youtube%22%3Afalse%7D"),
    ("cookieconsent", "cc_cookie", "{ analytics = \"statistics\" }",
        "cc_cookie=%7B%22categories%22%3A%5B%22necessary%22%2C%22analytics%22%5D%2C%22revision%22%3A0%7D",
        "cc_cookie=%7B%22categories%22%3A%5B%22necessary%22%5D%2C%22revision%22%3A0%7D"),
    ("cookieyes", "cookieyes-consent", "{ analytics = \"statistics\" }",
        "cookieyes-consent=consentid:abc,consent:yes,action:yes,necessary:yes,functional:yes,analytics:yes,performance:yes,advertisement:yes",
        "cookieyes-consent=consent:no,action:yes,necessary:yes,functional:no,analytics:no,performance:no,advertisement:no,other:no"),
    ("axeptio", "axeptio_cookies", "{ google_analytics = \"statistics\" }",
        "axeptio_cookies=%7B%22%24%24completed%22%3Atrue%2C%22google_analytics%22%3Atrue%7D",
        "axeptio_cookies=%7B%22%24%24completed%22%3Atrue%2C%22google_analytics%22%3Afalse%7D"),
    ("tcf", "euconsent-v2", "{ \"9\" = \"statistics\" }",
        "euconsent-v2=COxSKBCOxSKCCBcABCENAgCMAPzAAEPAAAqIDaQBQAMgAgABqAR0A2gDaQAwAMgAgANoAAA",
        "euconsent-v2=COrVd1pOrVd1pACABCENAHCAAAAAAAAAAAiQAAAAAAAA"),
    ("onetrust", "OptanonConsent", "{ C0002 = \"statistics\" }",
        "OptanonConsent=isGpcEnabled=0&datestamp=Wed+Feb+01+2023&version=202209.1.0&interactionCount=1&groups=C0001%3A1%2CC0002%3A1%2CC0003%3A1%2CC0004%3A1",
        "OptanonConsent=isGpcEnabled=0&datestamp=Wed+Feb+01+2023&version=202209.1.0&interactionCount=1&groups=C0001%3A1%2CC0002%3A0%2CC0003%3A0%2CC0004%3A0"),
    ("cookiebot", "CookieConsent", "{ statistics = \"statistics\" }",
        "CookieConsent={stamp:%27Uv9YOAVP5djCBw71lxhE4rNAfTObaGck2Sn3rKWf9dPCYpqcWvAlpA==%27%2Cnecessary:true%2Cpreferences:true%2Cstatistics:true%2Cmarketing:true%2Cmethod:%27explicit%27%2Cver:1}",
        "CookieConsent={stamp:%27Uv9YOAVP5djCBw71lxhE4rNAfTObaGck2Sn3rKWf9dPCYpqcWvAlpA==%27%2Cnecessary:true%2Cpreferences:false%2Cstatistics:false%2Cmarketing:false%2Cmethod:%27explicit%27%2Cver:1}"),
    ("didomi", "didomi_token", "{ \"purpose:measure_content_performance\" = \"statistics\" }",
        "didomi_token=eyJwdXJwb3NlcyI6eyJlbmFibGVkIjpbIm1lYXN1cmVfY29udGVudF9wZXJmb3JtYW5jZSJdfX0=",
        "didomi_token=eyJwdXJwb3NlcyI6eyJkaXNhYmxlZCI6WyJtZWFzdXJlX2NvbnRlbnRfcGVyZm9ybWFuY2UiXX19"),
    ("complianz", "cmplz_", "{ statistics = \"statistics\" }",
        "cmplz_functional=allow; cmplz_statistics=allow; cmplz_marketing=deny",
        "cmplz_functional=allow; cmplz_statistics=deny; cmplz_marketing=deny"),
];

fn config(format: &str, cookie: &str, keys: &str) -> String {
    format!(
        r#"
[[category]]
id = "necessary"
[[category]]
id = "statistics"
[[cookie]]
name = "_ga"
category = "statistics"
max_lifetime = "13mo"
[[consent.source]]
format = "{format}"
cookie = "{cookie}"
keys = {keys}
"#
    )
}

async fn ga_reaches_the_visitor(
    proxy: &consentry::proxy::server::RunningServer,
    cookie: &str,
) -> bool {
    let req = request(proxy, Method::GET, "/")
        .header("cookie", cookie)
        .body(empty())
        .unwrap();
    let response = http1_client().request(req).await.unwrap();
    set_cookies(&response).iter().any(|l| l.starts_with("_ga="))
}

#[tokio::test]
async fn each_format_lets_an_accepted_cookie_through_and_drops_a_refused_one() {
    let upstream = start_upstream(|_req| async {
        Response::builder()
            .header("set-cookie", "_ga=GA1.1.1.1; Max-Age=3600; Path=/")
            .body(full("ok"))
            .unwrap()
    })
    .await;
    for (format, cookie, keys, accept, refuse) in CASES {
        let (proxy, sink) =
            start_proxy_collecting(&upstream.url(), &config(format, cookie, keys)).await;
        assert!(
            ga_reaches_the_visitor(&proxy, accept).await,
            "{format}: accepted, yet dropped"
        );
        assert!(
            sink.take().is_empty(),
            "{format}: a violation despite consent"
        );
        assert!(
            !ga_reaches_the_visitor(&proxy, refuse).await,
            "{format}: refused, yet passed"
        );
        let records = sink.take();
        assert_eq!(records.len(), 1, "{format}");
        assert_eq!(records[0].kind, "refused", "{format}");
        assert_eq!(
            records[0].consent_source.as_deref(),
            Some(format!("{format}:{cookie}").as_str())
        );
        // A value the adapter does not understand counts as no choice (fail closed).
        assert!(
            !ga_reaches_the_visitor(&proxy, &format!("{cookie}garbage=%FF; {cookie}=%FF%FE{{"))
                .await,
            "{format}"
        );
        assert_eq!(sink.take()[0].kind, "no-consent", "{format}");
        proxy.shutdown();
    }
}

/// A declaration may name the TCF vendors whose consent its cookie needs: the TC string of
/// vector 4 consents purposes 1–6, 9, 10 and vendors 25, 32, 53, 285 and 436.
#[tokio::test]
async fn a_declaration_can_require_the_consent_of_its_tcf_vendors() {
    let upstream = start_upstream(|_req| async {
        Response::builder()
            .header("set-cookie", "_ga=GA1.1.1.1; Max-Age=3600; Path=/")
            .body(full("ok"))
            .unwrap()
    })
    .await;
    let accept =
        "euconsent-v2=COxSKBCOxSKCCBcABCENAgCMAPzAAEPAAAqIDaQBQAMgAgABqAR0A2gDaQAwAMgAgANoAAA";
    for (vendors, passes) in [
        ("[25]", true),
        ("[25, 436]", true),
        ("[26]", false),
        ("[25, 26]", false),
    ] {
        let config = config("tcf", "euconsent-v2", "{ \"9\" = \"statistics\" }").replace(
            "max_lifetime = \"13mo\"",
            &format!("max_lifetime = \"13mo\"\ntcf_vendors = {vendors}"),
        );
        let (proxy, sink) = start_proxy_collecting(&upstream.url(), &config).await;
        assert_eq!(
            ga_reaches_the_visitor(&proxy, accept).await,
            passes,
            "vendors {vendors}"
        );
        if !passes {
            let records = sink.take();
            assert_eq!(records[0].kind, "refused");
            assert_eq!(
                records[0].detail.as_deref(),
                Some("a TCF vendor it needs has no consent")
            );
        }
        // Without any choice, the cookie waits for consent like any other.
        assert!(!ga_reaches_the_visitor(&proxy, "other=1").await);
        proxy.shutdown();
    }
}
