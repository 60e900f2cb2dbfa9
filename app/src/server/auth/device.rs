//! The known-device cookie: proof that this browser signed in to an account before. When an
//! account is under attack from many addresses, its password checks wait their turn in a
//! queue the attacker can keep full (`throttle`); a browser that holds this cookie for the
//! account skips that queue, so the owner signs in on their own devices however long an attack
//! lasts (the per-address limits still apply).
//!
//! The cookie is `ACCOUNT.TOKEN`, the token an HMAC under the master key over the account and
//! its session version: nothing is stored, and a password change (which replaces the session
//! version) voids every device cookie of the account.

use axum::http::{HeaderMap, HeaderValue, header};
use uuid::Uuid;

use crate::server::{crypto::MasterKey, db::users::User};

/// The cookie's name.
pub const COOKIE: &str = "berth_device";

/// How long a device stays known: a year.
const MAX_AGE_SECS: u64 = 365 * 24 * 3600;

fn purpose(user: &User) -> String {
    let version: String = user
        .session_version
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("known-device:{version}")
}

/// The `Set-Cookie` value that marks this browser as a known device of `user`.
pub fn set_cookie(key: &MasterKey, user: &User, secure: bool) -> Option<HeaderValue> {
    let token = key.token(&purpose(user), user.id);
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{COOKIE}={}.{token}; Path=/; Max-Age={MAX_AGE_SECS}; HttpOnly; SameSite=Lax{secure}",
        user.id
    ))
    .ok()
}

/// Whether the request's cookies mark it as a known device of `user`.
pub fn is_known(key: &MasterKey, user: &User, headers: &HeaderMap) -> bool {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().strip_prefix(COOKIE)?.strip_prefix('='))
        .filter_map(|value| value.split_once('.'))
        .any(|(account, token)| {
            Uuid::try_parse(account).is_ok_and(|id| id == user.id)
                && key.verify_token(&purpose(user), user.id, token)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(version: u8) -> User {
        User {
            id: Uuid::now_v7(),
            username: "ann".into(),
            email: "ann@example.com".into(),
            display_name: "Ann".into(),
            session_version: vec![version; 32],
            is_instance_admin: false,
            pending_invitations: 0,
        }
    }

    fn cookie_header(set_cookie: &HeaderValue) -> HeaderMap {
        let pair = set_cookie.to_str().unwrap().split(';').next().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("other=1; {pair}")).unwrap(),
        );
        headers
    }

    #[test]
    fn a_device_cookie_names_one_account_until_its_password_changes() {
        let key = MasterKey::from_hex(&"ab".repeat(32)).unwrap();
        let ann = user(1);
        let headers = cookie_header(&set_cookie(&key, &ann, false).unwrap());

        assert!(is_known(&key, &ann, &headers));
        assert!(!is_known(&key, &user(1), &headers), "another account");
        let changed = User {
            session_version: vec![2; 32],
            ..ann.clone()
        };
        assert!(
            !is_known(&key, &changed, &headers),
            "after a password change"
        );
        assert!(!is_known(&key, &ann, &HeaderMap::new()));
    }

    #[test]
    fn the_cookie_is_http_only_and_secure_on_https() {
        let key = MasterKey::from_hex(&"ab".repeat(32)).unwrap();
        let value = set_cookie(&key, &user(1), true).unwrap();
        let text = value.to_str().unwrap();
        assert!(
            text.contains("HttpOnly") && text.contains("Secure") && text.contains("SameSite=Lax")
        );
    }
}
