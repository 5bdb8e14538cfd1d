#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    consentry::commands::run(consentry::cli::Cli::parse())
}
