//! Accounts: sign up, check a sign-in, change the password. Logging the browser in (a new
//! session ID, the known-device cookie) is the server function's part: it belongs to the HTTP
//! exchange, not to the rule.

use std::net::IpAddr;

use axum::http::HeaderMap;

use crate::domain::account::{PASSWORD_MAX_CHARS, SignInForm, SignUpForm, check_password, field};
use crate::domain::secret::PasswordInput;
use crate::error::{AppError, FieldErrors};
use crate::server::{
    auth::{
        device,
        throttle::{self, Subject},
    },
    cx::Cx,
    db::{
        self,
        users::{self, NewUser, User},
    },
    state::AppState,
};

/// What sign-up says of an email that cannot take a new account. A sign-up without email
/// delivery cannot hide that an address is in use; it names no account, and the sign-up
/// throttle bounds how fast addresses can be tried.
const EMAIL_UNAVAILABLE: &str =
    "This email address cannot be used for a new account. If it is yours, sign in instead.";

/// 403 when public sign-up is closed (the first account can always be created).
pub async fn ensure_signup_open(state: &AppState) -> Result<(), AppError> {
    if !state.settings.allow_signup && users::any(&state.db).await? {
        return Err(AppError::Forbidden(
            "Sign-up is closed on this instance; ask an administrator for an account.".into(),
        ));
    }
    Ok(())
}

/// Creates the account; the first one becomes the instance administrator.
#[tracing::instrument(skip_all, fields(username = %form.username), err)]
pub async fn sign_up(
    state: &AppState,
    address: IpAddr,
    form: SignUpForm,
) -> Result<User, AppError> {
    // Counted per client address before anything is looked up or hashed: it bounds both the
    // hashing work one address can ask for and how fast it can probe which emails have accounts.
    throttle::begin_signup(&state.db, &state.settings.signup_throttle, address).await?;
    let username_taken = format!("\"{}\" is taken; choose another.", form.username);
    // Taken names are a conflict (409), reported for both fields at once; the unique
    // constraints below still decide when two sign-ups race.
    let mut taken = FieldErrors::new();
    if users::namespace_exists(&state.db, form.username.as_str()).await? {
        taken.insert(field::USERNAME, username_taken.clone());
    }
    if users::email_exists(&state.db, form.email.as_str()).await? {
        taken.insert(field::EMAIL, EMAIL_UNAVAILABLE);
    }
    if !taken.is_empty() {
        return Err(AppError::Conflict {
            message: "That username or email is already in use.".into(),
            fields: taken,
        });
    }
    let password_hash = state.passwords.hash(form.password.into_secret()).await?;
    let new = NewUser {
        username: form.username.as_str(),
        email: form.email.as_str(),
        display_name: form.display_name.as_str(),
        password_hash: &password_hash,
    };
    let user = users::create(&state.db, &new).await.map_err(|e| {
        db::conflict(
            e,
            vec![
                (
                    users::USERNAME_TAKEN,
                    AppError::conflict(field::USERNAME, username_taken),
                ),
                (
                    users::EMAIL_TAKEN,
                    AppError::conflict(field::EMAIL, EMAIL_UNAVAILABLE),
                ),
            ],
        )
    })?;
    tracing::info!(user.id = %user.id, admin = user.is_instance_admin, "account created");
    Ok(user)
}

/// The account a sign-in names, if its password is right: throttled per account and client
/// address (`throttle`), through the hashing gate, timed the same for logins that name no
/// account. `headers` carry the known-device cookie, if any.
#[tracing::instrument(skip_all, err)]
pub async fn check_sign_in(
    state: &AppState,
    address: IpAddr,
    headers: Option<&HeaderMap>,
    form: SignInForm,
) -> Result<User, AppError> {
    let found = users::find_login(&state.db, &form.login).await?;
    let (subject, known_device) = match (&found, headers) {
        (Some((user, _)), headers) => (
            Subject::Account(user.id),
            headers.is_some_and(|h| device::is_known(&state.key, user, h)),
        ),
        (None, _) => (Subject::Unknown(form.login.clone()), false),
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
    let password = form.password.into_secret();
    let user = match found {
        Some((user, stored)) => state
            .passwords
            .verify(password, stored)
            .await?
            .then_some(user),
        None => {
            state.passwords.dummy_verify(password).await?;
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
    Ok(user)
}

/// Changes the caller's password (throttled like sign-in) and ends every other session of
/// theirs (a new session version). Returns the account as it now is.
#[tracing::instrument(skip_all, fields(caller = %cx.caller), err)]
pub async fn change_password(
    cx: &Cx,
    current: PasswordInput,
    new: PasswordInput,
) -> Result<User, AppError> {
    let me = cx.me()?;
    if current.expose().is_empty() {
        return Err(AppError::invalid(
            field::CURRENT_PASSWORD,
            "Enter your current password.",
        ));
    }
    if current.expose().chars().count() > PASSWORD_MAX_CHARS {
        return Err(AppError::invalid(
            field::CURRENT_PASSWORD,
            "That is not your current password.",
        ));
    }
    if let Err(e) = check_password(new.expose(), &me.username, &me.email) {
        return Err(AppError::invalid(field::NEW_PASSWORD, e));
    }
    if new == current {
        return Err(AppError::invalid(
            field::NEW_PASSWORD,
            "Choose a password different from the current one.",
        ));
    }
    let state = &cx.state;
    // Already signed in, so this browser is the account's device: it never queues.
    let subject = Subject::Account(me.id);
    let attempt = throttle::begin(
        &state.db,
        state.settings.throttle,
        &subject,
        cx.address,
        true,
    )
    .await?;
    if let Some(wait) = attempt.slow_down {
        tokio::time::sleep(wait).await;
    }
    let stored = users::password_hash(&state.db, me.id)
        .await?
        .ok_or_else(|| AppError::Unauthenticated("Sign in to continue.".into()))?;
    if !state
        .passwords
        .verify(current.into_secret(), stored.clone())
        .await?
    {
        return Err(AppError::invalid(
            field::CURRENT_PASSWORD,
            "That is not your current password.",
        ));
    }
    attempt.succeeded(&state.db).await?;
    let new_hash = state.passwords.hash(new.into_secret()).await?;
    let updated = users::set_password(&state.db, me.id, &stored, &new_hash)
        .await?
        .ok_or_else(|| AppError::Conflict {
            message: "The password was changed at the same time elsewhere; sign in again.".into(),
            fields: Default::default(),
        })?;
    tracing::info!("password changed; other sessions ended");
    Ok(updated)
}
