//! The header's current-project switcher (like `kalix config set project`): the project you
//! work in, remembered across sessions, and a select to change it.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::hooks::use_location;

use crate::api::projects::{SetCurrentProject, list_projects};

/// The switcher; nothing when the caller has no projects.
#[component]
pub fn ProjectSwitcher() -> impl IntoView {
    let location = use_location();
    let switch = ServerAction::<SetCurrentProject>::new();
    // Fetched again after every navigation and every switch, so it follows changes made on
    // the pages (a new project, a deleted one).
    let projects = Resource::new(
        move || (location.pathname.get(), switch.version().get()),
        |_| list_projects(),
    );
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let list = projects.await.unwrap_or_default();
                (!list.is_empty())
                    .then(|| {
                        let current = list
                            .iter()
                            .find(|p| p.is_current)
                            .map(|p| format!("{}/{}", p.owner, p.name));
                        view! {
                            <ActionForm action=switch attr:class="flex items-center gap-2 text-sm">
                                <label for="current-project" class="sr-only">
                                    "Current project"
                                </label>
                                <select
                                    id="current-project"
                                    name="project"
                                    class="max-w-[12rem] rounded-md border border-slate-300 bg-white px-2 py-1 dark:border-slate-700 dark:bg-slate-900"
                                >
                                    {current
                                        .is_none()
                                        .then(|| {
                                            view! {
                                                <option value="" selected>
                                                    "Choose a project"
                                                </option>
                                            }
                                        })}
                                    {list
                                        .into_iter()
                                        .map(|p| {
                                            let value = format!("{}/{}", p.owner, p.name);
                                            view! {
                                                <option value=value.clone() selected=p.is_current>
                                                    {value.clone()}
                                                </option>
                                            }
                                        })
                                        .collect_view()}
                                </select>
                                <button type="submit" class="btn">
                                    "Switch"
                                </button>
                            </ActionForm>
                        }
                    })
            })}
        </Transition>
    }
}
