//! `/login`: sign in with a username or email address.

use crate::components::raw_text::PageTitle;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::auth::SignIn;
use crate::components::{
    fields::Field,
    form::{FormError, SubmitButton, field_error, form_error, kept},
};

/// The sign-in form. `?next=/path` is where it goes afterwards.
#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    let query = use_query_map();
    let next = move || query.read().get("next");
    view! {
        <PageTitle text="Sign in" />
        <h1 class="text-2xl font-semibold">"Sign in"</h1>
        <ActionForm action attr:class="mt-6 max-w-md space-y-4" attr:novalidate=true>
            <FormError error=form_error(action) />
            {move || next().map(|n| view! { <input type="hidden" name="next" value=n /> })}
            <Field
                label="Email or username"
                name="login"
                value=kept(action, "login").unwrap_or_default()
                autocomplete="username"
                error=field_error(action, "login")
            />
            <Field
                label="Password"
                name="password"
                kind="password"
                autocomplete="current-password"
                error=field_error(action, "password")
            />
            <SubmitButton label="Sign in" busy_label="Signing in…" pending=action.pending() />
        </ActionForm>
        <p class="mt-6 text-sm text-slate-600 dark:text-slate-400">
            "No account yet? " <a href="/signup" class="text-sky-700 underline dark:text-sky-400">
                "Sign up"
            </a>
        </p>
    }
}
