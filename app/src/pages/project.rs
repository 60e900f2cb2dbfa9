//! `/projects/{owner}/{project}`: overview, members and settings of one project. Everyone with
//! a role sees it; only admins get the forms that change it (the server checks regardless).

use crate::components::raw_text::PageTitle;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::api::invitations::{InviteProjectMember, RevokeInvitation};
use crate::api::project_members::{ChangeProjectMemberRole, RemoveProjectMember};
use crate::api::projects::{DeleteProject, SetCurrentProject, UpdateProject, get_project};
use crate::components::{
    choice::{Breadcrumbs, DANGER_BUTTON, SECONDARY_BUTTON, SelectField, TH, TextAreaField},
    error_notice::ErrorNotice,
    form::{Field, FormError, SubmitButton, field_error, form_error},
    invitations::{INVITE_HINT, PendingInvitations},
};
use crate::domain::{
    project::{DESCRIPTION_MAX_CHARS, ProjectView},
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
    let params = use_params_map();
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
            let p = params.read();
            (
                p.get("owner").unwrap_or_default(),
                p.get("project").unwrap_or_default(),
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
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
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
                view! { <span class="text-sm text-slate-500">"Your current project"</span> }.into_any()
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
    let (owner, name) = (p.owner.clone(), p.name.clone());
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
            {if p.members.is_empty() {
                view! { <p class="mt-2 text-sm">"No members yet."</p> }.into_any()
            } else {
                view! {
                    <div class="relative mt-2 overflow-x-auto">
                        <table class="w-full text-left text-sm">
                            <thead class="border-b border-slate-300 dark:border-slate-700">
                                <tr>
                                    <th scope="col" class=TH>"Username"</th>
                                    <th scope="col" class=TH>"Display name"</th>
                                    <th scope="col" class=TH>"Role"</th>
                                    {admin.then(|| view! { <th scope="col" class=TH><span class="sr-only">"Actions"</span></th> })}
                                </tr>
                            </thead>
                            <tbody>
                                {p
                                    .members
                                    .into_iter()
                                    .map(|m| {
                                        let (owner, name) = (owner.clone(), name.clone());
                                        view! {
                                            <tr class="border-b border-slate-200 dark:border-slate-800">
                                                <td class="py-2 pr-4 font-mono">{m.username.clone()}</td>
                                                <td class="py-2 pr-4">{m.display_name.clone()}</td>
                                                <td class="py-2 pr-4">{m.role.as_str()}</td>
                                                {admin
                                                    .then(|| {
                                                        let (owner_a, name_a, user_a) = (owner.clone(), name.clone(), m.username.clone());
                                                        let (user_label, remove_label) = (m.username.clone(), format!("Remove {}", m.username));
                                                        let (owner_b, name_b, user_b) = (owner.clone(), name.clone(), m.username.clone());
                                                        view! {
                                                            <td class="flex flex-wrap items-end gap-2 py-2">
                                                                <ActionForm action=actions.change attr:class="flex items-end gap-2">
                                                                    <input type="hidden" name="owner" value=owner_a />
                                                                    <input type="hidden" name="name" value=name_a />
                                                                    <input type="hidden" name="username" value=user_a />
                                                                    <SelectField
                                                                        label="Role"
                                                                        name="role"
                                                                        id_suffix=user_label.clone()
                                                                        options=role_options()
                                                                        selected=m.role.as_str().to_owned()
                                                                        error=Signal::derive(|| None::<String>)
                                                                    />
                                                                    <button type="submit" class=SECONDARY_BUTTON>
                                                                        "Change role"
                                                                    </button>
                                                                </ActionForm>
                                                                <ActionForm action=actions.remove>
                                                                    <input type="hidden" name="owner" value=owner_b />
                                                                    <input type="hidden" name="name" value=name_b />
                                                                    <input type="hidden" name="username" value=user_b />
                                                                    <button
                                                                        type="submit"
                                                                        class=DANGER_BUTTON
                                                                        aria-label=remove_label
                                                                    >
                                                                        "Remove"
                                                                    </button>
                                                                </ActionForm>
                                                            </td>
                                                        }
                                                    })}
                                            </tr>
                                        }
                                    })
                                    .collect_view()}
                            </tbody>
                        </table>
                    </div>
                }
                    .into_any()
            }}
            {admin
                .then(|| {
                    view! {
                        <ActionForm action=actions.invite attr:class="mt-4 max-w-md space-y-3" attr:novalidate=true>
                            <h3 class="font-medium">"Invite a member"</h3>
                            <FormError error=form_error(actions.invite) />
                            <input type="hidden" name="owner" value=p.owner.clone() />
                            <input type="hidden" name="name" value=p.name.clone() />
                            <Field
                                label="Username or email"
                                name="login"
                                hint=INVITE_HINT
                                error=field_error(actions.invite, "login")
                            />
                            <SelectField
                                label="Role"
                                name="role"
                                options=role_options()
                                selected="viewer"
                                error=field_error(actions.invite, "role")
                            />
                            <SubmitButton label="Send invitation" busy_label="Inviting…" pending=actions.invite.pending() />
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
            <ActionForm action=actions.update attr:class="mt-4 max-w-md space-y-3" attr:novalidate=true>
                <FormError error=form_error(actions.update) />
                <input type="hidden" name="owner" value=owner_a />
                <input type="hidden" name="name" value=name_a />
                <div class="space-y-1">
                    <label for="field-new_name" class="block text-sm font-medium">
                        "Project name"
                    </label>
                    <input
                        id="field-new_name"
                        name="new_name"
                        value=p.name.clone()
                        required
                        class="block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm dark:border-slate-700 dark:bg-slate-900"
                    />
                    {move || {
                        field_error(actions.update, "new_name")
                            .get()
                            .map(|m| view! { <p class="text-sm text-red-600 dark:text-red-400">{m}</p> })
                    }}
                </div>
                <TextAreaField
                    label="Description"
                    name="description"
                    value=p.description.clone()
                    maxlength=DESCRIPTION_MAX_CHARS as u32
                    error=field_error(actions.update, "description")
                />
                <SubmitButton label="Save" busy_label="Saving…" pending=actions.update.pending() />
            </ActionForm>
            <ActionForm
                action=actions.delete
                attr:class="mt-8 max-w-md space-y-3 rounded-md border border-red-300 p-4 dark:border-red-800"
                attr:novalidate=true
            >
                <h3 class="font-medium text-red-700 dark:text-red-300">"Delete this project"</h3>
                <p class="text-sm">
                    "Its members and settings are deleted with it. Type "
                    <span class="font-mono">{name_c}</span>
                    " to confirm."
                </p>
                <FormError error=form_error(actions.delete) />
                <input type="hidden" name="owner" value=owner_b />
                <input type="hidden" name="name" value=name_b />
                <Field label="Confirm project name" name="confirm" error=field_error(actions.delete, "confirm") />
                <button type="submit" class=DANGER_BUTTON>
                    "Delete project"
                </button>
            </ActionForm>
        </section>
    }
}
