//! The upstream connection pool: HTTP/1.1 connections to the one upstream, reused newest first,
//! and bounded by `[proxy] max_upstream_connections`.
//!
//! Why not a general-purpose client: consentry talks to one origin only, so the pool needs no
//! per-host map, no boxed futures and no background task per checkout. A connection goes back
//! to the pool the moment its response body has been read to the end (see [`UpstreamBody`]),
//! so a connection per request in flight is all it ever opens; above the bound, requests wait
//! for one to come back (bounded by `timeouts.upstream_headers`), first come first served, which
//! keeps memory flat when a thousand visitors arrive at once. What goes over a connection is
//! `exchange.rs` (the request and the response head) and `upstream_body.rs` (the body).

use std::collections::VecDeque;
use std::error::Error as StdError;
use std::future::poll_fn;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, Instant};

use http::{StatusCode, Uri};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioIo;
use tokio::sync::{oneshot, OwnedSemaphorePermit, Semaphore};
use tokio::time::Sleep;
use tower_service::Service;
use tracing::debug;

use super::body::RequestBody;
use super::deadline::within;
use super::exchange::{exchange, ExchangeError, ResponseHead, Wire};
use super::reply::Reply;
use super::request::ProxyRequest;
use super::spare::give_back_field_list;
use super::upstream_body::{UpstreamBody, UpstreamUpgrade};
use crate::admin::Counters;

type BoxError = Box<dyn StdError + Send + Sync>;

/// Why a request could not be carried to the upstream.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    /// No connection could be opened (refused, unresolvable, TLS, connect timeout).
    #[error(transparent)]
    Connect(BoxError),
    /// The connection failed while the request or the response head was on it.
    #[error(transparent)]
    Failed(ExchangeError),
    /// No response head before the deadline (`timeouts.upstream_headers`), a wait for a free
    /// connection included.
    #[error("no response head from the upstream in time")]
    Timeout,
}

/// The pool; cheap to share (`Arc` inside).
pub struct UpstreamPool {
    shared: Arc<Shared>,
}

pub struct Shared {
    connector: HttpsConnector<HttpConnector>,
    /// `scheme://authority`: what the connector dials.
    origin: Uri,
    lists: Mutex<Lists>,
    /// One permit per open connection: the bound.
    slots: Arc<Semaphore>,
    idle_timeout: Duration,
    reaper_started: AtomicBool,
    /// `/metrics`: connections open, and requests that had to wait.
    counters: Arc<Counters>,
}

#[derive(Default)]
struct Lists {
    /// Connections with nothing in flight, oldest first; checkouts take the newest.
    idle: Vec<Idle>,
    /// Requests waiting at the bound, oldest first: a connection that comes back goes to the
    /// oldest, so that none waits while newcomers get through.
    waiting: VecDeque<oneshot::Sender<Conn>>,
}

struct Idle {
    conn: Conn,
    since: Instant,
}

/// A connection checked out for one request; its slot is freed when it is dropped.
pub struct Conn {
    /// Boxed: with its TLS variant the stream is over a kilobyte, and a connection moves with
    /// every response it carries (into the body, back to the idle list).
    pub wire: Box<Wire>,
    _slot: OwnedSemaphorePermit,
    _open: Counted,
    reused: bool,
    /// Times the waits for response heads on this connection (`deadline.rs`).
    timer: Pin<Box<Sleep>>,
}

/// Counts the connection in `/metrics` while it is open.
struct Counted(Arc<Counters>);

impl Counted {
    fn new(counters: &Arc<Counters>) -> Self {
        counters.upstream_open.fetch_add(1, Ordering::Relaxed);
        Counted(counters.clone())
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.upstream_open.fetch_sub(1, Ordering::Relaxed);
    }
}

impl UpstreamPool {
    pub fn new(
        connector: HttpsConnector<HttpConnector>,
        origin: Uri,
        max_connections: usize,
        idle_timeout: Duration,
        counters: Arc<Counters>,
    ) -> Self {
        UpstreamPool {
            shared: Arc::new(Shared {
                connector,
                origin,
                lists: Mutex::new(Lists::default()),
                slots: Arc::new(Semaphore::new(max_connections)),
                idle_timeout,
                reaper_started: AtomicBool::new(false),
                counters,
            }),
        }
    }

    /// Sends `req` (origin-form URI, `Host` set) on a pooled connection, and gives up at
    /// `deadline` if no response head came back by then. A request without a body whose reused
    /// connection turned out closed by the upstream (nothing of a response came back) is sent
    /// again on another one, when its method is idempotent (RFC 9110 §9.2.2).
    pub async fn send(
        &self,
        req: ProxyRequest<RequestBody>,
        deadline: tokio::time::Instant,
    ) -> Result<Reply<UpstreamBody>, UpstreamError> {
        let (head, mut body) = req.into_parts();
        loop {
            let mut conn = match self.take_idle() {
                Some(conn) => conn,
                // Waiting for a connection to come back, or opening one, is the rare path: it
                // may have a timer of its own.
                None => tokio::time::timeout_at(deadline, self.checkout())
                    .await
                    .map_err(|_| UpstreamError::Timeout)??,
            };
            let retryable =
                conn.reused && matches!(body, RequestBody::Empty) && head.method.is_idempotent();
            let sending = std::mem::replace(&mut body, RequestBody::Empty);
            let Conn { wire, timer, .. } = &mut conn;
            let exchanged = within(exchange(wire, &head, sending), timer.as_mut(), deadline).await;
            match exchanged.ok_or(UpstreamError::Timeout)? {
                Ok(response) => {
                    give_back_field_list(head.fields);
                    return Ok(self.attach(conn, response));
                }
                Err(ExchangeError::NoResponse(error)) if retryable => {
                    debug!(error = ?error, "pooled upstream connection was closed: retrying on another");
                }
                Err(error) => return Err(UpstreamError::Failed(error)),
            }
        }
    }

