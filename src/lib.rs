//! consentry: a reverse proxy that enforces cookie consent.
//!
//! The library holds everything; `main.rs` only parses the command line and calls in, so that
//! the integration tests in `tests/` can run the real proxy in-process on `127.0.0.1:0`.
#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod admin;
pub mod audit;
pub mod cli;
pub mod commands;
pub mod config;
pub mod consent;
pub mod demo;
pub mod explain;
pub mod fields;
pub mod html;
pub mod memo;
pub mod policy;
pub mod privacy;
pub mod proxy;
pub mod registry;
pub mod split;
pub mod telemetry;
