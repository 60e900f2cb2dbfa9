//! What a page shows when its data could not be loaded: the message, the right HTTP status on
//! the server, or a trip to sign-in for anonymous visitors.

use leptos::prelude::*;
use leptos_router::{components::Redirect, hooks::use_location};

use crate::components::raw_text::PageTitle;
use crate::error::AppError;

/// Shows `error` in place of a page's content.
#[component]
pub fn ErrorNotice(error: AppError) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>()
        && !matches!(error, AppError::Unauthenticated(_))
        && let Ok(status) = axum::http::StatusCode::from_u16(error.status())
    {
        response.set_status(status);
    }
    if matches!(error, AppError::Unauthenticated(_)) {
        let location = use_location();
        let here = format!(
            "{}{}",
            location.pathname.get_untracked(),
            location.search.get_untracked()
        );
        let path = format!("/login?next={}", encode_query_value(&here));
        return view! { <Redirect path /> }.into_any();
    }
    let heading = match &error {
        AppError::NotFound(_) => "Not found",
        AppError::Forbidden(_) => "Not allowed",
        _ => "Something went wrong",
    };
    view! {
        <PageTitle text=heading />
        <h1 class="text-2xl font-semibold">{heading}</h1>
        <p role="alert" class="mt-2 text-slate-600 dark:text-slate-400">
            {error.to_string()}
        </p>
    }
    .into_any()
}

/// `text` percent-encoded for a query value (everything but unreserved characters and `/`).
pub fn encode_query_value(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_with_a_query_survives_as_one_query_value() {
        assert_eq!(
            encode_query_value("/invitation?id=1&token=ab"),
            "/invitation%3Fid%3D1%26token%3Dab"
        );
    }
}
