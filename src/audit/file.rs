//! The audit file on disk: opening it (continuing the chain of an earlier run), appending sealed
//! lines, rotating by size and by day, and leaving no torn line behind a failed write.
//!
//! A rotated file is renamed `<path>.<UTC time>` (sortable); the next file starts with a
//! `file-start` line linked to the last line of the previous one. On start, an existing file is
//! rotated away the same way, so every file starts with a `file-start` line and a torn last line
//! left by a crash stays where it is, for `verify` to report. A rotation that fails halfway (the
//! directory gone, no descriptor or inode left) resumes where it stopped at the next append.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde_json::{Map, Value};

use super::chain::{seal, GENESIS};
use super::record::format_time;

/// Where the chain stands: the next line's `seq` and `prev`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainHead {
    pub seq: u64,
    pub prev: String,
}

impl ChainHead {
    pub fn genesis() -> ChainHead {
        ChainHead {
            seq: 0,
            prev: GENESIS.to_owned(),
        }
    }
}

enum Target {
    Stdout,
    File { path: PathBuf, file: File },
}

/// How far a rotation got. Each step can fail; the next append resumes at the step that failed,
/// never redoing one that succeeded: renaming again would find no file at the path (the full one
/// is already under its rotated name) and fail for ever, and a new file without its `file-start`
/// line would read as a file whose first lines were removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rotation {
    /// None in progress.
    Idle,
    /// The full file is under its rotated name; the next one is still to be opened.
    Renamed,
    /// The next file is open and empty; its `file-start` line is still to be written.
    Opened,
}

pub struct LogFile {
    target: Target,
    instance: String,
    max_size: u64,
    rotate_daily: bool,
    size: u64,
    day: String,
    pub head: ChainHead,
    dirty: bool,
    rotation: Rotation,
}

fn today() -> String {
    format_time(SystemTime::now())[..10].to_owned()
}

impl LogFile {
    pub fn stdout(instance: &str) -> LogFile {
        LogFile {
            target: Target::Stdout,
            instance: instance.to_owned(),
            max_size: u64::MAX,
            rotate_daily: false,
            size: 0,
            day: today(),
            head: ChainHead::genesis(),
            dirty: false,
            rotation: Rotation::Idle,
        }
    }

