//! Device keys (issue 23): the app generates an ECDSA P-256 key pair in the browser (WebCrypto,
//! private key not extractable, kept in IndexedDB), registers the public key once
//! (`POST /api/v1/me/device-keys`) and signs every check-in: the signature covers
//! `hadir-checkin\n<idempotency key>\n<hex SHA-256 of the photo bytes>` (proof of possession,
//! bound to this check-in and its selfie). The check-in path only hands the key id and
//! signature to the analyser ([`Proofs`], in memory, bounded); the analyser verifies them
//! against the stored punch (its key and photo hash) and flags: a key the employee never
//! registered or a signature that does not verify (`device_signature_invalid`), a key still
//! pending an operator's acceptance (`new_device`; an employee's first key is trusted), one key
//! used by several employees on the same local day (`shared_device`, buddy punching), and, when
//! configured, app check-ins without a key (`no_device_key`). Known limit: proofs of check-ins
//! not yet analysed when the server stops are lost, and those punches are analysed as unsigned.

use super::SignalConfig;
use crate::state::AppState;
use hadir_store::{Analysis, NewSignal, Punch, PunchDevice, PunchSource};
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Proofs waiting for analysis at most.
const MAX_PROOFS: usize = 100_000;
/// Proofs of check-ins that were never stored (refused, failed) are dropped after this.
const PROOF_TTL: Duration = Duration::from_secs(3600);

/// A check-in's key id, signature and when it was noted.
type Proof = (String, Vec<u8>, Instant);

/// Key id and signature per dedup key, from the check-in handler to the analyser.
#[derive(Default)]
pub struct Proofs {
    map: Mutex<HashMap<String, Proof>>,
}

impl Proofs {
    /// Remembers a check-in's proof (before it is submitted, so the analyser always finds it).
    pub fn note(&self, dedup_key: &str, key_id: String, signature: Vec<u8>) {
        let Ok(mut m) = self.map.lock() else { return };
        if m.len() >= MAX_PROOFS {
            m.retain(|_, (_, _, at)| at.elapsed() < PROOF_TTL);
            if m.len() >= MAX_PROOFS {
                tracing::warn!("device proofs: the buffer is full; this check-in is analysed as unsigned");
                return;
            }
        }
        m.insert(dedup_key.to_string(), (key_id, signature, Instant::now()));
    }

    fn take(&self, dedup_key: &str) -> Option<(String, Vec<u8>)> {
        self.map.lock().ok()?.remove(dedup_key).map(|(k, s, _)| (k, s))
    }
}

/// The key id of a raw public key: hex SHA-256.
pub fn key_id(public_key: &[u8]) -> String {
    hex::encode(Sha256::digest(public_key))
}

/// Whether `public_key` is a valid uncompressed P-256 point.
pub fn valid_public_key(public_key: &[u8]) -> bool {
    public_key.len() == 65 && VerifyingKey::from_sec1_bytes(public_key).is_ok()
}

/// What the app signs for a check-in.
pub fn signed_message(idempotency_key: &str, photo_hash: &str) -> String {
    format!("hadir-checkin\n{idempotency_key}\n{photo_hash}")
}

fn verifies(public_key: &[u8], message: &str, signature: &[u8]) -> bool {
    let (Ok(key), Ok(sig)) = (VerifyingKey::from_sec1_bytes(public_key), Signature::from_slice(signature)) else {
        return false;
    };
    key.verify(message.as_bytes(), &sig).is_ok()
}

/// The device signals of a batch; adds `punch_devices` rows to the analysis.
pub(super) async fn analyse(
    s: &AppState,
    cfg: &SignalConfig,
    punches: &[Punch],
    a: &mut Analysis,
) -> Result<(), hadir_store::StoreError> {
    let app: Vec<&Punch> = punches
        .iter()
        .filter(|p| !p.p.quarantined && p.p.employee_id.is_some() && p.p.source == PunchSource::Mobile)
        .collect();
    let mut signed = Vec::new();
    for p in app {
        let employee = p.p.employee_id.unwrap_or_default();
        match s.signals.proofs.take(&p.p.dedup_key) {
            Some((key, sig)) => signed.push((p, employee, key, sig)),
            None if cfg.require_device_key => a.signals.push(NewSignal {
                punch_id: p.id,
                employee_id: Some(employee),
                kind: "no_device_key".into(),
                detail:
                    "Absen dari aplikasi tanpa tanda tangan perangkat (aplikasi lama atau dikirim di luar aplikasi)."
                        .into(),
                score: None,
            }),
            None => {}
        }
    }
    if signed.is_empty() {
        return Ok(());
    }
    let mut keys: Vec<String> = signed.iter().map(|(_, _, k, _)| k.clone()).collect();
    keys.sort();
    keys.dedup();
    let registered = s.store.device_keys_by_key(&keys).await?;
    let tz_of = |p: &Punch| -> String {
        let zone = s.caches.employees.get(&p.p.employee_id.unwrap_or_default()).map(|e| e.timezone);
        let tz = zone.and_then(|z| hadir_domain::unit_zone(&z).ok()).unwrap_or_else(|| s.config.regency_zone());
        tz.to_datetime(p.p.punched_at).date().to_string()
    };
    let mut days: Vec<String> = signed.iter().map(|(p, ..)| tz_of(p)).collect();
    days.sort();
    days.dedup();
    let mut used = s.store.punch_devices_on(&keys, &days).await?;
    for (p, employee, key, sig) in signed {
        let day = tz_of(p);
        let signal = |kind: &str, detail: String| NewSignal {
            punch_id: p.id,
            employee_id: Some(employee),
            kind: kind.into(),
            detail,
            score: None,
        };
        let short = &key[..key.len().min(12)];
        let mine = registered.iter().find(|k| k.employee_id == employee && k.key_id == key);
        let idem = p.p.dedup_key.splitn(3, ':').nth(2).unwrap_or_default();
        let message = signed_message(idem, p.p.photo_hash.as_deref().unwrap_or_default());
        let verified = mine.is_some_and(|k| verifies(&k.public_key, &message, &sig));
        match mine {
            None => a.signals.push(signal(
                "device_signature_invalid",
                format!("Kunci perangkat {short}… tidak terdaftar untuk pegawai ini."),
            )),
            Some(_) if !verified => a.signals.push(signal(
                "device_signature_invalid",
                format!("Tanda tangan perangkat {short}… tidak cocok dengan absen ini (dipalsukan atau diubah)."),
            )),
            Some(k) if k.state == "pending" || k.state == "rejected" => a.signals.push(signal(
                "new_device",
                format!("Perangkat {short}… belum disetujui operator (didaftarkan {}).", k.created_at),
            )),
            Some(_) => {}
        }
        let others: HashSet<i64> = used
            .iter()
            .filter(|d| d.key_id == key && d.day == day && d.employee_id != employee)
            .map(|d| d.employee_id)
            .collect();
        if !others.is_empty() {
            let mut ids: Vec<String> = others.iter().map(|i| format!("#{i}")).collect();
            ids.sort();
            a.signals.push(signal(
                "shared_device",
                format!("Perangkat {short}… juga dipakai pegawai {} pada {day}.", ids.join(", ")),
            ));
        }
        let d = PunchDevice { punch_id: p.id, employee_id: employee, key_id: key, day, verified };
        used.push(d.clone());
        a.devices.push(d);
    }
    Ok(())
}
