//! The command line (clap derive). Each command's `--help` ends with an example.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "consentry",
    version,
    about = "A reverse proxy that enforces cookie consent",
    after_help = "Example:\n  consentry serve --config config/opendatasoft.toml"
)]
pub struct Cli {
    /// Log format on stderr: `pretty` for people, `json` for log collectors.
    #[arg(long, value_enum, default_value_t = LogFormat::Pretty, global = true)]
    pub log_format: LogFormat,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the proxy in front of the configured portal.
    #[command(
        after_help = "Example:\n  consentry serve --config config/opendatasoft.toml --listen 0.0.0.0:8080"
    )]
    Serve(ServeArgs),
    /// Validate a configuration file and list every problem, one per line.
    #[command(after_help = "Example:\n  consentry check --config config/opendatasoft.toml")]
    Check(CheckArgs),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The TOML configuration file.
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: PathBuf,
    /// Listen on this address instead of the file's `proxy.listen`.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Forward to this URL instead of the file's `proxy.upstream`.
    #[arg(long, value_name = "URL")]
    pub upstream: Option<String>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The TOML configuration file.
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: PathBuf,
}
