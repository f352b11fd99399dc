//! The write path for punches: a bounded queue and one writer task that commits whole batches
//! in one transaction (group commit) and acknowledges each caller only after the commit.
//!
//! Why: SQLite (and PostgreSQL) pay for durability per commit, not per row, so one fsync for a
//! batch of hundreds of punches is what lets a small server absorb a regency's 07:25 rush. Photo
//! files are synced once per batch too ([`hadir_blob::BlobStore::sync`]) before the punches that
//! name them are committed. A full queue is answered at once with 503 + Retry-After.

use hadir_blob::BlobStore;
use hadir_store::{NewPunch, Punch, PunchInsert, Store};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;
use tokio::sync::{mpsc, oneshot};

#[derive(Debug, Clone, thiserror::Error)]
pub enum IngestError {
    #[error("the ingest queue is full")]
    Overloaded,
    #[error("commit failed: {0}")]
    Failed(String),
}

type Reply = oneshot::Sender<Result<Vec<PunchInsert>, IngestError>>;

struct Job {
    punches: Vec<NewPunch>,
    reply: Reply,
}

/// Called with the punches of each committed batch that were new (e.g. to recompute days).
pub type CommitHook = Arc<dyn Fn(&[Punch]) + Send + Sync>;

#[derive(Clone)]
pub struct Ingest {
    tx: mpsc::Sender<Job>,
    depth: Arc<AtomicUsize>,
}

#[derive(Debug, Clone)]
pub struct IngestConfig {
    /// Jobs waiting before callers get 503.
    pub queue_capacity: usize,
    /// Punches per transaction at most.
    pub max_batch: usize,
}

impl Default for IngestConfig {
    fn default() -> Self {
        IngestConfig { queue_capacity: 8192, max_batch: 512 }
    }
}

impl Ingest {
    pub fn start(store: Arc<dyn Store>, blob: BlobStore, cfg: IngestConfig, hook: CommitHook) -> Ingest {
        let (tx, rx) = mpsc::channel(cfg.queue_capacity.max(1));
        let depth = Arc::new(AtomicUsize::new(0));
        tokio::spawn(writer(rx, store, blob, cfg.max_batch.max(1), depth.clone(), hook));
        Ingest { tx, depth }
    }

    /// Queues punches and waits until they are committed. Never waits for queue space.
    pub async fn submit(&self, punches: Vec<NewPunch>) -> Result<Vec<PunchInsert>, IngestError> {
        if punches.is_empty() {
            return Ok(vec![]);
        }
        let (reply, rx) = oneshot::channel();
        match self.tx.try_send(Job { punches, reply }) {
            Ok(()) => {
                let d = self.depth.fetch_add(1, Ordering::Relaxed) + 1;
                metrics::gauge!("hadir_ingest_queue_depth").set(d as f64);
            }
            Err(_) => {
                metrics::counter!("hadir_ingest_rejected_total").increment(1);
                return Err(IngestError::Overloaded);
            }
        }
        rx.await.unwrap_or_else(|_| Err(IngestError::Failed("writer stopped".into())))
    }
}

async fn writer(
    mut rx: mpsc::Receiver<Job>,
    store: Arc<dyn Store>,
    blob: BlobStore,
    max_batch: usize,
    depth: Arc<AtomicUsize>,
    hook: CommitHook,
) {
    while let Some(first) = rx.recv().await {
        let mut n = first.punches.len();
        let mut jobs = vec![first];
        // Take what is already waiting: under load the queue fills while we commit, so batches
        // grow by themselves; when idle a single punch commits at once.
        while n < max_batch {
            match rx.try_recv() {
                Ok(j) => {
                    n += j.punches.len();
                    jobs.push(j);
                }
                Err(_) => break,
            }
        }
        let d = depth.fetch_sub(jobs.len(), Ordering::Relaxed).saturating_sub(jobs.len());
        metrics::gauge!("hadir_ingest_queue_depth").set(d as f64);
        let started = Instant::now();
        let result = commit(&store, &blob, &jobs).await;
        metrics::histogram!("hadir_ingest_commit_seconds").record(started.elapsed().as_secs_f64());
        metrics::histogram!("hadir_ingest_batch_size").record(n as f64);
        match result {
            Ok(mut results) => {
                let new: Vec<Punch> = results
                    .iter()
                    .filter_map(|r| match r {
                        PunchInsert::Inserted(p) => Some(p.clone()),
                        PunchInsert::Duplicate(_) => None,
                    })
                    .collect();
                metrics::counter!("hadir_punches_committed_total").increment(new.len() as u64);
                // Hand each caller its share, in order.
                for job in jobs.into_iter().rev() {
                    let mine = results.split_off(results.len() - job.punches.len());
                    let _ = job.reply.send(Ok(mine));
                }
                if !new.is_empty() {
                    hook(&new);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, punches = n, "group commit failed");
                for job in jobs {
                    let _ = job.reply.send(Err(e.clone()));
                }
            }
        }
    }
}

async fn commit(store: &Arc<dyn Store>, blob: &BlobStore, jobs: &[Job]) -> Result<Vec<PunchInsert>, IngestError> {
    let all: Vec<NewPunch> = jobs.iter().flat_map(|j| j.punches.iter().cloned()).collect();
    if all.iter().any(|p| p.photo_hash.is_some()) {
        blob.sync().await.map_err(|e| IngestError::Failed(e.to_string()))?;
    }
    store.insert_punches(&all).await.map_err(|e| IngestError::Failed(e.to_string()))
}
