//! The access log: one event per request, target `consentry::access`.
//!
//! It names the method, host, path (never the query string, which may carry tokens), status,
//! latencies and request id. No header value other than `Host` is ever logged.

use http::StatusCode;

use super::ctx::Ctx;
use super::error::Side;

/// The fields every access event carries, then the level-specific ones (tracing needs the
/// level at compile time, hence one macro call per level).
macro_rules! access_event {
    ($level:ident, $ctx:expr, $status:expr, $($rest:tt)*) => {{
        let ctx = $ctx;
        let upstream_ms = ctx.upstream_latency.map(|d| d.as_secs_f64() * 1000.0);
        tracing::$level!(
            target: "consentry::access",
            method = %ctx.method,
            host = ctx.host_str().unwrap_or("-"),
            path = ctx.uri.path(),
            version = ?ctx.version,
            status = $status.as_u16(),
            upstream_ms,
            duration_ms = ctx.started.elapsed().as_secs_f64() * 1000.0,
            request_id = ctx.request_id.to_str().unwrap_or("-"),
            $($rest)*
        )
    }};
}

pub fn log_request(ctx: &Ctx, status: StatusCode) {
    match &ctx.error {
        None => access_event!(info, ctx, status, "request"),
        Some(error) => access_event!(
            warn,
            ctx,
            status,
            side = side_name(error.side()),
            error = %ErrorChain(error),
            "request failed"
        ),
    }
}

fn side_name(side: Side) -> &'static str {
    match side {
        Side::Upstream => "upstream",
        Side::Downstream => "downstream",
        Side::Internal => "internal",
    }
}

/// Displays an error with its causes (`a: b: c`), which is where the useful part of a hyper
/// error lives ("tcp connect error: Connection refused").
struct ErrorChain<'a>(&'a (dyn std::error::Error + 'static));

impl std::fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut cause = self.0.source();
        while let Some(e) = cause {
            write!(f, ": {e}")?;
            cause = e.source();
        }
        Ok(())
    }
}
