use super::*;
use proptest::prelude::*;

/// Builds a matcher whose ids are the patterns' positions.
fn matcher(patterns: &[Pattern]) -> NameMatcher {
    let pairs: Vec<_> = patterns.iter().cloned().enumerate().collect();
    NameMatcher::build(&pairs).unwrap()
}

fn exact(s: &str) -> Pattern {
    Pattern::Exact(s.into())
}
fn prefix(s: &str) -> Pattern {
    Pattern::Prefix(s.into())
}
fn glob(s: &str) -> Pattern {
    Pattern::Glob(s.into())
}
fn regex(s: &str) -> Pattern {
    Pattern::Regex(s.into())
}

/// An exact declaration matches only its own name.
#[test]
fn exact_name_hits_only_itself() {
    let m = matcher(&[exact("sessionid")]);
    assert_eq!(m.find("sessionid"), Some(0));
    assert_eq!(m.find("sessionid2"), None);
    assert_eq!(m.find("session"), None);
}

/// A prefix matches itself and anything longer, nothing shorter.
#[test]
fn prefix_matches_names_starting_with_it() {
    let m = matcher(&[prefix("_pk_")]);
    assert_eq!(m.find("_pk_"), Some(0));
    assert_eq!(m.find("_pk_ses.1.abc"), Some(0));
    assert_eq!(m.find("_pk"), None);
    assert_eq!(m.find("x_pk_"), None);
}

/// A trailing star may match the empty run but the literal part is required.
#[test]
fn trailing_star_glob_requires_its_literal_prefix() {
    let m = matcher(&[glob("_ga_*"), glob("_pk_id.*")]);
    assert_eq!(m.find("_ga_ABC123"), Some(0));
    assert_eq!(m.find("_ga_"), Some(0));
    assert_eq!(m.find("_ga"), None);
    assert_eq!(m.find("_pk_id.1.abcd"), Some(1));
}

/// `?` matches exactly one byte.
#[test]
fn question_mark_matches_exactly_one_byte() {
    let m = matcher(&[glob("id_?")]);
    assert_eq!(m.find("id_7"), Some(0));
    assert_eq!(m.find("id_"), None);
    assert_eq!(m.find("id_77"), None);
    assert_eq!(m.find("id_é"), None, "é is two bytes");
}

/// Inner stars backtrack correctly, including over repeated letters.
#[test]
fn inner_stars_match_any_runs() {
    let m = matcher(&[glob("a*b*c")]);
    for hit in ["abc", "aXbYc", "abbbcc", "acbc", "abcbc"] {
        assert_eq!(m.find(hit), Some(0), "{hit}");
    }
    for miss in ["ab", "acb", "abcx", "bac"] {
        assert_eq!(m.find(miss), None, "{miss}");
    }
}

/// A glob with an empty literal prefix is still found (it sits at the root).
#[test]
fn leading_star_glob_matches_suffix() {
    let m = matcher(&[glob("*_consent")]);
    assert_eq!(m.find("site_consent"), Some(0));
    assert_eq!(m.find("_consent"), Some(0));
    assert_eq!(m.find("_consent_x"), None);
}

/// Exact beats glob, glob beats regex, whatever the declaration order.
#[test]
fn exact_beats_glob_beats_regex() {
    let m = matcher(&[regex("_ga.*"), glob("_ga*"), exact("_ga")]);
    assert_eq!(m.find("_ga"), Some(2));
    assert_eq!(m.find("_gaX"), Some(1));
    let m = matcher(&[regex("_ga.*"), glob("_ga?")]);
    assert_eq!(m.find("_gaX"), Some(1));
    assert_eq!(m.find("_gaXY"), Some(0));
}

/// The prefix/glob with more literal bytes wins, even when added later.
#[test]
fn longer_literal_wins_among_prefixes_and_globs() {
    let m = matcher(&[prefix("_pk_"), glob("_pk_id.*"), glob("*.x")]);
    assert_eq!(m.find("_pk_id.1.x"), Some(1));
    assert_eq!(m.find("_pk_ses.1"), Some(0));
    let m = matcher(&[glob("_p*"), glob("*_pk_id")]);
    assert_eq!(m.find("_pk_id"), Some(1), "6 literal bytes beat 2");
}

/// Equal specificity goes to the lowest id, not to insertion order.
#[test]
fn ties_go_to_the_lowest_id() {
    let pairs = vec![(5, glob("_ga_*")), (2, prefix("_ga_")), (9, glob("_g?_*"))];
    let m = NameMatcher::build(&pairs).unwrap();
    assert_eq!(m.find("_ga_1"), Some(2));
    let pairs = vec![
        (4, regex("a.*")),
        (1, regex(".*b")),
        (3, exact("x")),
        (0, exact("x")),
    ];
    let m = NameMatcher::build(&pairs).unwrap();
    assert_eq!(m.find("ab"), Some(1));
    assert_eq!(m.find("x"), Some(0));
}

