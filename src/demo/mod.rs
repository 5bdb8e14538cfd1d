//! `consentry demo`: an embedded portal that behaves like the seed's Opendatasoft portal, with
//! consentry in front of it, configured from the shipped `config/opendatasoft.toml`.
//!
//! `consentry demo` serves both until Ctrl-C and prints every decision as it happens;
//! `consentry demo --once` runs a scripted visit, from the first page to a withdrawal of
//! consent, and checks the outcome (see [`script`]).

mod checks;
mod collect;
mod config;
mod console;
mod exchange;
mod form;
mod jar;
mod pages;
mod portal;
mod random;
mod script;
mod visitor;

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

pub use collect::RecordCollector;
pub use config::{build_demo_config, uncomment_trackers, SHIPPED_CONFIG};
pub use console::{describe_violation, ConsoleSink};
pub use portal::{Portal, CONSENT_COOKIE, GA_COOKIE, MATOMO_COOKIE, UNDECLARED_COOKIE};

use crate::audit::ViolationSink;
use crate::cli::{DemoArgs, LogFormat};
use crate::proxy::server::{start_with_sink, RunningServer};

/// The demo portal and consentry in front of it, both serving in the background.
pub struct DemoStack {
    proxy: RunningServer,
    portal: Portal,
}

impl DemoStack {
    /// Where visitors connect: consentry.
    pub fn proxy_addr(&self) -> SocketAddr {
        self.proxy.local_addr()
    }

    /// The portal itself, behind consentry.
    pub fn portal_addr(&self) -> SocketAddr {
        self.portal.local_addr()
    }

    /// Stops consentry gracefully, then the portal (which in-flight requests may still need).
    pub async fn shutdown(self) {
        self.proxy.shutdown();
        self.proxy.wait().await;
        self.portal.stop();
    }
}

/// Starts the demo portal on `127.0.0.1:0` and consentry on `listen` in front of it, sending
/// every violation record to `sink`.
pub async fn start_demo(listen: &str, sink: Arc<dyn ViolationSink>) -> Result<DemoStack, String> {
    let portal = Portal::start()
        .await
        .map_err(|e| format!("cannot start the demo portal: {e}"))?;
    let config = build_demo_config(listen, portal.local_addr())?;
    let proxy = start_with_sink(config, sink)
        .await
        .map_err(|e| format!("{e} (choose another address with --listen, e.g. 127.0.0.1:0)"))?;
    Ok(DemoStack { proxy, portal })
}

/// `consentry demo [--listen ADDR] [--once]`.
pub fn run(args: DemoArgs, format: LogFormat) -> ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    if args.once {
        // The scripted visit prints its own table; tracing events would only interleave with it.
        runtime.block_on(script::run_scripted_visit())
    } else {
        // The readable lines on stdout are the demo's view; the same events in the log format
        // are there with RUST_LOG=info.
        crate::telemetry::init_with_default(format, "warn,consentry::violation=off");
        runtime.block_on(serve_demo(&args.listen))
    }
}

/// Serves the demo until SIGINT/SIGTERM, printing each violation as it happens.
async fn serve_demo(listen: &str) -> ExitCode {
    let stack = match start_demo(listen, Arc::new(ConsoleSink::default())).await {
        Ok(stack) => stack,
        Err(message) => {
            eprintln!("consentry demo: {message}");
            return ExitCode::FAILURE;
        }
    };
    let _ = std::io::stdout()
        .lock()
        .write_all(render_instructions(stack.proxy_addr()).as_bytes());
    crate::commands::shutdown_signal().await;
    stack.shutdown().await;
    let _ = writeln!(std::io::stdout().lock(), "consentry demo: stopped");
    ExitCode::SUCCESS
}

/// What to open and what to try. A wildcard listen address is not something a browser can open,
/// so the URL names loopback instead.
fn render_instructions(proxy: SocketAddr) -> String {
    let mut open = proxy;
    if open.ip().is_unspecified() {
        open.set_ip(if open.is_ipv4() {
            std::net::Ipv4Addr::LOCALHOST.into()
        } else {
            std::net::Ipv6Addr::LOCALHOST.into()
        });
    }
    format!(
        "consentry demo: a demo Opendatasoft portal, with consentry in front of it.\n\
         \n\
         \x20 Open http://{open}/\n\
         \n\
         \x20 1. Visit the home page: the portal sets its necessary cookies, Matomo and Google\n\
         \x20    Analytics cookies and an undeclared {UNDECLARED_COOKIE}; only the necessary ones get through.\n\
         \x20 2. Open /consent and refuse all: the analytics cookies are dropped as `refused`.\n\
         \x20 3. Accept all: they pass, and {GA_COOKIE}'s two-year lifetime is capped to 13 months.\n\
         \x20 4. Log in on /login: the session cookie passes.\n\
         \x20 5. Withdraw: refuse all on /consent again. On the next page the analytics cookies\n\
         \x20    your browser still holds are stripped from the request (`sent by the browser`)\n\
         \x20    and deleted from it; the session and the necessary cookies stay.\n\
         \n\
         Each line below is one decision consentry took (cookie names, never values). Ctrl-C stops.\n\
         \n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instructions_name_an_address_a_browser_can_open() {
        let text = render_instructions("0.0.0.0:8080".parse().unwrap());
        assert!(text.contains("http://127.0.0.1:8080/"), "{text}");
    }
}
