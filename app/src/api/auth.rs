//! Accounts and sessions: sign up, sign in, sign out, change password, who am I.

use leptos::prelude::*;

use crate::domain::{account::SessionUser, secret::PasswordInput};
use crate::error::AppError;

/// Where to go after signing in: a path on this site, or `/`.
///
/// Browsers forgive a lot in a `Location`: they drop tabs and newlines (`/\t/evil.example`
/// becomes `//evil.example`), read `\` as `/`, and take `//host` as another site. So only a
/// path of visible ASCII that starts with one `/` and has no backslash passes; anything else,
/// including text that could not even be a header value, falls back to `/`.
pub fn safe_next(next: Option<&str>) -> String {
    let same_origin_path = |p: &str| {
        p.starts_with('/')
            && !p.starts_with("//")
            && p.bytes().all(|b| b.is_ascii_graphic() && b != b'\\')
    };
    match next {
        Some(p) if same_origin_path(p) => p.to_owned(),
        _ => "/".to_owned(),
    }
}

/// What sign-up says of an email that cannot take a new account. A sign-up without email
/// delivery cannot hide that an address is in use; it names no account, and the sign-up
/// throttle bounds how fast addresses can be tried.
#[cfg(feature = "ssr")]
const EMAIL_UNAVAILABLE: &str =
    "This email address cannot be used for a new account. If it is yours, sign in instead.";

/// Whether the instance takes new accounts, and whether it has any yet.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SignupInfo {
    /// Public sign-up is open, or this would be the first account.
    pub open: bool,
}

/// The signed-in user, if any.
#[server(endpoint = "current_user", input = server_fn::codec::GetUrl)]
pub async fn current_user() -> Result<Option<SessionUser>, AppError> {
    use crate::server::ctx;

    let session = ctx::auth_session().await?;
    Ok(session.user.map(SessionUser::from))
}

/// Whether /signup takes new accounts.
#[server(endpoint = "signup_status", input = server_fn::codec::GetUrl)]
pub async fn signup_status() -> Result<SignupInfo, AppError> {
    use crate::server::{ctx, db::users};

    let state = ctx::state()?;
    let open = state.settings.allow_signup || !users::any(&state.db).await?;
    Ok(SignupInfo { open })
}

/// Creates an account and signs it in. The first account becomes the instance administrator.
#[server(endpoint = "sign_up")]
pub async fn sign_up(
    email: String,
    username: String,
    display_name: String,
    password: PasswordInput,
) -> Result<(), AppError> {
    use crate::domain::{
        account::{DisplayName, Email, check_password},
        namespace::NamespaceName,
    };
    use crate::error::FieldErrors;
    use crate::server::{
        auth::throttle,
        ctx,
        db::users::{self, CreateUserError, NewUser},
    };

    let state = ctx::state()?;
    let mut session = ctx::auth_session().await?;
    if !state.settings.allow_signup && users::any(&state.db).await? {
        return Err(AppError::Forbidden(
            "Sign-up is closed on this instance; ask an administrator for an account.".into(),
        ));
    }

    let mut errors = FieldErrors::new();
    let email = Email::parse(&email)
        .map_err(|e| errors.insert("email", e))
        .ok();
    let username = NamespaceName::parse(&username)
        .map_err(|e| errors.insert("username", e))
        .ok();
    let display_name = DisplayName::parse(&display_name)
        .map_err(|e| errors.insert("display_name", e))
        .ok();
    if let Err(e) = check_password(
        password.expose(),
        username.as_ref().map(|u| u.as_str()).unwrap_or_default(),
        email.as_ref().map(|e| e.as_str()).unwrap_or_default(),
    ) {
        errors.insert("password", e);
    }
    let (Some(email), Some(username), Some(display_name)) = (email, username, display_name) else {
        return Err(AppError::Invalid(errors));
    };
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }

    // Counted per client address before anything is looked up or hashed: it bounds both the
    // hashing work one address can ask for and how fast it can probe which emails have accounts.
    let address = ctx::client_addr(&state).await;
    throttle::begin_signup(&state.db, state.settings.signup_throttle, address).await?;

    // Taken names are a conflict (409), reported for both fields at once; the unique
    // constraints below still decide when two sign-ups race.
    let mut taken = FieldErrors::new();
    if users::namespace_exists(&state.db, username.as_str()).await? {
        taken.insert(
            "username",
            format!("\"{username}\" is taken; choose another."),
        );
    }
    if users::email_exists(&state.db, email.as_str()).await? {
        taken.insert("email", EMAIL_UNAVAILABLE);
    }
    if !taken.is_empty() {
        return Err(AppError::Conflict {
            message: "That username or email is already in use.".into(),
            fields: taken,
        });
    }

    let password_hash = state.passwords.hash(password.into_secret()).await?;
    let user = users::create(
        &state.db,
        &NewUser {
            username: username.as_str(),
            email: email.as_str(),
            display_name: display_name.as_str(),
            password_hash: &password_hash,
        },
    )
    .await
    .map_err(|err| match err {
        CreateUserError::UsernameTaken => AppError::conflict(
            "username",
            format!("\"{username}\" is taken; choose another."),
        ),
        CreateUserError::EmailTaken => AppError::conflict("email", EMAIL_UNAVAILABLE),
        CreateUserError::Db(e) => e.into(),
    })?;
    tracing::info!(user.id = %user.id, admin = user.is_instance_admin, "account created");

    session.session.cycle_id().await?;
    session.login(&user).await?;
    ctx::redirect("/?flash=welcome");
    Ok(())
}

