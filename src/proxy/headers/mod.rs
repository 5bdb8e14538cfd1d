//! Pure header rules applied on the way through: hop-by-hop removal, forwarding headers,
//! request ids and `Via`, and the public-host rewriting of redirects and cookie domains.
//! No I/O here; each rule is unit-tested beside its code.

pub mod cookie_lines;
pub mod forwarded;
pub mod hop;
pub mod present;
pub mod rewrite;
