//! A buffered stderr for the process log, as nginx's `access_log … buffer=64k flush=1s`: each
//! event is appended to a shared buffer under a short lock; the buffer goes to stderr when it
//! passes 64 KiB (by the thread that filled it), every 100 ms (by a flusher thread), and when
//! the process ends (by dropping the [`FlushGuard`]). A busy proxy thus makes one `write` per
//! few hundred lines, and no thread is woken per line.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;

/// Written out by the thread that fills the buffer past this size.
const FLUSH_AT: usize = 64 * 1024;
/// How long a quiet line may wait in the buffer.
const FLUSH_EVERY: Duration = Duration::from_millis(100);

#[derive(Clone)]
pub struct BufferedStderr {
    buffer: Arc<Mutex<Vec<u8>>>,
}

/// Flushes the buffer one last time when dropped, and stops the flusher thread.
pub struct FlushGuard {
    buffer: Arc<Mutex<Vec<u8>>>,
    stop: Arc<AtomicBool>,
    flusher: Option<JoinHandle<()>>,
}

impl BufferedStderr {
    /// The writer and the guard to keep until the process ends. Without a flusher thread (it
    /// could not be started), lines are still written when the buffer fills and at the end.
    pub fn start() -> (BufferedStderr, FlushGuard) {
        let buffer = Arc::new(Mutex::new(Vec::with_capacity(FLUSH_AT * 2)));
        let stop = Arc::new(AtomicBool::new(false));
        let flusher = {
            let (buffer, stop) = (buffer.clone(), stop.clone());
            std::thread::Builder::new()
                .name("consentry-log".into())
                .spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        std::thread::park_timeout(FLUSH_EVERY);
                        write_out(&mut lock(&buffer));
                    }
                })
                .ok()
        };
        (
            BufferedStderr {
                buffer: buffer.clone(),
            },
            FlushGuard {
                buffer,
                stop,
                flusher,
            },
        )
    }
}

impl Drop for FlushGuard {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(flusher) = self.flusher.take() {
            flusher.thread().unpark();
            let _ = flusher.join();
        }
        write_out(&mut lock(&self.buffer));
    }
}

/// A poisoned lock only means a thread panicked while appending: the bytes are still there.
fn lock(buffer: &Mutex<Vec<u8>>) -> MutexGuard<'_, Vec<u8>> {
    buffer
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Writes the buffer to stderr and empties it. A log that cannot be written (stderr closed) is
/// not worth failing a request for: the bytes are dropped.
fn write_out(buffer: &mut Vec<u8>) {
    if buffer.is_empty() {
        return;
    }
    let mut stderr = io::stderr().lock();
    let _ = stderr.write_all(buffer);
    let _ = stderr.flush();
    buffer.clear();
}

impl Write for BufferedStderr {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let mut buffer = lock(&self.buffer);
        buffer.extend_from_slice(bytes);
        if buffer.len() >= FLUSH_AT {
            write_out(&mut buffer);
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for BufferedStderr {
    type Writer = BufferedStderr;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_wait_in_the_buffer_and_the_guard_writes_them_out() {
        let (mut writer, guard) = BufferedStderr::start();
        writer.write_all(b"one line\n").unwrap();
        assert_eq!(lock(&writer.buffer).as_slice(), b"one line\n");
        drop(guard);
        assert!(lock(&writer.buffer).is_empty());
    }

    #[test]
    fn a_full_buffer_is_written_by_the_thread_that_filled_it() {
        let (mut writer, _guard) = BufferedStderr::start();
        writer.write_all(&vec![b'.'; FLUSH_AT]).unwrap();
        assert!(lock(&writer.buffer).is_empty());
    }
}
