//! WebSocket and other `Upgrade` pass-through: after both sides agreed on `101 Switching
//! Protocols`, bytes are copied both ways until either side closes.

use std::error::Error as StdError;

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::sync::oneshot;
use tracing::debug;

use super::exchange::UpstreamIo;
use super::h1::Upgraded;
use super::request::ProxyRequest;

type BoxError = Box<dyn StdError + Send + Sync>;

/// The visitor's side of a switch, claimed before the request is forwarded (the request is
/// gone afterwards): its HTTP/1.1 connection hands the socket over once the 101 is out. HTTP/2
/// has no `Upgrade` (RFC 9113 §8.2.2), so only the HTTP/1.1 side ever offers one.
pub fn claim_client<B>(req: &mut ProxyRequest<B>) -> Option<oneshot::Receiver<Upgraded>> {
    req.upgrade.take()
}

/// Joins the visitor's and the upstream's upgraded connections in a task of their own, so the
/// 101 response can go out first (the client side only upgrades once it has been sent).
pub fn spawn(client: oneshot::Receiver<Upgraded>, upstream: Option<(UpstreamIo, Bytes)>) {
    tokio::spawn(async move {
        let Some((mut upstream, from_upstream)) = upstream else {
            return debug!(target: "consentry::tunnel", "the upstream's connection was not handed over");
        };
        let joined = match client.await {
            Ok(Upgraded {
                mut stream,
                received,
            }) => join(&mut stream, &received, &mut upstream, &from_upstream).await,
            Err(error) => Err(Box::new(error) as BoxError),
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
