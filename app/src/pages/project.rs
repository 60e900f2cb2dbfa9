//! `/projects/{owner}/{project}`: overview, members and settings of one project. Everyone with
//! a role sees it; only admins get the forms that change it (the server checks regardless).

use crate::components::raw_text::PageTitle;
use crate::state::params::use_project_params;
use leptos::form::ActionForm;
use leptos::prelude::*;

use crate::api::invitations::{InviteProjectMember, RevokeInvitation};
use crate::api::project_members::{ChangeProjectMemberRole, RemoveProjectMember};
use crate::api::projects::{DeleteProject, SetCurrentProject, UpdateProject, get_project};
use crate::components::{
    breadcrumbs::Breadcrumbs,
    error_notice::ErrorNotice,
    fields::Field,
    fields::{SelectField, TextAreaField},
    form::{FormError, SubmitButton, field_error, form_error, kept},
    invitations::{INVITE_HINT, PendingInvitations},
    member_table::{MemberRow, MemberTable},
    styles::{DANGER_BUTTON, SECONDARY_BUTTON},
};
use crate::domain::{
    project::{DESCRIPTION_MAX_CHARS, ProjectView, field},
    role::{ProjectAction, ProjectRole},
};

/// The actions of the page, created here (inside the routes) so that a JavaScript-free post's
/// error reaches its form.
#[derive(Clone, Copy)]
struct Actions {
    invite: ServerAction<InviteProjectMember>,
    revoke: ServerAction<RevokeInvitation>,
    change: ServerAction<ChangeProjectMemberRole>,
    remove: ServerAction<RemoveProjectMember>,
    update: ServerAction<UpdateProject>,
    delete: ServerAction<DeleteProject>,
    current: ServerAction<SetCurrentProject>,
}

