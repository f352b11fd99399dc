//! Port-4370 binary protocol: the relay (client) reads a terminal on the LAN.
//!
//! Sans-IO building blocks: encode a request with [`Packet::encode`], wrap it
//! with [`tcp_frame`] for TCP (UDP carries it bare), feed received TCP bytes
//! to a [`TcpDecoder`], decode payloads with [`Packet::decode`], and parse the
//! data of replies with the functions below. Timeouts, retries and sockets
//! are the caller's.
//!
//! Reading the attendance log:
//! 1. `CMD_CONNECT` (session 0) → reply's session id; on `CMD_ACK_UNAUTH`
//!    send `CMD_AUTH` with [`make_commkey`].
//! 2. `CMD_GET_FREE_SIZES` → [`FreeSizes::parse`] (record count).
//! 3. `_CMD_PREPARE_BUFFER` (1503) with [`prepare_attlog_request`] →
//!    [`PrepareReply::parse`]: data inline, or a size to fetch with
//!    `_CMD_READ_BUFFER` (1504, [`read_buffer_request`] for each of
//!    [`chunk_plan`]) whose replies go through a [`ChunkReader`].
//! 4. `CMD_FREE_DATA` (1502); the dataset goes to [`parse_attendance`].
//! 5. `CMD_EXIT`.

mod attendance;
mod buffer;
mod bytes;
mod commkey;
pub mod consts;
mod error;
mod event;
mod framing;
mod info;
mod packet;
mod sizes;
mod time;
mod user;
mod usertemp;

pub use attendance::{AttendanceRecord, AttendanceSet, RecordError, encode_attendance, parse_attendance};
pub use buffer::{
    ChunkProgress, ChunkReader, MAX_CHUNK_TCP, MAX_CHUNK_UDP, PrepareReply, chunk_plan, prepare_attlog_request,
    prepare_buffer_request, prepare_users_request, read_buffer_request,
};
pub use commkey::make_commkey;
pub use error::BinaryError;
pub use event::{LiveAttendance, RealtimeEvent, parse_event};
pub use framing::{DEFAULT_MAX_FRAME, TCP_MAGIC, TcpDecoder, tcp_frame};
pub use info::{delete_user_request, options_request, parse_options_reply, parse_text_reply, reg_event_request};
pub use packet::{Packet, checksum, next_reply_number};
pub use sizes::FreeSizes;
pub use time::{decode_time, decode_time_hex, encode_time, set_time_request};
pub use user::{UserLayout, UserRecord, encode_user, parse_users};
pub use usertemp::{
    CMD_SAVE_USERTEMPS, FingerTemplate, decode_usertemps, delete_usertemp_request, encode_fingertmp, encode_usertemps,
    parse_fingertmp, save_usertemps_request,
};
