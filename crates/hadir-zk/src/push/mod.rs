//! PUSH/ADMS: the terminal is the HTTP client and polls the server.
//!
//! The server's endpoints hand this module the raw query string and the raw
//! body; nothing here knows about HTTP crates. Flow of a terminal:
//!
//! 1. `GET /iclock/cdata?SN=…&options=all[&pushver=…]` → [`CdataRequest::Handshake`],
//!    answered with [`handshake_reply`].
//! 2. `POST /iclock/cdata?SN=…&table=ATTLOG|OPERLOG|ATTPHOTO|options` →
//!    [`CdataRequest::Upload`], bodies parsed by [`parse_attlog`],
//!    [`parse_operlog`], [`split_attphoto`], [`parse_options`]; reply
//!    [`reply_ok_count`] / [`REPLY_OK`].
//! 3. `GET /iclock/getrequest?SN=…[&INFO=…]` → [`GetRequest`], answered with
//!    [`getrequest_reply`] over queued [`Command`]s.
//! 4. `POST /iclock/devicecmd?SN=…` → [`DeviceCmdRequest`], body parsed by
//!    [`parse_devicecmd`]; reply [`REPLY_OK`].

mod attlog;
mod command;
mod devicecmd;
mod error;
mod handshake;
mod operlog;
mod photo;
mod query;
mod reply;
mod template;
mod version;

pub(crate) use attlog::valid_pin as attlog_valid_pin;
pub use attlog::{AttLogBatch, AttLogRecord, parse_attlog};
pub use command::{Command, CommandError, CommandId, UserUpdate, getrequest_reply, sanitize_field};
pub use devicecmd::{CommandResult, DeviceCmdBatch, parse_devicecmd, return_code_meaning};
pub use error::{LineError, LineErrorKind, PushError};
pub use handshake::{HandshakeConfig, TimeZoneOption, TransFlags, handshake_reply};
pub use operlog::{KeyValues, OpLog, OperLogBatch, OperLogEntry, OperLogLine, UserInfo, parse_operlog, parse_options};
pub use photo::{AttPhoto, split_attphoto};
pub use query::{
    CdataRequest, DeviceCmdRequest, DeviceInfo, GetRequest, Handshake, Query, Table, Upload, percent_decode,
};
pub use reply::{REPLY_OK, http_date, reply_ok_count};
pub use template::{BioTemplate, MAX_TEMPLATE_CHARS, TemplateKind};
pub use version::PushVersion;
