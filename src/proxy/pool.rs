//! The upstream connection pool: HTTP/1.1 connections to the one upstream, reused newest first,
//! and bounded by `[proxy] max_upstream_connections`.
//!
//! Why not a general-purpose client: consentry talks to one origin only, so the pool needs no
//! per-host map, no boxed futures and no background task per checkout. A connection goes back
//! to the pool the moment its response body has been read to the end (see [`UpstreamBody`]),
//! so a connection per request in flight is all it ever opens; above the bound, requests wait
//! for one to come back (bounded by `timeouts.upstream_headers`), first come first served, which
//! keeps memory flat when a thousand visitors arrive at once.

use std::collections::VecDeque;
use std::error::Error as StdError;
use std::future::poll_fn;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Request, Response, StatusCode, Uri};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use tokio::sync::{oneshot, OwnedSemaphorePermit, Semaphore};
use tower_service::Service;
use tracing::debug;

use super::body::RequestBody;
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
    Failed(hyper::Error),
}

/// The pool; cheap to share (`Arc` inside).
pub struct UpstreamPool {
    shared: Arc<Shared>,
}

struct Shared {
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
struct Conn {
    sender: SendRequest<RequestBody>,
    _slot: OwnedSemaphorePermit,
    reused: bool,
    counters: Arc<Counters>,
}

impl Drop for Conn {
    fn drop(&mut self) {
        self.counters.upstream_open.fetch_sub(1, Ordering::Relaxed);
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

    /// Sends `req` (origin-form URI, `Host` set) on a pooled connection. A request that never
    /// left because a reused connection had just been closed by the upstream is sent again on
    /// another one, as nothing of it reached the upstream.
    pub async fn send(
        &self,
        mut req: Request<RequestBody>,
    ) -> Result<Response<UpstreamBody>, UpstreamError> {
        loop {
            let mut conn = self.checkout().await?;
            match conn.sender.try_send_request(req).await {
                Ok(res) => return Ok(self.attach(conn, res)),
                Err(mut error) => match error.take_message() {
                    Some(unsent) if conn.reused => {
                        debug!(error = %error.error(), "pooled upstream connection was closed: retrying on another");
                        req = unsent;
                    }
                    _ => return Err(UpstreamError::Failed(error.into_error())),
                },
            }
        }
    }

    /// The newest idle connection that is still open, a new one while under the bound, or
    /// else a place in the queue for the next to come back (or for a freed slot).
    async fn checkout(&self) -> Result<Conn, UpstreamError> {
        loop {
            if let Some(conn) = self.take_idle().await {
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
                    if let Some(conn) = ready_to_reuse(conn.ok()).await {
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

    async fn take_idle(&self) -> Option<Conn> {
        loop {
            let idle = lock(&self.shared.lists).idle.pop()?;
            if idle.since.elapsed() >= self.shared.idle_timeout {
                continue;
            }
            if let Some(conn) = ready_to_reuse(Some(idle.conn)).await {
                return Some(conn);
            }
        }
    }

    /// Boxed by its callers: the connector's and the handshake's state belong to the rare
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
        let (sender, connection) = http1::Builder::new()
            .handshake(io)
            .await
            .map_err(UpstreamError::Failed)?;
        tokio::spawn(async move {
            if let Err(error) = connection.with_upgrades().await {
                debug!(%error, "upstream connection closed with an error");
            }
        });
        self.shared
            .counters
            .upstream_open
            .fetch_add(1, Ordering::Relaxed);
        Ok(Conn {
            sender,
            _slot: slot,
            reused: false,
            counters: self.shared.counters.clone(),
        })
    }

    /// Wraps the response body so that the connection comes back once it has been read; a
    /// switched protocol keeps its connection (it is the tunnel now), and frees its slot.
    fn attach(&self, conn: Conn, res: Response<Incoming>) -> Response<UpstreamBody> {
        let conn = (res.status() != StatusCode::SWITCHING_PROTOCOLS).then_some(conn);
        let (parts, body) = res.into_parts();
        let mut body = UpstreamBody {
            body,
            conn,
            pool: Arc::downgrade(&self.shared),
        };
        if body.body.is_end_stream() {
            body.release();
        }
        Response::from_parts(parts, body)
    }
}

impl Shared {
    /// To the oldest waiting request, or else to the idle list.
    fn put_back(self: &Arc<Self>, mut conn: Conn) {
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

/// A connection that is still open, once its task is ready for a new request: the body has been
/// read to its end, but the task may not have run since (an error means it closed meanwhile).
async fn ready_to_reuse(conn: Option<Conn>) -> Option<Conn> {
    let mut conn = conn.filter(|c| !c.sender.is_closed())?;
    conn.sender.ready().await.ok()?;
    conn.reused = true;
    Some(conn)
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // The lists hold no invariant a panic could break halfway.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The upstream's response body, streamed as it arrives; gives its connection back to the
/// pool when the last frame has been read. Dropped before that (the visitor left), the
/// connection is closed instead, as its remaining bytes would confuse the next response.
pub struct UpstreamBody {
    body: Incoming,
    conn: Option<Conn>,
    pool: Weak<Shared>,
}

impl UpstreamBody {
    fn release(&mut self) {
        if let (Some(conn), Some(pool)) = (self.conn.take(), self.pool.upgrade()) {
            pool.put_back(conn);
        }
    }
}

impl Body for UpstreamBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.body).poll_frame(cx);
        match &polled {
            Poll::Ready(None) => this.release(),
            Poll::Ready(Some(Ok(_))) if this.body.is_end_stream() => this.release(),
            Poll::Ready(Some(Err(_))) => this.conn = None,
            _ => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
