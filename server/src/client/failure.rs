//! What a client command's failure means, as an exit code a script can act on (listed in
//! the README and in `berth --help`).

/// Exit codes of the client commands.
pub mod exit {
    /// Anything else (a local file that cannot be written, ...).
    pub const OTHER: u8 = 1;
    /// Wrong use: a missing argument, no project chosen, no terminal to confirm on.
    pub const USAGE: u8 = 2;
    /// Not logged in, or the token is no longer valid (401).
    pub const UNAUTHENTICATED: u8 = 3;
    /// The role or the token's scopes do not allow it (403).
    pub const FORBIDDEN: u8 = 4;
    /// No such project or credential (404).
    pub const NOT_FOUND: u8 = 5;
    /// The input was refused (400, 409, 422): the message says why.
    pub const INVALID: u8 = 6;
    /// The server cannot be reached, or failed (5xx), or asks to wait (429).
    pub const UNAVAILABLE: u8 = 7;
    /// `check-credentials`: the credentials did not work (the message says at which step).
    pub const CHECK_FAILED: u8 = 8;
}

/// A failure with its exit code and a message for a person.
#[derive(Debug)]
pub struct Failure {
    pub exit: u8,
    pub message: String,
}

impl Failure {
    pub fn new(exit: u8, message: impl Into<String>) -> Self {
        Self {
            exit,
            message: message.into(),
        }
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(exit::USAGE, message)
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

/// The exit code of an error from a client command.
pub fn exit_code(err: &anyhow::Error) -> u8 {
    err.downcast_ref::<Failure>()
        .map_or(exit::OTHER, |f| f.exit)
}
