//! `/projects/{owner}/{project}/tokens`: the project's access tokens, for CI (its admins):
//! make one (shown once), see the live ones, revoke. A project token is no one's: it outlives
//! whoever made it, acts with a developer's reach at most, and goes with the project.

use leptos::prelude::*;

use crate::api::tokens::{CreateProjectToken, RevokeProjectToken, list_project_tokens};
use crate::components::{
    area::{ProjectArea, ProjectSection},
    error_notice::ErrorNotice,
    tokens::{TokenOwner, TokenSections},
};
use crate::domain::token::TokenList;
use crate::error::AppError;
use crate::state::params::use_project_params;

/// The project's tokens page.
#[component]
pub fn ProjectTokensPage() -> impl IntoView {
    let path = use_project_params();
    let create = ServerAction::<CreateProjectToken>::new();
    let revoke = ServerAction::<RevokeProjectToken>::new();
    let tokens = Resource::new(
        move || path.get(),
        |(owner, name)| list_project_tokens(owner, name),
    );
    view! {
        <Transition fallback=|| {
            view! { <p>"Loading…"</p> }
        }>
            {move || Suspend::new(async move {
                match tokens.await {
                    Ok(list) => view! { <Tokens list create revoke /> }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Tokens(
    list: TokenList,
    create: ServerAction<CreateProjectToken>,
    revoke: ServerAction<RevokeProjectToken>,
) -> impl IntoView {
    let Some(header) = list.project.clone() else {
        return view! { <ErrorNotice error=AppError::Internal /> }.into_any();
    };
    let (owner, name) = (header.owner.clone(), header.name.clone());
    let owner = TokenOwner {
        base: format!("/projects/{owner}/{name}/tokens"),
        scope: vec![("owner", owner), ("name", name)],
        list_heading: "Project tokens",
        new_heading: "New project token",
        for_project: true,
    };
    view! {
        <ProjectArea project=header section=ProjectSection::Tokens>
            <p class="mt-4 max-w-2xl text-sm text-slate-600 dark:text-slate-400">
                "For CI and services: a project token belongs to the project, not to a person. It keeps working when its creator leaves, reaches this project only (never its members or settings), and is deleted with it."
            </p>
            <TokenSections list owner create revoke />
        </ProjectArea>
    }
        .into_any()
}
