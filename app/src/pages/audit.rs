//! `/orgs/{org}/audit` and `/projects/{owner}/{project}/audit`: the audit log, newest first,
//! 50 to a page, filtered by action through a GET form (works without JavaScript).

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::state::params::{use_org_param, use_project_params};

use crate::api::audit::{org_audit_log, project_audit_log};
use crate::components::{
    area::{OrgArea, OrgSection, ProjectArea, ProjectSection},
    error_notice::ErrorNotice,
    pager::OlderLink,
};
use crate::domain::{
    audit::{AuditOf, AuditPage, describe, who},
    when::{ago, short_utc},
};
use crate::error::AppError;

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
    view! { <AuditLogPage page /> }
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
    view! { <AuditLogPage page /> }
}

/// Either log, in the area of whose log it is.
#[component]
fn AuditLogPage(page: Resource<Result<AuditPage, AppError>>) -> impl IntoView {
    view! {
        <Suspense fallback=|| {
            view! { <p>"Loading…"</p> }
        }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(page) => {
                        match page.of.clone() {
                            AuditOf::Org(org) => {
                                let base = format!("/orgs/{}/audit", org.name);
                                view! {
                                    <OrgArea org section=OrgSection::Audit>
                                        <AuditTable page base />
                                    </OrgArea>
                                }
                                    .into_any()
                            }
                            AuditOf::Project(project) => {
                                let base = format!(
                                    "/projects/{}/{}/audit",
                                    project.owner,
                                    project.name,
                                );
                                view! {
                                    <ProjectArea project section=ProjectSection::Audit>
                                        <AuditTable page base />
                                    </ProjectArea>
                                }
                                    .into_any()
                            }
                        }
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
    let now = time::OffsetDateTime::now_utc();
    view! {
        <h2 class="text-lg font-semibold">"Audit log"</h2>
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
            <button type="submit" class="btn">
                "Filter"
            </button>
        </form>
        {empty.then(|| view! { <p class="mt-4 text-sm">"Nothing recorded yet that matches."</p> })}
        <table class="stack-table mt-4">
            <thead>
                <tr>
                    <th scope="col">"When"</th>
                    <th scope="col">"Who"</th>
                    <th scope="col">"Action"</th>
                    <th scope="col">"Target"</th>
                    <th scope="col">"Details"</th>
                </tr>
            </thead>
            <tbody>
                {page
                    .entries
                    .into_iter()
                    .map(|e| {
                        let when = ago(&e.at, now);
                        let exact = short_utc(&e.at);
                        let by = who(&e);
                        view! {
                            <tr>
                                <td data-label="When" class="whitespace-nowrap">
                                    <time datetime=e.at title=exact>
                                        {when}
                                    </time>
                                </td>
                                <td data-label="Who">{by}</td>
                                <td data-label="Action" class="font-mono">
                                    {e.action}
                                </td>
                                <td data-label="Target" class="font-mono break-all">
                                    {e.target}
                                </td>
                                <td data-label="Details" class="text-xs break-words">
                                    <span>
                                        {describe(&e.details)
                                            .into_iter()
                                            .map(|(label, text)| {
                                                view! {
                                                    <span class="block">
                                                        {(!label.is_empty())
                                                            .then(|| {
                                                                view! { <span class="font-medium">{label} ": "</span> }
                                                            })} {text}
                                                    </span>
                                                }
                                            })
                                            .collect_view()}
                                        {e
                                            .client_addr
                                            .map(|a| {
                                                view! {
                                                    <span class="block text-slate-500 dark:text-slate-400">
                                                        "from " {a}
                                                    </span>
                                                }
                                            })}
                                    </span>
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
        <OlderLink href=older label="Older entries" />
    }
}
