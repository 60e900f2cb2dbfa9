//! The page for unknown paths (answered with 404).

use crate::components::raw_text::PageTitle;
use leptos::prelude::*;

/// Says the page does not exist, with status 404.
#[component]
pub fn NotFoundPage() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <PageTitle text="Not found" />
        <h1 class="text-2xl font-semibold">"Page not found"</h1>
        <p class="mt-2 text-slate-600 dark:text-slate-400">
            "There is nothing at this address. "
            <a href="/" class="text-sky-700 underline dark:text-sky-400">
                "Go to the start page"
            </a> "."
        </p>
    }
}
