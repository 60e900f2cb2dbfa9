//! Client-side contexts shared by pages.

pub mod session;