    /// Opens the log at `path`, continuing the chain found in it (or in its newest rotated
    /// file), and writes the new file's `file-start` line.
    pub fn open(
        path: &Path,
        instance: &str,
        max_size: u64,
        rotate_daily: bool,
    ) -> io::Result<LogFile> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir)?;
        }
        let (head, reason) = match find_chain_head(path, instance)? {
            Some(head) => (head, "restart"),
            None => (ChainHead::genesis(), "new"),
        };
        if fs::metadata(path).map(|m| m.len() > 0).unwrap_or(false) {
            fs::rename(path, rotated_name(path))?;
        }
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        let mut log = LogFile {
            target: Target::File {
                path: path.to_owned(),
                file,
            },
            instance: instance.to_owned(),
            max_size,
            rotate_daily,
            size: 0,
            day: today(),
            head,
            dirty: false,
            rotation: Rotation::Idle,
        };
        log.write_file_start(reason)?;
        Ok(log)
    }

    /// Seals `object` with the chain head and appends it, rotating first when due. On failure
    /// nothing of the line remains in the file and the head does not move, so the caller can
    /// retry the same object later.
    pub fn append(&mut self, object: &Map<String, Value>) -> io::Result<()> {
        if self.rotation_due() {
            self.rotate()?;
        }
        self.append_sealed(object.clone())
    }

    fn append_sealed(&mut self, mut object: Map<String, Value>) -> io::Result<()> {
        object.insert("v".into(), Value::from(1));
        object.insert("seq".into(), Value::from(self.head.seq));
        object.insert("prev".into(), Value::from(self.head.prev.clone()));
        object.insert("instance".into(), Value::from(self.instance.clone()));
        let (mut line, hash) = seal(object);
        line.push('\n');
        self.write_all(line.as_bytes())?;
        self.size += line.len() as u64;
        self.head = ChainHead {
            seq: self.head.seq + 1,
            prev: hash,
        };
        self.dirty = true;
        Ok(())
    }

    fn write_file_start(&mut self, reason: &str) -> io::Result<()> {
        let mut object = Map::new();
        object.insert("type".into(), Value::from("file-start"));
        object.insert("time".into(), Value::from(format_time(SystemTime::now())));
        object.insert("reason".into(), Value::from(reason));
        self.append_sealed(object)
    }

    /// Writes all of `bytes` or, on error, cuts the file back to where it was.
    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        match &mut self.target {
            Target::Stdout => {
                let mut out = io::stdout().lock();
                out.write_all(bytes)?;
                out.flush()
            }
            Target::File { file, .. } => {
                let result = file.write_all(bytes);
                if result.is_err() {
                    let _ = file.set_len(self.size);
                    let _ = file.seek(SeekFrom::End(0));
                }
                result
            }
        }
    }

    fn rotation_due(&self) -> bool {
        matches!(self.target, Target::File { .. })
            && (self.rotation != Rotation::Idle
                || self.size >= self.max_size
                || (self.rotate_daily && today() != self.day))
    }

    /// Renames the full file, opens the next and starts it, resuming a rotation that failed
    /// halfway (see [`Rotation`]).
    fn rotate(&mut self) -> io::Result<()> {
        let Target::File { path, file } = &mut self.target else {
            return Ok(());
        };
        let path = path.clone();
        if self.rotation == Rotation::Idle {
            file.sync_all()?;
            fs::rename(&path, rotated_name(&path))?;
            self.rotation = Rotation::Renamed;
        }
        if self.rotation == Rotation::Renamed {
            let file = OpenOptions::new().create(true).append(true).open(&path)?;
            self.target = Target::File { path, file };
            self.size = 0;
            self.day = today();
            self.rotation = Rotation::Opened;
        }
        self.write_file_start("rotation")?;
        self.rotation = Rotation::Idle;
        Ok(())
    }

    /// Makes what was written durable (fsync of the data).
    pub fn sync(&mut self) -> io::Result<()> {
        if let (Target::File { file, .. }, true) = (&self.target, self.dirty) {
            file.sync_data()?;
        }
        self.dirty = false;
        Ok(())
    }

    pub fn is_dirty(&self) -> bool {
        self.dirty
    }
}

/// `<path>.<UTC time>` with a counter if that name is taken, so names sort in rotation order.
fn rotated_name(path: &Path) -> PathBuf {
    let stamp = format_time(SystemTime::now())
        .replace([':', '-'], "")
        .replace('.', "");
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".{stamp}"));
    let mut candidate = PathBuf::from(&name);
    let mut n = 1;
    while candidate.exists() {
        let mut numbered = name.clone();
        numbered.push(format!("-{n}"));
        candidate = PathBuf::from(numbered);
        n += 1;
    }
    candidate
}

/// The head of the chain left by an earlier run: the last whole line of `path`, or of its
/// newest rotated file.
fn find_chain_head(path: &Path, instance: &str) -> io::Result<Option<ChainHead>> {
    let mut candidates = vec![path.to_owned()];
    if let (Some(dir), Some(name)) = (path.parent(), path.file_name()) {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        let prefix = format!("{}.", name.to_string_lossy());
        let mut rotated: Vec<PathBuf> = fs::read_dir(dir)?
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with(&prefix))
            })
            .collect();
        rotated.sort();
        candidates.extend(rotated.into_iter().rev());
    }
    for candidate in candidates {
        if let Some(head) = last_whole_line(&candidate)? {
            if head.1 != instance {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "{} holds the chain of instance `{}`, not `{instance}`: give each instance its own file",
                        candidate.display(),
                        head.1
                    ),
                ));
            }
            return Ok(Some(head.0));
        }
    }
    Ok(None)
}

