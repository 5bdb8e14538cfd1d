//! `consentry audit verify`: checks the hash chains of audit log files, within each file and
//! across files, each instance's chain on its own, and names the first broken place.
//!
//! Files may be given in any order: each file starts with a `file-start` line whose `seq` places
//! it in its instance's chain. Within a file every line must hash to its `hash`, link to the line
//! before (`prev`) and number one more (`seq`). Across files, a file's first line must link to the
//! last line of the file before it. So an edited byte, a deleted, inserted or swapped line, a
//! truncated file and a missing file are all detected. A torn last line (the writer stopped
//! mid-line, e.g. on a crash) is reported as a warning: it is what a crash leaves, and the writer
//! continues the chain from the last whole line.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::{Map, Value};

use super::chain::{hash_of, GENESIS};
use crate::cli::VerifyArgs;

/// One broken (or suspicious) place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainProblem {
    pub file: PathBuf,
    /// 1-based; 0 when the problem is about the file as a whole.
    pub line: u64,
    pub message: String,
}

impl std::fmt::Display for ChainProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}: {}", self.file.display(), self.line, self.message)
        } else {
            write!(f, "{}: {}", self.file.display(), self.message)
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChainSummary {
    /// Whole lines read (file-start lines included).
    pub records: u64,
    pub files: usize,
    pub instances: Vec<String>,
    /// Breaks of the chain, in file order: any one means the log cannot be trusted as complete.
    pub problems: Vec<ChainProblem>,
    /// Torn last lines.
    pub warnings: Vec<ChainProblem>,
}

/// What one file says about its place in its chain.
#[derive(Debug)]
struct FileChain {
    path: PathBuf,
    instance: String,
    first_seq: u64,
    first_prev: String,
    last_seq: u64,
    last_hash: String,
}

pub fn verify_files(paths: &[PathBuf]) -> io::Result<ChainSummary> {
    let mut summary = ChainSummary {
        files: paths.len(),
        ..ChainSummary::default()
    };
    let mut chains: BTreeMap<String, Vec<FileChain>> = BTreeMap::new();
    for path in paths {
        if let Some(file) = verify_file(path, &mut summary)? {
            chains.entry(file.instance.clone()).or_default().push(file);
        }
    }
    for (instance, mut files) in chains {
        files.sort_by_key(|f| f.first_seq);
        link_files(&files, &mut summary.problems);
        summary.instances.push(instance);
    }
    Ok(summary)
}

/// Checks one file's own chain; returns where it sits in its instance's chain.
fn verify_file(path: &Path, summary: &mut ChainSummary) -> io::Result<Option<FileChain>> {
    let file = File::open(path)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
    let mut reader = BufReader::new(file);
    let mut raw = Vec::new();
    let mut number = 0u64;
    let mut chain: Option<FileChain> = None;
    let problem = |line: u64, message: String| ChainProblem {
        file: path.to_owned(),
        line,
        message,
    };
    loop {
        raw.clear();
        if reader.read_until(b'\n', &mut raw)? == 0 {
            break;
        }
        number += 1;
        let whole = raw.last() == Some(&b'\n');
        let parsed = std::str::from_utf8(&raw)
            .ok()
            .and_then(|text| serde_json::from_str::<Map<String, Value>>(text.trim_end()).ok());
        let Some(object) = parsed.filter(|_| whole) else {
            let at_end = reader.fill_buf()?.is_empty();
            if at_end && !whole {
                summary.warnings.push(problem(number, "torn last line: the writer stopped in the middle of it (a crash); the chain continues from the line before".into()));
            } else {
                summary.problems.push(problem(
                    number,
                    "not a whole JSON line: the file was damaged or edited".into(),
                ));
            }
            continue;
        };
        summary.records += 1;
        if let Err(message) = check_line(&object, number, &mut chain, path) {
            summary.problems.push(problem(number, message));
            // One break is enough to distrust the rest of this file's links; keep hashing lines
            // so later edits are still reported, but resynchronise on this line.
            if let Some(c) = chain.as_mut() {
                resync(c, &object);
            }
        }
    }
    if number == 0 {
        summary.problems.push(problem(
            0,
            "empty file: an audit file always starts with a file-start line".into(),
        ));
    }
    Ok(chain)
}

fn check_line(
    object: &Map<String, Value>,
    number: u64,
    chain: &mut Option<FileChain>,
    path: &Path,
) -> Result<(), String> {
    let text = |key: &str| object.get(key).and_then(Value::as_str);
    let seq = object
        .get("seq")
        .and_then(Value::as_u64)
        .ok_or("no `seq`")?;
    let hash = text("hash").ok_or("no `hash`")?;
    let prev = text("prev").ok_or("no `prev`")?;
    let instance = text("instance").ok_or("no `instance`")?;
    if object.get("v").and_then(Value::as_u64) != Some(1) {
        return Err("unknown schema version (expected \"v\": 1)".into());
    }
    if hash_of(object) != hash {
        return Err(format!(
            "seq {seq}: the line does not match its hash: it was edited"
        ));
    }
    match chain {
        None => {
            if text("type") != Some("file-start") {
                return Err(
                    "the file does not start with a file-start line: its first lines were removed"
                        .into(),
                );
            }
            *chain = Some(FileChain {
                path: path.to_owned(),
                instance: instance.to_owned(),
                first_seq: seq,
                first_prev: prev.to_owned(),
                last_seq: seq,
                last_hash: hash.to_owned(),
            });
            let _ = number;
            Ok(())
        }
        Some(c) => {
            if instance != c.instance {
                return Err(format!(
                    "line of instance `{instance}` in a file of instance `{}`",
                    c.instance
                ));
            }
            if prev != c.last_hash || Some(seq) != c.last_seq.checked_add(1) {
                let expected = c.last_seq.saturating_add(1);
                return Err(format!(
                    "seq {seq} does not follow seq {} (expected seq {expected} linked to the line before): a line was deleted, inserted or moved",
                    c.last_seq
                ));
            }
            c.last_seq = seq;
            c.last_hash = hash.to_owned();
            Ok(())
        }
    }
}

fn resync(chain: &mut FileChain, object: &Map<String, Value>) {
    if let (Some(seq), Some(hash)) = (
        object.get("seq").and_then(Value::as_u64),
        object.get("hash").and_then(Value::as_str),
    ) {
        chain.last_seq = seq;
        chain.last_hash = hash.to_owned();
    }
}

/// Checks that each file continues the one before it in its instance's chain.
fn link_files(files: &[FileChain], problems: &mut Vec<ChainProblem>) {
    if let Some(first) = files.first() {
        if first.first_seq != 0 || first.first_prev != GENESIS {
            problems.push(ChainProblem {
                file: first.path.clone(),
                line: 1,
                message: format!(
                    "the chain of instance `{}` starts at seq {}: the files before it are missing",
                    first.instance, first.first_seq
                ),
            });
        }
    }
    for pair in files.windows(2) {
        let [before, after] = pair else { continue };
        if after.first_prev != before.last_hash
            || after.first_seq != before.last_seq.saturating_add(1)
        {
            problems.push(ChainProblem {
                file: after.path.clone(),
                line: 1,
                message: format!(
                    "does not continue {} (which ends at seq {}, this starts at seq {}): a file between them is missing or that one was truncated",
                    before.path.display(),
                    before.last_seq,
                    after.first_seq
                ),
            });
        }
    }
}

pub fn run(args: &VerifyArgs) -> ExitCode {
    let summary = match verify_files(&args.files) {
        Ok(summary) => summary,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::FAILURE;
        }
    };
    for warning in &summary.warnings {
        eprintln!("warning: {warning}");
    }
    match summary.problems.first() {
        None => {
            println!(
                "ok: {} records, {} files ({} {})",
                summary.records,
                summary.files,
                if summary.instances.len() == 1 {
                    "instance"
                } else {
                    "instances"
                },
                summary.instances.join(", ")
            );
            ExitCode::SUCCESS
        }
        Some(first) => {
            println!("broken: {first}");
            if summary.problems.len() > 1 {
                println!(
                    "({} more problems after this one)",
                    summary.problems.len() - 1
                );
            }
            ExitCode::FAILURE
        }
    }
}