/// Regexes must match the whole name, not a substring.
#[test]
fn regex_needs_a_full_match() {
    let m = matcher(&[regex("_hj.*"), regex("a|b")]);
    assert_eq!(m.find("_hjid"), Some(0));
    assert_eq!(m.find("x_hjid"), None);
    assert_eq!(m.find("ab"), None, "alternation stays inside the anchors");
}

/// Cookie names are case-sensitive on every path.
#[test]
fn matching_is_case_sensitive() {
    let m = matcher(&[
        exact("sessionid"),
        prefix("_pk_"),
        glob("_ga_*"),
        regex("hj"),
    ]);
    for miss in ["SessionId", "_PK_x", "_GA_1", "HJ"] {
        assert_eq!(m.find(miss), None, "{miss}");
    }
}

/// Every empty pattern and every bad regex is reported, each with its id.
#[test]
fn build_reports_all_errors() {
    let pairs = vec![
        (0, exact("")),
        (1, prefix("")),
        (2, glob("ok*")),
        (3, glob("")),
        (4, regex("")),
        (5, regex("(")),
        (6, regex("a)|(b")),
    ];
    let errors = NameMatcher::build(&pairs).unwrap_err();
    let ids: Vec<_> = errors
        .iter()
        .map(|e| match e {
            MatcherError::EmptyPattern { id } => (*id, "empty"),
            MatcherError::InvalidRegex { id, message } => {
                assert!(!message.contains('\n'), "{message}");
                (*id, "regex")
            }
        })
        .collect();
    let expected = [
        (0, "empty"),
        (1, "empty"),
        (3, "empty"),
        (4, "empty"),
        (5, "regex"),
        (6, "regex"),
    ];
    assert_eq!(ids, expected);
}

/// A regex too big to compile is rejected instead of eating memory.
#[test]
fn oversized_regex_is_rejected() {
    let errors = NameMatcher::build(&[(7, regex(r"\w{1000}{1000}"))]).unwrap_err();
    assert!(matches!(
        &errors[..],
        [MatcherError::InvalidRegex { id: 7, .. }]
    ));
}

/// `find_all` reports every matching declaration, duplicates included.
#[test]
fn find_all_returns_every_matching_id() {
    let m = matcher(&[
        exact("_ga_1"),
        glob("_ga_1"),
        prefix("_ga"),
        glob("_ga_*"),
        glob("*1"),
        regex("_ga.*"),
        regex("x.*"),
        exact("other"),
    ]);
    let mut ids = m.find_all("_ga_1");
    ids.sort_unstable();
    assert_eq!(ids, [0, 1, 2, 3, 4, 5]);
    assert_eq!(m.find("_ga_1"), Some(0));
    assert!(m.find_all("zzz").is_empty());
}

/// Samples are names the pattern itself matches; regexes give none.
#[test]
fn sample_names_are_matched_by_their_pattern() {
    assert_eq!(NameMatcher::sample_names(&exact("sid")), ["sid"]);
    assert_eq!(
        NameMatcher::sample_names(&prefix("_pk_")),
        ["_pk_", "_pk_x"]
    );
    assert_eq!(
        NameMatcher::sample_names(&glob("_ga_*.?")),
        ["_ga_.x", "_ga_x.x"]
    );
    assert_eq!(NameMatcher::sample_names(&glob("id_?")), ["id_x"]);
    assert!(NameMatcher::sample_names(&regex(".*")).is_empty());
    for p in [prefix("_pk_"), glob("a*b?c*")] {
        let m = matcher(std::slice::from_ref(&p));
        for name in NameMatcher::sample_names(&p) {
            assert_eq!(m.find(&name), Some(0), "{name}");
        }
    }
}

