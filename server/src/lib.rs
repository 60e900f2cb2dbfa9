//! The `berth` binary's library: command line, start-up, the HTTP router and the client
//! commands. Integration tests
//! build an [`startup::Application`] the same way `berth serve` does.

pub mod cli;
pub mod client;
pub mod kcr;
pub mod routes;
pub mod startup;
pub mod static_files;
pub mod telemetry;