/// Signs in with a username or email address and a password. Attempts are throttled per
/// account and client address (see `server::auth::throttle`: 429 with `Retry-After`).
#[server(endpoint = "sign_in")]
pub async fn sign_in(
    login: String,
    password: PasswordInput,
    next: Option<String>,
) -> Result<(), AppError> {
    use crate::domain::account::{EMAIL_MAX_LEN, PASSWORD_MAX_CHARS};
    use crate::error::FieldErrors;
    use crate::server::{
        auth::{
            device,
            throttle::{self, Subject},
        },
        ctx,
        db::users,
    };

    let state = ctx::state()?;
    let mut session = ctx::auth_session().await?;
    let mut errors = FieldErrors::new();
    if login.trim().is_empty() {
        errors.insert("login", "Enter your email address or username.");
    } else if login.trim().chars().count() > EMAIL_MAX_LEN {
        // No username or email is longer; refused before anything is counted or stored.
        errors.insert(
            "login",
            format!("Usernames and email addresses have at most {EMAIL_MAX_LEN} characters."),
        );
    }
    if password.expose().is_empty() {
        errors.insert("password", "Enter your password.");
    } else if password.expose().chars().count() > PASSWORD_MAX_CHARS {
        // No password is longer; refused before it costs a hash.
        errors.insert(
            "password",
            format!("Passwords have at most {PASSWORD_MAX_CHARS} characters."),
        );
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }

    let address = ctx::client_addr(&state).await;
    let found = users::find_login(&state.db, &login).await?;
    let subject = match &found {
        Some((user, _)) => Subject::Account(user.id),
        None => Subject::Unknown(login.clone()),
    };
    let known_device = match (&found, ctx::request_headers()) {
        (Some((user, _)), Some(headers)) => device::is_known(&state.key, user, &headers),
        _ => false,
    };
    let attempt = throttle::begin(
        &state.db,
        state.settings.throttle,
        &subject,
        address,
        known_device,
    )
    .await?;
    if let Some(wait) = attempt.slow_down {
        tokio::time::sleep(wait).await;
    }
    let user = match found {
        Some((user, stored)) => state
            .passwords
            .verify(password.into_secret(), stored)
            .await?
            .then_some(user),
        None => {
            state.passwords.dummy_verify(password.into_secret()).await?;
            None
        }
    };
    let Some(user) = user else {
        tracing::info!(%address, "sign-in refused: wrong name or password");
        return Err(AppError::Unauthenticated(
            "That email, username or password is not right.".into(),
        ));
    };
    attempt.succeeded(&state.db).await?;

    // A new session ID on every sign-in, even over an existing session (session fixation).
    session.session.cycle_id().await?;
    session.login(&user).await?;
    ctx::set_cookie(device::set_cookie(
        &state.key,
        &user,
        state.settings.public_url.starts_with("https://"),
    ));
    tracing::info!(user.id = %user.id, "signed in");
    ctx::redirect(&safe_next(next.as_deref()));
    Ok(())
}

