//! Small request payloads and text replies (serial number, firmware, …).

/// Data of `CMD_OPTIONS_RRQ`: the option name NUL-terminated, e.g.
/// `~SerialNumber`, `~Platform`, `~DeviceName`, `MAC`.
pub fn options_request(name: &str) -> Vec<u8> {
    let mut out: Vec<u8> = name.bytes().filter(|&b| b != 0).collect();
    out.push(0);
    out
}

/// Reply of `CMD_OPTIONS_RRQ`: `key=value\0…` → `(key, value)`.
pub fn parse_options_reply(data: &[u8]) -> Option<(String, String)> {
    let text = crate::util::c_string(data);
    let (k, v) = text.split_once('=')?;
    Some((k.trim().to_owned(), v.trim().to_owned()))
}

/// Reply text up to the first NUL (e.g. `CMD_GET_VERSION` → `Ver 6.60 Apr 28 2017`).
pub fn parse_text_reply(data: &[u8]) -> String {
    crate::util::c_string(data).trim().to_owned()
}

/// Data of `CMD_DELETE_USER`: the internal uid (not the PIN).
pub fn delete_user_request(uid: u16) -> [u8; 2] {
    uid.to_le_bytes()
}

/// Data of `CMD_REG_EVENT`: which events to receive (`EF_*` flags; 0 stops).
pub fn reg_event_request(flags: u32) -> [u8; 4] {
    flags.to_le_bytes()
}
