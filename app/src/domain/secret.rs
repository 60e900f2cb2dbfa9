//! `PasswordInput`: a password on its way from a form to the server. It must cross the wire once,
//! so it (de)serializes, but it never prints: `Debug` is redacted and there is no `Display`.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A password as typed into a form.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PasswordInput(String);

impl From<String> for PasswordInput {
    fn from(password: String) -> Self {
        Self(password)
    }
}

impl PasswordInput {
    /// The password text, for checking and hashing only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Moves the password into a zeroising secret.
    #[cfg(feature = "ssr")]
    pub fn into_secret(self) -> secrecy::SecretString {
        secrecy::SecretString::from(self.0)
    }
}

impl From<&str> for PasswordInput {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl fmt::Debug for PasswordInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_password() {
        let p = PasswordInput::from("hunter2-but-longer");
        assert_eq!(format!("{p:?}"), "[redacted]");
    }
}
