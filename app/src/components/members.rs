//! The members section of an organization's or a project's members page, one component for
//! both (the rules behind it are one model too, `server::rules::members`): the members table,
//! and for those who manage members the invite form and the pending invitations. The pages
//! only say which functions it posts to and what the viewer may give.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos::web_sys::FormData;
use serde::de::DeserializeOwned;
use server_fn::{Http, ServerFn, client::Client, codec::PostUrl, request::ClientReq};

use crate::api::invitations::RevokeInvitation;
use crate::components::{
    fields::{Field, SelectField},
    form::{FormError, FormFn, SubmitButton, field_error, form_error, hidden_fields, kept},
    invitations::{INVITE_HINT, PendingInvitations},
    member_table::{MemberRow, MemberTable},
};
use crate::domain::{invitation::PendingInvitation, role::MemberRole};
use crate::error::AppError;

/// The actions of a members page, created inside the routes so that a JavaScript-free post's
/// error reaches its form.
pub struct MemberActions<I: FormFn, C: FormFn, R: FormFn> {
    pub invite: ServerAction<I>,
    pub revoke: ServerAction<RevokeInvitation>,
    pub change: ServerAction<C>,
    pub remove: ServerAction<R>,
}

impl<I: FormFn, C: FormFn, R: FormFn> Clone for MemberActions<I, C, R> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<I: FormFn, C: FormFn, R: FormFn> Copy for MemberActions<I, C, R> {}

impl<I: FormFn, C: FormFn, R: FormFn> MemberActions<I, C, R> {
    /// The four actions.
    pub fn new() -> Self {
        Self {
            invite: ServerAction::new(),
            revoke: ServerAction::new(),
            change: ServerAction::new(),
            remove: ServerAction::new(),
        }
    }

    /// Changes whenever one of them completes: the page's data key, so the list refetches.
    pub fn version(&self) -> usize {
        self.invite.version().get()
            + self.revoke.version().get()
            + self.change.version().get()
            + self.remove.version().get()
    }
}

impl<I: FormFn, C: FormFn, R: FormFn> Default for MemberActions<I, C, R> {
    fn default() -> Self {
        Self::new()
    }
}

/// The roles `R` as a role picker offers them, strongest first; the guarded role (an
/// organization's owner) only to those who may give it.
pub fn role_options<R: MemberRole>(may_give_guarded: bool) -> Vec<(String, String)> {
    R::ROLES
        .iter()
        .rev()
        .filter(|r| may_give_guarded || Some(**r) != R::GUARDED)
        .map(|r| (r.name().to_owned(), r.name().to_owned()))
        .collect()
}

/// What a members page shows, whoever owns the members.
pub struct MembersView {
    /// The members, as the viewer may act on them.
    pub rows: Vec<MemberRow>,
    /// Hidden `(name, value)` fields naming the organization or project, as its functions
    /// take them.
    pub scope: Vec<(&'static str, String)>,
    /// The roles the viewer may give, as `(value, text)`.
    pub roles: Vec<(String, String)>,
    /// The role the invite form offers first.
    pub invite_role: &'static str,
    /// Whether the viewer manages members (actions, the invite form, pending invitations).
    pub manage: bool,
    /// A line under the heading, if any.
    pub note: Option<&'static str>,
    /// The pending invitations (shown to those who manage members).
    pub invitations: Vec<PendingInvitation>,
}

/// The members section.
#[component]
pub fn MembersSection<I, C, R, IO, CO, RO>(
    /// What to show.
    members: MembersView,
    /// The page's actions.
    actions: MemberActions<I, C, R>,
) -> impl IntoView
where
    I: FormFn + DeserializeOwned + ServerFn<Protocol = Http<PostUrl, IO>>,
    <<I::Client as Client<AppError>>::Request as ClientReq<AppError>>::FormData: From<FormData>,
    I::Client: Client<AppError>,
    C: FormFn + DeserializeOwned + ServerFn<Protocol = Http<PostUrl, CO>>,
    <<C::Client as Client<AppError>>::Request as ClientReq<AppError>>::FormData: From<FormData>,
    C::Client: Client<AppError>,
    R: FormFn + DeserializeOwned + ServerFn<Protocol = Http<PostUrl, RO>>,
    <<R::Client as Client<AppError>>::Request as ClientReq<AppError>>::FormData: From<FormData>,
    R::Client: Client<AppError>,
    IO: 'static,
    CO: 'static,
    RO: 'static,
{
    let MembersView {
        rows,
        scope,
        roles,
        invite_role,
        manage,
        note,
        invitations,
    } = members;
    let invite_scope = scope.clone();
    let invite_roles = roles.clone();
    let table = if rows.is_empty() {
        view! { <p class="mt-2 text-sm">"No members yet."</p> }.into_any()
    } else {
        view! {
            <MemberTable
                rows=rows
                scope=scope
                roles=roles
                manage=manage
                change=actions.change
                remove=actions.remove
            />
        }
        .into_any()
    };
    view! {
        <section aria-labelledby="members-heading">
            <h2 id="members-heading" class="text-lg font-semibold">
                "Members"
            </h2>
            {note
                .map(|note| {
                    view! { <p class="text-sm text-slate-600 dark:text-slate-400">{note}</p> }
                })}
            <FormError error=form_error(actions.change) />
            <FormError error=form_error(actions.remove) />
            {table}
            {manage
                .then(|| {
                    view! {
                        <ActionForm
                            action=actions.invite
                            attr:class="mt-4 max-w-md space-y-3"
                            attr:novalidate=true
                        >
                            <h3 class="font-medium">"Invite a member"</h3>
                            <FormError error=form_error(actions.invite) />
                            {hidden_fields(&invite_scope)}
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
                                options=invite_roles
                                selected=kept(actions.invite, "role")
                                    .unwrap_or_else(|| invite_role.into())
                                error=field_error(actions.invite, "role")
                            />
                            <SubmitButton
                                label="Send invitation"
                                busy_label="Inviting…"
                                pending=actions.invite.pending()
                            />
                        </ActionForm>
                        <PendingInvitations list=invitations revoke=actions.revoke />
                    }
                })}
        </section>
    }
}
