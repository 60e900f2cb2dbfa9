//! Pending invitations as the admins of an organization or project see them, with a button to
//! revoke each.

use leptos::form::ActionForm;
use leptos::prelude::*;

use crate::api::invitations::RevokeInvitation;
use crate::components::{
    copy::CopyBlock,
    form::{FormError, form_error},
};
use crate::domain::{invitation::PendingInvitation, when::short_utc};

/// What the invite forms say about invitations.
pub const INVITE_HINT: &str = "They join once they accept; the invitation expires after 7 days.";

/// The pending invitations table (nothing when there are none).
#[component]
pub fn PendingInvitations(
    /// The invitations.
    list: Vec<PendingInvitation>,
    /// The revoke action of the page.
    revoke: ServerAction<RevokeInvitation>,
) -> impl IntoView {
    if list.is_empty() {
        return None;
    }
    Some(view! {
        <div class="mt-6">
            <h3 id="invitations-heading" class="font-medium">
                "Pending invitations"
            </h3>
            <FormError error=form_error(revoke) />
            <table class="stack-table mt-2" aria-labelledby="invitations-heading">
                <thead>
                    <tr>
                        <th scope="col">"Invitee"</th>
                        <th scope="col">"Role"</th>
                        <th scope="col">"Invited by"</th>
                        <th scope="col">"Expires"</th>
                        <th scope="col">
                            <span class="sr-only">"Actions"</span>
                        </th>
                    </tr>
                </thead>
                <tbody>
                    {list
                        .into_iter()
                        .map(|i| {
                            let label = format!("Revoke the invitation of {}", i.invitee);
                            let link = i
                                .link
                                .clone()
                                .map(|link| {
                                    // An email invitation is accepted through its link: the admin
                                    // passes it on.
                                    view! {
                                        <tr>
                                            <td colspan="5" class="block pb-3 sm:table-cell">
                                                <CopyBlock
                                                    title="Link to pass on (the account that accepts must have this email address)"
                                                    text=Signal::stored(link)
                                                    id=format!("invitation-link-{}", i.id)
                                                    wrap=true
                                                />
                                            </td>
                                        </tr>
                                    }
                                });
                            view! {
                                <tr>
                                    <td data-label="Invitee" class="font-mono break-all">
                                        {i.invitee}
                                    </td>
                                    <td data-label="Role">{i.role}</td>
                                    <td data-label="Invited by">
                                        {i.invited_by.unwrap_or_else(|| "—".into())}
                                    </td>
                                    <td data-label="Expires">
                                        <time datetime=i
                                            .expires_at
                                            .clone()>{short_utc(&i.expires_at)}</time>
                                    </td>
                                    <td class="actions">
                                        <ActionForm action=revoke>
                                            <input type="hidden" name="id" value=i.id />
                                            <button type="submit" class="btn-danger" aria-label=label>
                                                "Revoke"
                                            </button>
                                        </ActionForm>
                                    </td>
                                </tr>
                                {link}
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    })
}
