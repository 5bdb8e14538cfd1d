//! Violation kinds, the actions that answer them, and the modes that decide whether an action is
//! carried out (`enforce`) or only recorded (`report-only`).
//!
//! Kinds are named after the CookieBlock taxonomy auditors know (M3, M5, M7, M8). Each kind has a
//! default action and a set of allowed ones; the mode is global, overridden per category, and
//! that in turn per kind (the most specific rule wins: kind > category > global).

use std::fmt;

use crate::registry::{CategoryId, MAX_CATEGORIES};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ViolationKind {
    /// The line is not a cookie a browser would store as written (fail closed).
    Malformed,
    /// No declaration matches the name (M5).
    Undeclared,
    /// The category needs consent and the visitor has made no choice (M7).
    NoConsent,
    /// The visitor refused the category, or GPC denies it (M8).
    Refused,
    /// The cookie would live longer than declared (M3).
    LifetimeExceeded,
    /// A required attribute (`Secure`, `HttpOnly`, `SameSite`) is missing or wrong.
    AttributeMissing,
    /// The browser sent a cookie no declaration matches (set by a script, seen on the request).
    RequestUndeclared,
    /// The browser sent a cookie of a category the visitor has not granted.
    RequestNotConsented,
}

pub const KINDS: [ViolationKind; 8] = [
    ViolationKind::Malformed,
    ViolationKind::Undeclared,
    ViolationKind::NoConsent,
    ViolationKind::Refused,
    ViolationKind::LifetimeExceeded,
    ViolationKind::AttributeMissing,
    ViolationKind::RequestUndeclared,
    ViolationKind::RequestNotConsented,
];

impl ViolationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ViolationKind::Malformed => "malformed",
            ViolationKind::Undeclared => "undeclared",
            ViolationKind::NoConsent => "no-consent",
            ViolationKind::Refused => "refused",
            ViolationKind::LifetimeExceeded => "lifetime-exceeded",
            ViolationKind::AttributeMissing => "attribute-missing",
            ViolationKind::RequestUndeclared => "request-undeclared",
            ViolationKind::RequestNotConsented => "request-not-consented",
        }
    }

    pub fn parse(text: &str) -> Option<ViolationKind> {
        KINDS.into_iter().find(|k| k.as_str() == text)
    }

    pub fn default_action(self) -> Action {
        match self {
            ViolationKind::LifetimeExceeded => Action::Cap,
            ViolationKind::AttributeMissing => Action::Add,
            _ => Action::Drop,
        }
    }

    /// Fixing only makes sense where there is something to fix.
    pub fn allowed_actions(self) -> &'static [Action] {
        match self {
            ViolationKind::LifetimeExceeded => &[Action::Cap, Action::Drop, Action::Log],
            ViolationKind::AttributeMissing => &[Action::Add, Action::Drop, Action::Log],
            _ => &[Action::Drop, Action::Log],
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for ViolationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Remove the `Set-Cookie` line.
    Drop,
    /// Rewrite `Max-Age`/`Expires` to the declared maximum.
    Cap,
    /// Add (or correct) the missing attribute.
    Add,
    /// Forward the line unchanged; record the violation.
    Log,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Drop => "drop",
            Action::Cap => "cap",
            Action::Add => "add",
            Action::Log => "log",
        }
    }

    pub fn parse(text: &str) -> Option<Action> {
        [Action::Drop, Action::Cap, Action::Add, Action::Log]
            .into_iter()
            .find(|a| a.as_str() == text)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Mode {
    #[default]
    Enforce,
    /// Pass everything; record what `enforce` would have done.
    ReportOnly,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Enforce => "enforce",
            Mode::ReportOnly => "report-only",
        }
    }

    pub fn parse(text: &str) -> Option<Mode> {
        match text {
            "enforce" => Some(Mode::Enforce),
            "report-only" => Some(Mode::ReportOnly),
            _ => None,
        }
    }
}

