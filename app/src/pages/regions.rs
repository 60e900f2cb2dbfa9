//! `/regions`: the regions projects can live in, with the KCR host of each.

use crate::components::raw_text::PageTitle;
use leptos::prelude::*;

use crate::api::{kcr::registry_table, orgs::list_regions};
use crate::components::error_notice::ErrorNotice;
use crate::domain::kcr::RegistryRow;
use crate::error::AppError;

/// The table of regions.
#[component]
pub fn RegionsPage() -> impl IntoView {
    let regions = Resource::new(
        || (),
        |_| async { Ok::<_, AppError>((list_regions().await?, registry_table().await?)) },
    );
    view! {
        <PageTitle text="Regions" />
        <Suspense fallback=|| {
            view! { <p>"Loading…"</p> }
        }>
            {move || Suspend::new(async move {
                match regions.await {
                    Ok((regions, rows)) => {
                        view! {
                            <h1 class="text-2xl font-semibold">"Regions"</h1>
                            <p class="mt-2 text-sm text-slate-600 dark:text-slate-400">
                                "Every project lives in one region; images for it are pushed to that region's KCR host."
                            </p>
                            <table class="stack-table mt-6" aria-label="Regions">
                                <thead>
                                    <tr>
                                        <th scope="col">"Region"</th>
                                        <th scope="col">"Name"</th>
                                        <th scope="col">"KCR host"</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {regions
                                        .into_iter()
                                        .map(|r| {
                                            view! {
                                                <tr>
                                                    <td data-label="Region" class="font-mono">
                                                        {r.name}
                                                    </td>
                                                    <td data-label="Name">{r.display_name}</td>
                                                    <td data-label="KCR host" class="font-mono break-all">
                                                        {r.kcr_host}
                                                    </td>
                                                </tr>
                                            }
                                        })
                                        .collect_view()}
                                </tbody>
                            </table>
                            <RegistryTable rows />
                        }
                            .into_any()
                    }
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The registry of every organization I belong to in every region it allows (the console's
/// `container-registry print`).
#[component]
fn RegistryTable(rows: Vec<RegistryRow>) -> impl IntoView {
    view! {
        <h2 id="org-registries" class="mt-10 text-lg font-semibold">
            "Your organizations' registries"
        </h2>
        {if rows.is_empty() {
            view! {
                <p class="mt-2 text-sm text-slate-600 dark:text-slate-400">
                    "You are in no organization yet; personal projects push to HOST/USERNAME/PROJECT/IMAGE."
                </p>
            }
                .into_any()
        } else {
            view! {
                <table class="stack-table mt-2" aria-labelledby="org-registries">
                    <thead>
                        <tr>
                            <th scope="col">"Region"</th>
                            <th scope="col">"Organization"</th>
                            <th scope="col">"Organization ID"</th>
                            <th scope="col">"Container registry"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {rows
                            .into_iter()
                            .map(|r| {
                                view! {
                                    <tr>
                                        <td data-label="Region" class="font-mono">
                                            {r.region}
                                        </td>
                                        <td data-label="Organization">{r.organization}</td>
                                        <td
                                            data-label="Organization ID"
                                            class="font-mono text-xs break-all"
                                        >
                                            {r.organization_id}
                                        </td>
                                        <td
                                            data-label="Container registry"
                                            class="font-mono break-all"
                                        >
                                            {r.registry}
                                        </td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            }
                .into_any()
        }}
    }
}
