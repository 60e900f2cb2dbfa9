//! HTTP plumbing around the server functions and pages: what a request carries (`request`),
//! the middleware layers, security headers, the host check, a failed form's kept input, a
//! check's result carried to the page a plain post returns to, and the pull-secret download.

pub mod check_result;
pub mod form_input;
pub mod headers;
pub mod host_check;
pub mod middleware;
pub mod pull_secret_download;
pub mod request;