/// What to do about each kind of violation, and in which mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub mode: Mode,
    actions: [Action; KINDS.len()],
    kind_modes: [Option<Mode>; KINDS.len()],
    category_modes: [Option<Mode>; MAX_CATEGORIES],
}

impl Default for Policy {
    fn default() -> Self {
        Policy::new(Mode::Enforce)
    }
}

impl Policy {
    /// Every kind at its default action, in `mode`.
    pub fn new(mode: Mode) -> Policy {
        Policy {
            mode,
            actions: KINDS.map(ViolationKind::default_action),
            kind_modes: [None; KINDS.len()],
            category_modes: [None; MAX_CATEGORIES],
        }
    }

    /// Sets a kind's action; refused (returns false) when the kind does not allow it.
    pub fn set_action(&mut self, kind: ViolationKind, action: Action) -> bool {
        let allowed = kind.allowed_actions().contains(&action);
        if allowed {
            self.actions[kind.index()] = action;
        }
        allowed
    }

    pub fn set_kind_mode(&mut self, kind: ViolationKind, mode: Mode) {
        self.kind_modes[kind.index()] = Some(mode);
    }

    pub fn set_category_mode(&mut self, category: CategoryId, mode: Mode) {
        if let Some(slot) = self.category_modes.get_mut(category.index()) {
            *slot = Some(mode);
        }
    }

    pub fn action(&self, kind: ViolationKind) -> Action {
        self.actions[kind.index()]
    }

    /// kind override > category override > global mode.
    pub fn mode(&self, kind: ViolationKind, category: Option<CategoryId>) -> Mode {
        self.kind_modes[kind.index()]
            .or_else(|| {
                category.and_then(|c| self.category_modes.get(c.index()).copied().flatten())
            })
            .unwrap_or(self.mode)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_drop_cap_add_and_drop_for_the_rest() {
        let policy = Policy::default();
        assert_eq!(policy.action(ViolationKind::Undeclared), Action::Drop);
        assert_eq!(policy.action(ViolationKind::NoConsent), Action::Drop);
        assert_eq!(policy.action(ViolationKind::Refused), Action::Drop);
        assert_eq!(policy.action(ViolationKind::Malformed), Action::Drop);
        assert_eq!(policy.action(ViolationKind::LifetimeExceeded), Action::Cap);
        assert_eq!(policy.action(ViolationKind::AttributeMissing), Action::Add);
    }

    #[test]
    fn refuses_an_action_a_kind_cannot_take() {
        let mut policy = Policy::default();
        assert!(!policy.set_action(ViolationKind::Undeclared, Action::Cap));
        assert!(!policy.set_action(ViolationKind::Refused, Action::Add));
        assert!(policy.set_action(ViolationKind::Refused, Action::Log));
        assert_eq!(policy.action(ViolationKind::Refused), Action::Log);
    }

    #[test]
    fn the_kind_override_beats_the_category_override_which_beats_the_global_mode() {
        let statistics = CategoryId(1);
        let mut policy = Policy::new(Mode::Enforce);
        assert_eq!(
            policy.mode(ViolationKind::Refused, Some(statistics)),
            Mode::Enforce
        );
        policy.set_category_mode(statistics, Mode::ReportOnly);
        assert_eq!(
            policy.mode(ViolationKind::Refused, Some(statistics)),
            Mode::ReportOnly
        );
        assert_eq!(
            policy.mode(ViolationKind::Refused, Some(CategoryId(0))),
            Mode::Enforce
        );
        assert_eq!(policy.mode(ViolationKind::Undeclared, None), Mode::Enforce);
        policy.set_kind_mode(ViolationKind::Refused, Mode::Enforce);
        assert_eq!(
            policy.mode(ViolationKind::Refused, Some(statistics)),
            Mode::Enforce
        );
    }

    #[test]
    fn names_round_trip() {
        for kind in KINDS {
            assert_eq!(ViolationKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(Mode::parse("report-only"), Some(Mode::ReportOnly));
        assert_eq!(Action::parse("cap"), Some(Action::Cap));
        assert_eq!(Action::parse("delete"), None);
    }
}
