//! A credential check on a page: the steps of its report ([`CheckSteps`]), and the "Test
//! connection" button of the add and edit forms ([`TestConnection`]). Without JavaScript the
//! button posts the form to `check_typed_credential` (its `formaction`) and the page it is sent
//! back to shows the report (`server::http::check_result`), passed to the island as its children;
//! hydrated, the island posts the same form with `fetch` and shows the report in place, with
//! the password still typed in.
//!
//! The island reads the answer with `js_sys` into a [`Drawn`] report rather than deserialising
//! a `CheckReport`: serde's code for the report types and the server function's client cost
//! the bundle 28 KB brotli (`cargo xtask bundle`), this costs a few.

use leptos::prelude::*;
use server_fn::ServerFn;

use crate::api::credential_checks::CheckTypedCredential;
use crate::domain::credential_check::{CheckReport, Failure, KeptCheck, StepKind, StepState};

/// The check a plain form post kept for this page (`server::http::check_result`), if any.
pub fn kept_check() -> Option<KeptCheck> {
    crate::domain::request::facts()?.kept_check
}

/// A report as the page draws it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Drawn {
    /// `None` when every step that ran passed.
    pub failure: Option<Failure>,
    pub millis: u32,
    /// The API address, and the image tried.
    pub tried: String,
    pub steps: Vec<DrawnStep>,
}

/// A step as the page draws it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DrawnStep {
    pub state: StepState,
    pub kind: StepKind,
    pub detail: String,
    pub millis: Option<u32>,
}

impl Drawn {
    /// What a page shows of `report`.
    pub fn of(report: CheckReport) -> Self {
        Self {
            failure: report.failure,
            millis: report.millis,
            tried: tried(&report.target, report.image.as_deref()),
            steps: report
                .steps
                .into_iter()
                .map(|s| DrawnStep {
                    state: s.state,
                    kind: s.kind,
                    detail: s.detail,
                    millis: s.millis,
                })
                .collect(),
        }
    }
}

fn tried(target: &str, image: Option<&str>) -> String {
    match image {
        Some(image) => format!("{target} with image {image}"),
        None => target.to_owned(),
    }
}

/// The steps of a check, each with what happened and how long it took.
#[component]
pub fn CheckSteps(report: CheckReport) -> impl IntoView {
    draw(Drawn::of(report))
}

