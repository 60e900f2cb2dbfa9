//! Accounts and sessions: sign up, sign in, sign out, change password, who am I.

use leptos::prelude::*;

use crate::domain::{account::SessionUser, secret::PasswordInput};
use crate::error::AppError;

#[cfg(feature = "ssr")]
use crate::{
    domain::account::{SignInForm, SignUpForm},
    server::{
        cx::Cx,
        db::users,
        http::{new_token, request},
        rules::accounts,
    },
};

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

/// Whether the instance takes new accounts, and whether it has any yet.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SignupInfo {
    /// Public sign-up is open, or this would be the first account.
    pub open: bool,
}

/// The signed-in user, if any.
#[server(endpoint = "current_user", input = server_fn::codec::GetUrl)]
pub async fn current_user() -> Result<Option<SessionUser>, AppError> {
    let session = request::auth_session().await?;
    Ok(session.user.map(SessionUser::from))
}

/// Whether /signup takes new accounts.
#[server(endpoint = "signup_status", input = server_fn::codec::GetUrl)]
pub async fn signup_status() -> Result<SignupInfo, AppError> {
    let state = request::state()?;
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
    let state = request::state()?;
    accounts::ensure_signup_open(&state).await?;
    let form = SignUpForm::parse(&email, &username, &display_name, password)?;
    let user = accounts::sign_up(&state, request::client_addr(&state).await, form).await?;
    request::log_in(&state, &user).await?;
    request::redirect("/?flash=welcome");
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
    let state = request::state()?;
    let form = SignInForm::parse(&login, password)?;
    let (address, headers) = (
        request::client_addr(&state).await,
        request::request_headers(),
    );
    let user = accounts::check_sign_in(&state, address, headers.as_ref(), form).await?;
    request::log_in(&state, &user).await?;
    request::redirect(&safe_next(next.as_deref()));
    Ok(())
}

/// Ends the current session (everywhere: it is deleted from the database).
#[server(endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    let mut session = request::auth_session().await?;
    if let Some(user) = session.logout().await? {
        tracing::info!(user.id = %user.id, "signed out");
    }
    // A token made in this session and not yet shown goes with it.
    new_token::clear(&request::state()?);
    request::redirect("/login?flash=signed-out");
    Ok(())
}

/// Changes the signed-in user's password and ends every other session of that user.
#[server(endpoint = "change_password")]
pub async fn change_password(
    current_password: PasswordInput,
    new_password: PasswordInput,
) -> Result<(), AppError> {
    let cx = Cx::session().await?;
    let updated = accounts::change_password(&cx, current_password, new_password).await?;
    // This session stays signed in under the new session version; all others end.
    request::log_in(&cx.state, &updated).await?;
    request::redirect("/account?flash=password-changed");
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
