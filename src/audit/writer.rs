//! The audit writer: its own thread behind a bounded queue. A violation whose aggregate is open is
//! counted on the request path itself ([`SharedAggregator`]); any other record goes through the
//! queue, where the request path awaits room (backpressure) rather than drop it. The thread
//! takes the aggregates whose window has closed, seals, writes, fsyncs and rotates. When the disk
//! refuses (full, permissions), it says so loudly, keeps the records in memory up to
//! `max_pending` (then stops taking more, so the request path waits), retries, and exposes its
//! state; on shutdown it flushes everything it holds.

use std::collections::VecDeque;
use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Map, Value};
use tokio::sync::{mpsc, oneshot};
use tracing::{error, info, warn};

use super::aggregate::Aggregated;
use super::counting::SharedAggregator;
use super::file::LogFile;
use super::key::ViolationKey;
use super::record::ViolationRecord;
use super::shared::SharedStr;
use crate::config::{AuditConfig, AuditPath, ClientAddress, Fsync};

/// How often the writer wakes without news: closes aggregation windows, retries, fsyncs.
const TICK: Duration = Duration::from_millis(100);

/// After each batch the writer lets records gather this long before it looks again. Waking for
/// every record cost a thread switch (two futex calls) per violation on the request path's core;
/// a window bounds the wake-ups to 200 a second, well within the queue (`audit.queue`, 10,000 by
/// default, fills in 5 ms only above 2 million violations a second).
const BATCH_WINDOW: Duration = Duration::from_millis(5);

/// What operators and health checks can read about the writer.
#[derive(Debug, Default)]
pub struct AuditState {
    /// False while the log cannot be written.
    pub healthy: AtomicBool,
    /// Failed write attempts since start.
    pub write_failures: AtomicU64,
    /// Violation lines written (each may stand for several violations).
    pub lines_written: AtomicU64,
    /// Violations written (the sum of the lines' `count`).
    pub violations_written: AtomicU64,
    /// Lines sealed in memory, waiting for the disk.
    pub pending: AtomicUsize,
}

/// The sending side, held by the proxy. Cheap to clone.
#[derive(Clone)]
pub struct AuditHandle {
    tx: mpsc::Sender<ViolationRecord>,
    aggregates: Arc<SharedAggregator>,
    omit_client: bool,
    pub state: Arc<AuditState>,
}

impl AuditHandle {
    /// Counts a record, or queues it, waiting while the queue is full.
    pub async fn append(&self, record: ViolationRecord) {
        let Some(record) = self.count(record) else {
            return;
        };
        if self.tx.send(record).await.is_err() {
            error!(target: "consentry::audit", "audit writer stopped: a violation record could not be written");
        }
    }

    /// Counts a record, or queues it if there is room now; gives it back otherwise (queue full,
    /// or the writer stopped), for [`AuditHandle::append`] to wait with.
    pub fn try_append(&self, record: ViolationRecord) -> Option<ViolationRecord> {
        let record = self.count(record)?;
        match self.tx.try_send(record) {
            Ok(()) => None,
            Err(
                mpsc::error::TrySendError::Full(record) | mpsc::error::TrySendError::Closed(record),
            ) => Some(record),
        }
    }

    /// Counts one more occurrence, at `time`, of the violation `key` describes, when its
    /// aggregate is open: true, and no record need be built. False otherwise: the caller builds
    /// the record and appends it.
    pub fn count_repeat(&self, mut key: ViolationKey<'_>, time: &SharedStr) -> bool {
        if self.omit_client {
            key.client = None;
        }
        self.aggregates.count_repeat(&key, time)
    }

    /// Counts `record` into its open aggregate (the client network dropped first if the log
    /// omits it, as it is part of the key); gives it back when it must be queued.
    fn count(&self, mut record: ViolationRecord) -> Option<ViolationRecord> {
        if self.omit_client {
            record.client = None;
        }
        self.aggregates.count(record)
    }
}

/// The writer thread, owned by the server.
pub struct AuditLog {
    handle: AuditHandle,
    stop: Option<oneshot::Sender<()>>,
    done: Option<oneshot::Receiver<()>>,
}

impl AuditLog {
    /// Opens the log (continuing an earlier chain) and starts the writer thread.
    pub fn start(config: AuditConfig) -> io::Result<AuditLog> {
        let file = match &config.path {
            AuditPath::Stdout => LogFile::stdout(&config.instance),
            AuditPath::File(path) => {
                LogFile::open(path, &config.instance, config.max_size, config.rotate_daily)?
            }
        };
        let (tx, rx) = mpsc::channel(config.queue);
        // The request path may open as many aggregates as the queue holds records: the same
        // bound on what a writer that falls behind leaves in memory, before responses wait.
        let aggregates = Arc::new(SharedAggregator::new(config.aggregate, config.queue));
        let omit_client = config.client == ClientAddress::Omit;
        let state = Arc::new(AuditState::default());
        state.healthy.store(true, Ordering::Relaxed);
        let (stop_tx, stop_rx) = oneshot::channel();
        let (done_tx, done_rx) = oneshot::channel();
        let writer = Writer {
            aggregates: aggregates.clone(),
            config,
            file,
            unwritten: VecDeque::new(),
            state: state.clone(),
            last_sync: Instant::now(),
        };
        std::thread::Builder::new()
            .name("consentry-audit".into())
            .spawn(move || {
                writer.run(rx, stop_rx);
                let _ = done_tx.send(());
            })?;
        Ok(AuditLog {
            handle: AuditHandle {
                tx,
                aggregates,
                omit_client,
                state,
            },
            stop: Some(stop_tx),
            done: Some(done_rx),
        })
    }

