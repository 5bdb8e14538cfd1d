//! The decision core: pure functions from (registry, consent, `Set-Cookie` line, now) to a
//! verdict. No I/O; the proxy and `consentry explain` both call it.

pub mod cleanup;
pub mod cookie_date;
mod edit;
pub mod request;
pub mod rules;
pub mod set_cookie;
pub mod verdict;

pub use cleanup::{plan_deletions, Cleanup, Deletion, Plan, Site, Target};
pub use request::{cookie_pairs, judge_request_cookie, RequestVerdict};
pub use rules::{Action, Mode, Policy, ViolationKind, KINDS};
pub use verdict::{
    judge_field_value, judge_set_cookie, Detail, Judge, Missing, Outcome, Verdict, Violation,
};
