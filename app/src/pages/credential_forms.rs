//! The add and edit forms of the credentials page, each with an optional "Expires on" date,
//! an image to try, and "Test connection" (`components::check_report`): the form is tried
//! against its registry before anything is saved.

use std::collections::BTreeMap;

use leptos::form::ActionForm;
use leptos::prelude::*;

use crate::api::credential_checks::{CheckCredential, CheckTypedCredential};
use crate::api::credentials::{
    AddCredential, AddEcrCredential, DeleteCredential, UpdateCredential, UpdateEcrCredential,
};
use crate::components::{
    check_report::{CheckSteps, TestConnection, kept_check},
    fields::{Field, SelectField},
    form::{FormError, SubmitButton, field_error, form_error, kept},
};
use crate::domain::{
    credential::{CredentialView, field},
    credential_check::{KeptCheck, field as check_field, kept_key},
    ecr::field as ecr_field,
    registry::Preset,
};

/// The page's server actions (their results carry the errors of failed plain posts).
#[derive(Clone, Copy)]
pub struct Actions {
    pub add: ServerAction<AddCredential>,
    pub add_ecr: ServerAction<AddEcrCredential>,
    pub update: ServerAction<UpdateCredential>,
    pub update_ecr: ServerAction<UpdateEcrCredential>,
    pub delete: ServerAction<DeleteCredential>,
    pub check: ServerAction<CheckCredential>,
    pub check_typed: ServerAction<CheckTypedCredential>,
}

impl Default for Actions {
    fn default() -> Self {
        Self {
            add: ServerAction::new(),
            add_ecr: ServerAction::new(),
            update: ServerAction::new(),
            update_ecr: ServerAction::new(),
            delete: ServerAction::new(),
            check: ServerAction::new(),
            check_typed: ServerAction::new(),
        }
    }
}

/// The error of field `name` from a failed save or a failed test of the same form.
fn error_of<S>(
    action: ServerAction<S>,
    checks: ServerAction<CheckTypedCredential>,
    name: &'static str,
) -> Signal<Option<String>>
where
    S: server_fn::ServerFn<Error = crate::error::AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    let saved = field_error(action, name);
    let tested = field_error(checks, name);
    Signal::derive(move || saved.get().or_else(|| tested.get()))
}

/// What the form showed when it was saved or tested without JavaScript and sent back.
struct Refill {
    values: BTreeMap<&'static str, String>,
    tested: Option<KeptCheck>,
}

impl Refill {
    fn get(&self, name: &'static str) -> Option<String> {
        self.values.get(name).cloned()
    }
}

/// The fields a form gets back (never the password).
const REFILLED: [&str; 6] = [
    field::REGISTRY,
    field::SERVER,
    field::USERNAME,
    field::EMAIL,
    field::EXPIRES_ON,
    check_field::IMAGE,
];

/// The form's fields after a failed save, a failed test or a test (`of`: `add` or `edit:ID`).
fn refill<S>(action: ServerAction<S>, actions: Actions, of: &str) -> Refill
where
    S: server_fn::ServerFn<Error = crate::error::AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    let tested = kept_check().filter(|k| k.of == of);
    let values = REFILLED
        .into_iter()
        .filter_map(|name| {
            kept(action, name)
                .or_else(|| kept(actions.check_typed, name))
                .or_else(|| tested.as_ref().and_then(|k| k.fields.get(name).cloned()))
                .map(|value| (name, value))
        })
        .collect();
    Refill { values, tested }
}

