//! Writing users with their fingerprint templates in one go (the "high rate"
//! save): the payload is sent with the buffered write (`CMD_PREPARE_DATA`
//! with its size, then `CMD_DATA`), then `CMD_SAVE_USERTEMPS` (110) with
//! [`save_usertemps_request`] makes the terminal store it.
//!
//! Payload layout (little-endian):
//! * head: three u32, the byte lengths of the user part, the table and the
//!   template part;
//! * users: per user, `0x02` then the user record ([`encode_user`], 28 or 72
//!   bytes by layout);
//! * table: per template, 8 bytes: `0x02`, the user's internal uid (u16),
//!   `0x10 + finger` (u8), the offset of its entry in the template part (u32);
//! * templates: per template, its length (u16) then its bytes.
//!
//! The layout follows the public descriptions of the protocol (e.g. pyzk's
//! `HR_save_usertemplates`); it is not checked against a real terminal yet
//! (on the 72-byte layout some writers set the byte before the group to 1,
//! [`encode_user`] leaves it 0). The relay writes templates with it (issue 25).
//!
//! Reading: the buffered read (`CMD_PREPARE_BUFFER`) of `CMD_DB_RRQ` with
//! `FCT_FINGERTMP` gives the template table, a u32 total byte count then per
//! template: its entry size (u16, 6 + template bytes), the user's uid (u16),
//! the finger (u8), the valid flag (u8: 1 usable, 3 duress), the template
//! bytes ([`parse_fingertmp`]). Deleting one finger: `CMD_DELETE_USERTEMP`
//! with the uid (u16) and the finger (u8) ([`delete_usertemp_request`]);
//! deleting the user (`CMD_DELETE_USER`) deletes its fingers too.

use super::error::BinaryError;
use super::user::{UserLayout, UserRecord, encode_user};

/// `CMD_SAVE_USERTEMPS`: store the users and templates sent with the buffered write.
pub const CMD_SAVE_USERTEMPS: u16 = 110;
const ENTRY: u8 = 2;
const FINGER_BASE: u8 = 0x10;

/// One fingerprint template of a user, as the terminal stores it.
#[derive(Clone, PartialEq, Eq)]
pub struct FingerTemplate {
    /// The user's internal id on the terminal.
    pub uid: u16,
    /// Finger 0–9.
    pub finger: u8,
    /// 1 usable, 3 duress (as the template table reports it; the save
    /// payload has no place for it).
    pub valid: u8,
    /// The template bytes (ZKFinger format, base64-decoded).
    pub template: Vec<u8>,
}

/// Never prints the template bytes.
impl std::fmt::Debug for FingerTemplate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FingerTemplate")
            .field("uid", &self.uid)
            .field("finger", &self.finger)
            .field("valid", &self.valid)
            .field("len", &self.template.len())
            .finish()
    }
}

/// Data of `CMD_SAVE_USERTEMPS` after the payload was sent.
pub fn save_usertemps_request() -> Vec<u8> {
    let mut out = 12u32.to_le_bytes().to_vec();
    out.extend(0u16.to_le_bytes());
    out.extend(8u16.to_le_bytes());
    out
}

