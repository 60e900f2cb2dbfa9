//! HTTP plumbing around the server functions and pages: what a request carries (`request`),
//! the middleware layers, security headers, the host check, a failed form's kept input, a
//! check's result carried to the page a plain post returns to, a new token carried to the page
//! that shows it once, and the pull-secret download.

pub mod check_result;
pub mod form_input;
pub mod headers;
pub mod host_check;
pub mod middleware;
pub mod new_token;
pub mod pull_secret_download;
pub mod render_context;
pub mod request;
