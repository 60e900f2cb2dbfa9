//! `/account/tokens`: the signed-in person's access tokens: make one (shown once), see the
//! live ones, revoke. A personal token reaches what its owner's roles allow, within its scopes.

use leptos::form::ActionForm;
use leptos::prelude::*;

use crate::api::tokens::{CreatePersonalToken, RevokePersonalToken, list_personal_tokens};
use crate::components::{
    breadcrumbs::Breadcrumbs,
    error_notice::ErrorNotice,
    form::{FormError, SubmitButton, field_error, form_error, kept},
    raw_text::PageTitle,
    tokens::{ConfirmRevoke, NewTokenNotice, TokenFields, TokenTable, picked_for_revoke},
};
use crate::domain::token::{Scope, TokenList, field};

/// The personal tokens page.
#[component]
pub fn AccountTokensPage() -> impl IntoView {
    let create = ServerAction::<CreatePersonalToken>::new();
    let revoke = ServerAction::<RevokePersonalToken>::new();
    let tokens = Resource::new(|| (), |_| list_personal_tokens());
    view! {
        <PageTitle text="Access tokens" />
        <Breadcrumbs trail=vec![
            ("Home".into(), Some("/".into())),
            ("Account".into(), Some("/account".into())),
            ("Access tokens".into(), None),
        ] />
        <h1 class="mt-2 text-2xl font-semibold">"Access tokens"</h1>
        <p class="mt-1 max-w-2xl text-sm text-slate-600 dark:text-slate-400">
            "For the berth CLI, scripts and CI: send one as "
            <code class="font-mono">"Authorization: Bearer <token>"</code>
            ". A token never reaches further than your own roles, and stops reaching a project when you leave it."
        </p>
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
    create: ServerAction<CreatePersonalToken>,
    revoke: ServerAction<RevokePersonalToken>,
) -> impl IntoView {
    let base = "/account/tokens".to_owned();
    let confirm = picked_for_revoke(&list.tokens).map(|token| {
        view! {
            <ConfirmRevoke token=token.clone() cancel=base.clone()>
                <ActionForm action=revoke>
                    <input type="hidden" name=field::ID value=token.id.clone() />
                    <button type="submit" class="btn-danger">
                        "Revoke token"
                    </button>
                </ActionForm>
            </ConfirmRevoke>
        }
    });
    view! {
        <NewTokenNotice created=list.created />
        <section aria-labelledby="tokens-heading" class="mt-6">
            <h2 id="tokens-heading" class="text-lg font-semibold">
                "Your tokens"
            </h2>
            <FormError error=form_error(revoke) />
            {confirm}
            <TokenTable tokens=list.tokens base />
        </section>
        <section aria-labelledby="new-token-heading" class="mt-10">
            <h2 id="new-token-heading" class="text-lg font-semibold">
                "New token"
            </h2>
            <ActionForm action=create attr:class="mt-4 max-w-xl space-y-4" attr:novalidate=true>
                <FormError error=form_error(create) />
                <TokenFields
                    errors=[
                        field_error(create, field::NAME),
                        field_error(create, field::SCOPES),
                        field_error(create, field::EXPIRES),
                    ]
                    label_value=kept(create, field::NAME).unwrap_or_default()
                    scopes=Scope::ALL.to_vec()
                />
                <SubmitButton
                    label="Create token"
                    busy_label="Creating…"
                    pending=create.pending()
                />
            </ActionForm>
        </section>
    }
}
