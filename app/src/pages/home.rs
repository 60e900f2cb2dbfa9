//! `/`: what Berth is, and where a signed-in user goes next.

use crate::components::raw_text::PageTitle;
use leptos::prelude::*;

use leptos::form::ActionForm;

use crate::api::invitations::{AcceptInvitation, DeclineInvitation, my_invitations};
use crate::api::orgs::list_orgs;
use crate::api::projects::list_projects;
use crate::components::form::{FormError, form_error};
use crate::domain::{invitation::InvitationView, org::OrgSummary, when::short_utc};
use crate::pages::projects::project_row;
use crate::state::session::use_session;

/// The start page.
#[component]
pub fn HomePage() -> impl IntoView {
    let session = use_session();
    view! {
        <PageTitle text="Home" />
        {move || {
            match session.user() {
                Some(user) => {
                    view! {
                        <h1 class="text-2xl font-semibold">
                            "Hello, " {user.display_name.clone()}
                        </h1>
                        <p class="mt-2 text-slate-600 dark:text-slate-400">
                            "You are signed in as @" {user.username.clone()}
                            {user
                                .is_instance_admin
                                .then_some(", the administrator of this Berth instance")} "."
                        </p>
                        <YourInvitations />
                        <YourProjects />
                        <YourOrganizations />
                        <p class="mt-8 flex flex-wrap gap-4 text-sm">
                            <a href="/regions" class="text-sky-700 underline dark:text-sky-400">
                                "Regions and their registries"
                            </a>
                            <a href="/account" class="text-sky-700 underline dark:text-sky-400">
                                "Manage your account"
                            </a>
                        </p>
                    }
                        .into_any()
                }
                None => {
                    view! {
                        <h1 class="text-2xl font-semibold">"Berth"</h1>
                        <p class="mt-2 max-w-prose text-slate-600 dark:text-slate-400">
                            "The self-hosted console for your container registries: the credentials your services pull images with, kept write-only and encrypted, and the paths to push your own images to."
                        </p>
                        <p class="mt-6 flex flex-wrap gap-3">
                            <a href="/login" class="btn btn-large">
                                "Sign in"
                            </a>
                            <a href="/signup" class="btn-primary btn-large">
                                "Sign up"
                            </a>
                        </p>
                    }
                        .into_any()
                }
            }
        }}
    }
}

/// Invitations waiting for the caller's answer (nothing when there are none). Answering one
/// refreshes the session, so the header's count follows.
#[component]
fn YourInvitations() -> impl IntoView {
    let accept = ServerAction::<AcceptInvitation>::new();
    let decline = ServerAction::<DeclineInvitation>::new();
    let list = Resource::new(
        move || (accept.version().get(), decline.version().get()),
        |_| my_invitations(),
    );
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let list = list.await.unwrap_or_default();
                (!list.is_empty())
                    .then(|| {
                        view! {
                            <section
                                id="invitations"
                                class="mt-8"
                                aria-labelledby="invitations-heading"
                            >
                                <h2 id="invitations-heading" class="text-lg font-semibold">
                                    "Invitations"
                                </h2>
                                <FormError error=form_error(accept) />
                                <FormError error=form_error(decline) />
                                <ul class="mt-2 divide-y divide-slate-200 dark:divide-slate-800">
                                    {list
                                        .into_iter()
                                        .map(|i| invitation_row(i, accept, decline))
                                        .collect_view()}
                                </ul>
                            </section>
                        }
                    })
            })}
        </Transition>
    }
}

fn invitation_row(
    i: InvitationView,
    accept: ServerAction<AcceptInvitation>,
    decline: ServerAction<DeclineInvitation>,
) -> impl IntoView {
    let target = i.target.label();
    let by = i
        .invited_by
        .map(|by| format!(" · invited by {by}"))
        .unwrap_or_default();
    let (accept_label, decline_label) = (
        format!("Accept the invitation to {target}"),
        format!("Decline the invitation to {target}"),
    );
    let id = i.id.clone();
    view! {
        <li class="flex flex-wrap items-center justify-between gap-2 py-2 text-sm">
            <span>
                "Join the " {i.target.kind()} " "
                <span class="font-mono font-medium">{target.clone()}</span> " as " {i.role.clone()}
                {i
                    .joins_org
                    .clone()
                    .map(|org| {
                        view! {
                            " (and the organization "
                            <span class="font-mono">{org}</span>
                            " as member)"
                        }
                    })}
                <span class="text-slate-500 dark:text-slate-400">
                    {by} " · expires " {short_utc(&i.expires_at)}
                </span>
            </span>
            {if i.needs_link {
                // Answered through its link only (an email address is not proof).
                view! {
                    <span class="text-slate-600 dark:text-slate-400">
                        "Answer it through the link you were sent."
                    </span>
                }
                    .into_any()
            } else {
                view! {
                    <span class="flex flex-wrap items-center gap-2">
                        <ActionForm action=accept>
                            <input type="hidden" name="id" value=id />
                            <button type="submit" class="btn-primary" aria-label=accept_label>
                                "Accept"
                            </button>
                        </ActionForm>
                        <ActionForm action=decline>
                            <input type="hidden" name="id" value=i.id />
                            <button type="submit" class="btn" aria-label=decline_label>
                                "Decline"
                            </button>
                        </ActionForm>
                    </span>
                }
                    .into_any()
            }}
        </li>
    }
}