#[component]
pub fn AddForm(owner: String, name: String, actions: Actions) -> impl IntoView {
    let options = Preset::ALL
        .iter()
        .map(|p| (p.as_str().to_owned(), p.label().to_owned()))
        .collect();
    let refill = refill(actions.add, actions, &kept_key(&owner, &name, "add"));
    let err = move |name| error_of(actions.add, actions.check_typed, name);
    let tested = refill.tested.as_ref().map(|k| k.report.clone());
    view! {
        <ActionForm action=actions.add attr:class="mt-8 max-w-md space-y-3" attr:novalidate=true>
            <h2 class="text-lg font-semibold">"Add credentials"</h2>
            <FormError error=form_error(actions.add) />
            <FormError error=form_error(actions.check_typed) />
            <input type="hidden" name="owner" value=owner />
            <input type="hidden" name="name" value=name />
            <SelectField
                label="Registry"
                name=field::REGISTRY
                options
                selected=refill.get(field::REGISTRY).unwrap_or_else(|| "docker_hub".into())
                error=err(field::REGISTRY)
            />
            <Field
                label="Server"
                name=field::SERVER
                value=refill.get(field::SERVER).unwrap_or_default()
                hint="Not needed for Docker Hub, GitHub, GitLab or Quay. Google: gcr.io or REGION-docker.pkg.dev. Azure: the registry name. Other: [https://]host[:port]."
                error=err(field::SERVER)
            />
            <Field
                label="Username"
                name=field::USERNAME
                value=refill.get(field::USERNAME).unwrap_or_default()
                autocomplete="off"
                hint="Google: set to _json_key for you. Azure: the service principal's app ID."
                error=err(field::USERNAME)
            />
            <Field
                label="Email"
                name=field::EMAIL
                kind="email"
                value=refill.get(field::EMAIL).unwrap_or_default()
                error=err(field::EMAIL)
            />
            <Field
                label="Password"
                name=field::PASSWORD
                kind="password"
                autocomplete="new-password"
                hint=if tested.is_some() {
                    "Type the password again: Berth never sends it back to the browser."
                } else {
                    "Google: paste the service account's JSON key."
                }
                error=err(field::PASSWORD)
            />
            <Field
                label="Expires on"
                name=field::EXPIRES_ON
                kind="date"
                optional=true
                value=refill.get(field::EXPIRES_ON).unwrap_or_default()
                hint="When the token stops working (GitHub, GitLab and Docker Hub tokens expire). Berth warns 14 days ahead."
                error=err(field::EXPIRES_ON)
            />
            <Field
                label="Image to try"
                name=check_field::IMAGE
                optional=true
                value=refill.get(check_field::IMAGE).unwrap_or_default()
                hint="For Test connection: an image these credentials should pull, e.g. acme/app:1.0."
                error=err(check_field::IMAGE)
            />
            <div class="flex flex-wrap items-start gap-2">
                <SubmitButton
                    label="Add credentials"
                    busy_label="Adding credentials…"
                    pending=actions.add.pending()
                />
            </div>
            <TestConnection edit=false>
                {tested.clone().map(|report| view! { <KeptReport report /> })}
            </TestConnection>
        </ActionForm>
    }
}

