//! `/projects/{owner}/{project}/credentials`: the registry credentials a project's services
//! pull with. Viewers see the list; developers and admins add, edit (`?edit=ID`) and delete
//! (`?delete=ID` asks first). The password is write-only: no page ever receives it.
//! `?image=` shows which credential a pull of that image uses.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::state::params::use_project_params;

use crate::api::credentials::{list_credentials, resolve_image};
use crate::components::{
    area::{ProjectArea, ProjectSection},
    check_report::{CheckSteps, kept_check},
    copy::CopyShort,
    error_notice::ErrorNotice,
    form::{FormError, form_error},
};
use crate::domain::{
    credential::{CredentialPage, CredentialView, DOCKER_HUB_LIMIT, MintedView, Resolution, field},
    credential_check::{CheckStatus, kept_key},
    expiry::Expiry,
    pull_secret::RECENT_EXPORT_SECS,
    when::{ago, short_utc},
};
use crate::pages::credential_forms::{Actions, AddEcrForm, AddForm, EditEcrForm, EditForm};

/// The credentials page.
#[component]
pub fn CredentialsPage() -> impl IntoView {
    let project = use_project_params();
    let query = use_query_map();
    let actions = Actions::default();
    let page = Resource::new(
        move || {
            (
                project.get(),
                query.with(|q| q.get("after")),
                actions.add.version().get()
                    + actions.add_ecr.version().get()
                    + actions.update.version().get()
                    + actions.update_ecr.version().get()
                    + actions.delete.version().get()
                    + actions.check.version().get(),
            )
        },
        |((owner, name), after, _)| list_credentials(owner, name, after),
    );
    // A Transition, not a Suspense: after an add, edit or delete the list refetches, and the
    // table must stay on screen until the new one replaces it (no "Loading…" flash).
    view! {
        <Transition fallback=|| {
            view! { <p>"Loading…"</p> }
        }>
            {move || Suspend::new(async move {
                let (owner, name) = project.get_untracked();
                match page.await {
                    Ok(page) => view! { <Credentials owner name page actions /> }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Credentials(
    owner: String,
    name: String,
    page: CredentialPage,
    actions: Actions,
) -> impl IntoView {
    let query = use_query_map();
    let full = format!("{owner}/{name}");
    let base = format!("/projects/{full}/credentials");
    // `?edit=ID` / `?delete=ID` pick a row; followed as the query changes (hydrated links
    // navigate without reloading the list).
    let picked = {
        let items = page.items.clone();
        move |key: &'static str| {
            let id = query.with(|q| q.get(key))?;
            items.iter().find(|c| c.id == id).cloned()
        }
    };
    let can_manage = page.can_manage;
    let empty = page.items.is_empty();
    view! {
        <ProjectArea project=page.project.clone() section=ProjectSection::Credentials>
            <h2 class="text-lg font-semibold">"Registry credentials"</h2>
            <p class="mt-1 text-sm text-slate-600 dark:text-slate-400">
                "What this project's services pull images with. Passwords are write-only: stored encrypted, never shown again."
            </p>
            {page
                .can_export
                .then(|| {
                    view! {
                        <p class="mt-2 text-sm">
                            <a
                                href=format!("/projects/{full}/pull-secret")
                                class="text-sky-700 underline dark:text-sky-400"
                            >
                                "Download pull secret"
                            </a>
                            " (a Kubernetes or docker auth file with these credentials and a pull-only KCR login)"
                        </p>
                    }
                })}
            <Imported />
            {page
                .can_manage
                .then(|| {
                    view! {
                        <p class="mt-2 text-sm">
                            <a
                                href=format!("/projects/{full}/credentials/import")
                                class="text-sky-700 underline dark:text-sky-400"
                            >
                                "Import from docker config.json"
                            </a>
                            " (the logins of docker login, podman or skopeo)"
                        </p>
                    }
                })}
            <ExpiryWarnings items=page.items.clone() />
            <ResolveForm owner=owner.clone() name=name.clone() base=base.clone() />
            <RowCheck items=page.items.clone() owner=owner.clone() name=name.clone() />
            {
                let (owner, name, base, picked) = (
                    owner.clone(),
                    name.clone(),
                    base.clone(),
                    picked.clone(),
                );
                move || {
                    picked("delete")
                        .filter(|_| can_manage)
                        .map(|c| {
                            view! {
                                <ConfirmDelete
                                    owner=owner.clone()
                                    name=name.clone()
                                    c
                                    base=base.clone()
                                    actions
                                />
                            }
                        })
                }
            }
            <FormError error=form_error(actions.delete) />
            <FormError error=form_error(actions.check) />
            {if empty {
                view! {
                    <p class="mt-6 text-sm">
                        "No credentials yet: pulls from private registries will fail until you add some."
                    </p>
                }
                    .into_any()
            } else {
                view! {
                    <CredentialTable
                        items=page.items.clone()
                        base=base.clone()
                        can_manage=page.can_manage
                        owner=owner.clone()
                        name=name.clone()
                        actions
                    />
                }
                    .into_any()
            }}
            {page
                .next
                .map(|next| {
                    view! {
                        <p class="mt-3 text-sm">
                            <a
                                href=format!("{base}?after={next}")
                                class="text-sky-700 underline dark:text-sky-400"
                            >
                                "Next page"
                            </a>
                        </p>
                    }
                })}
            {
                let (owner, name) = (owner.clone(), name.clone());
                move || {
                    picked("edit")
                        .filter(|_| can_manage)
                        .map(|c| {
                            let (owner, name) = (owner.clone(), name.clone());
                            if c.minted.is_some() {
                                view! { <EditEcrForm owner name c actions /> }.into_any()
                            } else {
                                view! { <EditForm owner name c actions /> }.into_any()
                            }
                        })
                }
            }
            {page
                .can_manage
                .then(|| {
                    view! {
                        <AddForm owner=owner.clone() name=name.clone() actions />
                        <AddEcrForm owner name actions />
                    }
                })}
        </ProjectArea>
    }
}

/// The credentials as a table that fits its column: a short ID with a copy button (the full ID
/// in its tooltip and on the clipboard), times as "3 hours ago" (the exact time on hover). At
/// phone width each row becomes a card (`.stack-table` in `style/main.css`). Cell styles are
/// the table's classes, not utility lists repeated on every cell.
#[component]
fn CredentialTable(
    items: Vec<CredentialView>,
    base: String,
    can_manage: bool,
    owner: String,
    name: String,
    actions: Actions,
) -> impl IntoView {
    let now = time::OffsetDateTime::now_utc();
    let when = move |at: &str, by: &Option<String>| {
        let by = by.clone().unwrap_or_else(|| "(deleted account)".into());
        view! {
            <time datetime=at.to_owned() title=short_utc(at)>
                {ago(at, now)}
            </time>
            <span class="by">"by " {by}</span>
        }
    };
    view! {
        <table class="stack-table mt-6">
            <thead>
                <tr>
                    <th scope="col">"ID"</th>
                    <th scope="col">"Server"</th>
                    <th scope="col">"Username"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col">"Expires"</th>
                    <th scope="col">"Added"</th>
                    <th scope="col">"Updated"</th>
                    <th scope="col">"Exported"</th>
                    {can_manage
                        .then(|| {
                            view! {
                                <th scope="col">
                                    <span class="sr-only">"Actions"</span>
                                </th>
                            }
                        })}
                </tr>
            </thead>
            <tbody>
                {items
                    .into_iter()
                    .map(|c| {
                        let (owner, name) = (owner.clone(), name.clone());
                        let id = c.id.clone();
                        let short = match (id.get(..8), id.get(id.len().saturating_sub(4)..)) {
                            (Some(head), Some(tail)) => format!("{head}…{tail}"),
                            _ => id.clone(),
                        };
                        // UUIDv7s made close together share their first digits (the time):
                        // the last ones tell rows apart.
                        view! {
                            <tr>
                                <td data-label="ID">
                                    <CopyShort
                                        short
                                        full=id.clone()
                                        title=id.clone()
                                        id=format!("cred-{id}")
                                        label=format!("Copy the ID of {}", c.server)
                                    />
                                </td>
                                <td
                                    data-label="Server"
                                    id=format!("server-{id}")
                                    class="min-w-36 font-mono break-all"
                                >
                                    {c.server.clone()}
                                </td>
                                <td data-label="Username" class="break-all">
                                    <div>
                                        {c.username.clone()}
                                        {(!c.email.is_empty())
                                            .then(|| {
                                                view! {
                                                    <span class="block text-xs text-slate-500 dark:text-slate-400">
                                                        {c.email.clone()}
                                                    </span>
                                                }
                                            })} {c.minted.as_ref().map(source)}
                                    </div>
                                </td>
                                <td data-label="Status" class="text-xs">
                                    <div>{status(&c.status, now)}</div>
                                </td>
                                <td data-label="Expires" class="text-xs">
                                    <div>
                                        {match &c.minted {
                                            Some(m) => token_life(m, now).into_any(),
                                            None => expires(&c).into_any(),
                                        }}
                                    </div>
                                </td>
                                <td data-label="Added" class="text-xs">
                                    {when(&c.added_at, &c.added_by)}
                                </td>
                                <td data-label="Updated" class="text-xs">
                                    {when(&c.updated_at, &c.updated_by)}
                                </td>
                                <td data-label="Exported" class="text-xs">
                                    {match &c.last_exported_at {
                                        Some(at) => when(at, &c.last_exported_by).into_any(),
                                        None => "never".into_any(),
                                    }}
                                </td>
                                {can_manage
                                    .then(|| {
                                        let check_id = id.clone();
                                        let described = format!("server-{id}");
                                        view! {
                                            <td class="actions">
                                                <ActionForm action=actions.check>
                                                    <input type="hidden" name="owner" value=owner />
                                                    <input type="hidden" name="name" value=name />
                                                    <input type="hidden" name=field::ID value=check_id />
                                                    <button
                                                        type="submit"
                                                        class="btn"
                                                        aria-describedby=described
                                                    >
                                                        "Check"
                                                    </button>
                                                </ActionForm>
                                                // GET forms: they work without JavaScript and
                                                // read as buttons. An ECR credential's Edit
                                                // changes its AWS keys.
                                                <form method="get" action=base.clone()>
                                                    <input type="hidden" name="edit" value=id.clone() />
                                                    <button
                                                        type="submit"
                                                        class="btn"
                                                        aria-describedby=format!("server-{id}")
                                                    >
                                                        "Edit"
                                                    </button>
                                                </form>
                                                <form method="get" action=base.clone()>
                                                    <input type="hidden" name="delete" value=id.clone() />
                                                    <button
                                                        type="submit"
                                                        class="btn-danger"
                                                        aria-describedby=format!("server-{id}")
                                                    >
                                                        "Delete"
                                                    </button>
                                                </form>
                                            </td>
                                        }
                                    })}
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn ConfirmDelete(
    owner: String,
    name: String,
    c: CredentialView,
    base: String,
    actions: Actions,
) -> impl IntoView {
    view! {
        <div
            role="alertdialog"
            aria-labelledby="confirm-delete"
            tabindex="-1"
            autofocus
            class="confirm mt-6"
        >
            <h2 id="confirm-delete" class="font-medium">
                {format!("Delete the credentials for {}?", c.server)}
            </h2>
            <p class="text-sm">"Pulls from this registry will fail until you add new ones."</p>
            {recently_exported(&c)
                .map(|(ago, by)| {
                    view! {
                        <p class="mt-2 text-sm font-medium text-amber-800 dark:text-amber-300">
                            {format!(
                                "These credentials went out in a pull secret {ago}{}. Clusters and pipelines holding that secret keep the password: deleting them here does not revoke it. Change the password at the registry as well.",
                                by.map(|b| format!(" (by {b})")).unwrap_or_default(),
                            )}
                        </p>
                    }
                })}
            <div class="mt-3 flex gap-2">
                <ActionForm action=actions.delete>
                    <input type="hidden" name="owner" value=owner />
                    <input type="hidden" name="name" value=name />
                    <input type="hidden" name=field::ID value=c.id.clone() />
                    <button type="submit" class="btn-danger">
                        "Delete credentials"
                    </button>
                </ActionForm>
                <a href=base class="btn">
                    "Cancel"
                </a>
            </div>
        </div>
    }
}

/// A credential's status cell: OK, failing (why) or untested, and when it was checked.
fn status(status: &CheckStatus, now: time::OffsetDateTime) -> impl IntoView + use<> {
    let checked = |at: &str| {
        view! {
            <time datetime=at.to_owned() title=short_utc(at) class="by">
                {format!("checked {}", ago(at, now))}
            </time>
        }
    };
    match status {
        CheckStatus::Untested => view! {
            <span class="status" data-status="untested">
                "not checked yet"
            </span>
        }
        .into_any(),
        CheckStatus::Ok { at } => view! {
            <span class="status" data-status="ok">
                "OK"
            </span>
            {checked(at)}
        }
        .into_any(),
        CheckStatus::Failing { reason, at } => view! {
            <span class="status" data-status="failing">
                "failing"
            </span>
            <span class="reason">{reason.clone()}</span>
            {checked(at)}
        }
        .into_any(),
    }
}

/// Where an Amazon ECR credential's password comes from: the key, and the role it assumes.
fn source(m: &MintedView) -> impl IntoView + use<> {
    let role = m
        .role_arn
        .as_deref()
        .map(|arn| arn.rsplit(['/', ':']).next().unwrap_or(arn).to_owned());
    view! {
        <span class="block text-xs text-slate-500 dark:text-slate-400" title=m.role_arn.clone()>
            // Words kept whole in the narrow column; the key ID may break anywhere.
            <span class="whitespace-nowrap">"Amazon ECR · key"</span>
            " "
            <span class="font-mono">{m.access_key_id.clone()}</span>
            {role
                .map(|name| {
                    view! {
                        " · role "
                        {name}
                    }
                })}
        </span>
    }
}

/// An Amazon ECR credential's expiry cell: until when its current password works and when it
/// was minted (Berth renews it), and the last renewal's failure while it keeps failing.
fn token_life(m: &MintedView, now: time::OffsetDateTime) -> impl IntoView + use<> {
    let until = m.token_expires_at.clone().map(|at| {
        let level = match time::OffsetDateTime::parse(
            &at,
            &time::format_description::well_known::Rfc3339,
        ) {
            Ok(t) if t <= now => "expired",
            _ => "later",
        };
        view! {
            <span class="expiry" data-expiry=level>
                "password until "
                <time datetime=at.clone()>{short_utc(&at)}</time>
            </span>
        }
    });
    let refreshed = m.token_refreshed_at.clone().map(|at| {
        view! {
            <time datetime=at.clone() title=short_utc(&at) class="by">
                {format!("renewed {}", ago(&at, now))}
            </time>
        }
    });
    let failing = m.refresh_error.clone().map(|reason| {
        view! {
            <span class="status" data-status="failing">
                "renewal failing"
            </span>
            <span class="reason">{reason}</span>
        }
    });
    view! {
        {until}
        {refreshed}
        {failing}
    }
}

/// A credential's expiry cell: the date and the days left, flagged from 14 days ahead.
fn expires(c: &CredentialView) -> impl IntoView + use<> {
    match (&c.expires_on, c.expiry) {
        (Some(date), Some(expiry)) => {
            let level = match expiry {
                Expiry::Later { .. } => "later",
                Expiry::Soon { .. } => "soon",
                Expiry::Expired { .. } => "expired",
            };
            view! {
                <span class="expiry" data-expiry=level>
                    {date.clone()}
                </span>
                <span class="by">{expiry.text()}</span>
            }
            .into_any()
        }
        _ => view! { <span class="by">"not set"</span> }.into_any(),
    }
}

/// "Imported N credentials", after an import (`?imported=N`).
#[component]
fn Imported() -> impl IntoView {
    let query = use_query_map();
    let count = query.with_untracked(|q| q.get("imported").and_then(|n| n.parse::<u32>().ok()))?;
    Some(view! {
        <p
            role="status"
            class="mt-4 rounded-md border border-emerald-300 bg-emerald-50 px-4 py-3 text-sm text-emerald-900 dark:border-emerald-800 dark:bg-emerald-950 dark:text-emerald-100"
        >
            {match count {
                1 => "Imported 1 credential from the config.json; it is not checked yet.".to_owned(),
                n => {
                    format!(
                        "Imported {n} credentials from the config.json; they are not checked yet.",
                    )
                }
            }}
        </p>
    })
}

/// The warning over the list when credentials expire within 14 days or have expired.
#[component]
fn ExpiryWarnings(items: Vec<CredentialView>) -> impl IntoView {
    let warnings: Vec<String> = items
        .iter()
        .filter_map(|c| {
            let expiry = c.expiry.filter(|e| e.warns())?;
            Some(format!(
                "Credentials for {}: {} ({}).",
                c.server,
                expiry.text(),
                c.expires_on.clone().unwrap_or_default()
            ))
        })
        .collect();
    (!warnings.is_empty()).then(|| {
        view! {
            <div role="alert" class="notice-warn mt-4" id="expiry-warnings">
                <p class="font-medium">"Credentials expire soon"</p>
                <ul class="mt-1 list-disc pl-5">
                    {warnings.into_iter().map(|w| view! { <li>{w}</li> }).collect_view()}
                </ul>
                <p class="mt-1">
                    "Renew the token at the registry, then update the password and date here."
                </p>
            </div>
        }
    })
}

/// The report of a row's "Check", when the page was sent back from one without JavaScript.
#[component]
fn RowCheck(items: Vec<CredentialView>, owner: String, name: String) -> impl IntoView {
    let kept = kept_check()?;
    let id = kept.of.strip_prefix(&kept_key(&owner, &name, "row:"))?;
    let server = items.iter().find(|c| c.id == id)?.server.clone();
    Some(view! {
        <section
            id="check-result"
            class="mt-4 scroll-mt-4 focus:outline-none"
            aria-label="Connection check"
            tabindex="-1"
            autofocus
        >
            <h3 class="font-medium">{format!("Connection check of {server}")}</h3>
            <CheckSteps report=kept.report />
        </section>
    })
}

/// When `c` went out in a pull secret within the last 30 days: how long ago, and by whom.
fn recently_exported(c: &CredentialView) -> Option<(String, Option<String>)> {
    let at = c.last_exported_at.as_deref()?;
    let when =
        time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).ok()?;
    let now = time::OffsetDateTime::now_utc();
    ((now - when).whole_seconds() < RECENT_EXPORT_SECS)
        .then(|| (ago(at, now), c.last_exported_by.clone()))
}

/// "Which credential will a pull use?": a GET form, answered by the server.
#[component]
fn ResolveForm(owner: String, name: String, base: String) -> impl IntoView {
    let query = use_query_map();
    let image = query.with_untracked(|q| q.get("image")).unwrap_or_default();
    let asked = image.clone();
    let resolution = Resource::new(
        move || query.with(|q| q.get("image")),
        move |image| {
            let (owner, name) = (owner.clone(), name.clone());
            async move {
                match image.filter(|i| !i.trim().is_empty()) {
                    Some(image) => Some(resolve_image(owner, name, image).await),
                    None => None,
                }
            }
        },
    );
    view! {
        <form method="get" action=base class="mt-4 flex flex-wrap items-end gap-2">
            <div class="space-y-1">
                <label for="resolve-image" class="block text-sm font-medium">
                    "Image"
                </label>
                <input
                    id="resolve-image"
                    name="image"
                    value=asked
                    placeholder="e.g. ghcr.io/acme/shop:1.0"
                    class="block w-72 rounded-md border border-slate-300 bg-white px-3 py-2 font-mono text-sm dark:border-slate-700 dark:bg-slate-900"
                />
            </div>
            <button type="submit" class="btn">
                "Which credentials?"
            </button>
        </form>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                resolution
                    .await
                    .map(|r| match r {
                        Ok(r) => {
                            view! {
                                <p role="status" class="mt-2 text-sm">
                                    {describe(&r)}
                                </p>
                            }
                                .into_any()
                        }
                        Err(e) => {
                            let message = e.field("image").unwrap_or_else(|| e.to_string());
                            view! {
                                <p role="alert" class="mt-2 text-sm text-red-600 dark:text-red-400">
                                    {message}
                                </p>
                            }
                                .into_any()
                        }
                    })
            })}
        </Suspense>
    }
}

fn describe(r: &Resolution) -> String {
    match r {
        Resolution::Credential { image, id, server } => format!(
            "A pull of {}/{} uses the credentials {id} ({server}).",
            image.host, image.repository
        ),
        Resolution::Kcr { image } => format!(
            "{} is KCR (built-in): Berth signs the pull of {} in itself.",
            image.host, image.repository
        ),
        Resolution::Anonymous {
            image,
            docker_hub_limit,
        } => {
            let mut text = format!(
                "No credentials for {}: a pull of {} is anonymous.",
                image.host, image.repository
            );
            if *docker_hub_limit {
                text.push(' ');
                text.push_str(DOCKER_HUB_LIMIT);
            }
            text
        }
    }
}
