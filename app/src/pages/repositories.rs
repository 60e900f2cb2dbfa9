//! `/projects/{owner}/{project}/repositories`: what was pushed to KCR — the project's
//! repositories and its organization's shared ones — and, for the repository chosen
//! (`?repository=`), its tags 50 to a page: digest (short, with the full pull reference to
//! copy), size, pushed when and by whom, last pulled. Those who may delete get a Delete
//! button per image. Filled from the registry's notifications, not from its catalog.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::images::{DeleteImage, list_repositories};
use crate::components::{
    area::{ProjectArea, ProjectSection},
    copy::CopyShort,
    error_notice::ErrorNotice,
    form::{FormError, form_error},
    pager::OlderLink,
};
use crate::domain::{
    images::{RepositoriesPage, RepositoryView, TagPage, access_note, field, human_size},
    when::{ago_secs, rfc3339_secs, short_utc_secs},
};
use crate::state::params::use_project_params;

/// The Repositories page.
#[component]
pub fn RepositoriesPage() -> impl IntoView {
    let path = use_project_params();
    let query = use_query_map();
    let delete = ServerAction::<DeleteImage>::new();
    let page = Resource::new(
        move || {
            let ((owner, name), q) = (path.get(), query.read());
            (owner, name, q.get("repository"), q.get("after"))
        },
        |(owner, name, repository, after)| list_repositories(owner, name, repository, after),
    );
    view! {
        <Transition fallback=|| {
            view! { <p>"Loading…"</p> }
        }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(page) => view! { <Repositories page delete /> }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Repositories(page: RepositoriesPage, delete: ServerAction<DeleteImage>) -> impl IntoView {
    let header = page.header.clone();
    let base = format!("/projects/{}/{}/repositories", header.owner, header.name);
    let selected_name = page.selected.as_ref().map(|s| s.repository.name.clone());
    let host = page.host.clone();
    let empty = page.repositories.is_empty();
    let push_paths = format!("/projects/{}/{}/push-paths", header.owner, header.name);
    view! {
        <ProjectArea project=header.clone() section=ProjectSection::Repositories>
            <section aria-labelledby="repos-heading" class="mt-6">
                <h2 id="repos-heading" class="text-lg font-semibold">
                    "Repositories"
                </h2>
                {access_note(&header)
                    .map(|note| {
                        view! {
                            <p class="mt-1 max-w-prose text-sm text-slate-600 dark:text-slate-400">
                                {note}
                            </p>
                        }
                    })}
                {empty
                    .then(|| {
                        view! {
                            <p class="mt-2 text-sm">
                                "Nothing pushed yet. The "
                                <a href=push_paths class="text-sky-700 underline dark:text-sky-400">
                                    "push paths"
                                </a> " say where and how."
                            </p>
                        }
                    })}
                <RepositoryList
                    repositories=page.repositories.clone()
                    base=base.clone()
                    host=host.clone()
                    selected=selected_name
                />
            </section>
            {page
                .selected
                .map(|tags| {
                    view! {
                        <Tags
                            page=tags
                            base=base.clone()
                            host=host.clone()
                            owner=header.owner.clone()
                            name=header.name.clone()
                            delete
                        />
                    }
                })}
        </ProjectArea>
    }
}

#[component]
fn RepositoryList(
    repositories: Vec<RepositoryView>,
    base: String,
    host: String,
    selected: Option<String>,
) -> impl IntoView {
    if repositories.is_empty() {
        return ().into_any();
    }
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    view! {
        <table class="stack-table mt-2">
            <thead>
                <tr>
                    <th scope="col">"Repository"</th>
                    <th scope="col">"Reach"</th>
                    <th scope="col">"Tags"</th>
                    <th scope="col">"Last push"</th>
                </tr>
            </thead>
            <tbody>
                {repositories
                    .into_iter()
                    .map(|r| {
                        let href = format!("{base}?repository={}#tags", urlencoding(&r.name));
                        let current = selected.as_deref() == Some(r.name.as_str());
                        let full = format!("{host}/{}", r.name);
                        let reach = if r.shared {
                            "shared by the organization's projects"
                        } else {
                            "this project"
                        };
                        let pushed = r
                            .last_pushed_at
                            .map(|at| {
                                view! {
                                    <time datetime=rfc3339_secs(at) title=short_utc_secs(at)>
                                        {ago_secs(at, now)}
                                    </time>
                                }
                            });
                        view! {
                            <tr>
                                <td data-label="Repository" class="font-mono break-all">
                                    <a
                                        href=href
                                        aria-current=current.then_some("page")
                                        title=full
                                        class="text-sky-700 underline dark:text-sky-400"
                                        class=("font-semibold", current)
                                    >
                                        {r.name}
                                    </a>
                                </td>
                                <td data-label="Reach">{reach}</td>
                                <td data-label="Tags">{r.tags}</td>
                                <td data-label="Last push">{pushed}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
fn Tags(
    page: TagPage,
    base: String,
    host: String,
    owner: String,
    name: String,
    delete: ServerAction<DeleteImage>,
) -> impl IntoView {
    let repo = page.repository.name.clone();
    let may_delete = page.repository.may_delete;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let older = page.next.map(|next| {
        format!(
            "{base}?repository={}&after={}#tags",
            urlencoding(&repo),
            urlencoding(&next)
        )
    });
    let empty = page.tags.is_empty();
    view! {
        <section id="tags" aria-labelledby="tags-heading" class="mt-8">
            <h2 id="tags-heading" class="text-lg font-semibold break-all">
                "Tags of "
                <span class="font-mono">{repo.clone()}</span>
            </h2>
            <p class="mt-1 text-sm break-all">
                "Pull as " <code>{format!("{host}/{repo}:TAG")}</code> " or by digest, "
                <code>{format!("{host}/{repo}@sha256:…")}</code> "."
            </p>
            {may_delete
                .then(|| {
                    view! {
                        <p class="mt-1 text-sm text-slate-600 dark:text-slate-400">
                            "Deleting an image removes it and every tag on it from the registry; its layers are freed when the registry's garbage collector runs."
                        </p>
                    }
                })}
            <FormError error=form_error(delete) />
            {empty.then(|| view! { <p class="mt-2 text-sm">"No tags left."</p> })}
            <table class="stack-table mt-2">
                <thead>
                    <tr>
                        <th scope="col">"Tag"</th>
                        <th scope="col">"Digest"</th>
                        <th scope="col">"Size"</th>
                        <th scope="col">"Pushed"</th>
                        <th scope="col">"Last pulled"</th>
                        <th scope="col">
                            <span class="sr-only">"Actions"</span>
                        </th>
                    </tr>
                </thead>
                <tbody>
                    {page
                        .tags
                        .into_iter()
                        .enumerate()
                        .map(|(i, t)| {
                            let short = t.short_digest().to_owned();
                            let reference = format!("{host}/{repo}@{}", t.digest);
                            let ref_id = format!("digest-{i}");
                            let size = match (t.size, t.index) {
                                (Some(bytes), false) => human_size(bytes),
                                (Some(bytes), true) => format!("{} (index)", human_size(bytes)),
                                (None, _) => "—".into(),
                            };
                            let pushed = format!(
                                "{}{}",
                                ago_secs(t.pushed_at, now),
                                t
                                    .pushed_by
                                    .as_deref()
                                    .map(|b| format!(" by {b}"))
                                    .unwrap_or_default(),
                            );
                            let pulled = t
                                .last_pulled_at
                                .map_or_else(|| "never".to_owned(), |at| ago_secs(at, now));
                            let label = format!("Delete image {repo}:{}", t.tag);
                            let digest = t.digest.clone();
                            let action = may_delete
                                .then(|| {
                                    let (owner, name, repo) = (
                                        owner.clone(),
                                        name.clone(),
                                        repo.clone(),
                                    );
                                    view! {
                                        <ActionForm action=delete>
                                            <input type="hidden" name="owner" value=owner />
                                            <input type="hidden" name="name" value=name />
                                            <input type="hidden" name=field::REPOSITORY value=repo />
                                            <input type="hidden" name=field::DIGEST value=digest />
                                            <button type="submit" class="btn-danger" aria-label=label>
                                                "Delete"
                                            </button>
                                        </ActionForm>
                                    }
                                });
                            view! {
                                <tr>
                                    <td data-label="Tag" class="font-mono break-all">
                                        {t.tag.clone()}
                                    </td>
                                    <td data-label="Digest">
                                        <CopyShort
                                            short
                                            full=reference
                                            title=t.digest.clone()
                                            id=ref_id
                                            label=format!("Copy the pull reference of {}", t.tag)
                                        />
                                    </td>
                                    <td data-label="Size" class="whitespace-nowrap">
                                        {size}
                                    </td>
                                    <td data-label="Pushed">
                                        <time
                                            datetime=rfc3339_secs(t.pushed_at)
                                            title=short_utc_secs(t.pushed_at)
                                        >
                                            {pushed}
                                        </time>
                                    </td>
                                    <td data-label="Last pulled">{pulled}</td>
                                    <td class="actions">{action}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
            <OlderLink href=older label="Older tags" />
        </section>
    }
}

/// Percent-encodes a query value (repository names hold `/`; cursors hold `:`).
fn urlencoding(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
