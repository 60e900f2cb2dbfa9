//! `/projects/{owner}/{project}/push-paths`: where to push images for this project, with every
//! command ready to copy. Hydrated, the commands follow the Image and Tag fields as you type;
//! without JavaScript the same fields submit a GET form and the server renders them.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::state::params::use_project_params;

use crate::api::kcr::push_target;
use crate::components::{
    area::{ProjectArea, ProjectSection},
    copy::CopyBlock,
    error_notice::ErrorNotice,
};
use crate::domain::kcr::{Commands, ImageName, PushTargetView, Scope, Tag};

/// The push-paths page (anyone who can see the project).
#[component]
pub fn PushPathsPage() -> impl IntoView {
    let project = use_project_params();
    let target = Resource::new(
        move || project.get(),
        |(owner, name)| push_target(owner, name),
    );
    view! {
        <Suspense fallback=|| {
            view! { <p>"Loading…"</p> }
        }>
            {move || Suspend::new(async move {
                match target.await {
                    Ok(view) => view! { <PushPaths view /> }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The checked Image and Tag fields: both valid, or the field at fault and why (`None` while
/// the image is still empty).
type Parsed = Result<(ImageName, Tag), Option<(&'static str, String)>>;

#[component]
fn PushPaths(view: PushTargetView) -> impl IntoView {
    let query = use_query_map();
    let (image, tag) = query.with_untracked(|q| {
        (
            q.get("image").unwrap_or_default(),
            q.get("tag").unwrap_or_else(|| "latest".into()),
        )
    });
    let host = view.target.host.clone();
    let login = format!("docker login {host}");
    let region = format!("{} ({})", view.region.display_name, view.region.name);
    view! {
        <ProjectArea project=view.header() section=ProjectSection::PushPaths>
            <h2 class="text-lg font-semibold">"Push paths"</h2>
            <p class="mt-1 text-sm text-slate-600 dark:text-slate-400">
                "KCR of " {region} ": " <span class="font-mono break-all">{host}</span> "."
            </p>
            <p class="mt-1 text-sm text-slate-600 dark:text-slate-400">
                "Sign in to it with your Berth username and an "
                <a href="/account/tokens" class="text-sky-700 underline dark:text-sky-400">
                    "access token"
                </a> " (scope registry:push, or registry:pull to pull) as the password, e.g. "
                <code class="font-mono">{login}</code>
                "; your Berth password does not work there. What was pushed is under Repositories."
            </p>
            <PushPathBuilder view=view.clone() image tag />
        </ProjectArea>
    }
}

/// The Image and Tag fields and the commands for them: an island, so the commands follow the
/// fields as they are typed. Without JavaScript the fields submit a GET form and the server
/// renders the same island with the query's values.
#[island]
fn PushPathBuilder(view: PushTargetView, image: String, tag: String) -> impl IntoView {
    let (image0, tag0) = (image, tag);
    let image = RwSignal::new(image0.clone());
    let tag = RwSignal::new(tag0.clone());
    let parsed = Memo::new(move |_| -> Parsed {
        let raw = image.get();
        if raw.trim().is_empty() {
            return Err(None);
        }
        let image = ImageName::parse(&raw).map_err(|e| Some(("image", e)))?;
        let tag = Tag::parse(&tag.get()).map_err(|e| Some(("tag", e)))?;
        Ok((image, tag))
    });
    let t = view.target.clone();
    let base = format!("/projects/{}/{}/push-paths", t.owner, t.project);
    let field_error = move |field: &'static str| {
        move || match parsed.get() {
            Err(Some((f, message))) if f == field => Some(message),
            _ => None,
        }
    };
    view! {
        <form method="get" action=base class="mt-4 flex flex-wrap items-end gap-3">
            <div class="space-y-1">
                <label for="push-image" class="block text-sm font-medium">
                    "Image"
                </label>
                <input
                    id="push-image"
                    name="image"
                    value=image0
                    placeholder="e.g. shopping-cart"
                    autocomplete="off"
                    spellcheck="false"
                    on:input=move |ev| image.set(event_target_value(&ev))
                    aria-invalid=move || field_error("image")().is_some().then_some("true")
                    class="block rounded-md border border-slate-300 bg-white px-3 py-2 font-mono text-sm aria-[invalid=true]:border-red-500 dark:border-slate-700 dark:bg-slate-900"
                />
            </div>
            <div class="space-y-1">
                <label for="push-tag" class="block text-sm font-medium">
                    "Tag"
                </label>
                <input
                    id="push-tag"
                    name="tag"
                    value=tag0
                    autocomplete="off"
                    spellcheck="false"
                    on:input=move |ev| tag.set(event_target_value(&ev))
                    aria-invalid=move || field_error("tag")().is_some().then_some("true")
                    class="block w-32 rounded-md border border-slate-300 bg-white px-3 py-2 font-mono text-sm aria-[invalid=true]:border-red-500 dark:border-slate-700 dark:bg-slate-900"
                />
            </div>
            <button type="submit" class="btn">
                "Show commands"
            </button>
        </form>
        <div role="alert" class="mt-2 text-sm text-red-600 dark:text-red-400">
            {move || field_error("image")().map(|m| format!("Image: {m}"))}
            {move || field_error("tag")().map(|m| format!("Tag: {m}"))}
        </div>
        {move || {
            matches!(parsed.get(), Err(None))
                .then(|| {
                    view! {
                        <p class="mt-2 text-sm text-slate-600 dark:text-slate-400">
                            "Enter an image name to see the commands."
                        </p>
                    }
                })
        }}
        <ScopeSection view=view.clone() scope=Scope::Project parsed />
        {t
            .owner_is_org
            .then(|| view! { <ScopeSection view=view.clone() scope=Scope::Org parsed /> })}
    }
}

#[component]
fn ScopeSection(view: PushTargetView, scope: Scope, parsed: Memo<Parsed>) -> impl IntoView {
    let t = view.target.clone();
    let (heading, pattern, slug) = match scope {
        Scope::Project => (
            "This project".to_owned(),
            format!("{}/{}/{}/IMAGE[:TAG]", t.host, t.owner, t.project),
            "project",
        ),
        Scope::Org => (
            format!("Every project in {}", t.owner),
            format!("{}/{}/IMAGE[:TAG]", t.host, t.owner),
            "org",
        ),
    };
    let pullers = (scope == Scope::Org).then(|| {
        format!(
            "Every project of {} in {} can pull it: {}.",
            t.owner,
            view.region.name,
            view.org_projects.join(", ")
        )
    });
    let commands = Memo::new(move |_| {
        parsed
            .get()
            .ok()
            .and_then(|(image, tag)| t.commands(scope, &image, &tag))
    });
    let nested = move || {
        scope == Scope::Org && parsed.with(|p| p.as_ref().is_ok_and(|(i, _)| !i.is_one_part()))
    };
    let too_long =
        move || parsed.with(Result::is_ok) && commands.with(Option::is_none) && !nested();
    let (heading_id, labelled_by) = (format!("scope-{slug}"), format!("scope-{slug}"));
    view! {
        <section class="mt-8" aria-labelledby=labelled_by>
            <h2 id=heading_id class="text-lg font-semibold">
                {heading}
            </h2>
            <p class="font-mono text-sm break-all">{pattern}</p>
            {pullers
                .map(|p| view! { <p class="text-sm text-slate-600 dark:text-slate-400">{p}</p> })}
            {move || {
                nested()
                    .then(|| {
                        view! {
                            <p role="alert" class="text-sm text-red-600 dark:text-red-400">
                                "The organization's own images have one-part names (no \"/\"): a first part names a project."
                            </p>
                        }
                    })
            }}
            {move || {
                too_long()
                    .then(|| {
                        view! {
                            <p role="alert" class="text-sm text-red-600 dark:text-red-400">
                                "The whole path would be longer than 255 characters; choose a shorter image name."
                            </p>
                        }
                    })
            }}
            // One tool at a time: radio buttons styled as tabs pick the block shown
            // (`.tool-tabs` in style/main.css), without JavaScript too. Hidden, never removed,
            // while there are no commands: the choice survives a moment of invalid input.
            // Hydrated, `enhance` remembers the choice and applies it to every scope.
            <div
                class="tool-tabs"
                class:hidden=move || commands.with(Option::is_none)
                role="radiogroup"
                aria-label="Tool"
            >
                {(0..Commands::TITLES.len())
                    .map(|i| {
                        let id = format!("tool-{slug}-{i}");
                        view! {
                            <input
                                type="radio"
                                class="tool-radio"
                                name=format!("tool-{slug}")
                                id=id.clone()
                                checked=i == 0
                                data-tool=i
                            />
                            <label for=id class="tool-tab">
                                {Commands::TITLES[i].split(" (").next()}
                            </label>
                        }
                    })
                    .collect_view()}
                <div class="tool-panels">
                    {(0..Commands::TITLES.len())
                        .map(|i| {
                            let title = Commands::TITLES[i];
                            let block = move |c: &Option<Commands>| {
                                c.as_ref().map(|c| c.blocks()[i].1.to_owned()).unwrap_or_default()
                            };
                            let text = Signal::derive(move || commands.with(block));
                            view! { <CopyBlock title text id=format!("cmd-{slug}-{i}") /> }
                        })
                        .collect_view()}
                </div>
            </div>
        </section>
    }
}
