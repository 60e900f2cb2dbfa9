//! `/projects/{owner}/{project}`: a project's overview — its region and registry host, its
//! description, the caller's role — and the way into its sections.

use leptos::form::ActionForm;
use leptos::prelude::*;

use crate::api::projects::{SetCurrentProject, get_project};
use crate::components::{
    area::{ProjectArea, ProjectSection},
    error_notice::ErrorNotice,
};
use crate::domain::{project::ProjectView, role::ProjectAction, when::short_utc_secs};
use crate::state::params::use_project_params;

/// The project's overview page.
#[component]
pub fn ProjectPage() -> impl IntoView {
    let path = use_project_params();
    let current = ServerAction::<SetCurrentProject>::new();
    let project = Resource::new(
        move || (path.get(), current.version().get()),
        |((owner, name), _)| get_project(owner, name),
    );
    view! {
        <Transition fallback=|| {
            view! { <p>"Loading…"</p> }
        }>
            {move || Suspend::new(async move {
                match project.await {
                    Ok(p) => view! { <Overview p current /> }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Overview(p: ProjectView, current: ServerAction<SetCurrentProject>) -> impl IntoView {
    let full = format!("{}/{}", p.owner, p.name);
    let (region, push_to) = match &p.region {
        Some(r) => (
            format!("{} ({})", r.display_name, r.name),
            format!("{}/{full}/IMAGE", r.kcr_host),
        ),
        None => (
            format!("{} (no longer configured)", p.region_name),
            "— (the region has no registry)".to_owned(),
        ),
    };
    let role_note = (!p.my_role.allows(ProjectAction::ManageMembers)).then(|| {
        format!(
            "You have the {} role: you can see this project but not manage its members or settings.",
            p.my_role.as_str(),
        )
    });
    view! {
        <ProjectArea project=p.header() section=ProjectSection::Overview>
            <h2 class="sr-only">"Overview"</h2>
            {(!p.credential_alerts.is_empty())
                .then(|| {
                    view! {
                        <div role="alert" class="notice-warn mb-4" id="credential-alerts">
                            <p class="font-medium">"Registry credentials need attention"</p>
                            <ul class="mt-1 list-disc pl-5">
                                {p
                                    .credential_alerts
                                    .iter()
                                    .map(|a| {
                                        view! {
                                            <li>
                                                <span class="font-mono break-all">{a.server.clone()}</span>
                                                ": "
                                                {a.problem.clone()}
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ul>
                            <p class="mt-1">
                                <a href=format!("/projects/{full}/credentials") class="underline">
                                    "Go to Credentials"
                                </a>
                            </p>
                        </div>
                    }
                })}
            <div class="flex flex-wrap items-center justify-between gap-2">
                <p class="text-slate-700 dark:text-slate-300">
                    {if p.description.is_empty() {
                        "No description.".to_owned()
                    } else {
                        p.description.clone()
                    }}
                </p>
                {if p.is_current {
                    view! {
                        <span class="text-sm text-slate-500 dark:text-slate-400">
                            "Your current project"
                        </span>
                    }
                        .into_any()
                } else {
                    view! {
                        <ActionForm action=current>
                            <input type="hidden" name="project" value=full.clone() />
                            <button type="submit" class="btn">
                                "Make current"
                            </button>
                        </ActionForm>
                    }
                        .into_any()
                }}
            </div>
            <dl class="mt-4 grid grid-cols-1 gap-2 text-sm sm:grid-cols-[10rem_1fr]">
                <dt class="font-medium">"Region"</dt>
                <dd>{region}</dd>
                <dt class="font-medium">"Push images to"</dt>
                <dd class="break-all font-mono">{push_to}</dd>
                <dt class="font-medium">"Your role"</dt>
                <dd>{p.my_role.as_str()}</dd>
                <dt class="font-medium">"Members"</dt>
                <dd>{p.members.len()}</dd>
                <dt class="font-medium">"Created"</dt>
                <dd>{short_utc_secs(p.created_at)}</dd>
            </dl>
            {role_note
                .map(|note| {
                    view! {
                        <p class="mt-4 rounded-md border border-slate-200 bg-slate-100 px-4 py-3 text-sm dark:border-slate-800 dark:bg-slate-900">
                            {note}
                        </p>
                    }
                })}
        </ProjectArea>
    }
}
