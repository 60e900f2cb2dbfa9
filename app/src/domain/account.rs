//! Account rules: email addresses, display names and the password policy, plus the signed-in user
//! as the browser sees it.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::{namespace::NamespaceName, secret::PasswordInput};
use crate::error::FieldErrors;

/// Shortest password accepted, in characters.
pub const PASSWORD_MIN_CHARS: usize = 12;
/// Longest password accepted, in characters (bounds the hashing work an attacker can ask for).
pub const PASSWORD_MAX_CHARS: usize = 1024;
/// Longest email address (RFC 5321 path limit).
pub const EMAIL_MAX_LEN: usize = 254;
/// Longest display name, in characters.
pub const DISPLAY_NAME_MAX_CHARS: usize = 100;

/// A syntactically valid email address, stored lowercased so that uniqueness ignores case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email(String);

impl Email {
    /// Checks `input` and says what is wrong in plain words.
    pub fn parse(input: &str) -> Result<Self, String> {
        let email = input.trim();
        if email.is_empty() {
            return Err("Enter an email address.".into());
        }
        if email.len() > EMAIL_MAX_LEN {
            return Err(format!("Use at most {EMAIL_MAX_LEN} characters."));
        }
        if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("An email address has no spaces.".into());
        }
        if email.chars().any(is_invisible_or_bidi) {
            return Err(
                "An email address has no invisible or text-direction characters (like U+200B or U+202E)."
                    .into(),
            );
        }
        let Some((local, domain)) = email.rsplit_once('@') else {
            return Err("An email address has an @, as in name@example.com.".into());
        };
        if local.is_empty() || local.len() > 64 || local.contains('@') {
            return Err("The part before the @ is not valid.".into());
        }
        if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
            return Err(
                "The part before the @ cannot start or end with a dot, or have two in a row."
                    .into(),
            );
        }
        let labels: Vec<&str> = domain.split('.').collect();
        let label_ok = |l: &&str| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        };
        if labels.len() < 2 || !labels.iter().all(label_ok) {
            return Err("The part after the @ must be a domain, as in example.com.".into());
        }
        Ok(Self(email.to_lowercase()))
    }

    /// The address as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A display name: 1–100 characters, no control characters, surrounding space trimmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisplayName(String);

impl DisplayName {
    /// Checks `input` and says what is wrong in plain words.
    pub fn parse(input: &str) -> Result<Self, String> {
        let name = input.trim();
        if name.is_empty() {
            return Err("Enter the name people will see.".into());
        }
        if name.chars().count() > DISPLAY_NAME_MAX_CHARS {
            return Err(format!("Use at most {DISPLAY_NAME_MAX_CHARS} characters."));
        }
        if name.chars().any(char::is_control) {
            return Err("Control characters are not allowed.".into());
        }
        if let Some(c) = name.chars().find(|c| is_invisible_or_bidi(*c)) {
            return Err(format!(
                "Invisible and text-direction characters are not allowed (found U+{:04X}).",
                u32::from(c)
            ));
        }
        Ok(Self(name.to_owned()))
    }

