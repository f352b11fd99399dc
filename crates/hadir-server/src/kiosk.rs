//! Office QR kiosk codes (issue 21): what a kiosk screen shows and what a check-in proves with.
//!
//! A code is `HK1.<kiosk id>.<unit id>.<slot>.<signature>`: the slot is the 30-second period
//! since the Unix epoch in which the code was issued, the signature the first 16 bytes of
//! HMAC-SHA256 over the rest under a server secret (base64url). The secret is drawn once and
//! kept in the store (`server_secrets`), so every instance signs and checks alike. A check-in
//! accepts a code whose slot began at most [`MAX_AGE_SECS`] before the punch.

use hadir_store::Store;
use hmac::{Hmac, KeyInit, Mac};
use jiff::Timestamp;
use sha2::Sha256;
use tokio::sync::OnceCell;

/// A new code every 30 s.
pub const SLOT_SECS: i64 = 30;
/// A code is accepted up to 60 s after its slot began (the screen's code plus one more).
pub const MAX_AGE_SECS: i64 = 60;
const PREFIX: &str = "HK1";
const CARD_PREFIX: &str = "HC1";
const SIG_BYTES: usize = 16;
const SECRET_NAME: &str = "kiosk_qr_v1";

/// What a code names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KioskCode {
    pub kiosk_id: i64,
    pub unit_id: i64,
    pub slot: i64,
}

impl KioskCode {
    pub fn slot_of(t: Timestamp) -> i64 {
        t.as_second().div_euclid(SLOT_SECS)
    }

    pub fn slot_start(&self) -> Timestamp {
        Timestamp::from_second(self.slot.saturating_mul(SLOT_SECS)).unwrap_or(Timestamp::UNIX_EPOCH)
    }

    fn signed_text(&self) -> String {
        format!("{PREFIX}.{}.{}.{}", self.kiosk_id, self.unit_id, self.slot)
    }

    /// Reads the fields of a code without checking its signature (`None`: not a kiosk code).
    pub fn parse(text: &str) -> Option<(KioskCode, &str)> {
        let mut parts = text.trim().split('.');
        if parts.next()? != PREFIX {
            return None;
        }
        let kiosk_id = parts.next()?.parse().ok()?;
        let unit_id = parts.next()?.parse().ok()?;
        let slot = parts.next()?.parse().ok()?;
        let sig = parts.next()?;
        if parts.next().is_some() || sig.is_empty() || sig.len() > 64 {
            return None;
        }
        Some((KioskCode { kiosk_id, unit_id, slot }, sig))
    }
}

fn mac(secret: &[u8], text: &str) -> Hmac<Sha256> {
    let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(secret).expect("HMAC takes a key of any length");
    m.update(text.as_bytes());
    m
}

/// The code's full text, signed.
pub fn sign(secret: &[u8], code: &KioskCode) -> String {
    use base64::Engine;
    let text = code.signed_text();
    let tag = mac(secret, &text).finalize().into_bytes();
    let sig = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&tag[..SIG_BYTES]);
    format!("{text}.{sig}")
}

/// The code named by `text` when its signature holds (compared in constant time).
pub fn verify(secret: &[u8], text: &str) -> Option<KioskCode> {
    use base64::Engine;
    let (code, sig) = KioskCode::parse(text)?;
    let sig = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(sig).ok()?;
    if sig.len() != SIG_BYTES {
        return None;
    }
    mac(secret, &code.signed_text()).verify_truncated_left(&sig).ok()?;
    Some(code)
}

