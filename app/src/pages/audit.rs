//! `/orgs/{org}/audit` and `/projects/{owner}/{project}/audit`: the audit log, newest first,
//! 50 to a page, filtered by action through a GET form (works without JavaScript).

use crate::components::raw_text::PageTitle;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::state::params::{use_org_param, use_project_params};

use crate::api::audit::{org_audit_log, project_audit_log};
use crate::components::{
    breadcrumbs::Breadcrumbs,
    error_notice::ErrorNotice,
    styles::{SECONDARY_BUTTON, TH},
};
use crate::domain::audit::AuditPage;

/// An organization's audit log (its admins and owners).
#[component]
pub fn OrgAuditPage() -> impl IntoView {
    let org = use_org_param();
    let query = use_query_map();
    let page = Resource::new(
        move || {
            let q = query.read();
            (org.get(), q.get("before"), q.get("action"))
        },
        |(org, before, action)| org_audit_log(org, before, action),
    );
    view! {
        <Suspense fallback=|| {
            view! { <p>"Loading…"</p> }
        }>
            {move || Suspend::new(async move {
                let org = org.get_untracked();
                match page.await {
                    Ok(page) => {
                        view! {
                            <PageTitle text=format!("Audit log · {org}") />
                            <Breadcrumbs trail=vec![
                                ("Home".into(), Some("/".into())),
                                (org.clone(), Some(format!("/orgs/{org}"))),
                                ("Audit log".into(), None),
                            ] />
                            <AuditTable page base=format!("/orgs/{org}/audit") />
                        }
                            .into_any()
                    }
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// A project's audit log (its admins).
#[component]
pub fn ProjectAuditPage() -> impl IntoView {
    let project = use_project_params();
    let query = use_query_map();
    let page = Resource::new(
        move || {
            let ((owner, name), q) = (project.get(), query.read());
            (owner, name, q.get("before"), q.get("action"))
        },
        |(owner, name, before, action)| project_audit_log(owner, name, before, action),
    );
    view! {
        <Suspense fallback=|| {
            view! { <p>"Loading…"</p> }
        }>
            {move || Suspend::new(async move {
                let (owner, name) = project.get_untracked();
                match page.await {
                    Ok(page) => {
                        view! {
                            <PageTitle text=format!("Audit log · {owner}/{name}") />
                            <Breadcrumbs trail=vec![
                                ("Home".into(), Some("/".into())),
                                ("Projects".into(), Some("/projects".into())),
                                (
                                    format!("{owner}/{name}"),
                                    Some(format!("/projects/{owner}/{name}")),
                                ),
                                ("Audit log".into(), None),
                            ] />
                            <AuditTable page base=format!("/projects/{owner}/{name}/audit") />
                        }
                            .into_any()
                    }
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn AuditTable(page: AuditPage, base: String) -> impl IntoView {
    let query = use_query_map();
    let action = query.read_untracked().get("action").unwrap_or_default();
    let older = page.next.map(|next| {
        let mut href = format!("{base}?before={next}");
        if !action.is_empty() {
            href.push_str(&format!("&action={action}"));
        }
        href
    });
    let empty = page.entries.is_empty();
    view! {
        <h1 class="mt-2 text-2xl font-semibold">"Audit log"</h1>
        <form method="get" action=base.clone() class="mt-4 flex flex-wrap items-end gap-2">
            <div class="space-y-1">
                <label for="audit-action" class="block text-sm font-medium">
                    "Action"
                </label>
                <input
                    id="audit-action"
                    name="action"
                    value=action.clone()
                    placeholder="e.g. project.member_added"
                    class="block rounded-md border border-slate-300 bg-white px-3 py-2 text-sm dark:border-slate-700 dark:bg-slate-900"
                />
            </div>
            <button type="submit" class=SECONDARY_BUTTON>
                "Filter"
            </button>
        </form>
        {empty.then(|| view! { <p class="mt-4 text-sm">"Nothing recorded yet that matches."</p> })}
        <div class="relative mt-4 overflow-x-auto">
            <table class="w-full text-left text-sm">
                <thead class="border-b border-slate-300 dark:border-slate-700">
                    <tr>
                        <th scope="col" class=TH>
                            "When"
                        </th>
                        <th scope="col" class=TH>
                            "Who"
                        </th>
                        <th scope="col" class=TH>
                            "Action"
                        </th>
                        <th scope="col" class=TH>
                            "Target"
                        </th>
                        <th scope="col" class=TH>
                            "Details"
                        </th>
                    </tr>
                </thead>
                <tbody>
                    {page
                        .entries
                        .into_iter()
                        .map(|e| {
                            view! {
                                <tr class="border-b border-slate-200 align-top dark:border-slate-800">
                                    <td class="py-2 pr-4 whitespace-nowrap">
                                        <time datetime=e.at.clone()>{e.at.clone()}</time>
                                    </td>
                                    <td class="py-2 pr-4">
                                        {e.actor.unwrap_or_else(|| "(deleted account)".into())}
                                    </td>
                                    <td class="py-2 pr-4 font-mono">{e.action}</td>
                                    <td class="py-2 pr-4 font-mono">{e.target}</td>
                                    <td class="py-2 pr-4 break-all font-mono text-xs">
                                        {e.details}
                                        {e
                                            .client_addr
                                            .map(|a| {
                                                view! {
                                                    <span class="block text-slate-500">"from " {a}</span>
                                                }
                                            })}
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
        {older
            .map(|href| {
                view! {
                    <p class="mt-4">
                        <a href=href class="text-sky-700 underline dark:text-sky-400">
                            "Older entries"
                        </a>
                    </p>
                }
            })}
    }
}
