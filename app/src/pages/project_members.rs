//! `/projects/{owner}/{project}/members`: who has a role in the project. Everyone with a role
//! sees the list; admins change roles, remove members, invite and withdraw invitations (the
//! server checks every one regardless).

use leptos::form::ActionForm;
use leptos::prelude::*;

use crate::api::invitations::{InviteProjectMember, RevokeInvitation};
use crate::api::project_members::{ChangeProjectMemberRole, RemoveProjectMember};
use crate::api::projects::get_project;
use crate::components::{
    area::{ProjectArea, ProjectSection},
    error_notice::ErrorNotice,
    fields::{Field, SelectField},
    form::{FormError, SubmitButton, field_error, form_error, kept},
    invitations::{INVITE_HINT, PendingInvitations},
    member_table::{MemberRow, MemberTable},
};
use crate::domain::{
    project::ProjectView,
    role::{ProjectAction, ProjectRole},
};
use crate::state::params::use_project_params;

/// The actions of the page, created here (inside the routes) so that a JavaScript-free post's
/// error reaches its form.
#[derive(Clone, Copy)]
struct Actions {
    invite: ServerAction<InviteProjectMember>,
    revoke: ServerAction<RevokeInvitation>,
    change: ServerAction<ChangeProjectMemberRole>,
    remove: ServerAction<RemoveProjectMember>,
}

/// The project's members page.
#[component]
pub fn ProjectMembersPage() -> impl IntoView {
    let path = use_project_params();
    let actions = Actions {
        invite: ServerAction::new(),
        revoke: ServerAction::new(),
        change: ServerAction::new(),
        remove: ServerAction::new(),
    };
    let project = Resource::new(
        move || {
            (
                path.get(),
                actions.invite.version().get()
                    + actions.revoke.version().get()
                    + actions.change.version().get()
                    + actions.remove.version().get(),
            )
        },
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

fn role_options() -> Vec<(String, String)> {
    ProjectRole::ALL
        .iter()
        .rev()
        .map(|r| (r.as_str().to_owned(), r.as_str().to_owned()))
        .collect()
}

#[component]
fn Members(p: ProjectView, actions: Actions) -> impl IntoView {
    let admin = p.my_role.allows(ProjectAction::ManageMembers);
    let rows: Vec<MemberRow> = p
        .members
        .iter()
        .map(|m| MemberRow {
            username: m.username.clone(),
            display_name: m.display_name.clone(),
            role: m.role.as_str(),
            manageable: true,
        })
        .collect();
    let note = if p.owner_is_org {
        "Owners and admins of the organization are admins of every project besides these members."
    } else {
        "The owner of a personal project is its admin besides these members."
    };
    view! {
        <ProjectArea project=p.header() section=ProjectSection::Members>
            <section aria-labelledby="members-heading">
                <h2 id="members-heading" class="text-lg font-semibold">
                    "Members"
                </h2>
                <p class="text-sm text-slate-600 dark:text-slate-400">{note}</p>
                <FormError error=form_error(actions.change) />
                <FormError error=form_error(actions.remove) />
                {if rows.is_empty() {
                    view! { <p class="mt-2 text-sm">"No members yet."</p> }.into_any()
                } else {
                    view! {
                        <MemberTable
                            rows=rows
                            scope=vec![("owner", p.owner.clone()), ("name", p.name.clone())]
                            roles=role_options()
                            manage=admin
                            change=actions.change
                            remove=actions.remove
                        />
                    }
                        .into_any()
                }}
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
                                <input type="hidden" name="owner" value=p.owner.clone() />
                                <input type="hidden" name="name" value=p.name.clone() />
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
                                    options=role_options()
                                    selected=kept(actions.invite, "role")
                                        .unwrap_or_else(|| "viewer".into())
                                    error=field_error(actions.invite, "role")
                                />
                                <SubmitButton
                                    label="Send invitation"
                                    busy_label="Inviting…"
                                    pending=actions.invite.pending()
                                />
                            </ActionForm>
                            <PendingInvitations list=p.invitations.clone() revoke=actions.revoke />
                        }
                    })}
            </section>
        </ProjectArea>
    }
}
