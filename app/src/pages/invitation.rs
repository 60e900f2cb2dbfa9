//! `/invitation?id=…&token=…`: the link of an invitation to an email address, which its admin
//! passed on. The signed-in invitee (the account with that address) accepts or declines here;
//! anyone else is sent to sign in, or told it is not theirs.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::invitations::{AcceptInvitation, DeclineInvitation, get_invitation};
use crate::components::{
    error_notice::ErrorNotice,
    form::{FormError, form_error},
    raw_text::PageTitle,
};
use crate::domain::{invitation::InvitationView, when::short_utc};

/// The invitation page.
#[component]
pub fn InvitationPage() -> impl IntoView {
    let query = use_query_map();
    let accept = ServerAction::<AcceptInvitation>::new();
    let decline = ServerAction::<DeclineInvitation>::new();
    let invitation = Resource::new(
        move || {
            let q = query.read();
            (
                q.get("id").unwrap_or_default(),
                q.get("token").unwrap_or_default(),
            )
        },
        |(id, token)| get_invitation(id, token),
    );
    view! {
        <PageTitle text="Invitation" />
        <Transition fallback=|| {
            view! { <p>"Loading…"</p> }
        }>
            {move || Suspend::new(async move {
                match invitation.await {
                    Ok(i) => {
                        let token = query.read().get("token").unwrap_or_default();
                        view! { <Invitation i token accept decline /> }.into_any()
                    }
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Invitation(
    i: InvitationView,
    token: String,
    accept: ServerAction<AcceptInvitation>,
    decline: ServerAction<DeclineInvitation>,
) -> impl IntoView {
    let by = i.invited_by.clone().unwrap_or_else(|| "An admin".into());
    let (accept_id, decline_id) = (i.id.clone(), i.id.clone());
    let decline_token = token.clone();
    view! {
        <h1 class="text-2xl font-semibold">"Invitation"</h1>
        <p class="mt-2 max-w-prose">
            {by} " invites you to join the " {i.target.kind()} " "
            <span class="font-mono font-medium">{i.target.label()}</span> " as " {i.role.clone()}
            "."
        </p>
        {i
            .joins_org
            .clone()
            .map(|org| {
                view! {
                    <p class="mt-1 max-w-prose">
                        "Accepting also makes you a member of the organization "
                        <span class="font-mono font-medium">{org}</span> "."
                    </p>
                }
            })}
        <p class="mt-1 text-sm text-slate-600 dark:text-slate-400">
            "The invitation expires " {short_utc(&i.expires_at)} "."
        </p>
        <FormError error=form_error(accept) />
        <FormError error=form_error(decline) />
        <div class="mt-6 flex flex-wrap gap-3">
            <ActionForm action=accept>
                <input type="hidden" name="id" value=accept_id />
                <input type="hidden" name="token" value=token />
                <button type="submit" class="btn-primary btn-large">
                    "Accept"
                </button>
            </ActionForm>
            <ActionForm action=decline>
                <input type="hidden" name="id" value=decline_id />
                <input type="hidden" name="token" value=decline_token />
                <button type="submit" class="btn btn-large">
                    "Decline"
                </button>
            </ActionForm>
        </div>
    }
}
