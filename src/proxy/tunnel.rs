//! WebSocket and other `Upgrade` pass-through: after both sides agreed on `101 Switching
//! Protocols`, bytes are copied both ways until either side closes.

use std::error::Error as StdError;

use bytes::Bytes;
use http::Request;
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::sync::oneshot;
use tracing::debug;

use super::exchange::UpstreamIo;
use super::h1::{PendingUpgrade, Upgraded};

type BoxError = Box<dyn StdError + Send + Sync>;

/// The visitor's side of a switch, once the 101 has been sent to it.
pub enum ClientUpgrade {
    /// consentry's own HTTP/1.1 connection hands its socket over.
    Wire(oneshot::Receiver<Upgraded>),
    Hyper(OnUpgrade),
}

impl ClientUpgrade {
    /// Claimed before the request is forwarded (the request is gone afterwards).
    pub fn claim<B>(req: &mut Request<B>) -> Self {
        let pending = req
            .extensions_mut()
            .remove::<PendingUpgrade>()
            .and_then(|PendingUpgrade(slot)| slot.lock().ok()?.take());
        match pending {
            Some(pending) => ClientUpgrade::Wire(pending),
            None => ClientUpgrade::Hyper(hyper::upgrade::on(req)),
        }
    }
}

/// Joins the visitor's and the upstream's upgraded connections in a task of their own, so the
/// 101 response can go out first (the client side only upgrades once it has been sent).
pub fn spawn(client: ClientUpgrade, upstream: Option<(UpstreamIo, Bytes)>) {
    tokio::spawn(async move {
        let Some((mut upstream, from_upstream)) = upstream else {
            return debug!(target: "consentry::tunnel", "the upstream's connection was not handed over");
        };
        let joined = match client {
            ClientUpgrade::Wire(pending) => match pending.await {
                Ok(Upgraded {
                    mut stream,
                    received,
                }) => join(&mut stream, &received, &mut upstream, &from_upstream).await,
                Err(error) => Err(Box::new(error) as BoxError),
            },
            ClientUpgrade::Hyper(pending) => match pending.await {
                Ok(client) => {
                    join(
                        &mut TokioIo::new(client),
                        &[],
                        &mut upstream,
                        &from_upstream,
                    )
                    .await
                }
                Err(error) => Err(Box::new(error) as BoxError),
            },
        };
        match joined {
            Ok((to_upstream, to_client)) => {
                debug!(target: "consentry::tunnel", to_upstream, to_client, "tunnel closed")
            }
            Err(error) => debug!(target: "consentry::tunnel", %error, "tunnel ended"),
        }
    });
}

/// Copies both ways; `received` and `from_upstream` are what each side sent past its head
/// already, delivered first.
async fn join(
    client: &mut (impl AsyncRead + AsyncWrite + Unpin),
    received: &[u8],
    upstream: &mut (impl AsyncRead + AsyncWrite + Unpin),
    from_upstream: &[u8],
) -> Result<(u64, u64), BoxError> {
    upstream.write_all(received).await?;
    upstream.flush().await?;
    client.write_all(from_upstream).await?;
    let (to_upstream, to_client) = tokio::io::copy_bidirectional(client, upstream).await?;
    Ok((
        to_upstream + received.len() as u64,
        to_client + from_upstream.len() as u64,
    ))
}
