//! Server settings. The CLI fills these from defaults → TOML file → `HADIR_*` env → flags.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct ServerConfig {
    /// Shown on exports and pages, e.g. "Pemerintah Kabupaten Contoh".
    pub regency_name: String,
    /// The regency's own zone (`Asia/Jakarta` WIB, `Asia/Makassar` WITA, `Asia/Jayapura` WIT):
    /// times that belong to no one unit (the board's update time, the audit log, terminals'
    /// last contact) are shown in it, labelled.
    pub timezone: String,
    /// Largest request body in bytes (check-ins carry a photo).
    pub max_body_bytes: usize,
    /// Session lifetime for employees (phones stay logged in).
    pub employee_session_hours: u64,
    /// Session lifetime for staff and admins.
    pub staff_session_hours: u64,
    /// Failed logins per account before a temporary lock.
    pub login_fail_per_account: usize,
    /// Failed logins per client IP before a temporary lock (generous: offices share one IP).
    pub login_fail_per_ip: usize,
    pub login_window_secs: u64,
    /// Take the client IP from `X-Forwarded-For` (only behind a trusted reverse proxy).
    pub trust_forwarded_for: bool,
    pub checkin: CheckinConfig,
    /// Ingest queue length (jobs) before 503.
    pub ingest_queue: usize,
    /// Punches per group commit at most.
    pub ingest_batch: usize,
    /// Fingerprint/face terminals and relays.
    pub terminals: TerminalConfig,
    /// Connection limits and timeouts.
    pub connections: ConnectionConfig,
    /// Per-address flood limits on logins and terminal endpoints.
    pub flood: FloodConfig,
    /// How long personal data is kept (UU 27/2022 PDP), and the daily purge.
    pub retention: RetentionConfig,
    /// The address people use, e.g. `https://presensi.contohkab.go.id` (behind the reverse
    /// proxy). When it is https, the console cookie is `Secure` and responses carry HSTS.
    pub public_url: Option<String>,
    /// Employee CSV imports (background jobs).
    pub import: ImportConfig,
    /// Outgoing webhooks (issue 25): delivery worker timing.
    pub webhooks: crate::webhooks::WebhookConfig,
    /// Notifications (issue 25): Web Push and reminders.
    pub notifications: crate::notifications::NotifyConfig,
    /// Largest video accepted as evidence (MP4/WebM, for manual attendance, objections and
    /// special attendance); photos and PDFs keep their 3 MB limit.
    pub evidence_video_max_bytes: usize,
    /// Map tiles for the console's location editor where the deployment has internet, e.g.
    /// `https://tile.openstreetmap.org/{z}/{x}/{y}.png` (`{s}` subdomains allowed). Empty (the
    /// default): offline, only the scaled sketch.
    pub map_tile_url: String,
    /// The tiles' attribution line, e.g. "© OpenStreetMap".
    pub map_attribution: String,
    /// Fraud signals computed after commit (issue 23): thresholds and the analyser.
    pub signals: crate::signals::SignalConfig,
}

/// Employee imports run as background jobs: a line with a password costs one argon2id hash.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct ImportConfig {
    /// Largest import file in bytes (a 100,000-line employee file is about 12 MB).
    pub max_bytes: usize,
    /// Most data lines in one file.
    pub max_lines: u64,
    /// The upload answers with the report when the job finishes within this; otherwise with
    /// the job's progress (202) and the client reads `GET /api/v1/imports/{id}`.
    pub answer_within_ms: u64,
    /// Imports running at once; beyond it an upload is answered 503 + Retry-After.
    pub max_running: usize,
}

impl Default for ImportConfig {
    fn default() -> Self {
        ImportConfig { max_bytes: 16 * 1024 * 1024, max_lines: 100_000, answer_within_ms: 5_000, max_running: 2 }
    }
}

impl ServerConfig {
    /// The regency's zone (WIB when the setting names no zone jiff knows).
    pub fn regency_zone(&self) -> jiff::tz::TimeZone {
        hadir_domain::zone::unit_zone(&self.timezone)
            .or_else(|_| hadir_domain::zone::unit_zone("Asia/Jakarta"))
            .unwrap_or(jiff::tz::TimeZone::UTC)
    }

    /// Whether people reach the server over https (from `public_url`).
    pub fn serves_https(&self) -> bool {
        self.public_url.as_deref().is_some_and(|u| u.trim().to_ascii_lowercase().starts_with("https://"))
    }
}

/// What one client may hold of the server (issue 17). Defaults fit phones on slow networks: a
/// 2 MB selfie at 20 KB/s takes 100 s; headers take well under a second.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct ConnectionConfig {
    /// Open connections at most; beyond it new ones wait in the operating system's queue.
    pub max_connections: usize,
    /// A request's headers must arrive within this, and an idle keep-alive connection is
    /// closed after it.
    pub header_read_secs: u64,
    /// A request body must arrive within this.
    pub body_read_secs: u64,
}

impl Default for ConnectionConfig {
    fn default() -> Self {
        ConnectionConfig { max_connections: 10_000, header_read_secs: 20, body_read_secs: 120 }
    }
}

