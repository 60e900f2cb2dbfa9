//! Berth's product code, built twice: with `ssr` into the server, with `hydrate` into the browser
//! bundle. Domain rules, server functions, pages and components live here.

// The view types of the larger pages nest deeper than the default limit allows.
#![recursion_limit = "512"]

pub mod api;
pub mod app;
pub mod components;
pub mod domain;
pub mod error;
#[cfg(all(test, feature = "ssr"))]
mod layering;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod server;
pub mod state;
