//! Authentication (passwords, tokens, login throttling) and authorisation (roles and unit scope).

mod caller;
mod limiter;
pub mod password;
pub mod token;

pub use caller::{Caller, SESSION_COOKIE};
pub use limiter::LoginLimiter;