/// `describe` names the kind and quotes the text.
#[test]
fn describe_names_kind_and_text() {
    assert_eq!(exact("sessionid").describe(), r#"name "sessionid""#);
    assert_eq!(prefix("_pk_").describe(), r#"prefix "_pk_""#);
    assert_eq!(glob("_ga_*").describe(), r#"glob "_ga_*""#);
    assert_eq!(regex("^_hj.*$").describe(), r#"regex "^_hj.*$""#);
}

/// `len` counts declarations, whatever their kind.
#[test]
fn len_counts_declarations() {
    assert!(matcher(&[]).is_empty());
    let m = matcher(&[exact("a"), exact("a"), glob("b*"), regex("c")]);
    assert_eq!(m.len(), 4);
    assert!(!m.is_empty());
}

/// Reference glob matcher, recursive and obviously correct.
fn naive_glob(g: &[u8], t: &[u8]) -> bool {
    match g.split_first() {
        None => t.is_empty(),
        Some((b'*', rest)) => (0..=t.len()).any(|i| naive_glob(rest, &t[i..])),
        Some((b'?', rest)) => !t.is_empty() && naive_glob(rest, &t[1..]),
        Some((c, rest)) => t.first() == Some(c) && naive_glob(rest, &t[1..]),
    }
}

/// Specificity (level, literal bytes) of a pattern if it matches `name`.
fn naive_rank(p: &Pattern, name: &str) -> Option<(u8, usize)> {
    let literal = |s: &str| s.bytes().filter(|&b| b != b'*' && b != b'?').count();
    match p {
        Pattern::Exact(s) => (s == name).then_some((2, 0)),
        Pattern::Glob(s) if literal(s) == s.len() => (s == name).then_some((2, 0)),
        Pattern::Prefix(s) => name.starts_with(s.as_str()).then_some((1, s.len())),
        Pattern::Glob(s) => naive_glob(s.as_bytes(), name.as_bytes()).then(|| (1, literal(s))),
        Pattern::Regex(s) => {
            let re = regex::Regex::new(&format!("^(?:{s})$")).unwrap();
            re.is_match(name).then_some((0, 0))
        }
    }
}

/// Reference `find`: scans every pattern and keeps the best
/// (level, literal bytes), ties to the lowest id.
fn naive_find(pairs: &[(usize, Pattern)], name: &str) -> Option<usize> {
    let ranked = pairs
        .iter()
        .filter_map(|(id, p)| Some((naive_rank(p, name)?, *id)));
    ranked
        .max_by(|(ra, ia), (rb, ib)| ra.cmp(rb).then(ib.cmp(ia)))
        .map(|(_, id)| id)
}

/// Small patterns over an alphabet dense enough to make them overlap.
fn pattern_strategy() -> impl Strategy<Value = Pattern> {
    let text = "[abc_.*?]{1,6}";
    prop_oneof![
        1 => text.prop_map(Pattern::Exact),
        1 => text.prop_map(Pattern::Prefix),
        3 => text.prop_map(Pattern::Glob),
        2 => prop::sample::select(vec!["a.*", "[ab]+", "_?c", r".*\.b", "a|b|ab"])
            .prop_map(|s| Pattern::Regex(s.into())),
    ]
}

/// Pattern lists with shuffled ids, so id order differs from insertion order.
fn pairs_strategy() -> impl Strategy<Value = Vec<(usize, Pattern)>> {
    prop::collection::vec(pattern_strategy(), 0..12).prop_flat_map(|patterns| {
        let ids: Vec<usize> = (0..patterns.len()).collect();
        Just(ids)
            .prop_shuffle()
            .prop_map(move |ids| ids.into_iter().zip(patterns.clone()).collect())
    })
}

proptest! {
    /// `find` agrees with a full scan using the same specificity rule,
    /// and `find_all` with the full set of matches.
    #[test]
    fn find_agrees_with_naive_scan(
        pairs in pairs_strategy(),
        names in prop::collection::vec("[abc_.*?]{0,8}", 1..8),
    ) {
        let m = NameMatcher::build(&pairs).unwrap();
        for name in &names {
            prop_assert_eq!(m.find(name), naive_find(&pairs, name), "name {:?}", name);
            let mut all = m.find_all(name);
            all.sort_unstable();
            let mut expected: Vec<_> = pairs
                .iter()
                .filter(|(_, p)| naive_rank(p, name).is_some())
                .map(|(id, _)| *id)
                .collect();
            expected.sort_unstable();
            prop_assert_eq!(all, expected, "name {:?}", name);
        }
    }

    /// Sample names of every pattern are matched by that pattern.
    #[test]
    fn samples_match_their_pattern(pattern in pattern_strategy()) {
        for name in NameMatcher::sample_names(&pattern) {
            prop_assert!(naive_rank(&pattern, &name).is_some(), "{:?}", name);
        }
    }

    /// Arbitrary (non-ASCII, control) names never make lookups panic.
    #[test]
    fn arbitrary_names_never_panic(pairs in pairs_strategy(), name in any::<String>()) {
        let m = NameMatcher::build(&pairs).unwrap();
        let found = m.find(&name);
        prop_assert_eq!(found, naive_find(&pairs, &name));
        let _ = m.find_all(&name);
    }
}
