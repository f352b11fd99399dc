//! Authentication (passwords, tokens, login throttling) and authorisation (roles and unit scope).

mod caller;
mod limiter;
pub mod password;
pub mod token;

pub use caller::Caller;
pub use limiter::LoginLimiter;
