//! `/projects`: every project the caller can see, grouped by owner, with region and role.

use crate::components::raw_text::PageTitle;
use leptos::prelude::*;

use crate::api::projects::list_projects;
use crate::components::{breadcrumbs::Breadcrumbs, error_notice::ErrorNotice};
use crate::domain::project::ProjectSummary;

/// The list of projects.
#[component]
pub fn ProjectsPage() -> impl IntoView {
    let projects = Resource::new(|| (), |_| list_projects());
    view! {
        <PageTitle text="Projects" />
        <Suspense fallback=|| {
            view! { <p>"Loading…"</p> }
        }>
            {move || Suspend::new(async move {
                match projects.await {
                    Ok(list) => view! { <ProjectList list /> }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ProjectList(list: Vec<ProjectSummary>) -> impl IntoView {
    let mut groups: Vec<(String, bool, Vec<ProjectSummary>)> = Vec::new();
    for p in list {
        match groups.last_mut() {
            Some((owner, _, items)) if *owner == p.owner => items.push(p),
            _ => groups.push((p.owner.clone(), p.owner_is_org, vec![p])),
        }
    }
    let empty = groups.is_empty();
    view! {
        <Breadcrumbs trail=vec![("Home".into(), Some("/".into())), ("Projects".into(), None)] />
        <div class="mt-2 flex flex-wrap items-center justify-between gap-2">
            <h1 class="text-2xl font-semibold">"Projects"</h1>
            <a href="/projects/new" class="btn-primary">
                "New project"
            </a>
        </div>
        {empty
            .then(|| {
                view! {
                    <p class="mt-4 text-sm text-slate-600 dark:text-slate-400">
                        "No projects yet. Create one under your account or an organization you administer; an organization's admins can also add you to theirs."
                    </p>
                }
            })}
        {groups
            .into_iter()
            .map(|(owner, is_org, items)| {
                let (heading_id, labelled_by) = (
                    format!("owner-{owner}"),
                    format!("owner-{owner}"),
                );
                view! {
                    <section class="mt-6" aria-labelledby=labelled_by>
                        <h2 id=heading_id class="text-lg font-semibold">
                            {if is_org {
                                view! {
                                    <a href=format!("/orgs/{owner}") class="hover:underline">
                                        {owner.clone()}
                                    </a>
                                }
                                    .into_any()
                            } else {
                                view! { <span>{owner.clone()} " (personal)"</span> }.into_any()
                            }}
                        </h2>
                        <ul class="mt-2 divide-y divide-slate-200 dark:divide-slate-800">
                            {items.into_iter().map(|p| project_row(p, false)).collect_view()}
                        </ul>
                    </section>
                }
            })
            .collect_view()}
    }
}

/// One project in a list: its name (with its owner when `with_owner`), a "current" badge, its
/// description, region and the caller's role.
pub fn project_row(p: ProjectSummary, with_owner: bool) -> impl IntoView {
    let label = if with_owner {
        format!("{}/{}", p.owner, p.name)
    } else {
        p.name.clone()
    };
    view! {
        <li class="flex flex-wrap items-center justify-between gap-2 py-2 text-sm">
            <span>
                <a
                    href=format!("/projects/{}/{}", p.owner, p.name)
                    class="font-medium text-sky-700 hover:underline dark:text-sky-400"
                >
                    {label}
                </a>
                {p
                    .is_current
                    .then_some(
                        view! {
                            <span class="ml-2 rounded bg-sky-100 px-1 text-xs text-sky-900 dark:bg-sky-900 dark:text-sky-100">
                                "current"
                            </span>
                        },
                    )}
                <span class="ml-2 text-slate-500 dark:text-slate-400">{p.description.clone()}</span>
            </span>
            <span class="text-slate-500 dark:text-slate-400">
                <span class="font-mono">{p.region.clone()}</span>
                " · "
                {p.role.as_str()}
            </span>
        </li>
    }
}