fn last_whole_line(path: &Path) -> io::Result<Option<(ChainHead, String)>> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut last = None;
    for line in BufReader::new(file).split(b'\n') {
        let line = line?;
        let parsed: Option<Map<String, Value>> = serde_json::from_slice(&line).ok();
        if let Some(object) = parsed {
            let seq = object.get("seq").and_then(Value::as_u64);
            let hash = object.get("hash").and_then(Value::as_str);
            let instance = object.get("instance").and_then(Value::as_str);
            if let (Some(seq), Some(hash), Some(instance)) = (seq, hash, instance) {
                last = Some((
                    ChainHead {
                        seq: seq + 1,
                        prev: hash.to_owned(),
                    },
                    instance.to_owned(),
                ));
            }
        }
    }
    Ok(last)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::verify::verify_files;

    fn line(n: u64) -> Map<String, Value> {
        let mut object = Map::new();
        object.insert("type".into(), Value::from("violation"));
        object.insert("count".into(), Value::from(n));
        object
    }

    /// A log of `max_size` 1 byte (every append rotates first) in `<root>/audit`, one line in.
    fn rotating_log(root: &Path) -> (PathBuf, PathBuf, LogFile) {
        let dir = root.join("audit");
        let path = dir.join("audit.jsonl");
        let mut log = LogFile::open(&path, "test-1", 1, false).unwrap();
        log.append(&line(1)).unwrap();
        (dir, path, log)
    }

    fn files_in(dir: &Path) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .collect();
        files.sort();
        files
    }

    fn first_line_type(path: &Path) -> Option<String> {
        let text = fs::read_to_string(path).unwrap();
        let first: Map<String, Value> = serde_json::from_str(text.lines().next()?).ok()?;
        first.get("type").and_then(Value::as_str).map(str::to_owned)
    }

    fn assert_chain_whole(dir: &Path, lines: u64) {
        let files = files_in(dir);
        for file in &files {
            assert_eq!(
                first_line_type(file).as_deref(),
                Some("file-start"),
                "{file:?}"
            );
        }
        let summary = verify_files(&files).unwrap();
        assert!(summary.problems.is_empty(), "{:?}", summary.problems);
        assert_eq!(summary.records, lines);
    }

    #[test]
    fn a_rotation_that_could_not_rename_retries_once_the_directory_is_back() {
        let root = tempfile::tempdir().unwrap();
        let (dir, _, mut log) = rotating_log(root.path());
        let away = root.path().join("away");
        fs::rename(&dir, &away).unwrap();
        assert!(log.append(&line(2)).is_err());
        fs::rename(&away, &dir).unwrap();
        log.append(&line(2)).unwrap();
        // The first file holds its file-start alone; the two rotated to after it, a line each.
        assert_chain_whole(&dir, 5);
    }

    #[test]
    fn a_rotation_whose_next_file_could_not_be_opened_resumes_without_renaming_again() {
        let root = tempfile::tempdir().unwrap();
        let (dir, path, mut log) = rotating_log(root.path());
        // Where a failed open leaves it: the full file already under its rotated name.
        fs::rename(&path, rotated_name(&path)).unwrap();
        log.rotation = Rotation::Renamed;
        log.append(&line(2)).unwrap();
        assert_eq!(log.rotation, Rotation::Idle);
        assert_chain_whole(&dir, 5);
    }

    #[test]
    fn a_rotation_whose_file_start_could_not_be_written_writes_it_before_the_next_line() {
        let root = tempfile::tempdir().unwrap();
        let (dir, path, mut log) = rotating_log(root.path());
        // Where a failed first write leaves it: the next file open and empty.
        fs::rename(&path, rotated_name(&path)).unwrap();
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .unwrap();
        log.target = Target::File {
            path: path.clone(),
            file,
        };
        log.size = 0;
        log.rotation = Rotation::Opened;
        log.append(&line(2)).unwrap();
        assert_eq!(log.rotation, Rotation::Idle);
        assert_chain_whole(&dir, 5);
    }
}
