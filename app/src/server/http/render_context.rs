//! What a page learns of its request before it renders ([`crate::domain::request`]): called
//! from the render context of every page and server function (`server/src/routes.rs`), where
//! the request's parts are in context. The UI reads the facts; it never calls into `server`.

use leptos::prelude::{provide_context, use_context};

use crate::domain::{account::SessionUser, request::RequestFacts};
use crate::server::{
    auth::backend::AuthSession,
    http::{check_result, form_input},
};

/// Puts the request's facts into the context of what renders for it.
pub fn provide() {
    let Some(parts) = use_context::<axum::http::request::Parts>() else {
        return;
    };
    provide_context(RequestFacts {
        user: parts
            .extensions
            .get::<AuthSession>()
            .and_then(|s| s.user.clone())
            .map(SessionUser::from),
        kept_form: form_input::kept_form(&parts),
        kept_check: check_result::kept(&parts),
    });
}