/// The payload writing `users` and `templates` (each template's uid must be
/// one of the users').
pub fn encode_usertemps(
    users: &[UserRecord],
    templates: &[FingerTemplate],
    layout: UserLayout,
) -> Result<Vec<u8>, BinaryError> {
    let mut upack = Vec::new();
    for u in users {
        upack.push(ENTRY);
        upack.extend(encode_user(u, layout)?);
    }
    let (mut table, mut fpack) = (Vec::new(), Vec::new());
    for t in templates {
        if t.finger > 9 {
            return Err(BinaryError::Encode { field: "finger", reason: "harus 0–9" });
        }
        if !users.iter().any(|u| u.uid == t.uid) {
            return Err(BinaryError::Encode { field: "uid", reason: "templat tanpa pengguna" });
        }
        let len = u16::try_from(t.template.len())
            .map_err(|_| BinaryError::Encode { field: "template", reason: "lebih dari 65535 byte" })?;
        let offset = u32::try_from(fpack.len())
            .map_err(|_| BinaryError::Encode { field: "template", reason: "terlalu banyak templat" })?;
        table.push(ENTRY);
        table.extend(t.uid.to_le_bytes());
        table.push(FINGER_BASE + t.finger);
        table.extend(offset.to_le_bytes());
        fpack.extend(len.to_le_bytes());
        fpack.extend(&t.template);
    }
    let len32 =
        |n: usize| u32::try_from(n).map_err(|_| BinaryError::Encode { field: "payload", reason: "terlalu besar" });
    let mut out = Vec::with_capacity(12 + upack.len() + table.len() + fpack.len());
    out.extend(len32(upack.len())?.to_le_bytes());
    out.extend(len32(table.len())?.to_le_bytes());
    out.extend(len32(fpack.len())?.to_le_bytes());
    out.extend(upack);
    out.extend(table);
    out.extend(fpack);
    Ok(out)
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

/// Reads a payload (what a terminal, or the emulator, does with it): the
/// user records (raw, 28 or 72 bytes each, without the entry byte) and the
/// templates. Never panics on any input.
pub fn decode_usertemps(
    payload: &[u8],
    layout: UserLayout,
) -> Result<(Vec<Vec<u8>>, Vec<FingerTemplate>), BinaryError> {
    let short = || BinaryError::TooShort { len: payload.len(), min: 12 };
    let (ulen, tlen, flen) = (
        u32_at(payload, 0).ok_or_else(short)? as usize,
        u32_at(payload, 4).ok_or_else(short)? as usize,
        u32_at(payload, 8).ok_or_else(short)? as usize,
    );
    let total = 12usize.saturating_add(ulen).saturating_add(tlen).saturating_add(flen);
    if payload.len() < total {
        return Err(BinaryError::TooShort { len: payload.len(), min: total });
    }
    let upack = &payload[12..12 + ulen];
    let table = &payload[12 + ulen..12 + ulen + tlen];
    let fpack = &payload[12 + ulen + tlen..total];
    let step = layout.size() + 1;
    if !upack.len().is_multiple_of(step) || !table.len().is_multiple_of(8) {
        return Err(BinaryError::UnknownRecordSize(ulen as u32));
    }
    let users = upack.chunks_exact(step).map(|c| c[1..].to_vec()).collect();
    let mut templates = Vec::new();
    for e in table.chunks_exact(8) {
        let bad = || BinaryError::Encode { field: "table", reason: "entri templat tidak sah" };
        let uid = u16_at(e, 1).ok_or_else(bad)?;
        let finger = e[3].checked_sub(FINGER_BASE).filter(|f| *f <= 9).ok_or_else(bad)?;
        let at = u32_at(e, 4).ok_or_else(bad)? as usize;
        let len = u16_at(fpack, at).ok_or_else(bad)? as usize;
        let bytes = fpack.get(at + 2..at + 2 + len).ok_or_else(bad)?;
        templates.push(FingerTemplate { uid, finger, valid: 1, template: bytes.to_vec() });
    }
    Ok((users, templates))
}

/// Entry head of the template table: size, uid, finger, valid.
const TABLE_HEAD: usize = 6;

/// Parses the template table read with `CMD_DB_RRQ` / `FCT_FINGERTMP` (the
/// dataset including its leading u32 total). Never panics on any input.
pub fn parse_fingertmp(dataset: &[u8]) -> Result<Vec<FingerTemplate>, BinaryError> {
    let total = u32_at(dataset, 0).ok_or(BinaryError::TooShort { len: dataset.len(), min: 4 })? as usize;
    let body = dataset
        .get(4..4usize.saturating_add(total))
        .ok_or(BinaryError::TooShort { len: dataset.len(), min: 4usize.saturating_add(total) })?;
    let mut out = Vec::new();
    let mut at = 0usize;
    while at < body.len() {
        let bad = || BinaryError::Encode { field: "fingertmp", reason: "entri templat tidak sah" };
        let size = u16_at(body, at).ok_or_else(bad)? as usize;
        if size < TABLE_HEAD {
            return Err(bad());
        }
        let entry = body.get(at..at + size).ok_or_else(bad)?;
        out.push(FingerTemplate {
            uid: u16_at(entry, 2).ok_or_else(bad)?,
            finger: entry[4],
            valid: entry[5],
            template: entry[TABLE_HEAD..].to_vec(),
        });
        at += size;
    }
    Ok(out)
}

/// The template table as a terminal sends it (the emulator's answer).
pub fn encode_fingertmp(templates: &[FingerTemplate]) -> Result<Vec<u8>, BinaryError> {
    let mut body = Vec::new();
    for t in templates {
        let size = u16::try_from(t.template.len() + TABLE_HEAD)
            .map_err(|_| BinaryError::Encode { field: "template", reason: "lebih dari 65529 byte" })?;
        body.extend(size.to_le_bytes());
        body.extend(t.uid.to_le_bytes());
        body.push(t.finger);
        body.push(t.valid);
        body.extend(&t.template);
    }
    let total =
        u32::try_from(body.len()).map_err(|_| BinaryError::Encode { field: "fingertmp", reason: "terlalu besar" })?;
    let mut out = total.to_le_bytes().to_vec();
    out.extend(body);
    Ok(out)
}

/// Data of `CMD_DELETE_USERTEMP`: the user's uid and the finger.
pub fn delete_usertemp_request(uid: u16, finger: u8) -> [u8; 3] {
    let u = uid.to_le_bytes();
    [u[0], u[1], finger]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(uid: u16, pin: &str) -> UserRecord {
        UserRecord {
            uid,
            privilege: 0,
            password: String::new(),
            name: format!("Pegawai {pin}"),
            card: 0,
            group: String::new(),
            user_id: pin.into(),
            timezone: None,
        }
    }

    #[test]
    fn a_payload_has_the_head_users_table_and_templates_in_order() {
        let users = [user(5, "3")];
        let t = [
            FingerTemplate { uid: 5, finger: 6, valid: 1, template: vec![0xAA; 3] },
            FingerTemplate { uid: 5, finger: 1, valid: 1, template: vec![0xBB; 2] },
        ];
        let p = encode_usertemps(&users, &t, UserLayout::Zk8).unwrap();
        // head: 73 bytes of users, 16 of table, (2+3)+(2+2) of templates
        assert_eq!(&p[..12], &[73, 0, 0, 0, 16, 0, 0, 0, 9, 0, 0, 0]);
        assert_eq!(p[12], 2);
        assert_eq!(&p[13..85], encode_user(&users[0], UserLayout::Zk8).unwrap().as_slice());
        assert_eq!(&p[85..93], &[2, 5, 0, 0x16, 0, 0, 0, 0]);
        assert_eq!(&p[93..101], &[2, 5, 0, 0x11, 5, 0, 0, 0]);
        assert_eq!(&p[101..], &[3, 0, 0xAA, 0xAA, 0xAA, 2, 0, 0xBB, 0xBB]);
        let (u, back) = decode_usertemps(&p, UserLayout::Zk8).unwrap();
        assert_eq!(u.len(), 1);
        assert_eq!(back, t);
        assert_eq!(save_usertemps_request(), [12, 0, 0, 0, 0, 0, 8, 0]);
    }

    #[test]
    fn refusals_and_garbage() {
        let users = [user(5, "3")];
        let orphan = [FingerTemplate { uid: 9, finger: 0, valid: 1, template: vec![1] }];
        assert!(encode_usertemps(&users, &orphan, UserLayout::Zk8).is_err());
        let finger11 = [FingerTemplate { uid: 5, finger: 11, valid: 1, template: vec![1] }];
        assert!(encode_usertemps(&users, &finger11, UserLayout::Zk8).is_err());
        let big = [FingerTemplate { uid: 5, finger: 0, valid: 1, template: vec![1; 70_000] }];
        assert!(encode_usertemps(&users, &big, UserLayout::Zk8).is_err());
        let good = encode_usertemps(
            &users,
            &[FingerTemplate { uid: 5, finger: 0, valid: 1, template: vec![7; 4] }],
            UserLayout::Zk8,
        )
        .unwrap();
        for n in 0..good.len() {
            let _ = decode_usertemps(&good[..n], UserLayout::Zk8);
            let mut bad = good.clone();
            bad[n] ^= 0xFF;
            let _ = decode_usertemps(&bad, UserLayout::Zk8);
        }
        assert!(decode_usertemps(&[0xFF; 12], UserLayout::Zk8).is_err());
    }

    #[test]
    fn the_template_table_reads_as_pyzk_unpacks_it() {
        // total 9; one entry: size 9 (6 + 3), uid 0x0102, finger 6, valid 1, bytes 'ABC'
        let ds = vec![9, 0, 0, 0, 9, 0, 2, 1, 6, 1, b'A', b'B', b'C'];
        let t = parse_fingertmp(&ds).unwrap();
        assert_eq!(t, vec![FingerTemplate { uid: 0x0102, finger: 6, valid: 1, template: b"ABC".to_vec() }]);
        assert_eq!(encode_fingertmp(&t).unwrap(), ds);
        let two = [
            FingerTemplate { uid: 1, finger: 0, valid: 3, template: vec![0x11; 5] },
            FingerTemplate { uid: 7, finger: 9, valid: 1, template: vec![0x22; 700] },
        ];
        assert_eq!(parse_fingertmp(&encode_fingertmp(&two).unwrap()).unwrap(), two);
        assert_eq!(parse_fingertmp(&[0, 0, 0, 0]).unwrap(), vec![]);
        assert_eq!(delete_usertemp_request(0x0203, 6), [3, 2, 6]);
    }

    #[test]
    fn a_broken_template_table_is_an_error_not_a_panic() {
        let good = encode_fingertmp(&[FingerTemplate { uid: 1, finger: 2, valid: 1, template: vec![9; 8] }]).unwrap();
        for n in 0..good.len() {
            assert!(parse_fingertmp(&good[..n]).is_err(), "{n} bytes");
            let mut bad = good.clone();
            bad[n] ^= 0xFF;
            let _ = parse_fingertmp(&bad);
        }
        // An entry claiming less than its head.
        assert!(parse_fingertmp(&[6, 0, 0, 0, 2, 0, 1, 0, 0, 1]).is_err());
    }
}