    /// Like [`DisplayName::parse`], but a blank input means `name` (the username or
    /// organization name): the display name is optional on the forms. `None` when blank and
    /// there is no valid name to fall back on (its own field says why).
    pub fn parse_or(input: &str, name: Option<&NamespaceName>) -> Option<Result<Self, String>> {
        match name {
            _ if !input.trim().is_empty() => Some(Self::parse(input)),
            Some(name) => Some(Ok(Self(name.as_str().to_owned()))),
            None => None,
        }
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Characters that show nothing or reorder what follows: a name made with them can pass for
/// another (`adm\u{200B}in`) or flip the text after it (U+202E). Zero-width spaces, joiners
/// and marks, bidirectional embeddings, overrides and isolates, the word joiner family and
/// the byte-order mark.
pub fn is_invisible_or_bidi(c: char) -> bool {
    is_bidi_control(c)
        || matches!(
            c,
            '\u{00AD}' | '\u{180E}' | '\u{200B}'..='\u{200D}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}'
        )
}

/// Characters that change the direction of the text around them: the Arabic letter mark, the
/// left-to-right and right-to-left marks, embeddings, overrides and isolates. In free text
/// (a description) they can make what follows read backwards ("Trojan Source").
pub fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// Checks a new password against the policy: 12–1,024 characters, not the username or the email.
pub fn check_password(password: &str, username: &str, email: &str) -> Result<(), String> {
    let chars = password.chars().count();
    if chars < PASSWORD_MIN_CHARS {
        return Err(format!(
            "Use at least {PASSWORD_MIN_CHARS} characters ({chars} so far)."
        ));
    }
    if chars > PASSWORD_MAX_CHARS {
        return Err(format!("Use at most {PASSWORD_MAX_CHARS} characters."));
    }
    let lowered = password.to_lowercase();
    if lowered == username.trim().to_lowercase() {
        return Err("The password cannot be your username.".into());
    }
    if lowered == email.trim().to_lowercase() {
        return Err("The password cannot be your email address.".into());
    }
    Ok(())
}

/// The names of the account forms' fields: the page's inputs, the server functions' arguments
/// and the keys of their errors.
pub mod field {
    /// Email address.
    pub const EMAIL: &str = "email";
    /// Username.
    pub const USERNAME: &str = "username";
    /// The name shown to people.
    pub const DISPLAY_NAME: &str = "display_name";
    /// Password (sign-up and sign-in).
    pub const PASSWORD: &str = "password";
    /// Username or email address, at sign-in.
    pub const LOGIN: &str = "login";
    /// The current password, when changing it.
    pub const CURRENT_PASSWORD: &str = "current_password";
    /// The new password, when changing it.
    pub const NEW_PASSWORD: &str = "new_password";
}

/// A new account, read from the sign-up form.
#[derive(Clone, Debug)]
pub struct SignUpForm {
    pub email: Email,
    pub username: NamespaceName,
    /// The name shown to people.
    pub display_name: DisplayName,
    /// The password (policy checked).
    pub password: PasswordInput,
}

impl SignUpForm {
    /// Reads the form; the password policy sees the username and email.
    pub fn parse(
        email: &str,
        username: &str,
        display_name: &str,
        password: PasswordInput,
    ) -> Result<Self, FieldErrors> {
        let mut errs = FieldErrors::new();
        let email = errs.check(field::EMAIL, Email::parse(email));
        let username = errs.check(field::USERNAME, NamespaceName::parse(username));
        let display_name = DisplayName::parse_or(display_name, username.as_ref())
            .and_then(|d| errs.check(field::DISPLAY_NAME, d));
        errs.check(
            field::PASSWORD,
            check_password(
                password.expose(),
                username
                    .as_ref()
                    .map(NamespaceName::as_str)
                    .unwrap_or_default(),
                email.as_ref().map(Email::as_str).unwrap_or_default(),
            ),
        );
        errs.finish()?;
        match (email, username, display_name) {
            (Some(email), Some(username), Some(display_name)) => Ok(Self {
                email,
                username,
                display_name,
                password,
            }),
            _ => Err(FieldErrors::one(field::EMAIL, "The form is incomplete.")),
        }
    }
}

/// A sign-in, read from its form: both fields present, neither longer than any account's
/// (so an absurd one costs neither a throttle row nor a hash).
#[derive(Clone, Debug)]
pub struct SignInForm {
    /// Username or email, trimmed.
    pub login: String,
    pub password: PasswordInput,
}

impl SignInForm {
    /// Reads the form.
    pub fn parse(login: &str, password: PasswordInput) -> Result<Self, FieldErrors> {
        let mut errs = FieldErrors::new();
        let login = login.trim();
        if login.is_empty() {
            errs.insert(field::LOGIN, "Enter your email address or username.");
        } else if login.chars().count() > EMAIL_MAX_LEN {
            errs.insert(
                field::LOGIN,
                format!("Usernames and email addresses have at most {EMAIL_MAX_LEN} characters."),
            );
        }
        if password.expose().is_empty() {
            errs.insert(field::PASSWORD, "Enter your password.");
        } else if password.expose().chars().count() > PASSWORD_MAX_CHARS {
            errs.insert(
                field::PASSWORD,
                format!("Passwords have at most {PASSWORD_MAX_CHARS} characters."),
            );
        }
        errs.finish()?;
        Ok(Self {
            login: login.to_owned(),
            password,
        })
    }
}

/// The signed-in user, as the header and pages see it. Holds nothing secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionUser {
    /// The account's ID.
    pub id: Uuid,
    /// The username (a namespace name).
    pub username: String,
    /// The name shown to people.
    pub display_name: String,
    /// The sign-in email address.
    pub email: String,
    /// Whether this account administers the whole instance (the first account).
    pub is_instance_admin: bool,
    /// Invitations waiting for an answer.
    pub pending_invitations: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_follow_the_address_rules() {
        let cases: &[(&str, bool)] = &[
            ("a@example.com", true),
            ("First.Last+tag@Example.COM", true),
            ("x@sub.example.co.uk", true),
            ("user@bücher.de", true),
            ("", false),
            ("plainaddress", false),
            ("@example.com", false),
            ("a@", false),
            ("a@localhost", false),
            ("a@-example.com", false),
            ("a@example-.com", false),
            ("a@exa_mple.com", false),
            ("a b@example.com", false),
            ("a@@example.com", false),
            (".a@example.com", false),
            ("a..b@example.com", false),
            ("a@example..com", false),
            ("a\u{7}@example.com", false),
        ];
        for (input, ok) in cases {
            assert_eq!(Email::parse(input).is_ok(), *ok, "{input:?}");
        }
    }

    #[test]
    fn an_email_longer_than_254_characters_is_rejected() {
        let long = format!("{}@{}.com", "a".repeat(60), "b".repeat(200));
        assert!(Email::parse(&long).unwrap_err().contains("254"));
    }

    #[test]
    fn emails_are_stored_lowercased() {
        assert_eq!(
            Email::parse(" Ann@Example.COM ").unwrap().as_str(),
            "ann@example.com"
        );
    }

    #[test]
    fn password_shorter_than_twelve_characters_is_rejected() {
        assert!(check_password("elevenchars", "ann", "ann@example.com").is_err());
        assert!(check_password("twelve chars", "ann", "ann@example.com").is_ok());
    }

    #[test]
    fn password_length_counts_characters_not_bytes() {
        // 12 characters, 24 bytes.
        assert!(check_password("ééééééééééé", "ann", "a@b.co").is_err());
        assert!(check_password("éééééééééééé", "ann", "a@b.co").is_ok());
    }

    #[test]
    fn password_longer_than_1024_characters_is_rejected() {
        assert!(check_password(&"x".repeat(1024), "ann", "a@b.co").is_ok());
        assert!(check_password(&"x".repeat(1025), "ann", "a@b.co").is_err());
    }

    #[test]
    fn password_equal_to_username_or_email_is_rejected_whatever_the_case() {
        assert!(check_password("Long-Username", "long-username", "a@b.co").is_err());
        assert!(check_password("Someone@Example.com", "ann", "someone@example.com").is_err());
    }

    #[test]
    fn a_blank_display_name_means_the_name() {
        let ann = NamespaceName::parse("ann").unwrap();
        let named = |input: &str, name| DisplayName::parse_or(input, name).map(|r| r.map(|d| d.0));
        assert_eq!(named("  ", Some(&ann)), Some(Ok("ann".to_owned())));
        assert_eq!(named(" Ann B ", Some(&ann)), Some(Ok("Ann B".to_owned())));
        assert_eq!(named("", None), None);
        assert!(matches!(named("a\u{202E}b", Some(&ann)), Some(Err(_))));
        let form = SignUpForm::parse(
            "ann@example.com",
            "ann",
            " ",
            "a long pass phrase".to_owned().into(),
        );
        assert_eq!(form.unwrap().display_name.as_str(), "ann");
        let both = SignUpForm::parse(
            "ann@example.com",
            "Ann!",
            "",
            "a long pass phrase".to_owned().into(),
        );
        let errs = both.unwrap_err();
        assert!(
            errs.get(field::USERNAME).is_some() && errs.get(field::DISPLAY_NAME).is_none(),
            "{errs:?}"
        );
    }

    #[test]
    fn display_names_are_trimmed_and_bounded() {
        assert_eq!(DisplayName::parse("  Ann  ").unwrap().as_str(), "Ann");
        assert!(DisplayName::parse("").is_err());
        assert!(DisplayName::parse(&"x".repeat(101)).is_err());
        assert!(DisplayName::parse(&"x".repeat(100)).is_ok());
        assert!(DisplayName::parse("a\nb").is_err());
    }

    #[test]
    fn display_names_with_invisible_or_direction_characters_are_rejected() {
        for hostile in [
            "adm\u{200B}in",
            "Ann\u{202E}gnp.exe",
            "\u{2066}Ann\u{2069}",
            "\u{FEFF}Ann",
            "An\u{00AD}n",
            "A\u{200D}nn",
        ] {
            let err = DisplayName::parse(hostile).unwrap_err();
            assert!(err.contains("U+"), "{hostile:?}: {err}");
        }
        assert!(DisplayName::parse("Zoë Ångström 山田").is_ok());
    }
}
