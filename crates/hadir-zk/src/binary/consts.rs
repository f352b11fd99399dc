//! Command and reply codes (after pyzk's `const.py` and ZKTeco's SDK).

pub const CMD_DB_RRQ: u16 = 7;
/// Write one user (28- or 72-byte record).
pub const CMD_USER_WRQ: u16 = 8;
pub const CMD_USERTEMP_RRQ: u16 = 9;
pub const CMD_USERTEMP_WRQ: u16 = 10;
/// Read an option, e.g. `~SerialNumber\0`.
pub const CMD_OPTIONS_RRQ: u16 = 11;
pub const CMD_OPTIONS_WRQ: u16 = 12;
pub const CMD_ATTLOG_RRQ: u16 = 13;
pub const CMD_CLEAR_DATA: u16 = 14;
pub const CMD_CLEAR_ATTLOG: u16 = 15;
pub const CMD_DELETE_USER: u16 = 18;
pub const CMD_DELETE_USERTEMP: u16 = 19;
pub const CMD_CLEAR_ADMIN: u16 = 20;
pub const CMD_UNLOCK: u16 = 31;
pub const CMD_CLEAR_OPLOG: u16 = 33;
pub const CMD_OPLOG_RRQ: u16 = 34;
/// Counts and capacities (users, fingerprints, records, …).
pub const CMD_GET_FREE_SIZES: u16 = 50;
pub const CMD_ENABLE_CLOCK: u16 = 57;
pub const CMD_STARTVERIFY: u16 = 60;
pub const CMD_STARTENROLL: u16 = 61;
pub const CMD_CANCELCAPTURE: u16 = 62;
pub const CMD_STATE_RRQ: u16 = 64;
pub const CMD_WRITE_LCD: u16 = 66;
pub const CMD_CLEAR_LCD: u16 = 67;
pub const CMD_GET_PINWIDTH: u16 = 69;
pub const CMD_DOORSTATE_RRQ: u16 = 75;
pub const CMD_GET_TIME: u16 = 201;
pub const CMD_SET_TIME: u16 = 202;
/// Register for real-time events; also the command of event packets, whose
/// session field then carries the event code.
pub const CMD_REG_EVENT: u16 = 500;

pub const CMD_CONNECT: u16 = 1000;
pub const CMD_EXIT: u16 = 1001;
pub const CMD_ENABLEDEVICE: u16 = 1002;
pub const CMD_DISABLEDEVICE: u16 = 1003;
pub const CMD_RESTART: u16 = 1004;
pub const CMD_POWEROFF: u16 = 1005;
pub const CMD_SLEEP: u16 = 1006;
pub const CMD_RESUME: u16 = 1007;
pub const CMD_CAPTUREFINGER: u16 = 1009;
pub const CMD_TEST_TEMP: u16 = 1011;
pub const CMD_CAPTUREIMAGE: u16 = 1012;
/// Make the terminal reload its data after writes/deletes.
pub const CMD_REFRESHDATA: u16 = 1013;
pub const CMD_REFRESHOPTION: u16 = 1014;
pub const CMD_TESTVOICE: u16 = 1017;
pub const CMD_GET_VERSION: u16 = 1100;
pub const CMD_CHANGE_SPEED: u16 = 1101;
/// Authenticate with the scrambled comm key.
pub const CMD_AUTH: u16 = 1102;
/// Buffered read family.
pub const CMD_PREPARE_DATA: u16 = 1500;
pub const CMD_DATA: u16 = 1501;
pub const CMD_FREE_DATA: u16 = 1502;
pub const CMD_PREPARE_BUFFER: u16 = 1503;
pub const CMD_READ_BUFFER: u16 = 1504;

pub const CMD_ACK_OK: u16 = 2000;
pub const CMD_ACK_ERROR: u16 = 2001;
pub const CMD_ACK_DATA: u16 = 2002;
pub const CMD_ACK_RETRY: u16 = 2003;
pub const CMD_ACK_REPEAT: u16 = 2004;
pub const CMD_ACK_UNAUTH: u16 = 2005;
pub const CMD_ACK_UNKNOWN: u16 = 0xffff;
pub const CMD_ACK_ERROR_CMD: u16 = 0xfffd;
pub const CMD_ACK_ERROR_INIT: u16 = 0xfffc;
pub const CMD_ACK_ERROR_DATA: u16 = 0xfffb;

/// Real-time event flags for `CMD_REG_EVENT` (and event codes in the session
/// field of event packets).
pub const EF_ATTLOG: u32 = 1;
pub const EF_FINGER: u32 = 1 << 1;
pub const EF_ENROLLUSER: u32 = 1 << 2;
pub const EF_ENROLLFINGER: u32 = 1 << 3;
pub const EF_BUTTON: u32 = 1 << 4;
pub const EF_UNLOCK: u32 = 1 << 5;
pub const EF_VERIFY: u32 = 1 << 7;
pub const EF_FPFTR: u32 = 1 << 8;
pub const EF_ALARM: u32 = 1 << 9;

/// `fct` argument of the buffered read for users.
pub const FCT_USER: i32 = 5;
pub const FCT_ATTLOG: i32 = 1;
pub const FCT_FINGERTMP: i32 = 2;
pub const FCT_OPLOG: i32 = 4;

pub const USER_DEFAULT: u8 = 0;
pub const USER_ENROLLER: u8 = 2;
pub const USER_MANAGER: u8 = 6;
pub const USER_ADMIN: u8 = 14;
