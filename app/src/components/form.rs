//! Form plumbing: a field's error and the form's problem from an action's last result, the
//! summary box at the top of a form, the submit button. Labelled controls are in `fields`.

use leptos::prelude::*;
use server_fn::ServerFn;

use crate::error::AppError;

/// A server function a form posts to, failing with an [`AppError`]: what the shared page
/// sections (`members`, `tokens`) take as their actions.
pub trait FormFn:
    ServerFn<Error = AppError, Output: Clone + Send + Sync + 'static> + Clone + Send + Sync + 'static
{
}

impl<T> FormFn for T where
    T: ServerFn<Error = AppError, Output: Clone + Send + Sync + 'static>
        + Clone
        + Send
        + Sync
        + 'static
{
}

/// Hidden `(name, value)` inputs: what names the organization, project or row a shared
/// section's form posts about.
pub fn hidden_fields(fields: &[(&'static str, String)]) -> impl IntoView + use<> {
    fields
        .iter()
        .map(|(name, value)| view! { <input type="hidden" name=*name value=value.clone() /> })
        .collect_view()
}

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
/// after its plain post failed (`domain::request::KeptForm`); `None` otherwise. Never a
/// password.
pub fn kept<S>(_action: ServerAction<S>, name: &'static str) -> Option<String>
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    crate::domain::request::facts()?
        .kept_form?
        .get(S::PATH, name)
}

/// What the last submit of a form got wrong, for the summary at the form's top.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The error's own words, or how many fields need attention.
    pub message: String,
    /// Each field with a problem: its name and message (also shown beside the field).
    pub fields: Vec<(String, String)>,
}

impl Problem {
    /// The summary of `error`.
    pub fn of(error: &AppError) -> Self {
        let fields: Vec<(String, String)> = match error {
            AppError::Invalid(f) | AppError::Conflict { fields: f, .. } => f
                .iter()
                .map(|(name, message)| (name.clone(), message.clone()))
                .collect(),
            _ => Vec::new(),
        };
        let message = match fields.len() {
            0 => error.to_string(),
            1 => "1 field needs attention:".to_owned(),
            n => format!("{n} fields need attention:"),
        };
        Self { message, fields }
    }
}

/// What the last result of `action` got wrong, if it failed.
pub fn form_error<S>(action: ServerAction<S>) -> Signal<Option<Problem>>
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    Signal::derive(move || {
        action
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| Problem::of(&e))
    })
}

/// The summary of a failed submit, at the top of its form: announced (`role=alert`) and
/// focused when the page loads (`autofocus`: a failed plain post comes back to a fresh page,
/// with JavaScript or without), so the person sees at once that and where it failed. Each
/// field's message links to the field. A page shows at most one (only one action failed).
#[component]
pub fn FormError(
    #[prop(into)] error: Signal<Option<Problem>>,
    /// The id suffix of the form's fields (`FieldIds`), when it has one.
    #[prop(optional)]
    id_suffix: Option<&'static str>,
) -> impl IntoView {
    move || {
        error.get().map(|problem| {
            let links = problem
                .fields
                .into_iter()
                .map(|(name, message)| {
                    let id = crate::components::fields::FieldIds::new(&name, id_suffix).id;
                    view! {
                        <li>
                            <a href=format!("#{id}") class="underline">
                                {message}
                            </a>
                        </li>
                    }
                })
                .collect_view();
            view! {
                <div role="alert" tabindex="-1" autofocus class="form-problem">
                    <p>{problem.message}</p>
                    <ul class="mt-1 list-disc pl-5">{links}</ul>
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
