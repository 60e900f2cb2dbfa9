//! Client-side contexts shared by pages.

pub mod params;
pub mod session;
