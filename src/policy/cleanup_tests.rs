use super::*;

fn site<'a>(host: &'a str, path: &'a str) -> Site<'a> {
    Site {
        host,
        path,
        secure: false,
    }
}

fn target(name: &str) -> Target<'_> {
    Target {
        name,
        domain: None,
        path: None,
    }
}

fn forms<'a>(plan: &Plan<'a>) -> Vec<(Option<&'a str>, &'a str)> {
    plan.deletions.iter().map(|d| (d.domain, d.path)).collect()
}

#[test]
fn a_deletion_line_expires_at_once_on_exactly_its_domain_and_path() {
    let deletion = Deletion {
        name: "_ga",
        domain: Some("example.fr"),
        path: "/",
        secure: true,
    };
    assert_eq!(
        deletion.to_line(),
        "_ga=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; Domain=example.fr; Secure"
    );
    let host_only = Deletion {
        domain: None,
        secure: false,
        path: "/explore",
        ..deletion
    };
    assert_eq!(
        host_only.to_line(),
        "_ga=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/explore"
    );
}

#[test]
fn every_parent_domain_up_to_the_registrable_one_and_every_request_directory_is_covered() {
    let plan = plan_deletions(
        &site("data.metropole.example.fr:8443", "/explore/dataset/"),
        &[target("_ga")],
        100,
        0,
    );
    assert_eq!(
        forms(&plan),
        vec![
            (None, "/"),
            (Some("example.fr"), "/"),
            (Some("metropole.example.fr"), "/"),
            (Some("data.metropole.example.fr"), "/"),
            (None, "/explore"),
            (Some("example.fr"), "/explore"),
            (Some("metropole.example.fr"), "/explore"),
            (Some("data.metropole.example.fr"), "/explore"),
            (None, "/explore/dataset"),
            (Some("example.fr"), "/explore/dataset"),
            (Some("metropole.example.fr"), "/explore/dataset"),
            (Some("data.metropole.example.fr"), "/explore/dataset"),
        ]
    );
    assert_eq!(plan.left_out, 0);
}

#[test]
fn the_public_suffix_list_stops_the_climb_at_the_registrable_domain() {
    // gouv.fr and co.uk are public suffixes: a cookie cannot be set on them.
    let plan = plan_deletions(&site("www.data.gouv.fr", "/"), &[target("a")], 100, 0);
    assert_eq!(
        forms(&plan),
        vec![
            (None, "/"),
            (Some("data.gouv.fr"), "/"),
            (Some("www.data.gouv.fr"), "/")
        ]
    );
    let plan = plan_deletions(&site("shop.example.co.uk", "/"), &[target("a")], 100, 0);
    assert_eq!(
        forms(&plan),
        vec![
            (None, "/"),
            (Some("example.co.uk"), "/"),
            (Some("shop.example.co.uk"), "/")
        ]
    );
}

#[test]
fn ip_addresses_single_labels_and_non_dns_hosts_only_have_host_only_cookies() {
    for host in [
        "127.0.0.1:8080",
        "[::1]:8080",
        "localhost:3000",
        "fr",
        // Not DNS names: a Host header can say anything.
        "a..example.fr",
        ".example.fr",
        "exa mple.fr",
    ] {
        let plan = plan_deletions(&site(host, "/"), &[target("a")], 100, 0);
        assert_eq!(forms(&plan), vec![(None, "/")], "{host}");
    }
}

#[test]
fn the_request_path_itself_is_tried_after_its_directories() {
    let plan = plan_deletions(&site("localhost", "/a/b/page"), &[target("x")], 100, 0);
    let paths: Vec<_> = plan.deletions.iter().map(|d| d.path).collect();
    assert_eq!(paths, vec!["/", "/a", "/a/b", "/a/b/page"]);
}

#[test]
fn a_path_that_would_break_the_attribute_is_not_used() {
    let plan = plan_deletions(&site("localhost", "/a;b/c"), &[target("x")], 100, 0);
    assert_eq!(forms(&plan), vec![(None, "/")]);
}

#[test]
fn the_declared_domain_and_path_come_first() {
    let declared = Target {
        name: "_pk_id.1.abcd",
        domain: Some("example.fr"),
        path: Some("/portail"),
    };
    let plan = plan_deletions(&site("data.example.fr", "/"), &[declared], 100, 0);
    assert_eq!(
        forms(&plan)[..3],
        [
            (Some("example.fr"), "/portail"),
            (None, "/portail"),
            (Some("data.example.fr"), "/portail"),
        ]
    );
    assert_eq!(plan.deletions.len(), 6);
}

#[test]
fn a_declared_domain_the_host_cannot_set_is_ignored() {
    let foreign = Target {
        name: "x",
        domain: Some("tracker.example"),
        path: None,
    };
    let plan = plan_deletions(&site("data.example.fr", "/"), &[foreign], 100, 0);
    assert!(plan
        .deletions
        .iter()
        .all(|d| d.domain != Some("tracker.example")));
}

