//! The reply to the handshake `GET /iclock/cdata?SN=…&options=all`.

use std::fmt::Write as _;

use super::command::sanitize_field;
use super::query::Handshake;

/// Which data the terminal uploads on its own (`TransFlag`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransFlags {
    pub att_log: bool,
    pub op_log: bool,
    pub att_photo: bool,
    pub enroll_user: bool,
    pub chg_user: bool,
    pub enroll_fp: bool,
    pub chg_fp: bool,
    pub fp_image: bool,
    pub face: bool,
    pub user_pic: bool,
    pub work_code: bool,
    pub bio_photo: bool,
}

impl Default for TransFlags {
    /// Punches and user/fingerprint changes; no photos (bandwidth on rural
    /// links, and we do not store them yet).
    fn default() -> Self {
        Self {
            att_log: true,
            op_log: true,
            att_photo: false,
            enroll_user: true,
            chg_user: true,
            enroll_fp: true,
            chg_fp: true,
            fp_image: false,
            face: false,
            user_pic: false,
            work_code: false,
            bio_photo: false,
        }
    }
}

impl TransFlags {
    /// Format II (`TransData AttLog\tOpLog…`), for PUSH ≥ 2.2.14 terminals.
    pub fn format_ii(&self) -> String {
        let named = [
            (self.att_log, "AttLog"),
            (self.op_log, "OpLog"),
            (self.att_photo, "AttPhoto"),
            (self.enroll_user, "EnrollUser"),
            (self.chg_user, "ChgUser"),
            (self.enroll_fp, "EnrollFP"),
            (self.chg_fp, "ChgFP"),
            (self.fp_image, "FPImag"),
            (self.face, "FACE"),
            (self.user_pic, "UserPic"),
            (self.work_code, "WORKCODE"),
            (self.bio_photo, "BioPhoto"),
        ];
        let list: Vec<&str> = named.iter().filter(|(on, _)| *on).map(|(_, n)| *n).collect();
        format!("TransData {}", list.join("\t"))
    }

    /// Format I (one digit per data type, protocol order), for old firmware
    /// that predates format II; ten digits as ZKTeco's own server sent.
    pub fn format_i(&self) -> String {
        [
            self.att_log,
            self.op_log,
            self.att_photo,
            self.enroll_fp,
            self.enroll_user,
            self.fp_image,
            self.chg_user,
            self.chg_fp,
            self.face,
            self.user_pic,
        ]
        .iter()
        .map(|&on| if on { '1' } else { '0' })
        .collect()
    }
}

/// The `TimeZone` option: whole hours for −12…12, minutes beyond ±60 (so
/// half- and quarter-hour zones can be expressed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeZoneOption(pub i32);

impl TimeZoneOption {
    /// From a UTC offset in seconds: hours when whole, minutes otherwise.
    /// WIB/WITA/WIT are +7/+8/+9.
    pub fn from_offset_seconds(secs: i32) -> Self {
        if secs % 3600 == 0 { Self(secs / 3600) } else { Self(secs / 60) }
    }
}

/// Everything the server tells a terminal at handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandshakeConfig {
    /// Upload marks the server recorded; 0 makes the terminal resend all.
    pub attlog_stamp: u64,
    pub operlog_stamp: u64,
    pub attphoto_stamp: u64,
    /// Seconds before reconnecting after a network failure (30–300).
    pub error_delay_secs: u32,
    /// Seconds between command polls (2–60).
    pub delay_secs: u32,
    /// `HH:MM;HH:MM` times of day to check for new data.
    pub trans_times: String,
    /// Minutes between checks for new data (0 = never).
    pub trans_interval_min: u32,
    pub trans_flags: TransFlags,
    pub time_zone: TimeZoneOption,
    /// Upload each record as it happens.
    pub realtime: bool,
    /// We never encrypt; `true` only exists to mirror the option.
    pub encrypt: bool,
    pub server_ver: String,
    pub push_prot_ver: String,
}

