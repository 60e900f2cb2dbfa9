//! Berth's product code, built twice: with `ssr` into the server, with `hydrate` into the browser
//! bundle. Domain rules, server functions, pages and components live here.

#![recursion_limit = "256"]

pub mod api;
pub mod app;
pub mod components;
pub mod domain;
pub mod error;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod server;
pub mod state;