#[test]
fn host_prefixed_cookies_are_deleted_host_only_on_the_root_and_secure() {
    let plan = plan_deletions(
        &site("data.example.fr", "/explore/x"),
        &[target("__Host-session")],
        100,
        0,
    );
    assert_eq!(
        plan.deletions,
        vec![Deletion {
            name: "__Host-session",
            domain: None,
            path: "/",
            secure: true
        }]
    );
}

#[test]
fn secure_prefixed_cookies_and_https_visitors_get_secure_deletions() {
    let plan = plan_deletions(
        &site("example.fr", "/"),
        &[target("__Secure-id"), target("id")],
        100,
        0,
    );
    assert!(plan
        .deletions
        .iter()
        .filter(|d| d.name == "__Secure-id")
        .all(|d| d.secure));
    assert!(plan
        .deletions
        .iter()
        .filter(|d| d.name == "id")
        .all(|d| !d.secure));
    let https = Site {
        secure: true,
        ..site("example.fr", "/")
    };
    let plan = plan_deletions(&https, &[target("id")], 100, 0);
    assert!(plan.deletions.iter().all(|d| d.secure));
}

#[test]
fn each_cookie_gets_its_likeliest_form_before_any_cookie_gets_a_rare_one() {
    let plan = plan_deletions(
        &site("data.example.fr", "/a/b"),
        &[target("one"), target("two")],
        100,
        0,
    );
    let first: Vec<_> = plan
        .deletions
        .iter()
        .take(2)
        .map(|d| (d.name, d.domain, d.path))
        .collect();
    assert_eq!(first, vec![("one", None, "/"), ("two", None, "/")]);
}

#[test]
fn the_bound_keeps_the_likeliest_forms_and_the_window_reaches_every_other_one_in_turn() {
    let targets = [target("a"), target("b"), target("c")];
    let site = site("x.data.example.fr", "/1/2/3/4");
    let all = plan_deletions(&site, &targets, usize::MAX, 0).deletions;
    assert_eq!(all.len(), 3 * 4 * 5);
    let mut seen = std::collections::HashSet::new();
    // 55 forms outside the head, 5 more per response: 11 responses reach them all.
    for turn in 0..11 {
        let plan = plan_deletions(&site, &targets, 10, turn);
        assert_eq!(plan.deletions.len(), 10);
        assert_eq!(plan.left_out, all.len() - 10);
        assert_eq!(
            plan.deletions[..5],
            all[..5],
            "the head is always the likeliest"
        );
        seen.extend(plan.deletions.iter().copied());
    }
    assert_eq!(
        seen.len(),
        all.len(),
        "every form is sent within a few responses"
    );
}

#[test]
fn names_that_cannot_be_repeated_in_a_set_cookie_line_are_skipped() {
    let plan = plan_deletions(
        &site("localhost", "/"),
        &[target(""), target("é"), target("ok")],
        100,
        0,
    );
    let names: Vec<_> = plan.deletions.iter().map(|d| d.name).collect();
    assert_eq!(names, vec!["ok"]);
}

mod properties {
    use super::*;
    use crate::policy::set_cookie::parse_set_cookie;
    use proptest::prelude::*;

    fn host() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z]{1,8}(\\.[a-z]{1,8}){0,4}(:[0-9]{2,5})?",
            "[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}",
            "\\[::1\\](:[0-9]{2,4})?",
            ".{0,20}",
        ]
    }

    proptest! {
        /// Whatever the host, path and names, the plan stays within its bound, and every line is
        /// a deletion of that very cookie that the policy's own parser reads back as one, with a
        /// domain the host could have set.
        #[test]
        fn every_planned_line_is_a_bounded_valid_deletion(
            host in host(),
            path in "(/[a-z;% ]{0,6}){0,10}/?",
            names in prop::collection::vec("[!-~]{0,12}", 0..6),
            max in 1usize..40,
            turn in any::<u64>(),
        ) {
            let targets: Vec<Target<'_>> = names
                .iter()
                .map(|name| Target { name, domain: None, path: None })
                .collect();
            let site = Site { host: &host, path: &path, secure: false };
            let plan = plan_deletions(&site, &targets, max, turn);
            prop_assert!(plan.deletions.len() <= max);
            let bare_host = host_without_port(&host).to_ascii_lowercase();
            for deletion in &plan.deletions {
                let line = deletion.to_line();
                let cookie = parse_set_cookie(&line).map_err(|e| TestCaseError::fail(format!("{line}: {e:?}")))?;
                prop_assert_eq!(cookie.name, deletion.name);
                prop_assert!(cookie.is_deletion(0), "{}", line);
                if let Some(domain) = deletion.domain {
                    let domain = domain.to_ascii_lowercase();
                    prop_assert!(
                        bare_host == domain || bare_host.ends_with(&format!(".{domain}")),
                        "{} cannot set {}", bare_host, domain
                    );
                }
                prop_assert!(http::HeaderValue::from_str(&line).is_ok(), "{}", line);
            }
        }
    }
}
