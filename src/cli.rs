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
    /// Show what consentry would do with some Set-Cookie lines for a given request.
    #[command(
        after_help = "Example:\n  consentry explain --config config/opendatasoft.toml \\\n    --cookie 'cookies_preferences={\"statistics\":false}' --header 'Sec-GPC: 1' \\\n    --set-cookie '_ga=GA1.1.42.1700000000; Max-Age=63072000; Path=/' \\\n    --set-cookie 'sessionid=abc; HttpOnly; Path=/'"
    )]
    Explain(ExplainArgs),
    /// Read audit logs: check their hash chains, or summarise them in a report.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Run an embedded demo portal with consentry in front of it.
    #[command(
        after_help = "Example:\n  consentry demo            # then open the printed URL\n  consentry demo --once     # a scripted visit, then exit"
    )]
    Demo(DemoArgs),
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
    /// Replace the file's `policy.mode`: `enforce` acts, `report-only` only records.
    #[arg(long, value_name = "MODE", value_parser = ["enforce", "report-only"])]
    pub mode: Option<String>,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The TOML configuration file.
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: PathBuf,
    /// The request's `Cookie` header value, e.g. 'cookies_preferences=…; sessionid=…'.
    #[arg(long, value_name = "HEADER VALUE")]
    pub cookie: Option<String>,
    /// Another request header, e.g. 'Sec-GPC: 1' (repeatable).
    #[arg(long, value_name = "NAME: VALUE")]
    pub header: Vec<String>,
    /// A `Set-Cookie` line to judge (repeatable; needed unless --cookie is given).
    #[arg(
        long = "set-cookie",
        value_name = "LINE",
        required_unless_present = "cookie"
    )]
    pub set_cookie: Vec<String>,
    /// The page the visitor asks for, which the cleanup's domains and paths come from.
    /// Default: https://PUBLIC_HOST/ with `proxy.public_host`, else http://localhost/.
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// Print the stable JSON form (documented in docs/explain.md).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where the proxy in front of the demo portal listens.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Run a scripted visit (no choice, refuse, accept), print what passed, and exit.
    #[arg(long)]
    pub once: bool,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The TOML configuration file.
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the hash chains of audit log files (within and across files, per instance).
    #[command(after_help = "Example:\n  consentry audit verify /var/log/consentry/audit.jsonl*")]
    Verify(VerifyArgs),
    /// Summarise audit logs for people: totals by kind, cookie, category, path and day.
    #[command(
        after_help = "Example:\n  consentry audit report /var/log/consentry/audit.jsonl* --format html --lang fr --output rapport.html"
    )]
    Report(ReportArgs),
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Audit log files, of one or several instances, in any order.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Text,
    Json,
    Csv,
    Html,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Lang {
    Fr,
    En,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Audit log files, of one or several instances, in any order.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Only violations at or after this time (RFC 3339, or a date such as 2026-11-01).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only violations before this time (RFC 3339, or a date: that day is excluded).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
    /// Write the report to this file instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Language of the text and HTML reports.
    #[arg(long, value_enum, default_value_t = Lang::En)]
    pub lang: Lang,
}
