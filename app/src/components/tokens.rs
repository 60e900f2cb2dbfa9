//! The parts of both token pages (a person's and a project's): the fields of the form, the
//! notice that shows a new token once, the table of live tokens, and the confirmation a revoke
//! asks first (`?revoke=ID`, like deleting a credential: one Enter never revokes), put
//! together as [`TokenSections`]; the pages only say whose tokens they are and what they post
//! to.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos::web_sys::FormData;
use serde::de::DeserializeOwned;
use server_fn::{Http, ServerFn, client::Client, codec::PostUrl, request::ClientReq};

use crate::components::{
    copy::CopyBlock,
    fields::{CONTROL, Field, FieldFrame, FieldIds},
    form::{FormError, FormFn, SubmitButton, field_error, form_error, hidden_fields, kept},
};
use crate::domain::{
    token::{
        CreatedToken, DEFAULT_DAYS, EXPIRY_CHOICES, NEVER, Scope, TokenList, TokenView, field,
    },
    when::{ago, short_utc},
};
use crate::error::AppError;

/// Whose tokens a tokens page shows, and in which words.
pub struct TokenOwner {
    /// Hidden `(name, value)` fields naming the project, as its functions take them (none for
    /// a person's own tokens).
    pub scope: Vec<(&'static str, String)>,
    /// The page's path (the revoke confirmation's way back).
    pub base: String,
    /// The heading of the live tokens.
    pub list_heading: &'static str,
    /// The heading of the new-token form.
    pub new_heading: &'static str,
    /// Project tokens (their `all` is bounded by the project token's reach).
    pub for_project: bool,
}

/// The new token (shown once), the live tokens with the revoke confirmation, and the
/// new-token form.
#[component]
pub fn TokenSections<C, V, CO, VO>(
    /// The tokens and the one just made.
    list: TokenList,
    /// Whose they are.
    owner: TokenOwner,
    /// The create action of the page.
    create: ServerAction<C>,
    /// The revoke action of the page.
    revoke: ServerAction<V>,
) -> impl IntoView
where
    C: FormFn + DeserializeOwned + ServerFn<Protocol = Http<PostUrl, CO>>,
    <<C::Client as Client<AppError>>::Request as ClientReq<AppError>>::FormData: From<FormData>,
    C::Client: Client<AppError>,
    V: FormFn + DeserializeOwned + ServerFn<Protocol = Http<PostUrl, VO>>,
    <<V::Client as Client<AppError>>::Request as ClientReq<AppError>>::FormData: From<FormData>,
    V::Client: Client<AppError>,
    CO: 'static,
    VO: 'static,
{
    let TokenOwner {
        scope,
        base,
        list_heading,
        new_heading,
        for_project,
    } = owner;
    let confirm = picked_for_revoke(&list.tokens).map(|token| {
        let fields = hidden_fields(&scope);
        view! {
            <ConfirmRevoke token=token.clone() cancel=base.clone()>
                <ActionForm action=revoke>
                    {fields} <input type="hidden" name=field::ID value=token.id.clone() />
                    <button type="submit" class="btn-danger">
                        "Revoke token"
                    </button>
                </ActionForm>
            </ConfirmRevoke>
        }
    });
    view! {
        <NewTokenNotice created=list.created />
        <section aria-labelledby="tokens-heading" class="mt-6">
            <h2 id="tokens-heading" class="text-lg font-semibold">
                {list_heading}
            </h2>
            <FormError error=form_error(revoke) />
            {confirm}
            <TokenTable tokens=list.tokens base />
        </section>
        <section aria-labelledby="new-token-heading" class="mt-10">
            <h2 id="new-token-heading" class="text-lg font-semibold">
                {new_heading}
            </h2>
            <ActionForm action=create attr:class="mt-4 max-w-xl space-y-4" attr:novalidate=true>
                <FormError error=form_error(create) />
                {hidden_fields(&scope)}
                <TokenFields
                    errors=[
                        field_error(create, field::NAME),
                        field_error(create, field::SCOPES),
                        field_error(create, field::EXPIRES),
                    ]
                    label_value=kept(create, field::NAME).unwrap_or_default()
                    scopes=Scope::ALL.to_vec()
                    for_project=for_project
                />
                <SubmitButton
                    label="Create token"
                    busy_label="Creating…"
                    pending=create.pending()
                />
            </ActionForm>
        </section>
    }
}

/// The label, scope and expiry fields of a new-token form.
#[component]
pub fn TokenFields(
    /// The errors of the label, scopes and expiry fields.
    errors: [Signal<Option<String>>; 3],
    /// The name typed before a refused post (`form::kept`).
    #[prop(optional)]
    label_value: String,
    /// Scopes the form offers.
    scopes: Vec<Scope>,
    /// The form makes project tokens (whose `all` is bounded by the project token's reach).
    #[prop(optional)]
    for_project: bool,
) -> impl IntoView {
    let [label_error, scopes_error, expires_error] = errors;
    let scope_error_id = FieldIds::new(field::SCOPES, None).error;
    let expiry_ids = FieldIds::new(field::EXPIRES, None);
    let scope_described = {
        let id = scope_error_id.clone();
        move || scopes_error.get().map(|_| id.clone())
    };
    let expiry_described = {
        let (hint, error) = (expiry_ids.hint.clone(), expiry_ids.error.clone());
        move || match expires_error.get() {
            Some(_) => format!("{hint} {error}"),
            None => hint.clone(),
        }
    };
    view! {
        <Field
            label="Token name"
            name=field::NAME
            value=label_value
            hint="Where it is used, e.g. \"GitHub Actions deploy\" (at most 64 characters)."
            error=label_error
        />
        <fieldset aria-describedby=scope_described>
            <legend class="text-sm font-medium">"Scopes"</legend>
            <ul class="mt-1 space-y-1">
                {scopes
                    .into_iter()
                    .map(|scope| {
                        let id = format!("scope-{}", scope.as_str().replace(':', "-"));
                        view! {
                            <li class="flex items-start gap-2 text-sm">
                                <input
                                    type="checkbox"
                                    id=id.clone()
                                    name="scopes[]"
                                    value=scope.as_str()
                                    class="mt-1"
                                />
                                <label for=id>
                                    <span class="font-mono">{scope.as_str()}</span>
                                    " — "
                                    {if for_project && scope == Scope::All {
                                        "Every scope above, within this project (never its members or settings)."
                                    } else {
                                        scope.description()
                                    }}
                                </label>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
            {move || {
                scopes_error
                    .get()
                    .map(|e| {
                        view! {
                            <p
                                id=scope_error_id.clone()
                                class="text-sm text-red-600 dark:text-red-400"
                            >
                                {e}
                            </p>
                        }
                    })
            }}
        </fieldset>
        <FieldFrame
            label="Expires"
            ids=expiry_ids.clone()
            hint=Some(
                "A token that never expires works until it is revoked, wherever it was copied to. Choose the shortest time that works.",
            )
            error=expires_error
        >
            <select
                id=expiry_ids.id.clone()
                name=field::EXPIRES
                aria-describedby=expiry_described
                aria-invalid=move || expires_error.get().is_some().then_some("true")
                class=CONTROL
            >
                {EXPIRY_CHOICES
                    .into_iter()
                    .map(|days| {
                        view! {
                            <option value=days.to_string() selected=days == DEFAULT_DAYS>
                                {format!("In {days} days")}
                            </option>
                        }
                    })
                    .collect_view()}
                <option value=NEVER>"Never (not recommended)"</option>
            </select>
        </FieldFrame>
    }
}

/// The token just made, with its copy button: its only showing.
#[component]
pub fn NewTokenNotice(created: Option<CreatedToken>) -> impl IntoView {
    created.map(|c| {
        let expiry = match c.expires_at.as_deref() {
            Some(at) => format!("It expires {}.", short_utc(at)),
            None => "It never expires: revoke it when it is no longer needed.".into(),
        };
        view! {
            <div
                role="status"
                class="mt-4 rounded-md border border-emerald-300 bg-emerald-50 p-4 dark:border-emerald-800 dark:bg-emerald-950"
            >
                <p class="font-medium">
                    {format!(
                        "Token \"{}\" created. Copy it now: Berth shows it only this once.",
                        c.name,
                    )}
                </p>
                <p class="mt-1 text-sm">{expiry}</p>
                <CopyBlock
                    title="Your new token"
                    text=Signal::stored(c.token)
                    id="new-token".into()
                    wrap=true
                />
            </div>
        }
    })
}

/// The token `?revoke=ID` names among `tokens`: the one to confirm.
pub fn picked_for_revoke(tokens: &[TokenView]) -> Option<TokenView> {
    let id = leptos_router::hooks::use_query_map().with_untracked(|q| q.get("revoke"))?;
    tokens.iter().find(|t| t.id == id).cloned()
}

/// "Revoke token NAME?": what stops working, the form that revokes (`children`, the page's
/// own action with a "Revoke token" button), and Cancel back to `cancel`. Focused when the
/// page opens on it.
#[component]
pub fn ConfirmRevoke(token: TokenView, cancel: String, children: Children) -> impl IntoView {
    view! {
        <div
            role="alertdialog"
            aria-labelledby="confirm-revoke"
            aria-describedby="confirm-revoke-what"
            tabindex="-1"
            autofocus
            class="confirm mt-4"
        >
            <h3 id="confirm-revoke" class="font-medium break-all">
                {format!("Revoke token {}?", token.name)}
            </h3>
            <p id="confirm-revoke-what" class="text-sm">
                {if token.pull_secret {
                    "Clusters and pipelines pulling with the pull secret it was made for stop pulling from KCR at once. This cannot be undone."
                } else {
                    "Whatever uses it (the berth CLI, a CI job, a script) is refused from its next request. This cannot be undone."
                }}
            </p>
            <div class="mt-3 flex flex-wrap gap-2">
                {children()} <a href=cancel class="btn">
                    "Cancel"
                </a>
            </div>
        </div>
    }
}

/// The live tokens; each row's Revoke opens the confirmation (`?revoke=ID` on `base`).
#[component]
pub fn TokenTable(
    tokens: Vec<TokenView>,
    /// The page's path (the revoke buttons' GET forms go there).
    base: String,
) -> impl IntoView {
    let now = time::OffsetDateTime::now_utc();
    if tokens.is_empty() {
        return view! { <p class="mt-2 text-sm">"No tokens yet."</p> }.into_any();
    }
    view! {
        <table class="stack-table mt-2" aria-labelledby="tokens-heading">
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Scopes"</th>
                    <th scope="col">"Created"</th>
                    <th scope="col">"Expires"</th>
                    <th scope="col">"Last used"</th>
                    <th scope="col">
                        <span class="sr-only">"Actions"</span>
                    </th>
                </tr>
            </thead>
            <tbody>
                {tokens
                    .into_iter()
                    .map(|t| {
                        let scopes = t
                            .scopes
                            .iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(" ");
                        let created = format!(
                            "{}{}",
                            ago(&t.created_at, now),
                            t.created_by.as_deref().map(|b| format!(" by {b}")).unwrap_or_default(),
                        );
                        let expires = match (&t.expires_at, t.expired) {
                            (Some(at), true) => format!("expired {}", short_utc(at)),
                            (Some(at), false) => short_utc(at),
                            (None, _) => "never".into(),
                        };
                        let used = match (&t.last_used_at, &t.last_used_addr) {
                            (Some(at), Some(addr)) => format!("{} from {addr}", ago(at, now)),
                            (Some(at), None) => ago(at, now),
                            _ => "never".into(),
                        };
                        let never_expires = t.expires_at.is_none();
                        view! {
                            <tr>
                                <td data-label="Name" class="break-all">
                                    {t.name.clone()}
                                    {t
                                        .pull_secret
                                        .then(|| {
                                            view! {
                                                <span
                                                    class="ml-2 rounded bg-slate-100 px-1.5 text-xs text-slate-700"
                                                    title="Made for a pull secret: pulls from KCR only, until it expires"
                                                >
                                                    "pull secret"
                                                </span>
                                            }
                                        })}
                                </td>
                                <td data-label="Scopes" class="font-mono text-xs">
                                    {scopes}
                                </td>
                                <td data-label="Created">
                                    <time
                                        datetime=t.created_at.clone()
                                        title=short_utc(&t.created_at)
                                    >
                                        {created}
                                    </time>
                                </td>
                                <td
                                    data-label="Expires"
                                    class=("text-amber-700", never_expires || t.expired)
                                >
                                    {expires}
                                </td>
                                <td data-label="Last used">{used}</td>
                                <td class="actions">
                                    <form method="get" action=base.clone()>
                                        <input type="hidden" name="revoke" value=t.id.clone() />
                                        <button
                                            type="submit"
                                            class="btn-danger"
                                            aria-label=format!("Revoke token {}", t.name)
                                        >
                                            "Revoke"
                                        </button>
                                    </form>
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}
