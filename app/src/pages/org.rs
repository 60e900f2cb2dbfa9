//! `/orgs/{org}`: an organization's overview, projects, members, regions and settings.
//! Members see it; admins get the member and region forms, owners also the delete form (the
//! server checks every one regardless).

use crate::components::raw_text::PageTitle;
use crate::state::params::use_org_param;
use leptos::form::ActionForm;
use leptos::prelude::*;

use crate::api::invitations::{InviteOrgMember, RevokeInvitation};
use crate::api::org_members::{ChangeOrgMemberRole, RemoveOrgMember};
use crate::api::orgs::{DeleteOrg, SetOrgRegions, get_org, list_regions};
use crate::components::{
    breadcrumbs::Breadcrumbs,
    error_notice::ErrorNotice,
    fields::Field,
    fields::SelectField,
    form::{FormError, SubmitButton, field_error, form_error, kept},
    invitations::{INVITE_HINT, PendingInvitations},
    member_table::{MemberRow, MemberTable},
    styles::{DANGER_BUTTON, PRIMARY_LINK, SECONDARY_BUTTON},
};
use crate::domain::{
    org::OrgView,
    region::Region,
    role::{OrgAction, OrgRole},
};

/// The actions of the page, created inside the routes so a JavaScript-free post's error
/// reaches its form.
#[derive(Clone, Copy)]
struct Actions {
    invite: ServerAction<InviteOrgMember>,
    revoke: ServerAction<RevokeInvitation>,
    change: ServerAction<ChangeOrgMemberRole>,
    remove: ServerAction<RemoveOrgMember>,
    regions: ServerAction<SetOrgRegions>,
    delete: ServerAction<DeleteOrg>,
}

/// The organization page (members only; anyone else gets 404).
#[component]
pub fn OrgPage() -> impl IntoView {
    let org_name = use_org_param();
    let actions = Actions {
        invite: ServerAction::new(),
        revoke: ServerAction::new(),
        change: ServerAction::new(),
        remove: ServerAction::new(),
        regions: ServerAction::new(),
        delete: ServerAction::new(),
    };
    let org = Resource::new(
        move || {
            (
                org_name.get(),
                actions.invite.version().get()
                    + actions.revoke.version().get()
                    + actions.change.version().get()
                    + actions.remove.version().get()
                    + actions.regions.version().get(),
            )
        },
        |(name, _)| async move {
            let org = get_org(name).await?;
            let all = list_regions().await?;
            Ok((org, all))
        },
    );
    view! {
        <Transition fallback=|| {
            view! { <p>"Loading…"</p> }
        }>
            {move || Suspend::new(async move {
                match org.await {
                    Ok((org, all)) => view! { <Org org all actions /> }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Org(org: OrgView, all: Vec<Region>, actions: Actions) -> impl IntoView {
    let admin = org.my_role.allows(OrgAction::ManageMembers);
    let owner = org.my_role.allows(OrgAction::ManageOwners);
    view! {
        <PageTitle text=org.display_name.clone() />
        <Breadcrumbs trail=vec![("Home".into(), Some("/".into())), (org.name.clone(), None)] />
        <div class="mt-2 flex flex-wrap items-center justify-between gap-2">
            <h1 class="text-2xl font-semibold">{org.display_name.clone()}</h1>
            {admin
                .then(|| {
                    view! {
                        <a href=format!("/projects/new?owner={}", org.name) class=PRIMARY_LINK>
                            "New project"
                        </a>
                    }
                })}
        </div>
        <p class="text-sm text-slate-600 dark:text-slate-400">
            "@" {org.name.clone()} " · your role: " {org.my_role.as_str()}
            {admin
                .then(|| {
                    view! {
                        " · "
                        <a
                            href=format!("/orgs/{}/audit", org.name)
                            class="text-sky-700 underline dark:text-sky-400"
                        >
                            "Audit log"
                        </a>
                    }
                })}
        </p>
        <Members org=org.clone() actions admin owner />
        <Regions org=org.clone() all actions admin />
        {owner.then(|| view! { <DeleteOrgForm org=org.clone() actions /> })}
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
fn Members(org: OrgView, actions: Actions, admin: bool, owner: bool) -> impl IntoView {
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
        <section class="mt-8" aria-labelledby="members-heading">
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
                        <PendingInvitations list=org.invitations.clone() revoke=actions.revoke />
                    }
                })}
        </section>
    }
}

#[component]
fn Regions(org: OrgView, all: Vec<Region>, actions: Actions, admin: bool) -> impl IntoView {
    let allowed: Vec<String> = org.regions.iter().map(|r| r.name.clone()).collect();
    let list = view! {
        <ul class="mt-2 list-disc pl-5 text-sm">
            {org
                .regions
                .iter()
                .map(|r| {
                    view! {
                        <li>
                            {r.display_name.clone()} " ("
                            <span class="font-mono">{r.name.clone()}</span> ", KCR "
                            <span class="font-mono">{r.kcr_host.clone()}</span> ")"
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    };
    view! {
        <section class="mt-8" aria-labelledby="regions-heading">
            <h2 id="regions-heading" class="text-lg font-semibold">
                "Regions"
            </h2>
            <p class="text-sm text-slate-600 dark:text-slate-400">
                "The regions this organization's projects may live in."
            </p>
            {list}
            {admin
                .then(|| {
                    view! {
                        <ActionForm action=actions.regions attr:class="mt-3 space-y-2">
                            <FormError error=form_error(actions.regions) />
                            <input type="hidden" name="org" value=org.name.clone() />
                            <fieldset>
                                <legend class="text-sm font-medium">"Allowed regions"</legend>
                                {all
                                    .into_iter()
                                    .map(|r| {
                                        let id = format!("region-{}", r.name);
                                        let checked = allowed.contains(&r.name);
                                        view! {
                                            <div class="flex items-center gap-2 text-sm">
                                                <input
                                                    type="checkbox"
                                                    id=id.clone()
                                                    name="regions[]"
                                                    value=r.name.clone()
                                                    checked=checked
                                                />
                                                <label for=id>
                                                    {r.display_name.clone()} " (" {r.name.clone()} ")"
                                                </label>
                                            </div>
                                        }
                                    })
                                    .collect_view()}
                            </fieldset>
                            {move || {
                                field_error(actions.regions, "regions")
                                    .get()
                                    .map(|m| {
                                        view! {
                                            <p class="text-sm text-red-600 dark:text-red-400">{m}</p>
                                        }
                                    })
                            }}
                            <button type="submit" class=SECONDARY_BUTTON>
                                "Save regions"
                            </button>
                        </ActionForm>
                    }
                })}
        </section>
    }
}

#[component]
fn DeleteOrgForm(org: OrgView, actions: Actions) -> impl IntoView {
    view! {
        <ActionForm
            action=actions.delete
            attr:class="mt-10 max-w-md space-y-3 rounded-md border border-red-300 p-4 dark:border-red-800"
            attr:novalidate=true
        >
            <h2 class="font-medium text-red-700 dark:text-red-300">"Delete this organization"</h2>
            <p class="text-sm">
                "Only an organization without projects can be deleted; its name becomes free. Type "
                <span class="font-mono">{org.name.clone()}</span> " to confirm."
            </p>
            <FormError error=form_error(actions.delete) />
            <input type="hidden" name="org" value=org.name.clone() />
            <Field
                label="Confirm organization name"
                name="confirm"
                error=field_error(actions.delete, "confirm")
            />
            <button type="submit" class=DANGER_BUTTON>
                "Delete organization"
            </button>
        </ActionForm>
    }
}
