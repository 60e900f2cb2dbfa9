//! `/projects/{owner}/{project}/tokens`: the project's access tokens, for CI (its admins):
//! make one (shown once), see the live ones, revoke. A project token is no one's: it outlives
//! whoever made it, acts with a developer's reach at most, and goes with the project.

use leptos::form::ActionForm;
use leptos::prelude::*;

use crate::api::tokens::{CreateProjectToken, RevokeProjectToken, list_project_tokens};
use crate::components::{
    area::{ProjectArea, ProjectSection},
    error_notice::ErrorNotice,
    form::{FormError, SubmitButton, field_error, form_error, kept},
    tokens::{ConfirmRevoke, NewTokenNotice, TokenFields, TokenTable, picked_for_revoke},
};
use crate::domain::token::{Scope, TokenList, field};
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
    let base = format!("/projects/{owner}/{name}/tokens");
    let confirm = picked_for_revoke(&list.tokens).map(|token| {
        let (owner, name) = (owner.clone(), name.clone());
        view! {
            <ConfirmRevoke token=token.clone() cancel=base.clone()>
                <ActionForm action=revoke>
                    <input type="hidden" name="owner" value=owner />
                    <input type="hidden" name="name" value=name />
                    <input type="hidden" name=field::ID value=token.id.clone() />
                    <button type="submit" class="btn-danger">
                        "Revoke token"
                    </button>
                </ActionForm>
            </ConfirmRevoke>
        }
    });
    view! {
        <ProjectArea project=header section=ProjectSection::Tokens>
            <p class="mt-4 max-w-2xl text-sm text-slate-600 dark:text-slate-400">
                "For CI and services: a project token belongs to the project, not to a person. It keeps working when its creator leaves, reaches this project only (never its members or settings), and is deleted with it."
            </p>
            <NewTokenNotice created=list.created />
            <section aria-labelledby="tokens-heading" class="mt-6">
                <h2 id="tokens-heading" class="text-lg font-semibold">
                    "Project tokens"
                </h2>
                <FormError error=form_error(revoke) />
                {confirm}
                <TokenTable tokens=list.tokens base />
            </section>
            <section aria-labelledby="new-token-heading" class="mt-10">
                <h2 id="new-token-heading" class="text-lg font-semibold">
                    "New project token"
                </h2>
                <ActionForm action=create attr:class="mt-4 max-w-xl space-y-4" attr:novalidate=true>
                    <FormError error=form_error(create) />
                    <input type="hidden" name="owner" value=owner />
                    <input type="hidden" name="name" value=name />
                    <TokenFields
                        errors=[
                            field_error(create, field::NAME),
                            field_error(create, field::SCOPES),
                            field_error(create, field::EXPIRES),
                        ]
                        label_value=kept(create, field::NAME).unwrap_or_default()
                        scopes=Scope::ALL.to_vec()
                        for_project=true
                    />
                    <SubmitButton
                        label="Create token"
                        busy_label="Creating…"
                        pending=create.pending()
                    />
                </ActionForm>
            </section>
        </ProjectArea>
    }
        .into_any()
}