impl Default for HandshakeConfig {
    fn default() -> Self {
        Self {
            attlog_stamp: 0,
            operlog_stamp: 0,
            attphoto_stamp: 0,
            error_delay_secs: 60,
            delay_secs: 30,
            trans_times: "00:00;14:05".to_owned(),
            trans_interval_min: 1,
            trans_flags: TransFlags::default(),
            time_zone: TimeZoneOption(7),
            realtime: true,
            encrypt: false,
            server_ver: "2.4.1".to_owned(),
            push_prot_ver: "2.4.1".to_owned(),
        }
    }
}

/// Builds the handshake reply body: `GET OPTION FROM: <SN>` then one
/// `key=value` per line, LF-terminated (as ZKTeco's server does).
///
/// With `pushver` the stamps are `ATTLOGStamp`/`OPERLOGStamp`/`ATTPHOTOStamp`,
/// `TransFlag` uses format II and `ServerVer`/`PushProtVer` are sent; without
/// it, old firmware gets `Stamp`/`OpStamp`/`PhotoStamp`, format I and
/// `Encrypt=0`, exactly like ZKTeco's `devview.py`.
pub fn handshake_reply(req: &Handshake, cfg: &HandshakeConfig) -> String {
    let new_style = req.new_style();
    let (att, op, photo) =
        if new_style { ("ATTLOGStamp", "OPERLOGStamp", "ATTPHOTOStamp") } else { ("Stamp", "OpStamp", "PhotoStamp") };
    let trans_flag = if new_style { cfg.trans_flags.format_ii() } else { cfg.trans_flags.format_i() };
    let encrypt = match (cfg.encrypt, new_style) {
        (true, _) => "1",
        (false, true) => "None",
        (false, false) => "0",
    };
    let mut s = String::with_capacity(320);
    // `write!` to a String cannot fail; ignoring the Result is safe.
    let _ = writeln!(s, "GET OPTION FROM: {}", req.sn);
    let _ = writeln!(s, "{att}={}", cfg.attlog_stamp);
    let _ = writeln!(s, "{op}={}", cfg.operlog_stamp);
    let _ = writeln!(s, "{photo}={}", cfg.attphoto_stamp);
    let _ = writeln!(s, "ErrorDelay={}", cfg.error_delay_secs);
    let _ = writeln!(s, "Delay={}", cfg.delay_secs);
    let _ = writeln!(s, "TransTimes={}", sanitize_field(&cfg.trans_times));
    let _ = writeln!(s, "TransInterval={}", cfg.trans_interval_min);
    // The tabs inside format II are part of the value; no other control
    // characters can appear since the names are fixed.
    let _ = writeln!(s, "TransFlag={trans_flag}");
    let _ = writeln!(s, "TimeZone={}", cfg.time_zone.0);
    let _ = writeln!(s, "Realtime={}", u8::from(cfg.realtime));
    let _ = writeln!(s, "Encrypt={encrypt}");
    if new_style {
        let _ = writeln!(s, "ServerVer={}", sanitize_field(&cfg.server_ver));
        let _ = writeln!(s, "PushProtVer={}", sanitize_field(&cfg.push_prot_ver));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_zone_units() {
        assert_eq!(TimeZoneOption::from_offset_seconds(7 * 3600), TimeZoneOption(7));
        assert_eq!(TimeZoneOption::from_offset_seconds(-5 * 3600), TimeZoneOption(-5));
        assert_eq!(TimeZoneOption::from_offset_seconds(19800), TimeZoneOption(330));
        assert_eq!(TimeZoneOption::from_offset_seconds(20700), TimeZoneOption(345));
    }

    #[test]
    fn trans_flag_formats() {
        let f = TransFlags::default();
        assert_eq!(f.format_ii(), "TransData AttLog\tOpLog\tEnrollUser\tChgUser\tEnrollFP\tChgFP");
        assert_eq!(f.format_i(), "1101101100");
    }
}
