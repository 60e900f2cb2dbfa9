//! `/activate`: where a person approves `berth login` on a device. The device shows a short
//! code (and a link with it filled in); signed in, the person sees which device asks (its
//! name and address) and for which scopes, and approves or denies. Approved, the device's next
//! poll receives a personal token named after it (`rules::device_logins`).

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::{
    auth::current_user,
    device::{ApproveDevice, DenyDevice, device_request},
};
use crate::components::{
    error_notice::ErrorNotice,
    form::{FormError, form_error},
    raw_text::PageTitle,
};
use crate::domain::{
    device::{DeviceRequestView, TOKEN_DAYS, field},
    token::Scope,
    when::short_utc,
};
use crate::error::AppError;

/// What the page shows, decided on the server.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
enum Step {
    /// Type the code.
    Enter { error: Option<String> },
    /// Approve or deny this device.
    Confirm(DeviceRequestView),
}

async fn step(code: String) -> Result<Step, AppError> {
    if current_user().await?.is_none() {
        return Err(AppError::Unauthenticated("Sign in to continue.".into()));
    }
    if code.trim().is_empty() {
        return Ok(Step::Enter { error: None });
    }
    match device_request(code).await {
        Ok(view) => Ok(Step::Confirm(view)),
        Err(AppError::Invalid(fields)) => Ok(Step::Enter {
            error: fields.get(field::CODE).cloned(),
        }),
        Err(err) => Err(err),
    }
}

/// The activation page.
#[component]
pub fn ActivatePage() -> impl IntoView {
    let query = use_query_map();
    let approve = ServerAction::<ApproveDevice>::new();
    let deny = ServerAction::<DenyDevice>::new();
    let done = move || query.read().get("done");
    let step = Resource::new(move || query.read().get("code").unwrap_or_default(), step);
    view! {
        <PageTitle text="Activate a device" />
        <h1 class="text-2xl font-semibold">"Activate a device"</h1>
        {move || match done().as_deref() {
            Some("approved") => {
                view! {
                    <p role="status" class="mt-4 max-w-prose">
                        "Device approved. It receives its token within a few seconds; you can close this tab and go back to the terminal. The token is listed under "
                        <a href="/account/tokens">"Access tokens"</a>
                        "."
                    </p>
                }
                    .into_any()
            }
            Some("denied") => {
                view! {
                    <p role="status" class="mt-4 max-w-prose">
                        "Denied. The device gets no token."
                    </p>
                }
                    .into_any()
            }
            _ => {
                view! {
                    <Transition fallback=|| {
                        view! { <p>"Loading…"</p> }
                    }>
                        {move || Suspend::new(async move {
                            match step.await {
                                Ok(Step::Enter { error }) => {
                                    view! { <EnterCode error /> }.into_any()
                                }
                                Ok(Step::Confirm(device)) => {
                                    view! { <Confirm device approve deny /> }.into_any()
                                }
                                Err(error) => view! { <ErrorNotice error /> }.into_any(),
                            }
                        })}
                    </Transition>
                }
                    .into_any()
            }
        }}
    }
}

#[component]
fn EnterCode(error: Option<String>) -> impl IntoView {
    let invalid = error.is_some();
    view! {
        <p class="mt-2 max-w-prose text-slate-600 dark:text-slate-400">
            "Type the code " <code class="font-mono">"berth login"</code> " shows in the terminal."
        </p>
        <form method="get" action="/activate" class="mt-4 flex max-w-md flex-wrap items-end gap-3">
            <div class="grow">
                <label for="device-code" class="block text-sm font-medium">
                    "Code"
                </label>
                <input
                    id="device-code"
                    name=field::CODE
                    class="input mt-1 w-full font-mono uppercase tracking-widest"
                    autocomplete="off"
                    autocapitalize="characters"
                    spellcheck="false"
                    placeholder="BCDF-GHJK"
                    required
                    aria-invalid=invalid.then_some("true")
                    aria-describedby=invalid.then_some("device-code-error")
                />
            </div>
            <button type="submit" class="btn-primary">
                "Continue"
            </button>
        </form>
        {error
            .map(|e| {
                view! {
                    <p id="device-code-error" role="alert" class="field-error mt-2">
                        {e}
                    </p>
                }
            })}
    }
}

#[component]
fn Confirm(
    device: DeviceRequestView,
    approve: ServerAction<ApproveDevice>,
    deny: ServerAction<DenyDevice>,
) -> impl IntoView {
    let (approve_code, deny_code) = (device.user_code.clone(), device.user_code.clone());
    let elsewhere = device.requested_addr != device.your_addr;
    let exports = device.scopes.contains(&Scope::PullSecretsExport);
    view! {
        <p class="mt-2 max-w-prose">
            "A device asks to act as you with a new personal access token. Approve only if you started "
            <code class="font-mono">"berth login"</code> " yourself and it shows this code."
        </p>
        <dl class="mt-4 grid max-w-xl grid-cols-[auto_1fr] gap-x-4 gap-y-2 text-sm">
            <dt class="font-medium">"Code"</dt>
            <dd class="font-mono tracking-widest">{device.user_code.clone()}</dd>
            <dt class="font-medium">"Device"</dt>
            <dd class="break-words">
                {device.client_name.clone()}
                <span class="text-slate-500 dark:text-slate-400">
                    " (the name the device gives itself)"
                </span>
            </dd>
            <dt class="font-medium">"From"</dt>
            <dd>
                <span class="font-mono">{device.requested_addr.clone()}</span>
                {if elsewhere {
                    view! {
                        <span class="block font-medium text-amber-800 dark:text-amber-300">
                            "Not the address you are at ("
                            <span class="font-mono">{device.your_addr.clone()}</span>
                            "). If you did not start this login on that machine, deny it: someone may have sent you this link."
                        </span>
                    }
                        .into_any()
                } else {
                    view! { <span>" (the address you are at)"</span> }.into_any()
                }}
            </dd>
            <dt class="font-medium">"Asked"</dt>
            <dd>{short_utc(&device.requested_at)}</dd>
            <dt class="font-medium">"Scopes"</dt>
            <dd>
                <ul>
                    {device
                        .scopes
                        .iter()
                        .map(|s| {
                            view! {
                                <li>
                                    <span class="font-mono">{s.as_str()}</span>
                                    ": "
                                    {s.description()}
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </dd>
            {exports
                .then(|| {
                    view! {
                        <dt class="sr-only">"Note"</dt>
                        <dd class="col-start-2 font-medium text-amber-800 dark:text-amber-300">
                            "pull-secrets:export lets the device read every registry password of the projects you administer."
                        </dd>
                    }
                })}
            <dt class="font-medium">"Token"</dt>
            <dd>
                "Named \"" {device.client_name.clone()} "\", expires in " {TOKEN_DAYS}
                " days; revoke it any time under Access tokens."
            </dd>
        </dl>
        <FormError error=form_error(approve) />
        <FormError error=form_error(deny) />
        <div class="mt-6 flex flex-wrap gap-3">
            <ActionForm action=approve>
                <input type="hidden" name=field::CODE value=approve_code />
                <button type="submit" class="btn-primary btn-large">
                    "Approve"
                </button>
            </ActionForm>
            <ActionForm action=deny>
                <input type="hidden" name=field::CODE value=deny_code />
                <button type="submit" class="btn btn-large">
                    "Deny"
                </button>
            </ActionForm>
        </div>
    }
}
