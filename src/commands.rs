//! What each command does, between the parsed command line and the library.

use std::process::ExitCode;

use crate::cli::{AuditCommand, CheckArgs, Cli, Command, ExplainArgs, ServeArgs};
use crate::config::{Config, Overrides};
use crate::{proxy, telemetry};

/// Runs a parsed command line and returns the process's exit status.
pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Serve(args) => {
            let _log = telemetry::init(cli.log_format);
            serve(args)
        }
        Command::Check(args) => check(args),
        Command::Explain(args) => explain(args),
        Command::Demo(args) => crate::demo::run(args, cli.log_format),
        Command::Audit(AuditCommand::Verify(args)) => crate::audit::verify::run(&args),
        Command::Audit(AuditCommand::Report(args)) => crate::audit::report::run(&args),
    }
}

fn serve(args: ServeArgs) -> ExitCode {
    let overrides = Overrides {
        listen: args.listen,
        upstream: args.upstream,
        mode: args.mode.as_deref().and_then(crate::policy::Mode::parse),
    };
    let config = match Config::load(&args.config, &overrides) {
        Ok(config) => config,
        Err(errors) => {
            eprintln!("{errors}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match build_runtime(config.proxy.workers) {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(proxy::server::serve(config, shutdown_signal())) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{}: {error}", args.config.display());
            ExitCode::FAILURE
        }
    }
}

/// One thread per core by default. With `workers = 1` the whole proxy runs on one thread, as an
/// nginx worker does: no work stealing, no cross-thread wake-ups.
fn build_runtime(workers: Option<usize>) -> std::io::Result<tokio::runtime::Runtime> {
    match workers {
        Some(1) => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
        Some(n) => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(n)
            .enable_all()
            .build(),
        None => tokio::runtime::Runtime::new(),
    }
}

fn check(args: CheckArgs) -> ExitCode {
    match Config::load(&args.config, &Overrides::default()) {
        Ok(config) => {
            match &config.enforcement {
                Some(rules) => println!(
                    "{}: ok ({} categories, {} cookie declarations, {} consent sources)",
                    args.config.display(),
                    rules.registry.categories().len(),
                    rules.registry.declarations().len(),
                    rules.consent.sources.len()
                ),
                None => println!(
                    "{}: ok (no [[cookie]] declared: cookies would be forwarded unchecked)",
                    args.config.display()
                ),
            }
            ExitCode::SUCCESS
        }
        Err(errors) => {
            eprintln!("{errors}");
            ExitCode::FAILURE
        }
    }
}

fn explain(args: ExplainArgs) -> ExitCode {
    let config = match Config::load(&args.config, &Overrides::default()) {
        Ok(config) => config,
        Err(errors) => {
            eprintln!("{errors}");
            return ExitCode::FAILURE;
        }
    };
    let Some(rules) = config.enforcement else {
        eprintln!(
            "{}: no [[cookie]] declared, so there is nothing to explain",
            args.config.display()
        );
        return ExitCode::FAILURE;
    };
    let headers = match crate::explain::build_request_headers(args.cookie.as_deref(), &args.header)
    {
        Ok(headers) => headers,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::FAILURE;
        }
    };
    let default_url = match &config.proxy.public_host {
        Some(host) => format!("https://{host}/"),
        None => "http://localhost/".to_owned(),
    };
    let page = match crate::explain::Page::parse(args.url.as_deref().unwrap_or(&default_url)) {
        Ok(page) => page,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::FAILURE;
        }
    };
    let explanation = crate::explain::explain(&rules, &headers, &page, &args.set_cookie);
    if args.json {
        println!("{explanation:#}");
    } else {
        print!("{}", crate::explain::render_text(&explanation));
    }
    ExitCode::SUCCESS
}

/// Completes on SIGINT or SIGTERM (systemd and container runtimes stop services with SIGTERM).
pub async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = interrupt => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = interrupt.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}
