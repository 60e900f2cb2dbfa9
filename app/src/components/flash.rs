//! Flash messages: a one-off notice after a redirect, named by a `?flash=` key so that the text
//! comes from this table, never from the URL.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// The message for a flash key.
pub fn flash_message(key: &str) -> Option<&'static str> {
    Some(match key {
        "welcome" => "Welcome to Berth! Your account is ready.",
        "signed-out" => "You have signed out.",
        "password-changed" => "Password changed. Your other sessions have been signed out.",
        "invitation-declined" => "Invitation declined.",
        _ => return None,
    })
}

/// Shows the flash message of the current URL, if any.
#[component]
pub fn Flash() -> impl IntoView {
    let query = use_query_map();
    let message = move || query.read().get("flash").and_then(|k| flash_message(&k));
    move || {
        message().map(|text| {
            view! {
                <div
                    role="status"
                    class="mb-6 rounded-md border border-emerald-300 bg-emerald-50 px-4 py-3 text-sm text-emerald-900 dark:border-emerald-800 dark:bg-emerald-950 dark:text-emerald-100"
                >
                    {text}
                </div>
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_flash_keys_show_nothing() {
        assert_eq!(flash_message("<script>"), None);
        assert!(flash_message("signed-out").is_some());
    }
}