/// Ends the current session (everywhere: it is deleted from the database).
#[server(endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    use crate::server::ctx;

    let mut session = ctx::auth_session().await?;
    if let Some(user) = session.logout().await? {
        tracing::info!(user.id = %user.id, "signed out");
    }
    ctx::redirect("/login?flash=signed-out");
    Ok(())
}

/// Changes the signed-in user's password and ends every other session of that user.
#[server(endpoint = "change_password")]
pub async fn change_password(
    current_password: PasswordInput,
    new_password: PasswordInput,
) -> Result<(), AppError> {
    use crate::domain::account::{PASSWORD_MAX_CHARS, check_password};
    use crate::server::{
        auth::throttle::{self, Subject},
        ctx,
        db::users,
    };

    let state = ctx::state()?;
    let (mut session, user) = ctx::require_user().await?;
    if current_password.expose().is_empty() {
        return Err(AppError::invalid(
            "current_password",
            "Enter your current password.",
        ));
    }
    if current_password.expose().chars().count() > PASSWORD_MAX_CHARS {
        return Err(AppError::invalid(
            "current_password",
            "That is not your current password.",
        ));
    }
    if let Err(e) = check_password(new_password.expose(), &user.username, &user.email) {
        return Err(AppError::invalid("new_password", e));
    }
    if new_password == current_password {
        return Err(AppError::invalid(
            "new_password",
            "Choose a password different from the current one.",
        ));
    }

    // Guessing the current password through this form is throttled like sign-in.
    let address = ctx::client_addr(&state).await;
    // Already signed in, so this browser is the account's device: it never queues.
    let attempt = throttle::begin(
        &state.db,
        state.settings.throttle,
        &Subject::Account(user.id),
        address,
        true,
    )
    .await?;
    if let Some(wait) = attempt.slow_down {
        tokio::time::sleep(wait).await;
    }
    let stored = users::password_hash(&state.db, user.id)
        .await?
        .ok_or_else(|| AppError::Unauthenticated("Sign in to continue.".into()))?;
    if !state
        .passwords
        .verify(current_password.into_secret(), stored.clone())
        .await?
    {
        return Err(AppError::invalid(
            "current_password",
            "That is not your current password.",
        ));
    }
    attempt.succeeded(&state.db).await?;

    let new_hash = state.passwords.hash(new_password.into_secret()).await?;
    let updated = users::set_password(&state.db, user.id, &stored, &new_hash)
        .await?
        .ok_or_else(|| AppError::Conflict {
            message: "The password was changed at the same time elsewhere; sign in again.".into(),
            fields: Default::default(),
        })?;
    // This session stays signed in under the new session version; all others end.
    session.session.cycle_id().await?;
    session.login(&updated).await?;
    tracing::info!(user.id = %user.id, "password changed; other sessions ended");
    ctx::redirect("/account?flash=password-changed");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(safe_next(Some("/account")), "/account");
        assert_eq!(safe_next(Some("/a?b=c")), "/a?b=c");
        assert_eq!(safe_next(Some("//evil.test/x")), "/");
        assert_eq!(safe_next(Some("https://evil.test")), "/");
        assert_eq!(safe_next(Some("/\\evil.test")), "/");
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn paths_a_browser_would_read_as_another_site_fall_back_to_home() {
        for hostile in [
            "/\t/evil.example/x",
            "/\n/evil.example/x",
            "/\r\n//evil.example",
            "/ /evil.example",
            "/a\\b",
            "\\\\evil.example",
            "/\u{0}x",
            "/caf\u{e9}",
            "/\u{2028}//evil.example",
            "javascript:alert(1)",
            "evil.example",
            "",
        ] {
            assert_eq!(safe_next(Some(hostile)), "/", "{hostile:?}");
        }
        assert_eq!(
            safe_next(Some("/projects/acme/web?tab=1#x")),
            "/projects/acme/web?tab=1#x"
        );
        assert_eq!(safe_next(Some("/%09/evil.example")), "/%09/evil.example");
    }
}
