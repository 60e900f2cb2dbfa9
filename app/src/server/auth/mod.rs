//! Authentication: password hashing, the axum-login backend, the sign-in throttle, the
//! known-device cookie, the database-backed session store and bearer tokens.

pub mod backend;
pub mod bearer;
pub mod device;
pub mod device_login;
pub mod password;
pub mod session_store;
pub mod throttle;
