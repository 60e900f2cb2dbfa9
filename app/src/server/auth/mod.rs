//! Authentication: password hashing, the axum-login backend, the sign-in throttle, the
//! known-device cookie and the database-backed session store.

pub mod backend;
pub mod device;
pub mod password;
pub mod session_store;
pub mod throttle;
