//! The members table of an organization or a project: username, display name, role, and for
//! admins a role picker and a remove button on each row they may manage.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos::web_sys::FormData;
use serde::de::DeserializeOwned;
use server_fn::{Http, ServerFn, client::Client, codec::PostUrl, request::ClientReq};

use crate::components::{fields::SelectField, form::hidden_fields};

/// One member as the table shows it.
#[derive(Clone, Debug)]
pub struct MemberRow {
    pub username: String,
    pub display_name: String,
    /// Role, as shown and as the role picker's value.
    pub role: &'static str,
    /// Whether the viewer may change this member's role or remove them.
    pub manageable: bool,
}

/// The table. `scope` are the hidden fields that name the organization or project (as the
/// change and remove functions take them); `manage` shows the actions column.
#[component]
pub fn MemberTable<C, R, CO, RO>(
    /// The members.
    rows: Vec<MemberRow>,
    /// Hidden `(name, value)` fields naming the organization or project.
    scope: Vec<(&'static str, String)>,
    /// The roles the viewer may give, as `(value, text)`.
    roles: Vec<(String, String)>,
    /// Whether the viewer manages members (the actions column).
    manage: bool,
    /// The change-role action of the page.
    change: ServerAction<C>,
    /// The remove action of the page.
    remove: ServerAction<R>,
) -> impl IntoView
where
    C: DeserializeOwned + ServerFn<Protocol = Http<PostUrl, CO>> + Clone + Send + Sync + 'static,
    <<C::Client as Client<C::Error>>::Request as ClientReq<C::Error>>::FormData: From<FormData>,
    C::Output: Send + Sync + 'static,
    C::Error: Send + Sync + 'static,
    C::Client: Client<C::Error>,
    R: DeserializeOwned + ServerFn<Protocol = Http<PostUrl, RO>> + Clone + Send + Sync + 'static,
    <<R::Client as Client<R::Error>>::Request as ClientReq<R::Error>>::FormData: From<FormData>,
    R::Output: Send + Sync + 'static,
    R::Error: Send + Sync + 'static,
    R::Client: Client<R::Error>,
    CO: 'static,
    RO: 'static,
{
    let hidden = move |scope: &[(&'static str, String)], username: &str| {
        let mut fields = scope.to_vec();
        fields.push(("username", username.to_owned()));
        hidden_fields(&fields)
    };
    let row = move |m: MemberRow| {
        let actions = (manage && m.manageable).then(|| {
            let (change_fields, remove_fields) =
                (hidden(&scope, &m.username), hidden(&scope, &m.username));
            let (roles, id_suffix) = (roles.clone(), m.username.clone());
            let remove_label = format!("Remove {}", m.username);
            view! {
                <div class="flex flex-wrap items-end gap-2">
                    <ActionForm action=change attr:class="flex items-end gap-2">
                        {change_fields}
                        <SelectField
                            label="Role"
                            name="role"
                            id_suffix=id_suffix
                            options=roles
                            selected=m.role.to_owned()
                            error=Signal::derive(|| None::<String>)
                        />
                        <button type="submit" class="btn">
                            "Change role"
                        </button>
                    </ActionForm>
                    <ActionForm action=remove>
                        {remove_fields}
                        <button type="submit" class="btn-danger" aria-label=remove_label>
                            "Remove"
                        </button>
                    </ActionForm>
                </div>
            }
        });
        view! {
            <tr>
                <td data-label="Username" class="font-mono">
                    {m.username}
                </td>
                <td data-label="Name">{m.display_name}</td>
                <td data-label="Role">{m.role}</td>
                {manage.then(|| view! { <td>{actions}</td> })}
            </tr>
        }
    };
    view! {
        <table class="stack-table mt-2">
            <thead>
                <tr>
                    <th scope="col">"Username"</th>
                    <th scope="col">"Display name"</th>
                    <th scope="col">"Role"</th>
                    {manage
                        .then(|| {
                            view! {
                                <th scope="col">
                                    <span class="sr-only">"Actions"</span>
                                </th>
                            }
                        })}
                </tr>
            </thead>
            <tbody>{rows.into_iter().map(row).collect_view()}</tbody>
        </table>
    }
}
