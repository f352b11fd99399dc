//! The write path for punches: a bounded queue and one writer task that commits whole batches
//! in one transaction (group commit) and acknowledges each caller only after the commit.
//!
//! Why: SQLite (and PostgreSQL) pay for durability per commit, not per row, so one fsync for a
//! batch of hundreds of punches is what lets a small server absorb a regency's 07:25 rush. Photo
//! files are synced once per batch too ([`hadir_blob::BlobStore::sync`]) before the punches that
//! name them are committed. A full queue is answered at once with 503 + Retry-After.
//!
//! If a batch's commit fails (one bad punch the store refuses, a constraint no check foresaw),
//! its jobs are committed again one by one, so one bad punch never fails the others: each job
//! gets its own result. The writer only needs [`PunchStore`].

use hadir_blob::BlobStore;
use hadir_store::{NewPunch, Punch, PunchInsert, PunchStore};
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
    pub fn start(store: Arc<dyn PunchStore>, blob: BlobStore, cfg: IngestConfig, hook: CommitHook) -> Ingest {
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
    store: Arc<dyn PunchStore>,
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
            Ok(results) => answer(jobs, results, &hook),
            Err(e) if jobs.len() == 1 => {
                tracing::error!(error = %e, punches = n, "commit failed");
                for job in jobs {
                    let _ = job.reply.send(Err(e.clone()));
                }
            }
            Err(e) => {
                // One bad punch must not fail the others: each job again, in its own transaction.
                tracing::warn!(error = %e, jobs = jobs.len(), punches = n, "group commit failed; committing its jobs one by one");
                metrics::counter!("hadir_ingest_batch_retries_total").increment(1);
                for job in jobs {
                    match commit(&store, &blob, std::slice::from_ref(&job)).await {
                        Ok(results) => answer(vec![job], results, &hook),
                        Err(e) => {
                            tracing::error!(error = %e, punches = job.punches.len(), "commit failed");
                            let _ = job.reply.send(Err(e));
                        }
                    }
                }
            }
        }
    }
}

/// Hands each job its share of a committed batch's results, in order, then calls the hook with
/// the punches that were new.
fn answer(jobs: Vec<Job>, mut results: Vec<PunchInsert>, hook: &CommitHook) {
    let new: Vec<Punch> = results
        .iter()
        .filter_map(|r| match r {
            PunchInsert::Inserted(p) => Some(p.clone()),
            PunchInsert::Duplicate(_) | PunchInsert::PhotoReused(_) => None,
        })
        .collect();
    metrics::counter!("hadir_punches_committed_total").increment(new.len() as u64);
    for job in jobs.into_iter().rev() {
        let mine = results.split_off(results.len().saturating_sub(job.punches.len()));
        let _ = job.reply.send(Ok(mine));
    }
    if !new.is_empty() {
        hook(&new);
    }
}

async fn commit(store: &Arc<dyn PunchStore>, blob: &BlobStore, jobs: &[Job]) -> Result<Vec<PunchInsert>, IngestError> {
    let all: Vec<NewPunch> = jobs.iter().flat_map(|j| j.punches.iter().cloned()).collect();
    if all.iter().any(|p| p.photo_hash.is_some()) {
        blob.sync().await.map_err(|e| IngestError::Failed(e.to_string()))?;
    }
    store.insert_punches(&all).await.map_err(|e| IngestError::Failed(e.to_string()))
}

#[cfg(test)]
mod tests {
    //! The batch retry against a real store. On PostgreSQL (`HADIR_TEST_PG_URL`) the bad punch
    //! fails for real: a NUL byte in its note, which PostgreSQL text cannot hold. SQLite stores
    //! NUL bytes, so there the wrapper refuses every batch holding that punch (fault injection).

    use super::*;
    use async_trait::async_trait;
    use hadir_store::{ChainReport, Id, PunchFilter, PunchSource, Store, StoreError};
    use jiff::Timestamp;
    use std::sync::Mutex;
    use tokio::sync::Notify;

    struct Poisoned {
        inner: Arc<dyn Store>,
        poison: String,
        /// Refuse batches holding the poison here (SQLite); PostgreSQL refuses it by itself.
        inject: bool,
        /// The first commit waits for this, so the next jobs queue up behind it.
        gate: tokio::sync::Mutex<Option<oneshot::Receiver<()>>>,
        entered: Notify,
        /// Sizes of the batches the writer asked to commit, in order.
        batches: Mutex<Vec<usize>>,
    }

    #[async_trait]
    impl PunchStore for Poisoned {
        async fn insert_punches(&self, batch: &[NewPunch]) -> hadir_store::Result<Vec<PunchInsert>> {
            self.batches.lock().unwrap().push(batch.len());
            self.entered.notify_one();
            let gate = self.gate.lock().await.take();
            if let Some(gate) = gate {
                let _ = gate.await;
            }
            if self.inject && batch.iter().any(|p| p.dedup_key == self.poison) {
                return Err(StoreError::Backend("invalid byte sequence for encoding \"UTF8\": 0x00".into()));
            }
            self.inner.insert_punches(batch).await
        }
        async fn punch_by_dedup_key(&self, key: &str) -> hadir_store::Result<Option<Punch>> {
            self.inner.punch_by_dedup_key(key).await
        }
        async fn punch_by_id(&self, id: Id) -> hadir_store::Result<Punch> {
            self.inner.punch_by_id(id).await
        }
        async fn list_punches(&self, f: &PunchFilter) -> hadir_store::Result<Vec<Punch>> {
            self.inner.list_punches(f).await
        }
        async fn match_device_pin(&self, pin: &str, employee_id: Id) -> hadir_store::Result<Vec<Punch>> {
            self.inner.match_device_pin(pin, employee_id).await
        }
        async fn release_quarantine(&self, device_sn: &str) -> hadir_store::Result<Vec<Punch>> {
            self.inner.release_quarantine(device_sn).await
        }
        async fn decide_held_punches(
            &self,
            ids: &[Id],
            accept: bool,
            note: Option<&str>,
            at: Timestamp,
            actor: (Option<Id>, &str),
        ) -> hadir_store::Result<Vec<Punch>> {
            self.inner.decide_held_punches(ids, accept, note, at, actor).await
        }
        async fn verify_chain(&self) -> hadir_store::Result<ChainReport> {
            self.inner.verify_chain().await
        }
    }