/// The Amazon ECR form: AWS keys (and a role) instead of a password. Folded away until it is
/// opened, or sent back with an error.
#[component]
pub fn AddEcrForm(owner: String, name: String, actions: Actions) -> impl IntoView {
    let action = actions.add_ecr;
    let err = move |name| field_error(action, name);
    let failed = form_error(action).with_untracked(Option::is_some);
    let value = move |name| kept(action, name).unwrap_or_default();
    view! {
        <details class="mt-8 max-w-md" open=failed>
            <summary class="cursor-pointer text-lg font-semibold">
                "Add Amazon ECR credentials"
            </summary>
            <p class="mt-2 text-sm text-slate-600 dark:text-slate-400">
                "ECR passwords expire after 12 hours. Berth keeps AWS keys instead, gets a fresh password from ECR, and renews it before the old one expires. Give the keys (or the role) pull-only permissions: ecr:GetAuthorizationToken, ecr:BatchGetImage, ecr:GetDownloadUrlForLayer."
            </p>
            <ActionForm action attr:class="mt-3 space-y-3" attr:novalidate=true>
                <FormError error=form_error(action) />
                <input type="hidden" name="owner" value=owner />
                <input type="hidden" name="name" value=name />
                <Field
                    label="Registry"
                    name=ecr_field::REGISTRY_HOST
                    value=value(ecr_field::REGISTRY_HOST)
                    hint="ACCOUNT.dkr.ecr.REGION.amazonaws.com, e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com"
                    error=err(ecr_field::REGISTRY_HOST)
                />
                <Field
                    label="Access key ID"
                    name=ecr_field::ACCESS_KEY_ID
                    value=value(ecr_field::ACCESS_KEY_ID)
                    autocomplete="off"
                    hint="Starts with AKIA (an IAM user's key)."
                    error=err(ecr_field::ACCESS_KEY_ID)
                />
                <Field
                    label="Secret access key"
                    name=ecr_field::SECRET_ACCESS_KEY
                    kind="password"
                    autocomplete="new-password"
                    hint="Stored encrypted, never shown again."
                    error=err(ecr_field::SECRET_ACCESS_KEY)
                />
                <Field
                    label="Session token"
                    name=ecr_field::SESSION_TOKEN
                    kind="password"
                    autocomplete="off"
                    optional=true
                    hint="Only for temporary keys (they start with ASIA and stop working when the session ends)."
                    error=err(ecr_field::SESSION_TOKEN)
                />
                <Field
                    label="Role to assume"
                    name=ecr_field::ROLE_ARN
                    optional=true
                    value=value(ecr_field::ROLE_ARN)
                    hint="A role ARN, e.g. arn:aws:iam::123456789012:role/berth-puller: Berth assumes it with the keys above (for a registry in another account)."
                    error=err(ecr_field::ROLE_ARN)
                />
                <Field
                    label="External ID"
                    name=ecr_field::EXTERNAL_ID
                    optional=true
                    value=value(ecr_field::EXTERNAL_ID)
                    hint="If the role's trust policy asks for one."
                    error=err(ecr_field::EXTERNAL_ID)
                />
                <SubmitButton
                    label="Add ECR credentials"
                    busy_label="Getting a token from AWS…"
                    pending=action.pending()
                />
            </ActionForm>
        </details>
    }
}

#[component]
pub fn EditForm(owner: String, name: String, c: CredentialView, actions: Actions) -> impl IntoView {
    let refill = refill(
        actions.update,
        actions,
        &kept_key(&owner, &name, &format!("edit:{}", c.id)),
    );
    let err = move |name| error_of(actions.update, actions.check_typed, name);
    let tested = refill.tested.as_ref().map(|k| k.report.clone());
    let failed = form_error(actions.update).with_untracked(Option::is_some)
        || form_error(actions.check_typed).with_untracked(Option::is_some)
        || tested.is_some();
    view! {
        <ActionForm
            action=actions.update
            attr:id="edit"
            attr:class="mt-8 max-w-md space-y-3"
            attr:novalidate=true
        >
            // Opened from a row (`?edit=ID`), possibly far down the list: the heading takes
            // focus, so the form is in view (a failed save focuses its summary instead).
            <h2
                class="scroll-mt-4 text-lg font-semibold focus:outline-none"
                tabindex="-1"
                autofocus=!failed
            >
                {format!("Edit credentials for {}", c.server)}
            </h2>
            <FormError error=form_error(actions.update) id_suffix="edit" />
            <FormError error=form_error(actions.check_typed) id_suffix="edit" />
            <input type="hidden" name="owner" value=owner />
            <input type="hidden" name="name" value=name />
            <input type="hidden" name=field::ID value=c.id.clone() />
            <Field
                label="Username"
                name=field::USERNAME
                value=refill.get(field::USERNAME).unwrap_or_else(|| c.username.clone())
                optional=true
                id_suffix="edit"
                error=err(field::USERNAME)
            />
            <Field
                label="Email"
                name=field::EMAIL
                kind="email"
                value=refill.get(field::EMAIL).unwrap_or_else(|| c.email.clone())
                optional=true
                id_suffix="edit"
                error=err(field::EMAIL)
            />
            <Field
                label="Password"
                name=field::PASSWORD
                kind="password"
                id_suffix="edit"
                optional=true
                autocomplete="new-password"
                hint="A password is set. Leave this blank to keep it. Test connection then tries the stored one."
                error=err(field::PASSWORD)
            />
            <Field
                label="Expires on"
                name=field::EXPIRES_ON
                kind="date"
                optional=true
                id_suffix="edit"
                value=refill
                    .get(field::EXPIRES_ON)
                    .or_else(|| c.expires_on.clone())
                    .unwrap_or_default()
                error=err(field::EXPIRES_ON)
            />
            <Field
                label="Image to try"
                name=check_field::IMAGE
                optional=true
                id_suffix="edit"
                value=refill
                    .get(check_field::IMAGE)
                    .or_else(|| c.check_image.clone())
                    .unwrap_or_default()
                error=err(check_field::IMAGE)
            />
            <SubmitButton label="Save" busy_label="Saving…" pending=actions.update.pending() />
            <TestConnection edit=true>
                {tested.clone().map(|report| view! { <KeptReport report /> })}
            </TestConnection>
        </ActionForm>
    }
}

