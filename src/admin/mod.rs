//! The admin listener (`[admin] listen`): `/healthz` (the process answers), `/readyz` (it can do
//! its job: 503 while the audit log cannot be written) and `/metrics` (Prometheus text format).
//! It is a separate port so that it is never exposed with the portal.

mod counters;
mod metrics;

pub use counters::Counters;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tracing::{debug, warn};

use crate::audit::AuditState;

/// What the admin endpoints report on.
#[derive(Clone, Default)]
pub struct AdminState {
    pub audit: Option<Arc<AuditState>>,
    pub counters: Arc<Counters>,
}

/// Serves the admin endpoints until `stopped` turns true.
pub async fn serve_admin(
    listener: TcpListener,
    state: AdminState,
    mut stopped: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((tcp, _)) => {
                    let state = state.clone();
                    tokio::spawn(async move {
                        let service = service_fn(move |req| answer(state.clone(), req));
                        if let Err(error) = hyper::server::conn::http1::Builder::new()
                            .serve_connection(TokioIo::new(tcp), service)
                            .await
                        {
                            debug!(%error, "admin connection closed with an error");
                        }
                    });
                }
                Err(error) => {
                    warn!(%error, "admin accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
            },
            _ = async { stopped.wait_for(|stop| *stop).await.map(|_| ()) } => break,
        }
    }
}

/// Binds the admin address (before serving, so a bad address fails at start).
pub async fn bind_admin(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr).await
}

async fn answer(
    state: AdminState,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (status, content_type, body) = match req.uri().path() {
        "/healthz" => (
            StatusCode::OK,
            "text/plain; charset=utf-8",
            "ok\n".to_owned(),
        ),
        "/readyz" => readiness(&state),
        "/metrics" => (
            StatusCode::OK,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
            metrics::render(&state),
        ),
        _ => (
            StatusCode::NOT_FOUND,
            "text/plain; charset=utf-8",
            "not found: try /healthz, /readyz or /metrics\n".to_owned(),
        ),
    };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    if let Ok(value) = http::HeaderValue::from_str(content_type) {
        response
            .headers_mut()
            .insert(http::header::CONTENT_TYPE, value);
    }
    Ok(response)
}

fn readiness(state: &AdminState) -> (StatusCode, &'static str, String) {
    match &state.audit {
        Some(audit) if !audit.healthy.load(Ordering::Relaxed) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "text/plain; charset=utf-8",
            format!(
                "not ready: the audit log cannot be written ({} records held in memory)\n",
                audit.pending.load(Ordering::Relaxed)
            ),
        ),
        _ => (
            StatusCode::OK,
            "text/plain; charset=utf-8",
            "ready\n".to_owned(),
        ),
    }
}
