//! Small reply bodies and the `Date:` header terminals set their clock from.

/// Reply to the handshake-less endpoints: devicecmd, ping, options, ATTPHOTO,
/// getrequest with nothing queued.
pub const REPLY_OK: &str = "OK";

/// `OK:<n>` for ATTLOG/OPERLOG uploads (`n` records accepted). Anything else
/// is read as an error and the terminal retries later.
pub fn reply_ok_count(n: usize) -> String {
    format!("OK:{n}")
}

/// The `Date:` header value (`Fri, 03 Jul 2015 06:53:01 GMT`). Terminals set
/// their clock from it together with the `TimeZone` option.
pub fn http_date(now: jiff::Timestamp) -> String {
    jiff::fmt::rfc2822::DateTimePrinter::new()
        .timestamp_to_rfc9110_string(&now)
        // Only fails for years beyond 9999, which a clock never shows;
        // fall back to the epoch rather than panic.
        .unwrap_or_else(|_| "Thu, 01 Jan 1970 00:00:00 GMT".to_owned())
}
