//! The link to the next (older) page of a keyset-paged list.

use leptos::prelude::*;

/// "Older …" under a list, when there is a next page at `href`.
#[component]
pub fn OlderLink(
    /// The next page's URL, if there is one.
    href: Option<String>,
    /// The link text, e.g. "Older entries".
    label: &'static str,
) -> impl IntoView {
    href.map(|href| {
        view! {
            <p class="mt-4">
                <a href=href class="text-sky-700 underline dark:text-sky-400">
                    {label}
                </a>
            </p>
        }
    })
}