    fn punch(key: &str, minute: i64) -> NewPunch {
        let at = Timestamp::from_second(1_800_000_000 + minute * 60).unwrap();
        NewPunch {
            employee_id: None,
            source: PunchSource::Terminal,
            dedup_key: key.into(),
            punched_at: at,
            received_at: at,
            captured_at: None,
            device_sn: Some("T1".into()),
            device_pin: Some("9".into()),
            lat: None,
            lon: None,
            accuracy_m: None,
            distance_m: None,
            location_name: None,
            photo_hash: None,
            note: (key == "bad").then(|| "rapat\u{0}pagi".to_string()),
            hold: None,
            review: None,
            review_detail: None,
            status: Some(0),
            verify: Some(1),
            quarantined: false,
            response: None,
        }
    }

    #[tokio::test]
    async fn a_failed_batch_is_retried_job_by_job_and_only_the_bad_job_fails() {
        let dir = tempfile::tempdir().unwrap();
        let pg = std::env::var("HADIR_TEST_PG_URL").is_ok_and(|u| !u.trim().is_empty())
            || std::env::var_os("HADIR_REQUIRE_PG").is_some();
        let inner: Arc<dyn Store> = if pg {
            let url = hadir_store_postgres::testing::fresh_test_database().await.expect("HADIR_TEST_PG_URL is set");
            Arc::new(hadir_store_postgres::PgStore::connect_with(&url, 4).await.unwrap())
        } else {
            Arc::new(hadir_store_sqlite::SqliteStore::open(&dir.path().join("hadir.db")).await.unwrap())
        };
        let (open, gate) = oneshot::channel();
        let store = Arc::new(Poisoned {
            inner: inner.clone(),
            poison: "bad".into(),
            inject: !pg,
            gate: tokio::sync::Mutex::new(Some(gate)),
            entered: Notify::new(),
            batches: Mutex::new(Vec::new()),
        });
        let blob = BlobStore::local(&dir.path().join("blobs")).unwrap();
        let committed = Arc::new(Mutex::new(Vec::<String>::new()));
        let seen = committed.clone();
        let hook: CommitHook = Arc::new(move |p: &[Punch]| {
            seen.lock().unwrap().extend(p.iter().map(|p| p.p.dedup_key.clone()));
        });
        let ingest = Ingest::start(store.clone(), blob, IngestConfig::default(), hook);

        // The first job holds the writer at the gate while three more queue up behind it.
        let first = tokio::spawn({
            let i = ingest.clone();
            async move { i.submit(vec![punch("a", 0)]).await }
        });
        store.entered.notified().await;
        let jobs: Vec<_> = [vec![punch("b", 1)], vec![punch("c", 2), punch("bad", 3)], vec![punch("d", 4)]]
            .into_iter()
            .map(|p| {
                let i = ingest.clone();
                tokio::spawn(async move { i.submit(p).await })
            })
            .collect();
        while ingest.depth.load(Ordering::Relaxed) < 3 {
            tokio::task::yield_now().await;
        }
        open.send(()).unwrap();

        assert!(matches!(first.await.unwrap().as_deref(), Ok([PunchInsert::Inserted(_)])));
        let mut results = Vec::new();
        for j in jobs {
            results.push(j.await.unwrap());
        }
        let inserted = |r: &Result<Vec<PunchInsert>, IngestError>| match r {
            Ok(v) => v.iter().map(|p| matches!(p, PunchInsert::Inserted(_))).collect::<Vec<_>>(),
            Err(_) => vec![],
        };
        assert_eq!(inserted(&results[0]), [true], "{:?}", results[0]);
        assert!(matches!(results[1], Err(IngestError::Failed(_))), "the job with the bad punch fails alone");
        assert_eq!(inserted(&results[2]), [true], "{:?}", results[2]);
        // The three queued jobs went to the store as one batch (4 punches), which failed; then
        // one job at a time.
        assert_eq!(*store.batches.lock().unwrap(), [1, 4, 1, 2, 1]);
        let keys: Vec<String> =
            inner.list_punches(&PunchFilter::default()).await.unwrap().into_iter().map(|p| p.p.dedup_key).collect();
        assert_eq!(keys, ["a", "b", "d"], "the bad job's good punch is not stored either: a job is all or nothing");
        assert_eq!(*committed.lock().unwrap(), ["a", "b", "d"], "the hook saw every committed punch");
        let chain = inner.verify_chain().await.unwrap();
        assert_eq!((chain.checked, chain.first_broken), (3, None), "the chain still verifies");
    }
}
