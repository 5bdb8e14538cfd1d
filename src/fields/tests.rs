use http::header::{CONTENT_LENGTH, DATE, LOCATION, SET_COOKIE, VIA};
use proptest::prelude::*;

use super::*;

fn value(text: &'static str) -> HeaderValue {
    HeaderValue::from_static(text)
}

fn list(fields: &Fields) -> Vec<(&str, &str)> {
    fields
        .iter()
        .map(|(name, value)| (name.as_str(), value.to_str().unwrap()))
        .collect()
}

fn response_fields() -> Fields {
    [
        (DATE, value("today")),
        (SET_COOKIE, value("a=1")),
        (CONTENT_LENGTH, value("5")),
        (SET_COOKIE, value("b=2")),
        (SET_COOKIE, value("c=3")),
    ]
    .into_iter()
    .collect()
}

#[test]
fn set_replaces_the_first_line_in_place_and_drops_the_others() {
    let mut fields = response_fields();
    fields.set(SET_COOKIE, value("z=9"));
    let expected = [
        ("date", "today"),
        ("set-cookie", "z=9"),
        ("content-length", "5"),
    ];
    assert_eq!(list(&fields), expected);
}

#[test]
fn set_adds_a_field_that_is_absent() {
    let mut fields = response_fields();
    fields.set(LOCATION, value("/next"));
    assert_eq!(list(&fields).last(), Some(&("location", "/next")));
    assert_eq!(fields.len(), 6);
}

#[test]
fn edits_lines_in_place_keeping_the_order_of_every_field() {
    let mut fields = response_fields();
    let changed = fields.edit_values(&SET_COOKIE, |line| match line.as_bytes() {
        b"a=1" => LineChange::Remove,
        b"b=2" => LineChange::Replace(value("b=3")),
        _ => LineChange::Keep,
    });
    assert!(changed);
    let expected = [
        ("date", "today"),
        ("content-length", "5"),
        ("set-cookie", "b=3"),
        ("set-cookie", "c=3"),
    ];
    assert_eq!(list(&fields), expected);
}

#[test]
fn an_edit_that_keeps_every_line_reports_no_change() {
    let mut fields = response_fields();
    assert!(!fields.edit_values(&SET_COOKIE, |_| LineChange::Keep));
    assert_eq!(fields.len(), 5);
}

#[test]
fn reads_repeated_lines_in_order_and_finds_names() {
    let fields = response_fields();
    let lines: Vec<_> = fields.values_of(&SET_COOKIE).collect();
    assert_eq!(lines, ["a=1", "b=2", "c=3"]);
    assert_eq!(fields.first(&CONTENT_LENGTH), Some(&value("5")));
    assert!(fields.has(&DATE));
    assert!(!fields.has(&VIA));
}

#[test]
fn converts_to_and_from_a_header_map_keeping_every_line() {
    let map = response_fields().into_header_map();
    assert_eq!(map.get_all(SET_COOKIE).iter().count(), 3);
    let back = Fields::from(map);
    let lines: Vec<_> = back.values_of(&SET_COOKIE).collect();
    assert_eq!(lines, ["a=1", "b=2", "c=3"]);
    assert_eq!(back.len(), 5);
}

/// One edit, applied the same way to both kinds of field store.
#[derive(Debug, Clone)]
enum Op {
    Set(usize, usize),
    Add(usize, usize),
    Remove(usize),
    /// Per line of the name: 0 keep, 1 remove, 2 replace.
    Edit(usize, Vec<u8>),
}

const NAMES: [&str; 4] = ["set-cookie", "date", "x-custom", "via"];
const VALUES: [&str; 4] = ["a=1", "b=2", "gone", "x"];

fn name(index: usize) -> HeaderName {
    HeaderName::from_static(NAMES[index])
}

fn apply(store: &mut impl FieldAccess, op: &Op) {
    match op {
        Op::Set(n, v) => store.set(name(*n), value(VALUES[*v])),
        Op::Add(n, v) => store.add(name(*n), value(VALUES[*v])),
        Op::Remove(n) => store.remove_all(&name(*n)),
        Op::Edit(n, answers) => {
            let mut answers = answers.iter().cycle();
            store.edit_values(&name(*n), |_| match answers.next() {
                Some(1) => LineChange::Remove,
                Some(2) => LineChange::Replace(value("new")),
                _ => LineChange::Keep,
            });
        }
    }
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..4usize, 0..4usize).prop_map(|(n, v)| Op::Set(n, v)),
        (0..4usize, 0..4usize).prop_map(|(n, v)| Op::Add(n, v)),
        (0..4usize).prop_map(Op::Remove),
        (0..4usize, prop::collection::vec(0..3u8, 1..5)).prop_map(|(n, a)| Op::Edit(n, a)),
    ]
}

proptest! {
    /// The list answers every name exactly as a `HeaderMap` given the same edits does.
    #[test]
    fn the_list_agrees_with_a_header_map(
        start in prop::collection::vec((0..4usize, 0..4usize), 0..8),
        ops in prop::collection::vec(op(), 0..12),
    ) {
        let mut fields = Fields::new();
        let mut map = HeaderMap::new();
        for (n, v) in &start {
            fields.add(name(*n), value(VALUES[*v]));
            map.append(name(*n), value(VALUES[*v]));
        }
        for op in &ops {
            apply(&mut fields, op);
            apply(&mut map, op);
        }
        for index in 0..NAMES.len() {
            let name = name(index);
            let ours: Vec<_> = fields.values_of(&name).collect();
            let theirs: Vec<_> = map.values_of(&name).collect();
            prop_assert_eq!(ours, theirs);
        }
        prop_assert_eq!(fields.len(), map.len());
    }
}
