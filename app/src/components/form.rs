//! Form pieces: labelled fields with inline errors, the form-level error, the submit button.

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

/// A labelled input with its inline error.
#[component]
pub fn Field(
    /// Visible label (also the accessible name).
    label: &'static str,
    /// Form field name: the server function's argument.
    name: &'static str,
    /// Input type.
    #[prop(default = "text")]
    kind: &'static str,
    /// Browser autofill hint.
    #[prop(optional)]
    autocomplete: Option<&'static str>,
    /// A short hint under the field.
    #[prop(optional)]
    hint: Option<&'static str>,
    /// Smallest length the browser enforces before submitting.
    #[prop(optional)]
    minlength: Option<u32>,
    /// The field's error message, if any.
    #[prop(into)]
    error: Signal<Option<String>>,
) -> impl IntoView {
    let id = format!("field-{name}");
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described_by = {
        let (error_id, hint_id) = (error_id.clone(), hint_id.clone());
        move || {
            let mut ids = Vec::new();
            if hint.is_some() {
                ids.push(hint_id.clone());
            }
            if error.get().is_some() {
                ids.push(error_id.clone());
            }
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    view! {
        <div class="space-y-1">
            <label for=id.clone() class="block text-sm font-medium">
                {label}
            </label>
            <input
                id=id
                name=name
                type=kind
                autocomplete=autocomplete
                minlength=minlength
                required
                aria-invalid=move || error.get().is_some().then_some("true")
                aria-describedby=described_by
                class="block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm focus:border-sky-500 focus:outline-none focus:ring-2 focus:ring-sky-500 aria-[invalid=true]:border-red-500 dark:border-slate-700 dark:bg-slate-900"
            />
            {hint
                .map(|text| {
                    view! {
                        <p id=hint_id class="text-xs text-slate-500 dark:text-slate-400">
                            {text}
                        </p>
                    }
                })}
            {move || {
                error
                    .get()
                    .map(|message| {
                        view! {
                            <p id=error_id.clone() class="text-sm text-red-600 dark:text-red-400">
                                {message}
                            </p>
                        }
                    })
            }}
        </div>
    }
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
            class="inline-flex w-full items-center justify-center rounded-md bg-sky-700 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-sky-800 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500 focus-visible:ring-offset-2 disabled:opacity-60 sm:w-auto"
        >
            {move || if pending.get() { busy_label } else { label }}
        </button>
    }
}
