//! The embedded DynamoDB emulator (dynoxide), started in-process on a loopback port, so that a
//! whole journey runs with no AWS account.

use std::net::SocketAddr;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Why the emulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    /// The loopback port could not be bound.
    #[error("cannot listen on 127.0.0.1: {0}")]
    Bind(std::io::Error),
    /// The emulator's database could not be created.
    #[error("the embedded DynamoDB emulator failed to start: {0}")]
    Database(String),
}

/// A running emulator; it stops when dropped.
pub struct LocalDynamo {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl LocalDynamo {
    /// Start an in-memory emulator on 127.0.0.1 and a free port. Needs a tokio runtime.
    pub async fn start() -> Result<Self, LocalError> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(LocalError::Bind)?;
        let addr = listener.local_addr().map_err(LocalError::Bind)?;
        let db = dynoxide::Database::memory().map_err(|e| LocalError::Database(e.to_string()))?;
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let shutdown = async {
                let _ = rx.await;
            };
            if let Err(e) = dynoxide::server::serve_with_shutdown(listener, db, shutdown).await {
                tracing::error!("embedded DynamoDB stopped: {e}");
            }
        });
        Ok(Self {
            addr,
            stop: Some(tx),
            task: Some(task),
        })
    }

    /// The endpoint URL, e.g. http://127.0.0.1:40123.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stop serving and wait until the server has finished.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for LocalDynamo {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}
