//! The uploader: sends buffered punches to the server in batches, marks them
//! sent only after a 2xx, and backs off exponentially (with jitter) while the
//! server is unreachable or busy.

use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::RETRY_AFTER;

use crate::api::{
    CheckinMeta, CheckinReply, PunchBatch, PunchReply, RelayTemplates, Roster, TemplateReport, TemplateUpload,
    TemplateUploadReply,
};
use crate::buffer::{Buffer, LocalCheckin};
use crate::config::RelayConfig;
use crate::error::ServerError;
use crate::state::Shared;

/// HTTP client for the relay endpoints of the server.
#[derive(Clone)]
pub(crate) struct ServerClient {
    http: reqwest::Client,
    base: String,
    token: String,
    shared: Arc<Shared>,
}

/// What became of one forwarded office-network check-in.
pub(crate) enum Forwarded {
    Stored(CheckinReply),
    /// Refused for good (4xx other than 401/408/429): the reason, never resent.
    Refused(String),
}

impl ServerClient {
    pub(crate) fn new(config: &RelayConfig, shared: Arc<Shared>) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .user_agent(concat!("hadir-relay/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { http, base: config.server.trim_end_matches('/').to_owned(), token: config.token.clone(), shared })
    }

    /// Every answer's `Date` header keeps the relay's measure of its clock against the server's;
    /// a 401 marks the token refused (revoked) for the status page, any other answer clears it.
    async fn check(&self, resp: reqwest::Response) -> Result<reqwest::Response, ServerError> {
        if let Some(date) = resp.headers().get(reqwest::header::DATE).and_then(|v| v.to_str().ok())
            && let Ok(t) = jiff::fmt::rfc2822::parse(date)
        {
            self.shared.server_clock(t.timestamp().as_second());
        }
        self.shared.token_refused(resp.status() == StatusCode::UNAUTHORIZED);
        match resp.status() {
            s if s.is_success() => Ok(resp),
            StatusCode::UNAUTHORIZED => Err(ServerError::Unauthorized),
            StatusCode::SERVICE_UNAVAILABLE | StatusCode::TOO_MANY_REQUESTS => {
                let retry_after = resp
                    .headers()
                    .get(RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(|s| Duration::from_secs(s.min(3600)));
                Err(ServerError::Busy { retry_after })
            }
            s => {
                let body = resp.text().await.unwrap_or_default();
                Err(ServerError::Status { status: s.as_u16(), body: body.chars().take(300).collect() })
            }
        }
    }

    pub(crate) async fn post_punches(&self, batch: &PunchBatch) -> Result<PunchReply, ServerError> {
        let resp = self
            .http
            .post(format!("{}/api/v1/relay/punches", self.base))
            .bearer_auth(&self.token)
            .json(batch)
            .send()
            .await?;
        Ok(self.check(resp).await?.json().await?)
    }

    /// Forwards one office-network check-in (multipart meta + photo).
    pub(crate) async fn post_checkin(&self, c: &LocalCheckin) -> Result<Forwarded, ServerError> {
        let meta = CheckinMeta {
            login: c.login.clone(),
            idempotency_key: c.idempotency_key.clone(),
            punched_at: c.punched_at.clone(),
            note: c.note.clone(),
        };
        let meta = serde_json::to_string(&meta).unwrap_or_default();
        let photo = reqwest::multipart::Part::bytes(c.photo.clone()).file_name("swafoto.jpg");
        let form = reqwest::multipart::Form::new().text("meta", meta).part("photo", photo);
        let resp = self
            .http
            .post(format!("{}/api/v1/relay/checkins", self.base))
            .bearer_auth(&self.token)
            .multipart(form)
            .send()
            .await?;
        match self.check(resp).await {
            Ok(resp) => Ok(Forwarded::Stored(resp.json().await?)),
            Err(ServerError::Status { status, body }) if (400..500).contains(&status) && status != 408 => {
                let reason = serde_json::from_str::<serde_json::Value>(&body)
                    .ok()
                    .and_then(|v| v["error"]["code"].as_str().map(str::to_owned))
                    .unwrap_or_else(|| format!("http_{status}"));
                Ok(Forwarded::Refused(reason))
            }
            Err(e) => Err(e),
        }
    }

    /// The templates the relay's terminals lack, and the employees they should lose (issue 25).
    pub(crate) async fn templates(&self) -> Result<RelayTemplates, ServerError> {
        let resp =
            self.http.get(format!("{}/api/v1/relay/templates", self.base)).bearer_auth(&self.token).send().await?;
        Ok(self.check(resp).await?.json().await?)
    }

    /// Reports what was written to and removed from the terminals.
    pub(crate) async fn report_templates(&self, report: &TemplateReport) -> Result<(), ServerError> {
        let resp = self
            .http
            .post(format!("{}/api/v1/relay/templates", self.base))
            .bearer_auth(&self.token)
            .json(report)
            .send()
            .await?;
        self.check(resp).await.map(drop)
    }

    /// Uploads fingers enrolled on the relay's terminals.
    pub(crate) async fn upload_templates(&self, upload: &TemplateUpload) -> Result<TemplateUploadReply, ServerError> {
        let resp = self
            .http
            .post(format!("{}/api/v1/relay/templates/upload", self.base))
            .bearer_auth(&self.token)
            .json(upload)
            .send()
            .await?;
        Ok(self.check(resp).await?.json().await?)
    }

    pub(crate) async fn roster(&self) -> Result<Roster, ServerError> {
        let resp = self.http.get(format!("{}/api/v1/relay/roster", self.base)).bearer_auth(&self.token).send().await?;
        Ok(self.check(resp).await?.json().await?)
    }
}

/// Exponential backoff with "equal jitter": half the delay fixed, half random,
/// so many relays coming back after a regional outage do not hit the server
/// in lockstep.
pub(crate) struct Backoff {
    min: Duration,
    max: Duration,
    attempt: u32,
}

impl Backoff {
    pub(crate) fn new(min: Duration, max: Duration) -> Self {
        Self { min, max: max.max(min), attempt: 0 }
    }

    pub(crate) fn reset(&mut self) {
        self.attempt = 0;
    }

    pub(crate) fn next_delay(&mut self) -> Duration {
        let exp = self.min.saturating_mul(2u32.saturating_pow(self.attempt)).min(self.max);
        self.attempt = self.attempt.saturating_add(1).min(32);
        let half = exp / 2;
        half + half.mul_f64(fastrand::f64())
    }
}

pub(crate) async fn upload_loop(config: Arc<RelayConfig>, shared: Arc<Shared>, buffer: Buffer, server: ServerClient) {
    let mut backoff =
        Backoff::new(Duration::from_millis(config.retry_min_ms), Duration::from_secs(config.retry_max_secs));
    // Terminal status is reported after each pull even when no punch is new.
    let mut report_due = true;
    loop {
        // Office-network check-ins first: few, and a person waits for them to count.
        match forward_checkins(&buffer, &server, &shared).await {
            Ok(()) => {}
            Err(e) => {
                tracing::warn!(error = %e, "forwarding office-network check-ins failed; will retry");
                shared.server_error(e.to_string());
                let mut delay = backoff.next_delay();
                if let crate::error::ServerError::Busy { retry_after: Some(after) } = e {
                    delay = delay.max(after);
                }
                tokio::time::sleep(delay).await;
                continue;
            }
        }
        let batch = match buffer.unsent(config.batch_size).await {
            Ok(b) => b,
            Err(e) => {
                tracing::error!(error = %e, "reading the buffer failed");
                tokio::time::sleep(backoff.next_delay()).await;
                continue;
            }
        };
        if batch.is_empty() && !report_due {
            tokio::select! {
                () = shared.upload_now.notified() => {}
                () = tokio::time::sleep(config.interval()) => {}
            }
            report_due = true;
            continue;
        }
        let body = PunchBatch {
            terminals: shared.terminal_reports(),
            punches: batch.iter().map(|(_, p)| p.clone()).collect(),
            local_url: config.app_url.clone(),
        };
        let fetches_before = shared.roster_fetches.load(std::sync::atomic::Ordering::SeqCst);
        match server.post_punches(&body).await {
            Ok(reply) => {
                if let (Some((first, _)), Some((last, _))) = (batch.first(), batch.last())
                    && let Err(e) = buffer.mark_sent(*first, *last).await
                {
                    // Sent but not marked: they go again, and the server drops them as duplicates.
                    tracing::error!(error = %e, "marking punches sent failed");
                }
                tracing::debug!(sent = batch.len(), accepted = reply.accepted, "uploaded");
                shared.server_ok(&reply);
                backoff.reset();
                report_due = false;
                // The server keeps asking until the roster is fetched. When a fetch overlapped
                // this upload, the reply may carry a request that fetch already answered:
                // fetching again would hand out templates whose writes are still being
                // reported, and write them twice. A request still standing comes back in the
                // next upload's reply (within the pull interval).
                let fetches_now = shared.roster_fetches.load(std::sync::atomic::Ordering::SeqCst);
                let overlapped = fetches_before % 2 == 1 || fetches_now != fetches_before;
                if reply.sync_roster && !overlapped {
                    shared.roster_now.notify_one();
                } else if reply.sync_roster {
                    tracing::debug!("sync request answered by the roster fetched during this upload");
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, pending = batch.len(), "upload failed; will retry");
                shared.server_error(e.to_string());
                let mut delay = backoff.next_delay();
                if let crate::error::ServerError::Busy { retry_after: Some(after) } = e {
                    delay = delay.max(after);
                }
                tokio::time::sleep(delay).await;
            }
        }
    }
}

/// Sends every waiting office-network check-in, oldest first; stops at the first failure that
/// is worth retrying (the server down or busy, the token refused).
async fn forward_checkins(buffer: &Buffer, server: &ServerClient, shared: &Shared) -> Result<(), ServerError> {
    loop {
        let waiting = match buffer.unsent_checkins(20).await {
            Ok(w) => w,
            Err(e) => {
                tracing::error!(error = %e, "reading office-network check-ins failed");
                return Ok(());
            }
        };
        if waiting.is_empty() {
            return Ok(());
        }
        for c in &waiting {
            let marked = match server.post_checkin(c).await? {
                Forwarded::Stored(reply) => {
                    shared.checkin_forwarded();
                    buffer.checkin_sent(c.id, reply.punch_id, &reply.state).await
                }
                Forwarded::Refused(reason) => {
                    tracing::warn!(login = %c.login, reason = %reason, "office-network check-in refused by the server");
                    buffer.checkin_rejected(c.id, &reason).await
                }
            };
            if let Err(e) = marked {
                // Sent but not marked: it goes again, and the server answers with the same punch.
                tracing::error!(error = %e, "marking a check-in forwarded failed");
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_with_jitter_and_caps() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_secs(1));
        let d: Vec<_> = (0..8).map(|_| b.next_delay()).collect();
        assert!(d[0] >= Duration::from_millis(50) && d[0] <= Duration::from_millis(100));
        assert!(d[3] >= Duration::from_millis(400) && d[3] <= Duration::from_millis(800));
        assert!(d.iter().all(|x| *x <= Duration::from_secs(1)));
        b.reset();
        assert!(b.next_delay() <= Duration::from_millis(100));
    }
}
