//! `/orgs/{org}`: an organization's projects (the ones the caller can see) and the way into its
//! sections. Members see it; anyone else gets 404.

use leptos::prelude::*;

use crate::api::orgs::get_org;
use crate::api::projects::list_projects;
use crate::components::{
    area::{OrgArea, OrgSection},
    error_notice::ErrorNotice,
};
use crate::domain::{org::OrgView, project::ProjectSummary, role::OrgAction};
use crate::pages::projects::project_row;
use crate::state::params::use_org_param;

/// The organization's projects page.
#[component]
pub fn OrgPage() -> impl IntoView {
    let org_name = use_org_param();
    let org = Resource::new(
        move || org_name.get(),
        |name| async move {
            let org = get_org(name).await?;
            let projects: Vec<ProjectSummary> = list_projects()
                .await?
                .into_iter()
                .filter(|p| p.owner_is_org && p.owner == org.name)
                .collect();
            Ok((org, projects))
        },
    );
    view! {
        <Suspense fallback=|| {
            view! { <p>"Loading…"</p> }
        }>
            {move || Suspend::new(async move {
                match org.await {
                    Ok((org, projects)) => view! { <Projects org projects /> }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Projects(org: OrgView, projects: Vec<ProjectSummary>) -> impl IntoView {
    let admin = org.my_role.allows(OrgAction::ManageProjects);
    let empty = if admin {
        "No projects yet. Create the first one: its images live under this organization's name."
    } else {
        "You have no role in any of this organization's projects yet; its admins can invite you."
    };
    view! {
        <OrgArea org=org.header() section=OrgSection::Projects>
            <div class="flex flex-wrap items-center justify-between gap-2">
                <h2 class="text-lg font-semibold">"Projects"</h2>
                {admin
                    .then(|| {
                        view! {
                            <a href=format!("/projects/new?owner={}", org.name) class="btn-primary">
                                "New project"
                            </a>
                        }
                    })}
            </div>
            {if projects.is_empty() {
                view! { <p class="mt-2 text-sm text-slate-600 dark:text-slate-400">{empty}</p> }
                    .into_any()
            } else {
                view! {
                    <ul class="mt-2 divide-y divide-slate-200 dark:divide-slate-800">
                        {projects.into_iter().map(|p| project_row(p, false)).collect_view()}
                    </ul>
                }
                    .into_any()
            }}
        </OrgArea>
    }
}
