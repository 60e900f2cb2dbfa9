//! `/account/tokens`: the signed-in person's access tokens: make one (shown once), see the
//! live ones, revoke. A personal token reaches what its owner's roles allow, within its scopes.

use leptos::prelude::*;

use crate::api::tokens::{CreatePersonalToken, RevokePersonalToken, list_personal_tokens};
use crate::components::{
    breadcrumbs::Breadcrumbs,
    error_notice::ErrorNotice,
    raw_text::PageTitle,
    tokens::{TokenOwner, TokenSections},
};
use crate::domain::token::TokenList;

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
    let owner = TokenOwner {
        scope: Vec::new(),
        base: "/account/tokens".to_owned(),
        list_heading: "Your tokens",
        new_heading: "New token",
        for_project: false,
    };
    view! { <TokenSections list owner create revoke /> }
}