    /// The newest idle connection that is still open, a new one while under the bound, or
    /// else a place in the queue for the next to come back (or for a freed slot).
    async fn checkout(&self) -> Result<Conn, UpstreamError> {
        loop {
            if let Some(conn) = self.take_idle() {
                return Ok(conn);
            }
            if let Ok(slot) = self.shared.slots.clone().try_acquire_owned() {
                return Box::pin(self.connect(slot)).await;
            }
            let (queued, handed) = oneshot::channel();
            {
                let mut lists = lock(&self.shared.lists);
                // One may have come back since `take_idle` looked.
                if !lists.idle.is_empty() {
                    continue;
                }
                lists.waiting.push_back(queued);
            }
            self.shared
                .counters
                .upstream_waits
                .fetch_add(1, Ordering::Relaxed);
            tokio::select! {
                // A connection handed over is taken before a freed slot: dropping it would close it.
                biased;
                conn = handed => {
                    if let Some(conn) = conn.ok().and_then(ready_to_reuse) {
                        return Ok(conn);
                    }
                }
                slot = self.shared.slots.clone().acquire_owned() => match slot {
                    Ok(slot) => return Box::pin(self.connect(slot)).await,
                    // The semaphore is never closed; should it be, fail rather than spin.
                    Err(closed) => return Err(UpstreamError::Connect(Box::new(closed))),
                },
            }
        }
    }

    fn take_idle(&self) -> Option<Conn> {
        loop {
            let idle = lock(&self.shared.lists).idle.pop()?;
            if idle.since.elapsed() >= self.shared.idle_timeout {
                continue;
            }
            if let Some(conn) = ready_to_reuse(idle.conn) {
                return Some(conn);
            }
        }
    }

    /// Boxed by its callers: the connector's and the TLS handshake's state belong to the rare
    /// connect path, not to every request's future.
    async fn connect(&self, slot: OwnedSemaphorePermit) -> Result<Conn, UpstreamError> {
        let mut connector = self.shared.connector.clone();
        poll_fn(|cx| connector.poll_ready(cx))
            .await
            .map_err(UpstreamError::Connect)?;
        let io = connector
            .call(self.shared.origin.clone())
            .await
            .map_err(UpstreamError::Connect)?;
        Ok(Conn {
            wire: Box::new(Wire::new(TokioIo::new(io))),
            _slot: slot,
            _open: Counted::new(&self.shared.counters),
            reused: false,
            // Set to the first wait's deadline when that wait begins.
            timer: Box::pin(tokio::time::sleep(Duration::ZERO)),
        })
    }

    /// Wraps the response body so that the connection comes back once it has been read; a
    /// switched protocol hands its connection to the tunnel, and frees its slot.
    fn attach(&self, conn: Conn, head: ResponseHead) -> Reply<UpstreamBody> {
        let ResponseHead {
            status,
            version,
            fields,
            decoder,
            reusable,
        } = head;
        let (body, upgrade) = if status == StatusCode::SWITCHING_PROTOCOLS {
            let upgrade = UpstreamUpgrade::new(conn.wire);
            (UpstreamBody::empty(), Some(upgrade))
        } else {
            let body = UpstreamBody::new(conn, decoder, reusable, Arc::downgrade(&self.shared));
            (body, None)
        };
        Reply {
            status,
            version,
            fields,
            body,
            upgrade,
        }
    }
}

impl Shared {
    /// To the oldest waiting request, or else to the idle list.
    ///
    /// The connection keeps its read buffer: the next response read on it reuses the room once
    /// this response's bytes are written and dropped (at most `max_upstream_connections`
    /// buffers of 8 KiB, freed with the connection when it idles out).
    pub fn put_back(self: &Arc<Self>, mut conn: Conn) {
        {
            let mut lists = lock(&self.lists);
            loop {
                let Some(waiter) = lists.waiting.pop_front() else {
                    lists.idle.push(Idle {
                        conn,
                        since: Instant::now(),
                    });
                    break;
                };
                // A waiter that gave up (its request timed out) hands it back.
                match waiter.send(conn) {
                    Ok(()) => return,
                    Err(back) => conn = back,
                }
            }
        }
        if !self.reaper_started.swap(true, Ordering::Relaxed) {
            tokio::spawn(close_expired(Arc::downgrade(self), self.idle_timeout));
        }
    }
}

/// Closes connections idle for longer than `timeouts.idle`, until the pool is dropped.
async fn close_expired(pool: Weak<Shared>, idle_timeout: Duration) {
    let period = (idle_timeout / 2).max(Duration::from_millis(100));
    loop {
        tokio::time::sleep(period).await;
        let Some(pool) = pool.upgrade() else { return };
        let expired: Vec<Idle> = {
            let idle = &mut lock(&pool.lists).idle;
            let keep_from = idle
                .iter()
                .position(|i| i.since.elapsed() < idle_timeout)
                .unwrap_or(idle.len());
            idle.drain(..keep_from).collect()
        };
        // Closed outside the lock.
        drop(expired);
    }
}

/// A connection that nothing arrived on while it waited (the upstream did not close it).
fn ready_to_reuse(mut conn: Conn) -> Option<Conn> {
    if !conn.wire.is_reusable() {
        return None;
    }
    conn.reused = true;
    Some(conn)
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // The lists hold no invariant a panic could break halfway.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