/// The project page.
#[component]
pub fn ProjectPage() -> impl IntoView {
    let path = use_project_params();
    let actions = Actions {
        invite: ServerAction::new(),
        revoke: ServerAction::new(),
        change: ServerAction::new(),
        remove: ServerAction::new(),
        update: ServerAction::new(),
        delete: ServerAction::new(),
        current: ServerAction::new(),
    };
    let project = Resource::new(
        move || {
            let (owner, name) = path.get();
            (
                owner,
                name,
                actions.invite.version().get()
                    + actions.revoke.version().get()
                    + actions.change.version().get()
                    + actions.remove.version().get()
                    + actions.current.version().get(),
            )
        },
        |(owner, name, _)| get_project(owner, name),
    );
    view! {
        <Transition fallback=|| {
            view! { <p>"Loading…"</p> }
        }>
            {move || Suspend::new(async move {
                match project.await {
                    Ok(p) => view! { <Project p actions /> }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Project(p: ProjectView, actions: Actions) -> impl IntoView {
    let admin = p.my_role.allows(ProjectAction::ManageMembers);
    let full = format!("{}/{}", p.owner, p.name);
    let owner_link = if p.owner_is_org {
        Some(format!("/orgs/{}", p.owner))
    } else {
        None
    };
    let region = match &p.region {
        Some(r) => format!("{} ({}), KCR host {}", r.display_name, r.name, r.kcr_host),
        None => format!("{} (no longer configured)", p.region_name),
    };
    view! {
        <PageTitle text=full.clone() />
        <Breadcrumbs trail=vec![
            ("Home".into(), Some("/".into())),
            ("Projects".into(), Some("/projects".into())),
            (p.owner.clone(), owner_link),
            (p.name.clone(), None),
        ] />
        <div class="mt-2 flex flex-wrap items-center justify-between gap-2">
            <h1 class="text-2xl font-semibold">{full.clone()}</h1>
            {if p.is_current {
                view! { <span class="text-sm text-slate-500">"Your current project"</span> }
                    .into_any()
            } else {
                view! {
                    <ActionForm action=actions.current>
                        <input type="hidden" name="project" value=full.clone() />
                        <button type="submit" class=SECONDARY_BUTTON>
                            "Make current"
                        </button>
                    </ActionForm>
                }
                    .into_any()
            }}
        </div>
        <dl class="mt-4 grid grid-cols-1 gap-2 text-sm sm:grid-cols-[10rem_1fr]">
            <dt class="font-medium">"Region"</dt>
            <dd>{region}</dd>
            <dt class="font-medium">"Description"</dt>
            <dd>
                {if p.description.is_empty() { "—".to_owned() } else { p.description.clone() }}
            </dd>
            <dt class="font-medium">"Your role"</dt>
            <dd>{p.my_role.as_str()}</dd>
        </dl>
        <p class="mt-4 flex flex-wrap gap-4 text-sm">
            <a
                href=format!("/projects/{}/{}/credentials", p.owner, p.name)
                class="text-sky-700 underline dark:text-sky-400"
            >
                "Registry credentials"
            </a>
            <a
                href=format!("/projects/{}/{}/push-paths", p.owner, p.name)
                class="text-sky-700 underline dark:text-sky-400"
            >
                "Push paths: where to push images for this project"
            </a>
        </p>
        {(!admin)
            .then(|| {
                view! {
                    <p class="mt-4 rounded-md border border-slate-200 bg-slate-100 px-4 py-3 text-sm dark:border-slate-800 dark:bg-slate-900">
                        {format!(
                            "You have the {} role: you can see this project but not manage its members or settings.",
                            p.my_role.as_str(),
                        )}
                    </p>
                }
            })}
        <Members p=p.clone() actions admin />
        {admin.then(|| view! { <Settings p=p.clone() actions /> })}
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
fn Members(p: ProjectView, actions: Actions, admin: bool) -> impl IntoView {
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
        <section class="mt-8" aria-labelledby="members-heading">
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
    }
}

#[component]
fn Settings(p: ProjectView, actions: Actions) -> impl IntoView {
    let (owner_a, name_a) = (p.owner.clone(), p.name.clone());
    let (owner_b, name_b, name_c) = (p.owner.clone(), p.name.clone(), p.name.clone());
    view! {
        <section class="mt-10" aria-labelledby="settings-heading">
            <h2 id="settings-heading" class="text-lg font-semibold">
                "Settings"
            </h2>
            <p class="text-sm">
                <a
                    href=format!("/projects/{}/{}/audit", p.owner, p.name)
                    class="text-sky-700 underline dark:text-sky-400"
                >
                    "Audit log"
                </a>
            </p>
            <ActionForm
                action=actions.update
                attr:class="mt-4 max-w-md space-y-3"
                attr:novalidate=true
            >
                <FormError error=form_error(actions.update) />
                <input type="hidden" name="owner" value=owner_a />
                <input type="hidden" name="name" value=name_a />
                <Field
                    label="Project name"
                    name=field::NEW_NAME
                    value=p.name.clone()
                    error=field_error(actions.update, field::NEW_NAME)
                />
                <TextAreaField
                    label="Description"
                    name=field::DESCRIPTION
                    value=p.description.clone()
                    maxlength=DESCRIPTION_MAX_CHARS as u32
                    error=field_error(actions.update, field::DESCRIPTION)
                />
                <SubmitButton
                    label="Save"
                    busy_label="Saving…"
                    pending=actions.update.pending()
                />
            </ActionForm>
            <ActionForm
                action=actions.delete
                attr:class="mt-8 max-w-md space-y-3 rounded-md border border-red-300 p-4 dark:border-red-800"
                attr:novalidate=true
            >
                <h3 class="font-medium text-red-700 dark:text-red-300">"Delete this project"</h3>
                <p class="text-sm">
                    "Its members and settings are deleted with it. Type "
                    <span class="font-mono">{name_c}</span> " to confirm."
                </p>
                <FormError error=form_error(actions.delete) />
                <input type="hidden" name="owner" value=owner_b />
                <input type="hidden" name="name" value=name_b />
                <Field
                    label="Confirm project name"
                    name="confirm"
                    error=field_error(actions.delete, "confirm")
                />
                <button type="submit" class=DANGER_BUTTON>
                    "Delete project"
                </button>
            </ActionForm>
        </section>
    }
}