/// The markup of a report (the page's and the island's alike).
fn draw(report: Drawn) -> impl IntoView {
    let headline = match report.failure {
        None => format!("Connection OK ({} ms)", report.millis),
        Some(failure) => format!("Connection failed: {}", failure.label()),
    };
    view! {
        <div
            class="check-report"
            data-outcome=if report.failure.is_none() { "ok" } else { "failing" }
        >
            <p class="check-headline">{headline}</p>
            <p class="text-xs break-all">{report.tried}</p>
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

/// The "Test connection" button of a credential form and the report it shows. `children` is
/// a report kept from a check without JavaScript, shown until the island makes its own.
#[island]
pub fn TestConnection(
    /// On the edit form (which names its credential in the form), not the add form.
    edit: bool,
    children: Children,
) -> impl IntoView {
    let report = RwSignal::new(None::<Result<Drawn, String>>);
    let action = <CheckTypedCredential as ServerFn>::PATH;
    let result_id = if edit {
        "check-result-edit"
    } else {
        "check-result-add"
    };
    let pending = RwSignal::new(false);
    let on_click = move |event: leptos::ev::MouseEvent| {
        #[cfg(feature = "hydrate")]
        browser::check(event, action, report, pending);
        #[cfg(not(feature = "hydrate"))]
        let _ = event;
    };
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
                <div hidden=move || report.with(Option::is_some)>{children()}</div>
                {move || {
                    report
                        .get()
                        .map(|result| match result {
                            Ok(report) => draw(report).into_any(),
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
    use js_sys::{Array, JSON, Object, Reflect};
    use leptos::prelude::*;
    use leptos::wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;
    use web_sys::{Element, FormData, HtmlFormElement, RequestInit, Response, UrlSearchParams};

    use super::{Drawn, DrawnStep, tried};
    use crate::domain::credential_check::{Failure, StepKind, StepState};

    /// Posts the button's form to `action` as the page would, but with `fetch` (so the page
    /// and the typed password stay), and shows the report.
    pub fn check(
        event: leptos::ev::MouseEvent,
        action: &'static str,
        report: RwSignal<Option<Result<Drawn, String>>>,
        pending: RwSignal<bool>,
    ) {
        let form = event
            .target()
            .and_then(|t| t.dyn_into::<Element>().ok())
            .and_then(|e| e.closest("form").ok().flatten())
            .and_then(|f| f.dyn_into::<HtmlFormElement>().ok());
        let Some(body) = form
            .and_then(|f| FormData::new_with_form(&f).ok())
            .and_then(|data| UrlSearchParams::new_with_str_sequence_sequence(&data).ok())
        else {
            return;
        };
        event.prevent_default();
        pending.set(true);
        leptos::task::spawn_local(async move {
            let result = post(action, &body).await;
            report.set(Some(result));
            pending.set(false);
        });
    }

    fn get(value: &JsValue, key: &str) -> JsValue {
        Reflect::get(value, &JsValue::from_str(key)).unwrap_or(JsValue::NULL)
    }

    fn millis(value: &JsValue) -> Option<u32> {
        value.as_f64().map(|m| m as u32)
    }

    /// A report from its JSON (`CheckReport`'s shape).
    fn drawn(json: &JsValue) -> Option<Drawn> {
        let steps = Array::from(&get(json, "steps"))
            .iter()
            .map(|s| {
                let state = match get(&s, "state").as_string()?.as_str() {
                    "passed" => StepState::Passed,
                    "failed" => StepState::Failed,
                    _ => StepState::Skipped,
                };
                Some(DrawnStep {
                    state,
                    kind: StepKind::from_wire(&get(&s, "kind").as_string()?)?,
                    detail: get(&s, "detail").as_string()?,
                    millis: millis(&get(&s, "millis")),
                })
            })
            .collect::<Option<Vec<_>>>()?;
        let failure = get(json, "failure")
            .as_string()
            .map(|name| Failure::from_wire(&name).unwrap_or(Failure::Unexpected));
        Some(Drawn {
            failure,
            millis: millis(&get(json, "millis"))?,
            tried: tried(
                &get(json, "target").as_string()?,
                get(json, "image").as_string().as_deref(),
            ),
            steps,
        })
    }

    /// An error answer's words: its detail, or each field's message.
    fn error_text(json: &JsValue) -> Option<String> {
        let detail = get(json, "detail");
        if let Some(text) = detail.as_string() {
            return Some(text);
        }
        let object = detail.dyn_into::<Object>().ok()?;
        let messages: Vec<String> = Object::values(&object)
            .iter()
            .filter_map(|m| m.as_string())
            .collect();
        (!messages.is_empty()).then(|| messages.join(" "))
    }

    async fn post(action: &str, body: &UrlSearchParams) -> Result<Drawn, String> {
        let failed = |_: JsValue| "The check could not be sent; try again.".to_owned();
        let init = RequestInit::new();
        init.set_method("POST");
        init.set_body(body);
        let headers = web_sys::Headers::new().map_err(failed)?;
        headers.set("accept", "application/json").map_err(failed)?;
        init.set_headers(&headers);
        let window = web_sys::window().ok_or("no window")?;
        let response: Response = JsFuture::from(window.fetch_with_str_and_init(action, &init))
            .await
            .map_err(failed)?
            .dyn_into()
            .map_err(failed)?;
        let text = JsFuture::from(response.text().map_err(failed)?)
            .await
            .map_err(failed)?
            .as_string()
            .unwrap_or_default();
        let json = JSON::parse(&text).unwrap_or(JsValue::NULL);
        if response.ok() {
            drawn(&json).ok_or_else(|| "The answer did not read as a report.".to_owned())
        } else {
            Err(error_text(&json)
                .unwrap_or_else(|| format!("The check failed (HTTP {}).", response.status())))
        }
    }
}
