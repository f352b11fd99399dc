//! Employee imports as background jobs (issue 17). A line with a password costs one argon2id
//! hash (~30 ms of a core), so a regency's 100,000-line file is ~50 minutes of CPU: far too long
//! for one request. The request starts a job and answers with its report when it finishes within
//! `answer_within_ms`, otherwise with the job's progress; the client (the console polls) reads
//! `GET /api/v1/imports/{id}` until the report is there. Hashes go through the bounded hashing
//! threads one line at a time, so an import never takes more than one of them from the logins.
//!
//! Jobs live in memory: a restart loses a running job's report, not its work (each imported line
//! is committed on its own), and importing the file again only adds the lines still missing.

use crate::error::ApiError;
use crate::import::ImportReport;
use hadir_store::Id;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;
use utoipa::ToSchema;

/// Finished jobs kept for reading their reports; older ones are forgotten first.
const KEEP_FINISHED: usize = 50;

#[derive(Debug, Clone)]
pub enum JobState {
    Running,
    Done(ImportReport),
    Failed(ApiError),
}

pub struct Job {
    pub id: String,
    /// The account that started it: only they (and admins) read it.
    pub owner: Id,
    digest: [u8; 32],
    /// Data lines in the file (the header excluded), for the progress bar.
    pub total: u64,
    done: AtomicU64,
    state: watch::Sender<JobState>,
}

impl Job {
    pub fn done(&self) -> u64 {
        self.done.load(Ordering::Relaxed).min(self.total)
    }

    pub fn state(&self) -> JobState {
        self.state.borrow().clone()
    }

    fn running(&self) -> bool {
        matches!(*self.state.borrow(), JobState::Running)
    }

    /// Waits until the job finishes or `within` passes, whichever comes first.
    pub async fn wait(&self, within: Duration) {
        let mut rx = self.state.subscribe();
        let _ = tokio::time::timeout(within, rx.wait_for(|s| !matches!(s, JobState::Running))).await;
    }

    pub fn view(&self) -> ImportJobView {
        let (state, report, error) = match self.state() {
            JobState::Running => ("running", None, None),
            JobState::Done(r) => ("done", Some(r), None),
            JobState::Failed(e) => ("failed", None, Some(e.message)),
        };
        ImportJobView {
            id: self.id.clone(),
            state: state.into(),
            total: self.total,
            done: self.done(),
            report,
            error,
            status_url: format!("/api/v1/imports/{}", self.id),
        }
    }
}

/// What a client sees of an import job.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportJobView {
    pub id: String,
    /// `running`, `done` or `failed`.
    pub state: String,
    /// Data lines in the file.
    pub total: u64,
    /// Lines handled so far.
    pub done: u64,
    /// The per-line report, once done.
    pub report: Option<ImportReport>,
    /// Why the job stopped, when it failed.
    pub error: Option<String>,
    /// Where to read the progress.
    pub status_url: String,
}

/// The server's import jobs.
pub struct ImportJobs {
    jobs: Mutex<Vec<Arc<Job>>>,
    max_running: usize,
}

impl ImportJobs {
    pub fn new(max_running: usize) -> ImportJobs {
        ImportJobs { jobs: Mutex::new(Vec::new()), max_running: max_running.max(1) }
    }

    /// Starts `work` as a job of `owner` for the file `data`, or returns the job already running
    /// for the same owner and file (a double click, a retried upload). Refuses when
    /// `max_running` imports already run.
    pub fn start<F, Fut>(&self, owner: Id, data: &[u8], total: u64, work: F) -> Result<Arc<Job>, ApiError>
    where
        F: FnOnce(Arc<Job>) -> Fut,
        Fut: std::future::Future<Output = Result<ImportReport, ApiError>> + Send + 'static,
    {
        let digest: [u8; 32] = Sha256::digest(data).into();
        let job = {
            let mut jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(j) = jobs.iter().find(|j| j.owner == owner && j.digest == digest && j.running()) {
                return Ok(j.clone());
            }
            if jobs.iter().filter(|j| j.running()).count() >= self.max_running {
                let mut busy =
                    ApiError::unavailable("Impor lain sedang berjalan. Tunggu sampai selesai, lalu unggah lagi.", 30);
                busy.code = "import_busy";
                return Err(busy);
            }
            let finished = jobs.iter().filter(|j| !j.running()).count();
            if finished >= KEEP_FINISHED
                && let Some(pos) = jobs.iter().position(|j| !j.running())
            {
                jobs.remove(pos);
            }
            let job = Arc::new(Job {
                id: new_id(),
                owner,
                digest,
                total,
                done: AtomicU64::new(0),
                state: watch::Sender::new(JobState::Running),
            });
            jobs.push(job.clone());
            job
        };
        let fut = work(job.clone());
        let running = job.clone();
        tokio::spawn(async move {
            let end = match fut.await {
                Ok(report) => JobState::Done(report),
                Err(e) => JobState::Failed(e),
            };
            running.state.send_replace(end);
        });
        Ok(job)
    }

    pub fn get(&self, id: &str) -> Option<Arc<Job>> {
        let jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        jobs.iter().find(|j| j.id == id).cloned()
    }
}

/// Records progress from the import loop.
pub fn progress(job: &Arc<Job>) -> impl Fn(u64) + use<> {
    let job = job.clone();
    move |n| job.done.store(n, Ordering::Relaxed)
}

fn new_id() -> String {
    let mut b = [0u8; 12];
    getrandom::fill(&mut b).expect("the OS random source is available");
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Data lines of a CSV file (non-empty lines after the header): the job's progress total.
pub fn data_lines(data: &[u8]) -> u64 {
    data.split(|b| *b == b'\n').skip(1).filter(|l| l.iter().any(|b| !b.is_ascii_whitespace())).count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_lines_skip_the_header_and_blank_lines() {
        assert_eq!(data_lines(b"a,b\n1,2\n\n3,4\r\n \n"), 2);
        assert_eq!(data_lines(b"a,b"), 0);
        assert_eq!(data_lines(b""), 0);
    }

    #[tokio::test]
    async fn the_same_file_of_the_same_owner_shares_one_running_job_and_others_wait_their_turn() {
        let jobs = ImportJobs::new(1);
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let a = jobs
            .start(1, b"x", 1, |_| async move {
                let _ = rx.await;
                Ok(ImportReport::default())
            })
            .unwrap();
        let again = jobs.start(1, b"x", 1, |_| async { Ok(ImportReport::default()) }).unwrap();
        assert_eq!(a.id, again.id);
        let busy = jobs.start(2, b"y", 1, |_| async { Ok(ImportReport::default()) }).err().unwrap();
        assert_eq!(busy.status, axum::http::StatusCode::SERVICE_UNAVAILABLE);
        tx.send(()).unwrap();
        a.wait(Duration::from_secs(5)).await;
        assert_eq!(a.view().state, "done");
        assert!(jobs.start(2, b"y", 1, |_| async { Ok(ImportReport::default()) }).is_ok());
    }
}
