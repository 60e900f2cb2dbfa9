//! `/projects/{owner}/{project}/members`: who has a role in the project. Everyone with a role
//! sees the list; admins change roles, remove members, invite and withdraw invitations (the
//! server checks every one regardless).

use leptos::prelude::*;

use crate::api::invitations::InviteProjectMember;
use crate::api::project_members::{ChangeProjectMemberRole, RemoveProjectMember};
use crate::api::projects::get_project;
use crate::components::{
    area::{ProjectArea, ProjectSection},
    error_notice::ErrorNotice,
    member_table::MemberRow,
    members::{MemberActions, MembersSection, MembersView, role_options},
};
use crate::domain::{
    project::ProjectView,
    role::{MemberRole, ProjectAction, ProjectRole},
};
use crate::state::params::use_project_params;

type Actions = MemberActions<InviteProjectMember, ChangeProjectMemberRole, RemoveProjectMember>;

/// The project's members page.
#[component]
pub fn ProjectMembersPage() -> impl IntoView {
    let path = use_project_params();
    let actions = Actions::new();
    let project = Resource::new(
        move || (path.get(), actions.version()),
        |((owner, name), _)| get_project(owner, name),
    );
    view! {
        <Transition fallback=|| {
            view! { <p>"Loading…"</p> }
        }>
            {move || Suspend::new(async move {
                match project.await {
                    Ok(p) => view! { <Members p actions /> }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Members(p: ProjectView, actions: Actions) -> impl IntoView {
    let rows = p
        .members
        .iter()
        .map(|m| MemberRow {
            username: m.username.clone(),
            display_name: m.display_name.clone(),
            role: m.role.as_str(),
            manageable: true,
        })
        .collect();
    let members = MembersView {
        rows,
        scope: vec![("owner", p.owner.clone()), ("name", p.name.clone())],
        roles: role_options::<ProjectRole>(true),
        invite_role: ProjectRole::INVITE_DEFAULT.name(),
        manage: p.my_role.allows(ProjectAction::ManageMembers),
        note: Some(if p.owner_is_org {
            "Owners and admins of the organization are admins of every project besides these members."
        } else {
            "The owner of a personal project is its admin besides these members."
        }),
        invitations: p.invitations.clone(),
    };
    view! {
        <ProjectArea project=p.header() section=ProjectSection::Members>
            <MembersSection members actions />
        </ProjectArea>
    }
}
