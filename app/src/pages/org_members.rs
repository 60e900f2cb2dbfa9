//! `/orgs/{org}/members`: the organization's members. Members see the list; admins invite,
//! change roles and remove members who are not owners, owners everyone (the server checks every
//! one regardless).

use leptos::form::ActionForm;
use leptos::prelude::*;

use crate::api::invitations::{InviteOrgMember, RevokeInvitation};
use crate::api::org_members::{ChangeOrgMemberRole, RemoveOrgMember};
use crate::api::orgs::get_org;
use crate::components::{
    area::{OrgArea, OrgSection},
    error_notice::ErrorNotice,
    fields::{Field, SelectField},
    form::{FormError, SubmitButton, field_error, form_error, kept},
    invitations::{INVITE_HINT, PendingInvitations},
    member_table::{MemberRow, MemberTable},
};
use crate::domain::{
    org::OrgView,
    role::{OrgAction, OrgRole},
};
use crate::state::params::use_org_param;

/// The actions of the page, created inside the routes so a JavaScript-free post's error
/// reaches its form.
#[derive(Clone, Copy)]
struct Actions {
    invite: ServerAction<InviteOrgMember>,
    revoke: ServerAction<RevokeInvitation>,
    change: ServerAction<ChangeOrgMemberRole>,
    remove: ServerAction<RemoveOrgMember>,
}

/// The organization's members page.
#[component]
pub fn OrgMembersPage() -> impl IntoView {
    let org_name = use_org_param();
    let actions = Actions {
        invite: ServerAction::new(),
        revoke: ServerAction::new(),
        change: ServerAction::new(),
        remove: ServerAction::new(),
    };
    let org = Resource::new(
        move || {
            (
                org_name.get(),
                actions.invite.version().get()
                    + actions.revoke.version().get()
                    + actions.change.version().get()
                    + actions.remove.version().get(),
            )
        },
        |(name, _)| get_org(name),
    );
    view! {
        <Transition fallback=|| {
            view! { <p>"Loading…"</p> }
        }>
            {move || Suspend::new(async move {
                match org.await {
                    Ok(org) => view! { <Members org actions /> }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

fn role_options(owner: bool) -> Vec<(String, String)> {
    OrgRole::ALL
        .iter()
        .rev()
        .filter(|r| owner || **r != OrgRole::Owner)
        .map(|r| (r.as_str().to_owned(), r.as_str().to_owned()))
        .collect()
}

#[component]
fn Members(org: OrgView, actions: Actions) -> impl IntoView {
    let admin = org.my_role.allows(OrgAction::ManageMembers);
    let owner = org.my_role.allows(OrgAction::ManageOwners);
    // Admins manage members and admins; owners everyone.
    let rows = org
        .members
        .iter()
        .map(|m| MemberRow {
            username: m.username.clone(),
            display_name: m.display_name.clone(),
            role: m.role.as_str(),
            manageable: owner || (admin && m.role != OrgRole::Owner),
        })
        .collect();
    view! {
        <OrgArea org=org.header() section=OrgSection::Members>
            <section aria-labelledby="members-heading">
                <h2 id="members-heading" class="text-lg font-semibold">
                    "Members"
                </h2>
                <FormError error=form_error(actions.change) />
                <FormError error=form_error(actions.remove) />
                <MemberTable
                    rows=rows
                    scope=vec![("org", org.name.clone())]
                    roles=role_options(owner)
                    manage=admin
                    change=actions.change
                    remove=actions.remove
                />
                {admin
                    .then(|| {
                        view! {
                            <ActionForm
                                action=actions.invite
                                attr:class="mt-4 max-w-md space-y-3"
                                attr:novalidate=true
                            >
                                <h3 class="font-medium">"Invite a member"</h3>
                                <FormError error=form_error(actions.invite) />
                                <input type="hidden" name="org" value=org.name.clone() />
                                <Field
                                    label="Username or email"
                                    name="login"
                                    value=kept(actions.invite, "login").unwrap_or_default()
                                    hint=INVITE_HINT
                                    error=field_error(actions.invite, "login")
                                />
                                <SelectField
                                    label="Role"
                                    name="role"
                                    options=role_options(owner)
                                    selected=kept(actions.invite, "role")
                                        .unwrap_or_else(|| "member".into())
                                    error=field_error(actions.invite, "role")
                                />
                                <SubmitButton
                                    label="Send invitation"
                                    busy_label="Inviting…"
                                    pending=actions.invite.pending()
                                />
                            </ActionForm>
                            <PendingInvitations
                                list=org.invitations.clone()
                                revoke=actions.revoke
                            />
                        }
                    })}
            </section>
        </OrgArea>
    }
}
