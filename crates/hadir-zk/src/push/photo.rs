//! `POST /iclock/cdata?table=ATTPHOTO`: a text header, a NUL, then the JPEG.

use jiff::civil::DateTime;

use super::error::PushError;

/// Header fields of one attendance photo plus its image bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttPhoto<'a> {
    /// `PIN=` holds the photo's file name, e.g. `20150731103012-123.jpg`
    /// (time, then the user's PIN when the punch was recognised).
    pub file_name: String,
    pub sn: Option<String>,
    /// Size claimed by the terminal (not trusted; compare with `jpeg.len()`).
    pub size: Option<u64>,
    pub cmd: Option<String>,
    pub jpeg: &'a [u8],
}

impl AttPhoto<'_> {
    /// Time and PIN encoded in the file name (`YYYYMMDDhhmmss[-PIN].jpg`).
    pub fn time_and_pin(&self) -> (Option<DateTime>, Option<String>) {
        let stem = self.file_name.rsplit_once('.').map_or(self.file_name.as_str(), |(s, _)| s);
        let (stamp, pin) = match stem.split_once('-') {
            Some((t, p)) => (t, Some(p.to_owned()).filter(|p| !p.is_empty())),
            None => (stem, None),
        };
        let time = (stamp.len() == 14 && stamp.bytes().all(|b| b.is_ascii_digit()))
            .then(|| {
                // All-ASCII digits, so byte slicing below is on char boundaries.
                let part = |a: usize, b: usize| stamp.get(a..b).unwrap_or_default();
                format!(
                    "{}-{}-{} {}:{}:{}",
                    part(0, 4),
                    part(4, 6),
                    part(6, 8),
                    part(8, 10),
                    part(10, 12),
                    part(12, 14)
                )
            })
            .and_then(|s| crate::util::parse_civil(&s));
        (time, pin)
    }
}

/// Splits an ATTPHOTO body at the first NUL and parses the header
/// (`PIN=…`, `SN=…`, `size=…`, `CMD=uploadphoto`, separated by LF/CRLF).
pub fn split_attphoto(body: &[u8]) -> Result<AttPhoto<'_>, PushError> {
    let nul = body.iter().position(|&b| b == 0).ok_or(PushError::PhotoMissingNul)?;
    let (header, rest) = body.split_at(nul);
    let jpeg = rest.get(1..).unwrap_or_default();
    let header = String::from_utf8_lossy(header);
    let mut photo = AttPhoto { file_name: String::new(), sn: None, size: None, cmd: None, jpeg };
    for line in header.split(['\n', '\r']) {
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let v = crate::util::excerpt(v.trim(), 128);
        match k.trim().to_ascii_uppercase().as_str() {
            "PIN" => photo.file_name = v,
            "SN" => photo.sn = Some(v),
            "SIZE" => photo.size = v.parse().ok(),
            "CMD" => photo.cmd = Some(v),
            _ => {}
        }
    }
    if photo.file_name.is_empty() {
        return Err(PushError::PhotoMissingPin);
    }
    Ok(photo)
}