    pub fn handle(&self) -> AuditHandle {
        self.handle.clone()
    }

    /// Flushes everything queued or aggregated, fsyncs, and stops the thread.
    pub async fn close(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(done) = self.done.take() {
            let _ = done.await;
        }
    }
}

struct Writer {
    config: AuditConfig,
    file: LogFile,
    aggregates: Arc<SharedAggregator>,
    /// Aggregated lines not yet on disk, oldest first.
    unwritten: VecDeque<(Map<String, Value>, u64)>,
    state: Arc<AuditState>,
    last_sync: Instant,
}

impl Writer {
    fn run(mut self, rx: mpsc::Receiver<ViolationRecord>, stop: oneshot::Receiver<()>) {
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
        {
            Ok(runtime) => runtime,
            Err(e) => {
                error!(target: "consentry::audit", error = %e, "cannot start the audit writer");
                return;
            }
        };
        runtime.block_on(self.serve(rx, stop));
    }

    async fn serve(
        &mut self,
        mut rx: mpsc::Receiver<ViolationRecord>,
        mut stop: oneshot::Receiver<()>,
    ) {
        let mut tick = tokio::time::interval(TICK);
        let mut open = true;
        while open {
            let room = self.unwritten.len() < self.config.max_pending;
            tokio::select! {
                received = rx.recv(), if room => match received {
                    Some(record) => self.take(record),
                    None => open = false,
                },
                _ = &mut stop => open = false,
                _ = tick.tick() => {}
            }
            // Take whatever else is already queued, so lines are written in batches.
            while self.unwritten.len() < self.config.max_pending {
                match rx.try_recv() {
                    Ok(record) => self.take(record),
                    Err(_) => break,
                }
            }
            let room = self.config.max_pending.saturating_sub(self.unwritten.len());
            for due in self.aggregates.take_due(Instant::now(), room) {
                self.push(due);
            }
            self.write_pending();
            self.sync_if_due(false);
            if open {
                tokio::select! {
                    _ = tokio::time::sleep(BATCH_WINDOW) => {}
                    _ = &mut stop => open = false,
                }
            }
        }
        self.finish(rx);
    }

    /// On stop: everything still queued or open is written, with retries, then fsynced.
    fn finish(&mut self, mut rx: mpsc::Receiver<ViolationRecord>) {
        rx.close();
        while let Ok(record) = rx.try_recv() {
            self.take(record);
        }
        for open in self.aggregates.close() {
            self.push(open);
        }
        for attempt in 0..50 {
            self.write_pending();
            if self.unwritten.is_empty() {
                break;
            }
            if attempt == 0 {
                error!(target: "consentry::audit", pending = self.unwritten.len(), "stopping while the audit log cannot be written: retrying for 5 s");
            }
            std::thread::sleep(TICK);
        }
        self.sync_if_due(true);
        if !self.unwritten.is_empty() {
            // Last resort: never lose a record silently. The lines go to stderr, unsealed.
            error!(target: "consentry::audit", lost = self.unwritten.len(), "audit records could not be written; printing them on stderr");
            for (object, _) in &self.unwritten {
                eprintln!("{}", Value::Object(object.clone()));
            }
        }
        info!(target: "consentry::audit", seq = self.file.head.seq, head = %self.file.head.prev, "audit log closed");
    }

    fn take(&mut self, record: ViolationRecord) {
        if let Some(ready) = self.aggregates.add(record, Instant::now()) {
            self.push(ready);
        }
    }

    fn push(&mut self, aggregated: Aggregated) {
        let count = aggregated.count;
        let object = match serde_json::to_value(&aggregated.record) {
            Ok(Value::Object(mut object)) => {
                object.insert("type".into(), Value::from("violation"));
                object.insert("count".into(), Value::from(count));
                object.insert(
                    "last_time".into(),
                    Value::from(aggregated.last_time.as_str()),
                );
                object
            }
            // A record always serialises to an object; keep the count honest if it ever did not.
            _ => {
                error!(target: "consentry::audit", "a violation record could not be serialised");
                return;
            }
        };
        self.unwritten.push_back((object, count));
        self.state
            .pending
            .store(self.unwritten.len(), Ordering::Relaxed);
    }

    fn write_pending(&mut self) {
        while let Some((object, count)) = self.unwritten.front() {
            match self.file.append(object) {
                Ok(()) => {
                    self.state.lines_written.fetch_add(1, Ordering::Relaxed);
                    self.state
                        .violations_written
                        .fetch_add(*count, Ordering::Relaxed);
                    self.unwritten.pop_front();
                    if !self.state.healthy.swap(true, Ordering::Relaxed) {
                        warn!(target: "consentry::audit", "the audit log can be written again");
                    }
                }
                Err(e) => {
                    self.state.write_failures.fetch_add(1, Ordering::Relaxed);
                    if self.state.healthy.swap(false, Ordering::Relaxed) {
                        error!(target: "consentry::audit", error = %e, pending = self.unwritten.len(), "cannot write the audit log: keeping the records in memory and retrying");
                    }
                    break;
                }
            }
        }
        self.state
            .pending
            .store(self.unwritten.len(), Ordering::Relaxed);
    }

    fn sync_if_due(&mut self, force: bool) {
        if !self.file.is_dirty() {
            return;
        }
        let due = force
            || match self.config.fsync {
                Fsync::Always => true,
                Fsync::Every(interval) => self.last_sync.elapsed() >= interval,
            };
        if due {
            if let Err(e) = self.file.sync() {
                error!(target: "consentry::audit", error = %e, "cannot fsync the audit log");
            }
            self.last_sync = Instant::now();
        }
    }
}
