//! Form plumbing: a field's error and the form's error from an action's last result, the
//! form-level error box, the submit button. Labelled controls are in `fields`.

use leptos::prelude::*;
use server_fn::ServerFn;

use crate::error::AppError;

/// The message for field `name` from the last result of `action`.
pub fn field_error<S>(action: ServerAction<S>, name: &'static str) -> Signal<Option<String>>
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    Signal::derive(move || {
        action
            .value()
            .get()
            .and_then(|r| r.err())
            .and_then(|e| e.field(name))
    })
}

/// What was typed into field `name` of `action`'s form when the page shows that form again
/// after its plain post failed (`server::http::form_input`); `None` otherwise. Never a password.
pub fn kept<S>(_action: ServerAction<S>, name: &'static str) -> Option<String>
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    #[cfg(feature = "ssr")]
    return crate::server::http::form_input::kept(S::PATH, name);
    #[cfg(not(feature = "ssr"))]
    {
        let _ = name;
        None
    }
}

/// The error of the last result of `action` that no field shows.
pub fn form_error<S>(action: ServerAction<S>) -> Signal<Option<String>>
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    Signal::derive(move || {
        action
            .value()
            .get()
            .and_then(|r| r.err())
            .filter(|e| !matches!(e, AppError::Invalid(f) | AppError::Conflict { fields: f, .. } if !f.is_empty()))
            .map(|e| e.to_string())
    })
}

/// The error that belongs to the whole form (wrong password, too many attempts, ...).
#[component]
pub fn FormError(#[prop(into)] error: Signal<Option<String>>) -> impl IntoView {
    move || {
        error
            .get()
            .map(|message| {
                view! {
                    <div
                        role="alert"
                        class="rounded-md border border-red-300 bg-red-50 px-4 py-3 text-sm text-red-900 dark:border-red-800 dark:bg-red-950 dark:text-red-100"
                    >
                        {message}
                    </div>
                }
            })
    }
}

/// A submit button that says it is busy while the action runs.
#[component]
pub fn SubmitButton(
    /// Label when idle (the accessible name tests use).
    label: &'static str,
    /// Label while the request is under way.
    busy_label: &'static str,
    /// Whether the request is under way.
    #[prop(into)]
    pending: Signal<bool>,
) -> impl IntoView {
    view! {
        <button
            type="submit"
            disabled=move || pending.get()
            aria-busy=move || pending.get().then_some("true")
            class="btn-submit"
        >
            {move || if pending.get() { busy_label } else { label }}
        </button>
    }
}
