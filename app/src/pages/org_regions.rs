//! `/orgs/{org}/regions`: the regions the organization's projects may live in, each with its
//! registry host; admins change them.

use leptos::form::ActionForm;
use leptos::prelude::*;

use crate::api::orgs::{SetOrgRegions, get_org, list_regions};
use crate::components::{
    area::{OrgArea, OrgSection},
    error_notice::ErrorNotice,
    form::{FormError, field_error, form_error},
};
use crate::domain::{org::OrgView, region::Region, role::OrgAction};
use crate::state::params::use_org_param;

/// The organization's regions page.
#[component]
pub fn OrgRegionsPage() -> impl IntoView {
    let org_name = use_org_param();
    let save = ServerAction::<SetOrgRegions>::new();
    let org = Resource::new(
        move || (org_name.get(), save.version().get()),
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
                    Ok((org, all)) => view! { <Regions org all save /> }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Regions(org: OrgView, all: Vec<Region>, save: ServerAction<SetOrgRegions>) -> impl IntoView {
    let admin = org.my_role.allows(OrgAction::ManageProjects);
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
        <OrgArea org=org.header() section=OrgSection::Regions>
            <section aria-labelledby="regions-heading">
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
                            <ActionForm action=save attr:class="mt-3 space-y-2">
                                <FormError error=form_error(save) />
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
                                    field_error(save, "regions")
                                        .get()
                                        .map(|m| {
                                            view! {
                                                <p class="text-sm text-red-600 dark:text-red-400">{m}</p>
                                            }
                                        })
                                }}
                                <button type="submit" class="btn">
                                    "Save regions"
                                </button>
                            </ActionForm>
                        }
                    })}
            </section>
        </OrgArea>
    }
}
