//! The office relay (`hadir relay --config relay.toml`): reads ZKTeco
//! terminals on the LAN over port 4370, keeps every record in a local SQLite
//! buffer, and forwards them to the Hadir server with their original times.
//!
//! Tasks, all independent so none can block another:
//! * one puller per terminal ([`puller`]): connect, read new records into the
//!   buffer (page by page, cursor in the same transaction), apply the roster;
//! * the uploader: batches to `POST /api/v1/relay/punches`, backoff + jitter;
//! * the roster fetcher: `GET /api/v1/relay/roster` on schedule and on demand, then
//!   `GET /api/v1/relay/templates`; the pullers write the templates and read new fingers
//!   ([`templates`], issue 25);
//! * the status page (axum) with its "Sinkron sekarang" button: loopback
//!   unless configured, a password when exposed, same-origin + form token on
//!   every POST ([`status`]).
//!
//! [`emulator`] (a terminal on loopback) and [`fake_server`] (the server's
//! relay endpoints) are public for tests and the `relay_backlog` benchmark.

pub mod api;
pub mod buffer;
pub mod client;
pub mod config;
pub mod emulator;
pub mod error;
pub mod fake_server;
mod local;
mod puller;
mod roster;
mod state;
mod status;
mod templates;
mod upload;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::task::JoinSet;

pub use config::{Protocol, RelayConfig, TerminalConfig};
pub use error::RelayError;
pub use roster::RosterOutcome;
pub use state::{ServerStatus, StatusSnapshot, TerminalStatus};

use buffer::Buffer;
use state::Shared;

/// A running relay.
pub struct RelayHandle {
    shared: Arc<Shared>,
    tasks: JoinSet<()>,
    status_addr: SocketAddr,
    app_addr: Option<SocketAddr>,
    buffer: Buffer,
}

/// Opens the buffer, binds the status page and starts every task.
pub async fn start(config: RelayConfig) -> Result<RelayHandle, RelayError> {
    config.validate()?;
    let config = Arc::new(config);
    let buffer = Buffer::open(&config.buffer).await?;
    let shared = Arc::new(Shared::new(&config));
    let server = upload::ServerClient::new(&config, shared.clone())?;
    let listener = tokio::net::TcpListener::bind(&config.status_listen)
        .await
        .map_err(|source| RelayError::Listen { address: config.status_listen.clone(), source })?;
    let status_addr =
        listener.local_addr().map_err(|source| RelayError::Listen { address: config.status_listen.clone(), source })?;

    let mut tasks = JoinSet::new();
    let guard = Arc::new(status::Guard::new(&config));
    let app = status::router(shared.clone(), buffer.clone(), guard);
    tasks.spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "status page stopped");
        }
    });
    for (index, term) in config.terminals.iter().enumerate() {
        tasks.spawn(puller::terminal_loop(
            index,
            term.clone(),
            config.clone(),
            shared.clone(),
            buffer.clone(),
            server.clone(),
        ));
    }
    tasks.spawn(upload::upload_loop(config.clone(), shared.clone(), buffer.clone(), server.clone()));
    tasks.spawn(roster::roster_loop(config.clone(), shared.clone(), server, buffer.clone()));
    // Issue 21: the employee app on the office network, when configured.
    let app_addr = match &config.app_listen {
        Some(address) => {
            let listener = tokio::net::TcpListener::bind(address)
                .await
                .map_err(|source| RelayError::Listen { address: address.clone(), source })?;
            let addr =
                listener.local_addr().map_err(|source| RelayError::Listen { address: address.clone(), source })?;
            let app = local::router(local::Local::new(&config, shared.clone(), buffer.clone()));
            tasks.spawn(async move {
                let app = app.into_make_service_with_connect_info::<SocketAddr>();
                if let Err(e) = axum::serve(listener, app).await {
                    tracing::error!(error = %e, "office-network app stopped");
                }
            });
            Some(addr)
        }
        None => None,
    };
    tracing::info!(status = %status_addr, app = ?app_addr, terminals = config.terminals.len(), "relay started");
    Ok(RelayHandle { shared, tasks, status_addr, app_addr, buffer })
}

impl RelayHandle {
    /// Where the status page listens (useful with port 0).
    pub fn status_addr(&self) -> SocketAddr {
        self.status_addr
    }

    /// Where the office-network employee app listens, when configured (`app_listen`).
    pub fn app_addr(&self) -> Option<SocketAddr> {
        self.app_addr
    }

    /// Same as the page's "Sinkron sekarang" button.
    pub fn sync_now(&self) {
        self.shared.sync_now();
    }

    pub fn status(&self) -> StatusSnapshot {
        self.shared.snapshot()
    }

    pub fn buffer(&self) -> &Buffer {
        &self.buffer
    }

    /// Stops every task where it is, like `kill -9`: the buffer is consistent
    /// at every await point, so nothing is lost.
    pub fn abort(mut self) {
        self.tasks.abort_all();
    }

    /// Stops the tasks and closes the buffer.
    pub async fn shutdown(mut self) {
        self.tasks.shutdown().await;
        self.buffer.close().await;
    }
}

/// Entry point of `hadir relay`: runs until Ctrl-C or SIGTERM.
pub async fn run(config: RelayConfig) -> anyhow::Result<()> {
    let relay = start(config).await?;
    println!("Relay berjalan; halaman status: http://{}/", relay.status_addr());
    if let Some(addr) = relay.app_addr() {
        println!("Presensi lokal (jaringan kantor): http://{addr}/");
    }
    shutdown_signal().await;
    relay.shutdown().await;
    Ok(())
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
