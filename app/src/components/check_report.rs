//! A credential check on a page: the steps of its report ([`CheckSteps`]), and the "Test
//! connection" button of the add and edit forms ([`TestConnection`]). Without JavaScript the
//! button posts the form to `check_typed_credential` (its `formaction`) and the page it is sent
//! back to shows the report (`server::check_result`); hydrated, it calls the same function and
//! shows the report in place, with the password still typed in.

use leptos::prelude::*;
use server_fn::ServerFn;

use crate::api::credential_checks::CheckTypedCredential;
use crate::domain::credential_check::{CheckReport, KeptCheck, StepState};

/// The check a plain form post kept for this page (`server::check_result`), if any.
pub fn kept_check() -> Option<KeptCheck> {
    #[cfg(feature = "ssr")]
    return crate::server::check_result::kept();
    #[cfg(not(feature = "ssr"))]
    None
}

/// The steps of a check, each with what happened and how long it took.
#[component]
pub fn CheckSteps(report: CheckReport) -> impl IntoView {
    let ok = report.ok();
    let headline = if ok {
        format!("Connection OK ({} ms)", report.millis)
    } else {
        let label = report.failure.map(|f| f.label()).unwrap_or_default();
        format!("Connection failed: {label}")
    };
    let tried = match &report.image {
        Some(image) => format!("{} with image {image}", report.target),
        None => report.target.clone(),
    };
    view! {
        <div class="check-report" data-outcome=if ok { "ok" } else { "failing" }>
            <p class="check-headline">{headline}</p>
            <p class="text-xs break-all">{tried}</p>
            <ol class="check-steps">
                {report
                    .steps
                    .into_iter()
                    .map(|step| {
                        let (mark, state) = match step.state {
                            StepState::Passed => ("✓", "passed"),
                            StepState::Failed => ("✗", "failed"),
                            StepState::Skipped => ("–", "skipped"),
                        };
                        view! {
                            <li data-state=state>
                                <span class="mark" aria-hidden="true">
                                    {mark}
                                </span>
                                <span class="sr-only">{format!("{state}: ")}</span>
                                <span class="label">{step.kind.label()}</span>
                                <span class="detail">{step.detail}</span>
                                {step
                                    .millis
                                    .map(|ms| {
                                        view! { <span class="ms">{format!("{ms} ms")}</span> }
                                    })}
                            </li>
                        }
                    })
                    .collect_view()}
            </ol>
        </div>
    }
}

/// The "Test connection" button of a credential form and the report it shows.
#[island]
pub fn TestConnection(
    owner: String,
    name: String,
    /// The credential the edit form is for (blank on the add form).
    id: String,
    /// A report to show at first (kept from a check without JavaScript).
    initial: Option<CheckReport>,
) -> impl IntoView {
    let report = RwSignal::new(initial.map(Ok::<CheckReport, String>));
    let result_id = if id.is_empty() {
        "check-result-add"
    } else {
        "check-result-edit"
    };
    let pending = RwSignal::new(false);
    let on_click = move |event: leptos::ev::MouseEvent| {
        #[cfg(feature = "hydrate")]
        browser::check(event, (&owner, &name, &id), report, pending);
        #[cfg(not(feature = "hydrate"))]
        let _ = (event, &owner, &name, &id);
    };
    let action = <CheckTypedCredential as ServerFn>::PATH;
    view! {
        <div class="space-y-2">
            <button
                type="submit"
                class="btn"
                formaction=action
                formnovalidate=true
                disabled=move || pending.get()
                aria-busy=move || pending.get().then_some("true")
                on:click=on_click
            >
                {move || if pending.get() { "Testing connection…" } else { "Test connection" }}
            </button>
            <div id=result_id aria-live="polite">
                {move || {
                    report
                        .get()
                        .map(|result| match result {
                            Ok(report) => view! { <CheckSteps report /> }.into_any(),
                            Err(message) => {
                                view! {
                                    <p role="alert" class="text-sm text-red-700 dark:text-red-300">
                                        {message}
                                    </p>
                                }
                                    .into_any()
                            }
                        })
                }}
            </div>
        </div>
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use leptos::prelude::*;
    use leptos::wasm_bindgen::JsCast;
    use web_sys::{Element, FormData, HtmlFormElement};

    use crate::api::credential_checks::check_typed_credential;
    use crate::domain::credential::field;
    use crate::domain::credential_check::{CheckReport, field as check_field};

    /// Reads the button's form and runs the check in place of the form post.
    pub fn check(
        event: leptos::ev::MouseEvent,
        (owner, name, id): (&str, &str, &str),
        report: RwSignal<Option<Result<CheckReport, String>>>,
        pending: RwSignal<bool>,
    ) {
        let form = event
            .target()
            .and_then(|t| t.dyn_into::<Element>().ok())
            .and_then(|e| e.closest("form").ok().flatten())
            .and_then(|f| f.dyn_into::<HtmlFormElement>().ok());
        let Some(data) = form.and_then(|f| FormData::new_with_form(&f).ok()) else {
            return;
        };
        event.prevent_default();
        let get = |key: &str| data.get(key).as_string().unwrap_or_default();
        let args = (
            owner.to_owned(),
            name.to_owned(),
            id.to_owned(),
            get(field::REGISTRY),
            get(field::SERVER),
            get(field::USERNAME),
            get(field::EMAIL),
            get(field::PASSWORD),
            get(field::EXPIRES_ON),
            get(check_field::IMAGE),
        );
        pending.set(true);
        leptos::task::spawn_local(async move {
            let (owner, name, id, registry, server, username, email, password, expires_on, image) =
                args;
            let result = check_typed_credential(
                owner,
                name,
                id,
                registry,
                server,
                username,
                email,
                password.into(),
                expires_on,
                image,
            )
            .await;
            report.set(Some(result.map_err(|e| e.to_string())));
            pending.set(false);
        });
    }
}
