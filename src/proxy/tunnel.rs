//! WebSocket and other `Upgrade` pass-through: after both sides agreed on `101 Switching
//! Protocols`, bytes are copied both ways until either side closes.

use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use tracing::debug;

/// Joins the visitor's and the upstream's upgraded connections in a task of their own, so the
/// 101 response can go out first (the client side only upgrades once it has been sent).
pub fn spawn(client: OnUpgrade, upstream: OnUpgrade) {
    tokio::spawn(async move {
        let (client, upstream) = match tokio::try_join!(client, upstream) {
            Ok(pair) => pair,
            Err(error) => {
                debug!(target: "consentry::tunnel", %error, "upgrade failed");
                return;
            }
        };
        let mut client = TokioIo::new(client);
        let mut upstream = TokioIo::new(upstream);
        match tokio::io::copy_bidirectional(&mut client, &mut upstream).await {
            Ok((to_upstream, to_client)) => {
                debug!(target: "consentry::tunnel", to_upstream, to_client, "tunnel closed")
            }
            Err(error) => debug!(target: "consentry::tunnel", %error, "tunnel ended"),
        }
    });
}
