//! The server's record of its own unavailability, so that a phone capture delayed by the
//! server's fault counts at once (issue 16). Each instance beats a heartbeat into its run every
//! [`BEAT`]; a clean shutdown marks the run clean. A 503 for overload is noted in memory and
//! written as a window every [`BEAT`].

use hadir_domain::capture::{ServerRun, server_down_at};
use hadir_store::{Store, StoreError, UnavailableKind, UnavailableWindow};
use jiff::{SignedDuration, Timestamp};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const BEAT: Duration = Duration::from_secs(5);

/// How long a window's record is kept: longer than any capture that may still be sent.
const KEEP: SignedDuration = SignedDuration::from_hours(24 * 14);

#[derive(Clone)]
pub struct Availability {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn Store>,
    instance: String,
    started_at: Timestamp,
    /// Overload seen since the last flush: (first, last) 503.
    overload: Mutex<Option<(Timestamp, Timestamp)>>,
}

impl Availability {
    pub fn new(store: Arc<dyn Store>) -> Availability {
        let started_at = Timestamp::now();
        let instance = format!("{}-{}-{}", hostname(), std::process::id(), started_at.as_nanosecond());
        Availability { inner: Arc::new(Inner { store, instance, started_at, overload: Mutex::new(None) }) }
    }

    /// Beats until the returned task is aborted (the server's run owns it: a killed server
    /// stops beating). The first beat is written before this returns.
    pub async fn start(&self) -> tokio::task::JoinHandle<()> {
        let me = self.clone();
        me.beat().await;
        if let Err(e) = me.inner.store.prune_availability(Timestamp::now() - KEEP).await {
            tracing::warn!(error = %e, "pruning old availability records failed");
        }
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(BEAT);
            tick.tick().await;
            loop {
                tick.tick().await;
                me.beat().await;
            }
        })
    }

    async fn beat(&self) {
        let i = &self.inner;
        if let Err(e) = i.store.heartbeat(&i.instance, i.started_at, Timestamp::now()).await {
            tracing::warn!(error = %e, "heartbeat write failed");
        }
        let window = i.overload.lock().map(|mut o| o.take()).unwrap_or(None);
        if let Some((start, end)) = window {
            let w = UnavailableWindow { kind: UnavailableKind::Overloaded, start, end };
            if let Err(e) = i.store.record_unavailable(&w).await {
                tracing::warn!(error = %e, "recording an overload window failed");
            }
        }
    }

    /// A clean stop: the time after it is not the server's fault.
    pub async fn stop(&self) {
        if let Err(e) = self.inner.store.clean_stop(&self.inner.instance, Timestamp::now()).await {
            tracing::warn!(error = %e, "recording the clean stop failed");
        }
    }

    /// Notes that a check-in was refused for overload just now.
    pub fn note_overload(&self) {
        let now = Timestamp::now();
        if let Ok(mut o) = self.inner.overload.lock() {
            *o = Some(match *o {
                Some((first, _)) => (first, now),
                None => (now, now),
            });
        }
    }

    /// Whether the server failed to take a check-in at `t`: down after an unclean stop, or
    /// overloaded. `slack` widens overload windows backwards: a capture taken shortly before
    /// the 503 it got.
    pub async fn server_fault_at(&self, t: Timestamp, slack: SignedDuration) -> Result<bool, StoreError> {
        let now = Timestamp::now();
        if let Ok(o) = self.inner.overload.lock()
            && let Some((first, last)) = *o
            && first - slack <= t
            && t <= last
        {
            return Ok(true);
        }
        let windows = self.inner.store.unavailable_between(t, t + slack).await?;
        if windows.iter().any(|w| w.start - slack <= t && t <= w.end) {
            return Ok(true);
        }
        let runs: Vec<ServerRun> = self
            .inner
            .store
            .runs_between(t - SignedDuration::from_hours(72), now)
            .await?
            .into_iter()
            .map(|r| ServerRun { started_at: r.started_at, last_alive: r.last_alive, clean: r.clean })
            .collect();
        Ok(server_down_at(&runs, t))
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname").map(|h| h.trim().to_string()).unwrap_or_else(|_| "hadir".into())
}
