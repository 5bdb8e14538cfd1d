//! The cleanup phase: once the response's own `Set-Cookie` lines are judged, the cookies stripped
//! from the request are deleted from the browser too (docs/configuration.md, "Cleanup"), so that a
//! refusal or a withdrawal takes effect on the very response that first sees it.

use std::sync::atomic::Ordering;

use http::header::{HeaderValue, SET_COOKIE};

use super::ctx::Ctx;
use super::enforce::Enforcer;
use crate::fields::FieldAccess;
use crate::policy::{plan_deletions, Site, Target};

impl Enforcer {
    /// Appends the deletions for every cookie stripped from the request. `public_host` is the
    /// configured one, if any; otherwise the host the visitor asked for.
    pub fn add_deletions(
        &self,
        ctx: &Ctx,
        public_host: Option<&str>,
        headers: &mut impl FieldAccess,
    ) {
        if ctx.stripped.is_empty() {
            return;
        }
        let Some(host) = public_host
            .or_else(|| ctx.public_host_str())
            .or_else(|| ctx.host_str())
        else {
            return;
        };
        let declarations = self.rules.registry.declarations();
        let set_here = names_set_by(headers);
        let targets: Vec<Target<'_>> = ctx
            .stripped
            .iter()
            // A cookie the response itself still sets is the portal's to manage: deleting it in
            // the same response would undo a line the policy let through.
            .filter(|s| !set_here.contains(&s.name.as_str()))
            .map(|s| Target::declared(&s.name, s.declaration.and_then(|i| declarations.get(i))))
            .collect();
        let site = Site {
            host,
            path: ctx.uri.path(),
            secure: ctx.public_scheme == "https",
        };
        let turn = self.cleanup_turn.fetch_add(1, Ordering::Relaxed);
        let plan = plan_deletions(&site, &targets, self.rules.cleanup.max_per_response, turn);
        let mut sent = 0;
        for deletion in &plan.deletions {
            // Names and paths were checked to be visible ASCII; a failure here is skipped.
            if let Ok(value) = HeaderValue::from_str(&deletion.to_line()) {
                headers.add(SET_COOKIE, value);
                sent += 1;
            }
        }
        self.counters.count_cleanup(sent, plan.left_out);
    }
}

/// The names the response's remaining `Set-Cookie` lines set.
fn names_set_by(headers: &impl FieldAccess) -> Vec<&str> {
    headers
        .values_of(&SET_COOKIE)
        .filter_map(|line| line.to_str().ok())
        .filter_map(|line| line.split_once('=').map(|(name, _)| name.trim()))
        .collect()
}