/// The edit form of an Amazon ECR credential: new AWS keys (a rotated key) or another role.
/// Its registry stays; a blank secret keeps the stored one for the same key ID.
#[component]
pub fn EditEcrForm(
    owner: String,
    name: String,
    c: CredentialView,
    actions: Actions,
) -> impl IntoView {
    let action = actions.update_ecr;
    let err = move |name| field_error(action, name);
    let failed = form_error(action).with_untracked(Option::is_some);
    let minted = c.minted.clone().unwrap_or_default();
    let value =
        move |name, stored: Option<String>| kept(action, name).or(stored).unwrap_or_default();
    view! {
        <ActionForm action attr:id="edit" attr:class="mt-8 max-w-md space-y-3" attr:novalidate=true>
            <h2
                class="scroll-mt-4 text-lg font-semibold focus:outline-none"
                tabindex="-1"
                autofocus=!failed
            >
                {format!("AWS keys for {}", c.server)}
            </h2>
            <p class="text-sm text-slate-600 dark:text-slate-400">
                "Berth gets a password from ECR with the new keys before they replace the old ones: keys AWS refuses change nothing."
            </p>
            <FormError error=form_error(action) id_suffix="edit" />
            <input type="hidden" name="owner" value=owner />
            <input type="hidden" name="name" value=name />
            <input type="hidden" name=field::ID value=c.id.clone() />
            <Field
                label="Access key ID"
                name=ecr_field::ACCESS_KEY_ID
                value=value(ecr_field::ACCESS_KEY_ID, Some(minted.access_key_id.clone()))
                autocomplete="off"
                id_suffix="edit"
                error=err(ecr_field::ACCESS_KEY_ID)
            />
            <Field
                label="Secret access key"
                name=ecr_field::SECRET_ACCESS_KEY
                kind="password"
                autocomplete="new-password"
                optional=true
                id_suffix="edit"
                hint="A secret is set. Leave this blank to keep it (same access key ID only)."
                error=err(ecr_field::SECRET_ACCESS_KEY)
            />
            <Field
                label="Session token"
                name=ecr_field::SESSION_TOKEN
                kind="password"
                autocomplete="off"
                optional=true
                id_suffix="edit"
                hint="Only for temporary keys (ASIA…), with their secret."
                error=err(ecr_field::SESSION_TOKEN)
            />
            <Field
                label="Role to assume"
                name=ecr_field::ROLE_ARN
                optional=true
                id_suffix="edit"
                value=value(ecr_field::ROLE_ARN, minted.role_arn.clone())
                hint="Leave empty to use the keys directly, without assuming a role."
                error=err(ecr_field::ROLE_ARN)
            />
            <Field
                label="External ID"
                name=ecr_field::EXTERNAL_ID
                optional=true
                id_suffix="edit"
                value=value(ecr_field::EXTERNAL_ID, minted.external_id.clone())
                error=err(ecr_field::EXTERNAL_ID)
            />
            <SubmitButton
                label="Save keys"
                busy_label="Getting a token from AWS…"
                pending=action.pending()
            />
        </ActionForm>
    }
}

/// A report a check without JavaScript came back with: focused, so it is in view where the
/// person clicked Test connection.
#[component]
fn KeptReport(report: crate::domain::credential_check::CheckReport) -> impl IntoView {
    view! {
        <div tabindex="-1" autofocus class="scroll-mt-4 focus:outline-none">
            <CheckSteps report />
        </div>
    }
}
