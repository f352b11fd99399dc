//! User records: 28 bytes on older ("ZK6") firmware, 72 bytes on newer
//! ("ZK8"). Read with the buffered read of users; written with `CMD_USER_WRQ`.

use super::bytes::{slice_at, u8_at, u16_at, u32_at};
use super::error::BinaryError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserLayout {
    /// uid u16, privilege u8, password[5], name[8], card u32, pad, group u8,
    /// timezone u16, user_id u32.
    Zk6,
    /// uid u16, privilege u8, password[8], name[24], card u32, pad,
    /// group[7], pad, user_id[24].
    Zk8,
}

impl UserLayout {
    pub fn size(self) -> usize {
        match self {
            Self::Zk6 => 28,
            Self::Zk8 => 72,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UserRecord {
    /// The terminal's internal serial (1…65535); needed to delete a user.
    pub uid: u16,
    /// 0 user, 2 enroller, 6 manager, 14 admin.
    pub privilege: u8,
    pub password: String,
    pub name: String,
    pub card: u32,
    pub group: String,
    /// The PIN (numeric on ZK6 firmware).
    pub user_id: String,
    /// Only in the 28-byte layout.
    pub timezone: Option<u16>,
}

fn decode(rec: &[u8], layout: UserLayout) -> Option<UserRecord> {
    let text = |at, len| slice_at(rec, at, len).map(crate::util::c_string);
    Some(match layout {
        UserLayout::Zk6 => UserRecord {
            uid: u16_at(rec, 0)?,
            privilege: u8_at(rec, 2)?,
            password: text(3, 5)?,
            name: text(8, 8)?.trim().to_owned(),
            card: u32_at(rec, 16)?,
            group: u8_at(rec, 21)?.to_string(),
            timezone: Some(u16_at(rec, 22)?),
            user_id: u32_at(rec, 24)?.to_string(),
        },
        UserLayout::Zk8 => UserRecord {
            uid: u16_at(rec, 0)?,
            privilege: u8_at(rec, 2)?,
            password: text(3, 8)?,
            name: text(11, 24)?.trim().to_owned(),
            card: u32_at(rec, 35)?,
            group: text(40, 7)?.trim().to_owned(),
            timezone: None,
            user_id: text(48, 24)?,
        },
    })
}

/// Parses a users dataset (`total u32` then records) given the user count
/// from `CMD_GET_FREE_SIZES`. The layout follows from `total ÷ count`.
pub fn parse_users(dataset: &[u8], user_count: u32) -> Result<(UserLayout, Vec<UserRecord>), BinaryError> {
    let total = u32_at(dataset, 0).ok_or(BinaryError::TooShort { len: dataset.len(), min: 4 })?;
    if user_count == 0 || total == 0 {
        return Ok((UserLayout::Zk8, Vec::new()));
    }
    let layout = match total / user_count {
        28 => UserLayout::Zk6,
        72 => UserLayout::Zk8,
        other => return Err(BinaryError::UnknownRecordSize(other)),
    };
    let body = dataset.get(4..).unwrap_or_default();
    let announced = usize::try_from(total).unwrap_or(usize::MAX);
    let usable = body.get(..announced.min(body.len())).unwrap_or_default();
    let users = usable.chunks_exact(layout.size()).filter_map(|rec| decode(rec, layout)).collect();
    Ok((layout, users))
}

/// Copies `s` into a fixed-width NUL-padded field, cutting at a UTF-8
/// character boundary when it is too long (names are display-only).
fn put_text(out: &mut [u8], s: &str) {
    let mut end = s.len().min(out.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    if let (Some(dst), Some(src)) = (out.get_mut(..end), s.as_bytes().get(..end)) {
        dst.copy_from_slice(src);
    }
}

/// Fields that identify or authenticate must fit whole: refuse to cut them.
fn check_len(s: &str, max: usize, field: &'static str) -> Result<(), BinaryError> {
    if s.len() <= max && !s.bytes().any(|b| b == 0) {
        Ok(())
    } else {
        Err(BinaryError::Encode { field, reason: "terlalu panjang atau berisi NUL" })
    }
}

/// Data of `CMD_USER_WRQ` for one user. Names longer than the field are cut
/// (at a character boundary); a PIN or password that does not fit is an
/// error. On ZK6 the PIN must be a number and the group a number ≤ 255.
pub fn encode_user(user: &UserRecord, layout: UserLayout) -> Result<Vec<u8>, BinaryError> {
    let mut out = vec![0u8; layout.size()];
    let field = |out: &mut Vec<u8>, at: usize, bytes: &[u8]| {
        if let Some(dst) = out.get_mut(at..at + bytes.len()) {
            dst.copy_from_slice(bytes);
        }
    };
    field(&mut out, 0, &user.uid.to_le_bytes());
    field(&mut out, 2, &[user.privilege]);
    match layout {
        UserLayout::Zk6 => {
            check_len(&user.password, 5, "password")?;
            let user_id: u32 = user
                .user_id
                .parse()
                .map_err(|_| BinaryError::Encode { field: "user_id", reason: "harus angka pada perangkat ZK6" })?;
            let group: u8 = if user.group.is_empty() {
                0
            } else {
                user.group.parse().map_err(|_| BinaryError::Encode { field: "group", reason: "harus angka 0–255" })?
            };
            put_text(out.get_mut(3..8).unwrap_or_default(), &user.password);
            put_text(out.get_mut(8..16).unwrap_or_default(), &user.name);
            field(&mut out, 16, &user.card.to_le_bytes());
            field(&mut out, 21, &[group]);
            field(&mut out, 22, &user.timezone.unwrap_or(0).to_le_bytes());
            field(&mut out, 24, &user_id.to_le_bytes());
        }
        UserLayout::Zk8 => {
            check_len(&user.password, 8, "password")?;
            check_len(&user.user_id, 24, "user_id")?;
            check_len(&user.group, 7, "group")?;
            put_text(out.get_mut(3..11).unwrap_or_default(), &user.password);
            put_text(out.get_mut(11..35).unwrap_or_default(), &user.name);
            field(&mut out, 35, &user.card.to_le_bytes());
            put_text(out.get_mut(40..47).unwrap_or_default(), &user.group);
            put_text(out.get_mut(48..72).unwrap_or_default(), &user.user_id);
        }
    }
    Ok(out)
}