/// Per-address flood limits (issue 17), in front of the login limiter and the terminal
/// endpoints: each address has a bucket of `*_burst` requests that refills at `*_per_minute`;
/// beyond it, 429 + Retry-After. `*_per_minute = 0` turns that limit off. Defaults: a school of
/// 200 teachers behind one NAT address logging in at 07:00 fits in the login burst (then 5 a
/// second); 50 terminals behind one address polling every 5 s fit in the terminal rate; a flood
/// of thousands a second is refused.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct FloodConfig {
    /// Logins (`POST /api/v1/auth/login`, the console's login form) per address per minute.
    pub login_per_minute: u32,
    /// Logins one address may send at once.
    pub login_burst: u32,
    /// Terminal requests (`/iclock/*`, `/api/v1/relay/*`) per address per minute.
    pub terminal_per_minute: u32,
    /// Terminal requests one address may send at once.
    pub terminal_burst: u32,
}

impl Default for FloodConfig {
    fn default() -> Self {
        FloodConfig { login_per_minute: 300, login_burst: 300, terminal_per_minute: 600, terminal_burst: 300 }
    }
}

/// When a terminal counts as silent: not heard from for `silent_minutes` of working hours
/// (`work_start`–`work_end`, `HH:MM` in the terminal's zone; Monday–Friday when `weekdays_only`),
/// and what a terminal's punches must satisfy to count at once.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct TerminalConfig {
    pub silent_minutes: u64,
    pub work_start: String,
    /// `24:00` for the whole day.
    pub work_end: String,
    pub weekdays_only: bool,
    /// Terminal punches older than this at receipt wait in review (`backlog`).
    pub backlog_hours: u64,
    /// Terminal punches more than this ahead of the server clock wait in review (`future`).
    pub future_minutes: u64,
    /// Most terminals pending approval; an unknown serial beyond it is refused (403).
    pub max_pending: u64,
    /// Most ATTLOG lines in one `/iclock/cdata` request (a real terminal sends a few hundred).
    pub max_attlog_lines: usize,
    /// Largest `/iclock/*` request body in bytes.
    pub max_body_bytes: usize,
}

impl Default for TerminalConfig {
    fn default() -> Self {
        TerminalConfig {
            silent_minutes: 30,
            work_start: "07:00".into(),
            work_end: "16:00".into(),
            weekdays_only: true,
            backlog_hours: 72,
            future_minutes: 10,
            max_pending: 50,
            max_attlog_lines: 5000,
            max_body_bytes: 1024 * 1024,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct CheckinConfig {
    pub photo_required: bool,
    pub photo_max_bytes: usize,
    /// The phone's capture time is the punch time when within this many seconds of receipt.
    pub capture_tolerance_secs: u64,
    /// GPS accuracy worse than this (metres) is refused.
    pub max_accuracy_m: f64,
    /// Photos and evidence images whose header declares more pixels than this are refused
    /// (checked from the header, before anything decodes them).
    pub max_image_pixels: u64,
    /// Captures older than this at receipt are refused (manual attendance or an objection is
    /// the way for them).
    pub max_capture_age_hours: u64,
    /// How many colleagues one employee may check in ("Absen untuk rekan") per day (issue 21).
    pub colleague_daily_cap: u32,
}

impl Default for CheckinConfig {
    fn default() -> Self {
        CheckinConfig {
            photo_required: true,
            photo_max_bytes: 2 * 1024 * 1024,
            capture_tolerance_secs: 120,
            max_accuracy_m: 150.0,
            max_capture_age_hours: 72,
            max_image_pixels: 24_000_000,
            colleague_daily_cap: 3,
        }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            regency_name: "Pemerintah Kabupaten".into(),
            timezone: "Asia/Jakarta".into(),
            max_body_bytes: 4 * 1024 * 1024,
            employee_session_hours: 24 * 30,
            staff_session_hours: 12,
            login_fail_per_account: 5,
            login_fail_per_ip: 200,
            login_window_secs: 15 * 60,
            trust_forwarded_for: false,
            checkin: CheckinConfig::default(),
            ingest_queue: 8192,
            ingest_batch: 512,
            terminals: TerminalConfig::default(),
            connections: ConnectionConfig::default(),
            flood: FloodConfig::default(),
            retention: RetentionConfig::default(),
            public_url: None,
            import: ImportConfig::default(),
            webhooks: Default::default(),
            notifications: Default::default(),
            evidence_video_max_bytes: 20 * 1024 * 1024,
            map_tile_url: String::new(),
            map_attribution: String::new(),
            signals: crate::signals::SignalConfig::default(),
        }
    }
}

/// How long personal data is kept (issue 17, UU 27/2022 PDP; the defaults are justified in
/// docs/DEPLOYMENT.md). Each period runs from the end of the month the data belongs to (a
/// punch's month; an evidence file's upload month). `0` keeps that kind for good.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct RetentionConfig {
    /// Selfies of check-ins (and terminal photos).
    pub selfie_months: u32,
    /// Positions of check-ins: latitude, longitude, accuracy.
    pub position_months: u32,
    /// Evidence files of requests (medical letters, signed sheets, outage evidence).
    pub evidence_months: u32,
    /// Run the daily purge in this process (once per day across all instances).
    pub purge_enabled: bool,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        RetentionConfig { selfie_months: 24, position_months: 24, evidence_months: 60, purge_enabled: true }
    }
}