/// A personal QR card (colleague check-in): `HC1.<employee id>.<version>.<signature>`, signed
/// like kiosk codes under the same secret (the prefix keeps the two kinds apart). Cards do not
/// expire; reissuing raises the version and the old card is refused.
pub fn sign_card(secret: &[u8], employee_id: i64, version: i64) -> String {
    use base64::Engine;
    let text = format!("{CARD_PREFIX}.{employee_id}.{version}");
    let tag = mac(secret, &text).finalize().into_bytes();
    format!("{text}.{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&tag[..SIG_BYTES]))
}

/// (employee id, version) of a card whose signature holds.
pub fn verify_card(secret: &[u8], text: &str) -> Option<(i64, i64)> {
    use base64::Engine;
    let mut parts = text.trim().split('.');
    if parts.next()? != CARD_PREFIX {
        return None;
    }
    let employee_id: i64 = parts.next()?.parse().ok()?;
    let version: i64 = parts.next()?.parse().ok()?;
    let sig = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(parts.next()?).ok()?;
    if parts.next().is_some() || sig.len() != SIG_BYTES {
        return None;
    }
    mac(secret, &format!("{CARD_PREFIX}.{employee_id}.{version}")).verify_truncated_left(&sig).ok()?;
    Some((employee_id, version))
}

/// The QR code of `text` as an SVG document (black on white, quiet zone included).
pub fn svg(text: &str) -> Option<String> {
    use qrcode::render::svg;
    let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M).ok()?;
    Some(
        code.render::<svg::Color>()
            .min_dimensions(320, 320)
            .dark_color(svg::Color("#000000"))
            .light_color(svg::Color("#ffffff"))
            .build(),
    )
}

/// The signing secret, read (or created) once per process.
#[derive(Default)]
pub struct KioskKeys {
    secret: OnceCell<Vec<u8>>,
}

impl KioskKeys {
    pub async fn secret(&self, store: &dyn Store) -> Result<&[u8], hadir_store::StoreError> {
        self.secret
            .get_or_try_init(|| async {
                let mut fresh = [0u8; 32];
                getrandom::fill(&mut fresh).map_err(|e| hadir_store::StoreError::Backend(e.to_string()))?;
                store.server_secret(SECRET_NAME, &fresh).await
            })
            .await
            .map(Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn a_signed_code_verifies_and_names_what_was_signed() {
        let c = KioskCode { kiosk_id: 3, unit_id: 17, slot: 59_000_000 };
        let text = sign(KEY, &c);
        assert!(text.starts_with("HK1.3.17.59000000."));
        assert_eq!(verify(KEY, &text), Some(c));
    }

    #[test]
    fn a_changed_field_or_key_or_signature_fails() {
        let c = KioskCode { kiosk_id: 3, unit_id: 17, slot: 59_000_000 };
        let text = sign(KEY, &c);
        let other_unit = text.replacen(".17.", ".18.", 1);
        assert_eq!(verify(KEY, &other_unit), None, "unit changed");
        let later = text.replacen(".59000000.", ".59000001.", 1);
        assert_eq!(verify(KEY, &later), None, "slot changed");
        assert_eq!(verify(b"another key", &text), None, "other key");
        let mut bad = text.clone();
        let last = bad.pop().unwrap();
        bad.push(if last == 'A' { 'B' } else { 'A' });
        assert_eq!(verify(KEY, &bad), None, "signature changed");
        for junk in ["", "HK1", "HK1.3.17.5", "HK2.3.17.5.abc", "HK1.x.17.5.abc", &format!("{text}.extra")] {
            assert_eq!(verify(KEY, junk), None, "{junk:?}");
        }
    }

    #[test]
    fn cards_verify_and_are_not_kiosk_codes() {
        let card = sign_card(KEY, 42, 2);
        assert_eq!(verify_card(KEY, &card), Some((42, 2)));
        assert_eq!(verify_card(KEY, &card.replacen(".2.", ".3.", 1)), None, "version changed");
        assert_eq!(verify_card(b"other", &card), None);
        assert_eq!(verify(KEY, &card), None, "a card is no kiosk code");
        let code = sign(KEY, &KioskCode { kiosk_id: 42, unit_id: 2, slot: 7 });
        assert_eq!(verify_card(KEY, &code), None, "a kiosk code is no card");
    }

    #[test]
    fn slots_are_thirty_seconds() {
        let t = Timestamp::from_second(1_000_000_015).unwrap();
        let slot = KioskCode::slot_of(t);
        assert_eq!(slot, 33_333_333);
        let c = KioskCode { kiosk_id: 1, unit_id: 1, slot };
        assert_eq!(c.slot_start().as_second(), 999_999_990);
    }

    #[test]
    fn the_svg_is_a_qr_drawing() {
        let s = svg("HK1.1.2.3.abcdefghijklmnopqrstuv").unwrap();
        assert!(s.contains("<svg") && s.contains("#000000"));
    }
}
