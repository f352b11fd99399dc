//! `relay.toml` (DESIGN.md §3). Unknown keys are rejected so a typo does not
//! silently fall back to a default.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::Figment;
use figment::providers::{Env, Format, Toml};
use serde::{Deserialize, Serialize};

use crate::error::ConfigError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    #[default]
    Tcp,
    Udp,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelayConfig {
    /// Base URL of the Hadir server, e.g. `https://presensi.example.go.id`.
    pub server: String,
    /// The relay token from `POST /api/v1/relays` (or env `HADIR_RELAY_TOKEN`).
    pub token: String,
    /// Pull period.
    #[serde(default = "defaults::interval_secs")]
    pub interval_secs: u64,
    /// Local store-and-forward buffer (SQLite file).
    pub buffer: PathBuf,
    /// Address of the relay's own status page; loopback unless configured.
    #[serde(default = "defaults::status_listen")]
    pub status_listen: String,
    /// Password of the status page as an argon2id PHC string (`$argon2id$…`).
    /// Required (this or `status_password`) when `status_listen` is not a
    /// loopback address.
    #[serde(default)]
    pub status_password_hash: Option<String>,
    /// Password of the status page in plain text (the file must then be
    /// readable by the relay's user only); `status_password_hash` is preferred.
    #[serde(default)]
    pub status_password: Option<String>,
    /// Default per-operation timeout towards terminals.
    #[serde(default = "defaults::timeout_secs")]
    pub timeout_secs: u64,
    /// Roster sync schedule; 0 = only on demand (button, or the server asking).
    #[serde(default = "defaults::roster_interval_secs")]
    pub roster_interval_secs: u64,
    /// Punches per upload request.
    #[serde(default = "defaults::batch_size")]
    pub batch_size: usize,
    /// Upload retry: first delay, then doubling (with jitter) up to the maximum.
    #[serde(default = "defaults::retry_min_ms")]
    pub retry_min_ms: u64,
    #[serde(default = "defaults::retry_max_secs")]
    pub retry_max_secs: u64,
    /// Issue 21 (office-network mode): address where the relay serves the employee app on the
    /// office LAN (plain HTTP), e.g. `0.0.0.0:8080`; absent = not served.
    #[serde(default)]
    pub app_listen: Option<String>,
    /// The address staff type on the LAN, e.g. `http://192.168.1.10:8080` (shown on the status
    /// page).
    #[serde(default)]
    pub app_url: Option<String>,
    /// Largest selfie the local app accepts, in bytes (the app sends ~50 KB).
    #[serde(default = "defaults::app_photo_max_bytes")]
    pub app_photo_max_bytes: usize,
    #[serde(default)]
    pub terminals: Vec<TerminalConfig>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TerminalConfig {
    /// `host:port` on the LAN, e.g. `192.168.1.201:4370`.
    pub address: String,
    #[serde(default)]
    pub protocol: Protocol,
    /// The terminal's communication key ("password" in the menus); 0 = none.
    #[serde(default, alias = "password")]
    pub comm_key: u32,
    /// Zone of the terminal's clock; absent = the unit's zone (decided by
    /// the server; the relay then measures drift against its own zone).
    #[serde(default)]
    pub timezone: Option<String>,
    /// Clear the terminal's log once everything read was acknowledged.
    #[serde(default)]
    pub clear_after_upload: bool,
    /// Overrides the relay-wide `timeout_secs`.
    #[serde(default)]
    pub timeout_secs: Option<u64>,
}

mod defaults {
    pub fn interval_secs() -> u64 {
        300
    }
    pub fn status_listen() -> String {
        "127.0.0.1:8090".into()
    }
    pub fn timeout_secs() -> u64 {
        10
    }
    pub fn roster_interval_secs() -> u64 {
        3600
    }
    pub fn batch_size() -> usize {
        500
    }
    pub fn retry_min_ms() -> u64 {
        1000
    }
    pub fn retry_max_secs() -> u64 {
        300
    }
    pub fn app_photo_max_bytes() -> usize {
        2 * 1024 * 1024
    }
}

impl RelayConfig {
    /// Reads `path` (TOML); `HADIR_RELAY_*` environment variables override
    /// top-level keys (e.g. `HADIR_RELAY_TOKEN` keeps the token out of the file).
    pub fn load(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let path = path.as_ref();
        if !path.is_file() {
            return Err(ConfigError::Missing(path.display().to_string()));
        }
        let config: Self = Figment::new()
            .merge(Toml::file_exact(path))
            .merge(Env::prefixed("HADIR_RELAY_").only(&[
                "server",
                "token",
                "buffer",
                "status_listen",
                "status_password",
                "status_password_hash",
                "app_listen",
                "app_url",
            ]))
            .extract()
            .map_err(|e| ConfigError::Parse(e.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    /// Parses TOML text (tests, embedding).
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        let config: Self =
            Figment::new().merge(Toml::string(text)).extract().map_err(|e| ConfigError::Parse(e.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |m: String| Err(ConfigError::Invalid(m));
        if !(self.server.starts_with("http://") || self.server.starts_with("https://")) {
            return bad(format!("server harus diawali http:// atau https:// ({})", self.server));
        }
        if self.token.trim().is_empty() {
            return bad("token kosong".into());
        }
        if self.interval_secs == 0 || self.timeout_secs == 0 || self.batch_size == 0 {
            return bad("interval_secs, timeout_secs dan batch_size harus > 0".into());
        }
        let Ok(listen) = self.status_listen.parse::<SocketAddr>() else {
            return bad(format!("status_listen bukan alamat ip:port ({})", self.status_listen));
        };
        if self.status_password.as_deref().is_some_and(|p| p.is_empty()) {
            return bad("status_password kosong".into());
        }
        if self.status_password.is_some() && self.status_password_hash.is_some() {
            return bad("isi salah satu saja: status_password atau status_password_hash".into());
        }
        if let Some(hash) = &self.status_password_hash
            && let Err(m) = crate::status::check_hash(hash)
        {
            return bad(m);
        }
        if !listen.ip().is_loopback() && self.status_password.is_none() && self.status_password_hash.is_none() {
            return bad(format!(
                "halaman status di {} terbuka untuk jaringan: isi status_password_hash (atau status_password) \
                 di relay.toml, atau dengarkan hanya di 127.0.0.1",
                self.status_listen
            ));
        }
        if let Some(a) = &self.app_listen
            && a.parse::<SocketAddr>().is_err()
        {
            return bad(format!("app_listen bukan alamat ip:port ({a})"));
        }
        if let Some(u) = &self.app_url {
            if self.app_listen.is_none() {
                return bad("app_url diisi tetapi app_listen kosong".into());
            }
            if !(u.starts_with("http://") || u.starts_with("https://")) || u.len() > 200 {
                return bad(format!("app_url harus diawali http:// atau https:// ({u})"));
            }
        }
        if self.app_photo_max_bytes < 1024 {
            return bad("app_photo_max_bytes terlalu kecil".into());
        }
        for t in &self.terminals {
            if t.address.rsplit_once(':').and_then(|(_, p)| p.parse::<u16>().ok()).is_none() {
                return bad(format!("alamat terminal harus host:port ({})", t.address));
            }
            if let Some(tz) = &t.timezone
                && jiff::tz::TimeZone::get(tz).is_err()
            {
                return bad(format!("zona waktu tidak dikenal: {tz}"));
            }
            if t.timeout_secs == Some(0) {
                return bad("timeout_secs terminal harus > 0".into());
            }
        }
        Ok(())
    }

    pub fn interval(&self) -> Duration {
        Duration::from_secs(self.interval_secs)
    }
}

impl TerminalConfig {
    pub fn new(address: impl Into<String>, protocol: Protocol) -> Self {
        Self {
            address: address.into(),
            protocol,
            comm_key: 0,
            timezone: None,
            clear_after_upload: false,
            timeout_secs: None,
        }
    }

    pub fn timeout(&self, relay: &RelayConfig) -> Duration {
        Duration::from_secs(self.timeout_secs.unwrap_or(relay.timeout_secs))
    }

    /// The zone the terminal's wall clock is read in (for clock drift).
    pub fn zone(&self) -> jiff::tz::TimeZone {
        self.timezone
            .as_deref()
            .and_then(|tz| jiff::tz::TimeZone::get(tz).ok())
            .unwrap_or_else(jiff::tz::TimeZone::system)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"
server = "https://presensi.example.go.id"
token = "abc"
interval_secs = 300
buffer = "/var/lib/hadir/relay.db"
status_listen = "0.0.0.0:8090"
status_password = "rahasia-kantor"
[[terminals]]
address = "192.168.1.201:4370"
protocol = "tcp"
comm_key = 0
timezone = "Asia/Jakarta"
[[terminals]]
address = "192.168.1.202:4370"
protocol = "udp"
password = 1234
clear_after_upload = true
timeout_secs = 5
"#;

    #[test]
    fn design_example_parses() {
        let c = RelayConfig::from_toml(EXAMPLE).unwrap();
        assert_eq!(c.terminals.len(), 2);
        assert_eq!(c.terminals[0].protocol, Protocol::Tcp);
        assert_eq!(c.terminals[1].protocol, Protocol::Udp);
        assert_eq!(c.terminals[1].comm_key, 1234);
        assert!(c.terminals[1].clear_after_upload);
        assert!(!c.terminals[0].clear_after_upload);
        assert_eq!(c.terminals[1].timeout(&c), Duration::from_secs(5));
        assert_eq!(c.terminals[0].timeout(&c), Duration::from_secs(10));
        assert_eq!(c.batch_size, 500);
    }

    #[test]
    fn mistakes_are_reported() {
        let bad = |from: &str, to: &str| RelayConfig::from_toml(&EXAMPLE.replace(from, to)).unwrap_err().to_string();
        assert!(bad("Asia/Jakarta", "Asia/Jakartaa").contains("zona waktu"));
        assert!(bad("protocol = \"udp\"", "protocol = \"http\"").contains("konfigurasi"));
        assert!(bad("interval_secs", "intervall_secs").contains("konfigurasi"));
        assert!(bad("https://presensi", "presensi").contains("http"));
        assert!(bad("192.168.1.201:4370", "192.168.1.201").contains("host:port"));
        assert!(bad("status_password = \"rahasia-kantor\"", "").contains("status_password_hash"));
        assert!(bad("\"rahasia-kantor\"", "\"\"").contains("kosong"));
        assert!(bad("status_password = ", "status_password_hash = ").contains("argon2id"));
    }

    #[test]
    fn status_page_defaults_to_loopback_without_password() {
        let text = EXAMPLE.replace("status_listen = \"0.0.0.0:8090\"\nstatus_password = \"rahasia-kantor\"\n", "");
        let c = RelayConfig::from_toml(&text).unwrap();
        assert_eq!(c.status_listen, "127.0.0.1:8090");
        assert!(c.status_password.is_none() && c.status_password_hash.is_none());
        let exposed = |listen: &str| {
            RelayConfig::from_toml(&format!("status_listen = \"{listen}\"\n{text}"))
                .map(|_| ())
                .map_err(|e| e.to_string())
        };
        assert!(exposed("[::1]:8090").is_ok());
        assert!(exposed("127.0.0.2:8090").is_ok());
        let err = exposed("192.168.1.10:8090").unwrap_err();
        assert!(err.contains("terbuka untuk jaringan") && err.contains("status_password_hash"), "{err}");
        assert!(exposed("[::]:8090").is_err());
    }

    #[test]
    fn shipped_example_parses() {
        let c = RelayConfig::from_toml(include_str!("../relay.example.toml")).unwrap();
        assert_eq!((c.terminals.len(), c.interval_secs), (1, 300));
    }

    #[test]
    fn load_reads_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("relay.toml");
        assert!(matches!(RelayConfig::load(&path), Err(ConfigError::Missing(_))));
        std::fs::write(&path, EXAMPLE).unwrap();
        assert_eq!(RelayConfig::load(&path).unwrap().server, "https://presensi.example.go.id");
    }
}
