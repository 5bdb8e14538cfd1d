//! The listener: accepts connections, serves HTTP/1.1 (`h1`) and HTTP/2 (prior knowledge, h2c:
//! `h2`) on the same port, and shuts down gracefully: on the stop signal it stops accepting, lets
//! in-flight requests finish, and closes what is left when the grace period runs out.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tracing::{debug, info, warn};

use super::h1::{self, Ended};
use super::{h2, Proxy};
use crate::admin::{bind_admin, serve_admin, AdminState, Counters};
use crate::audit::{AuditLog, AuditState, AuditedTracingSink, TracingSink, ViolationSink};
use crate::config::Config;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: io::Error },
    #[error("cannot set up the upstream client: {0}")]
    Client(String),
    #[error("cannot open the audit log: {0}")]
    Audit(io::Error),
}

/// A server accepting connections in the background.
pub struct RunningServer {
    local_addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
    audit: Option<AuditLog>,
    admin_addr: Option<SocketAddr>,
}

impl RunningServer {
    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Asks for a graceful shutdown; [`RunningServer::wait`] returns once it is done.
    pub fn shutdown(&self) {
        self.stop.send_replace(true);
    }

    /// Where the admin endpoints listen, when `[admin] listen` is set.
    pub fn admin_addr(&self) -> Option<SocketAddr> {
        self.admin_addr
    }

    /// The audit writer's state, when an `[audit]` log is configured.
    pub fn audit_state(&self) -> Option<Arc<AuditState>> {
        self.audit.as_ref().map(|a| a.handle().state)
    }

    /// Waits for the shutdown, then flushes and closes the audit log.
    pub async fn wait(self) {
        if let Err(error) = self.task.await {
            warn!(%error, "server task ended abnormally");
        }
        if let Some(audit) = self.audit {
            audit.close().await;
        }
    }
}

/// Binds the listener and starts serving in the background; violations become `tracing` events
/// (`warn`, or `debug` when the audit log holds them).
pub async fn start(config: Config) -> Result<RunningServer, StartError> {
    let sink: Arc<dyn ViolationSink> = match config.audit {
        Some(_) => Arc::new(AuditedTracingSink),
        None => Arc::new(TracingSink),
    };
    start_with_sink(config, sink).await
}

/// Same, sending every violation record to `sink`.
pub async fn start_with_sink(
    config: Config,
    sink: Arc<dyn ViolationSink>,
) -> Result<RunningServer, StartError> {
    let addr = config.proxy.listen;
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| StartError::Bind { addr, source })?;
    let local_addr = listener
        .local_addr()
        .map_err(|source| StartError::Bind { addr, source })?;
    let admin = match config.admin_listen {
        Some(admin_addr) => {
            Some(
                bind_admin(admin_addr)
                    .await
                    .map_err(|source| StartError::Bind {
                        addr: admin_addr,
                        source,
                    })?,
            )
        }
        None => None,
    };
    let grace = config.proxy.grace_period;
    let header_timeout = config.proxy.timeouts.client_headers;
    if config.enforcement.is_none() {
        warn!("no [[cookie]] declared: every cookie is forwarded unchecked");
    }
    let audit = match config.audit {
        Some(audit) => Some(AuditLog::start(audit).map_err(StartError::Audit)?),
        None => None,
    };
    let audit_handle = audit.as_ref().map(AuditLog::handle);
    let counters = Arc::new(Counters::default());
    let proxy = Proxy::new(
        config.proxy,
        config.enforcement,
        sink,
        audit_handle,
        counters.clone(),
    )
    .map_err(StartError::Client)?;
    let proxy = Arc::new(proxy);
    let (stop, stopped) = watch::channel(false);
    let admin_addr = match admin {
        Some(admin) => {
            let addr = admin
                .local_addr()
                .map_err(|source| StartError::Bind { addr, source })?;
            let state = AdminState {
                audit: audit.as_ref().map(|a| a.handle().state),
                counters,
            };
            tokio::spawn(serve_admin(admin, state, stopped.clone()));
            Some(addr)
        }
        None => None,
    };
    let task = tokio::spawn(accept_loop(listener, proxy, header_timeout, stopped, grace));
    Ok(RunningServer {
        local_addr,
        stop,
        task,
        audit,
        admin_addr,
    })
}

/// Runs until `signal` completes, then shuts down gracefully.
pub async fn serve(config: Config, signal: impl Future<Output = ()>) -> Result<(), StartError> {
    let upstream = config.proxy.upstream.authority.to_string();
    let scheme = config.proxy.upstream.scheme.as_str();
    let server = start(config).await?;
    info!(listen = %server.local_addr(), upstream = %format_args!("{scheme}://{upstream}"), admin = server.admin_addr().map(|a| a.to_string()), "consentry is serving");
    signal.await;
    info!("shutdown requested: finishing in-flight requests");
    server.shutdown();
    server.wait().await;
    info!("stopped");
    Ok(())
}

async fn accept_loop(
    listener: TcpListener,
    proxy: Arc<Proxy>,
    header_timeout: Duration,
    mut stopped: watch::Receiver<bool>,
    grace: Duration,
) {
    // Every connection task holds a sender: when the last is gone, `recv` ends.
    let (alive, mut all_closed) = mpsc::channel::<()>(1);
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((tcp, peer)) => {
                    if let Err(error) = tcp.set_nodelay(true) {
                        debug!(%error, "cannot set TCP_NODELAY");
                    }
                    let proxy = proxy.clone();
                    let mut stop = stopped.clone();
                    let alive = alive.clone();
                    // No span per connection: entering one on every poll cost ~2% of the CPU
                    // under load; the events that need the client name it themselves.
                    tokio::spawn(async move {
                        let _alive = alive;
                        let ended = h1::serve(tcp, peer, &proxy, header_timeout, &mut stop).await;
                        if let Ended::Http2 { stream, received } = ended {
                            h2::serve(stream, received, peer, proxy, stop).await;
                        }
                    });
                }
                // Running out of file descriptors must not kill the server: wait and go on.
                Err(error) => {
                    warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            _ = async { stopped.wait_for(|stop| *stop).await.map(|_| ()) } => break,
        }
    }
    drop(listener);
    drop(alive);
    tokio::select! {
        _ = all_closed.recv() => debug!("all connections closed"),
        _ = tokio::time::sleep(grace) => warn!(grace_secs = grace.as_secs(), "grace period elapsed: closing the remaining connections"),
    }
}
