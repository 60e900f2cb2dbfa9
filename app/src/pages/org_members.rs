//! `/orgs/{org}/members`: the organization's members. Members see the list; admins invite,
//! change roles and remove members who are not owners, owners everyone (the server checks every
//! one regardless).

use leptos::prelude::*;

use crate::api::invitations::InviteOrgMember;
use crate::api::org_members::{ChangeOrgMemberRole, RemoveOrgMember};
use crate::api::orgs::get_org;
use crate::components::{
    area::{OrgArea, OrgSection},
    error_notice::ErrorNotice,
    member_table::MemberRow,
    members::{MemberActions, MembersSection, MembersView, role_options},
};
use crate::domain::{
    org::OrgView,
    role::{MemberRole, OrgAction, OrgRole},
};
use crate::state::params::use_org_param;

type Actions = MemberActions<InviteOrgMember, ChangeOrgMemberRole, RemoveOrgMember>;

/// The organization's members page.
#[component]
pub fn OrgMembersPage() -> impl IntoView {
    let org_name = use_org_param();
    let actions = Actions::new();
    let org = Resource::new(
        move || (org_name.get(), actions.version()),
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
    let members = MembersView {
        rows,
        scope: vec![("org", org.name.clone())],
        roles: role_options::<OrgRole>(owner),
        invite_role: OrgRole::INVITE_DEFAULT.name(),
        manage: admin,
        note: None,
        invitations: org.invitations.clone(),
    };
    view! {
        <OrgArea org=org.header() section=OrgSection::Members>
            <MembersSection members actions />
        </OrgArea>
    }
}
