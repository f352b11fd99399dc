//! `pushver`: the PUSH protocol version a terminal speaks (Appendix 6).

/// A `pushver` value such as `2.4.1`. Kept raw for logging; the numeric parts
/// are parsed leniently (`None` when a part is missing or not a number).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushVersion {
    pub raw: String,
    pub major: Option<u32>,
    pub minor: Option<u32>,
    pub patch: Option<u32>,
}

impl PushVersion {
    pub fn parse(raw: &str) -> Self {
        let raw = crate::util::excerpt(raw.trim(), 32);
        let mut parts = raw.split('.').map(|p| {
            // Some firmware appends text ("2.4.1-beta"): take leading digits.
            let digits: String = p.chars().take_while(char::is_ascii_digit).collect();
            digits.parse::<u32>().ok()
        });
        let major = parts.next().flatten();
        let minor = parts.next().flatten();
        let patch = parts.next().flatten();
        Self { raw, major, minor, patch }
    }

    /// "Security PUSH" (3.x) terminals use `/iclock/registry` and
    /// `/iclock/push` with a different handshake; detect them to log clearly.
    pub fn is_security_push(&self) -> bool {
        self.major.is_some_and(|m| m >= 3)
    }
}

impl std::fmt::Display for PushVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        let v = PushVersion::parse("2.2.14");
        assert_eq!((v.major, v.minor, v.patch), (Some(2), Some(2), Some(14)));
        assert!(!v.is_security_push());
        assert!(PushVersion::parse("3.1.2").is_security_push());
        assert!(PushVersion::parse("10").is_security_push());
        assert!(!PushVersion::parse("abc").is_security_push());
        assert_eq!(PushVersion::parse("2.4.1-beta").patch, Some(1));
    }
}