/// How many projects the home page lists before "All projects".
const HOME_PROJECTS: usize = 8;

/// The caller's projects, the current one first, with owner, region and role; or how to start.
#[component]
fn YourProjects() -> impl IntoView {
    let projects = Resource::new(|| (), |_| list_projects());
    view! {
        <section class="mt-8" aria-labelledby="projects-heading">
            <div class="flex flex-wrap items-center justify-between gap-2">
                <h2 id="projects-heading" class="text-lg font-semibold">
                    "Your projects"
                </h2>
                <a href="/projects/new" class="btn-primary">
                    "New project"
                </a>
            </div>
            <Suspense fallback=|| {
                view! { <p>"Loading…"</p> }
            }>
                {move || Suspend::new(async move {
                    match projects.await {
                        Ok(list) if list.is_empty() => {
                            view! {
                                <p class="mt-2 text-sm text-slate-600 dark:text-slate-400">
                                    "No projects yet. Create one to store the credentials your services pull with and to get its push paths."
                                </p>
                            }
                                .into_any()
                        }
                        Ok(mut list) => {
                            let total = list.len();
                            list.sort_by_key(|p| !p.is_current);
                            list.truncate(HOME_PROJECTS);
                            view! {
                                <ul class="mt-2 divide-y divide-slate-200 dark:divide-slate-800">
                                    {list.into_iter().map(|p| project_row(p, true)).collect_view()}
                                </ul>
                                {(total > HOME_PROJECTS)
                                    .then(|| {
                                        view! {
                                            <p class="mt-2 text-sm">
                                                <a
                                                    href="/projects"
                                                    class="text-sky-700 underline dark:text-sky-400"
                                                >
                                                    {format!("All {total} projects")}
                                                </a>
                                            </p>
                                        }
                                    })}
                            }
                                .into_any()
                        }
                        Err(e) => view! { <p role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// The caller's organizations, or what to do when there are none.
#[component]
fn YourOrganizations() -> impl IntoView {
    let orgs = Resource::new(|| (), |_| list_orgs());
    view! {
        <section class="mt-8" aria-labelledby="orgs-heading">
            <div class="flex flex-wrap items-center justify-between gap-2">
                <h2 id="orgs-heading" class="text-lg font-semibold">
                    "Your organizations"
                </h2>
                <a href="/orgs/new" class="btn-primary">
                    "New organization"
                </a>
            </div>
            <Suspense fallback=|| {
                view! { <p>"Loading…"</p> }
            }>
                {move || Suspend::new(async move {
                    match orgs.await {
                        Ok(list) if list.is_empty() => {
                            view! {
                                <p class="mt-2 text-sm text-slate-600 dark:text-slate-400">
                                    "You are not in any organization yet. Create one to share projects with your team."
                                </p>
                            }
                                .into_any()
                        }
                        Ok(list) => {
                            view! {
                                <ul class="mt-2 divide-y divide-slate-200 dark:divide-slate-800">
                                    {list.into_iter().map(org_row).collect_view()}
                                </ul>
                            }
                                .into_any()
                        }
                        Err(e) => view! { <p role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

fn org_row(org: OrgSummary) -> impl IntoView {
    view! {
        <li class="flex items-center justify-between py-2 text-sm">
            <a
                href=format!("/orgs/{}", org.name)
                class="font-medium text-sky-700 hover:underline dark:text-sky-400"
            >
                {org.display_name}
            </a>
            <span class="text-slate-500 dark:text-slate-400">{org.role.as_str()}</span>
        </li>
    }
}
