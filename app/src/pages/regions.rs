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
                            <div class="relative mt-6 overflow-x-auto">
                                <table class="w-full text-left text-sm">
                                    <thead class="border-b border-slate-300 dark:border-slate-700">
                                        <tr>
                                            <th scope="col" class="py-2 pr-4">
                                                "Region"
                                            </th>
                                            <th scope="col" class="py-2 pr-4">
                                                "Name"
                                            </th>
                                            <th scope="col" class="py-2">
                                                "KCR host"
                                            </th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {regions
                                            .into_iter()
                                            .map(|r| {
                                                view! {
                                                    <tr class="border-b border-slate-200 dark:border-slate-800">
                                                        <td class="py-2 pr-4 font-mono">{r.name}</td>
                                                        <td class="py-2 pr-4">{r.display_name}</td>
                                                        <td class="py-2 font-mono">{r.kcr_host}</td>
                                                    </tr>
                                                }
                                            })
                                            .collect_view()}
                                    </tbody>
                                </table>
                            </div>
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
        <h2 class="mt-10 text-lg font-semibold">"Your organizations' registries"</h2>
        {if rows.is_empty() {
            view! {
                <p class="mt-2 text-sm text-slate-600 dark:text-slate-400">
                    "You are in no organization yet; personal projects push to HOST/USERNAME/PROJECT/IMAGE."
                </p>
            }
                .into_any()
        } else {
            view! {
                <div class="relative mt-2 overflow-x-auto">
                    <table class="w-full text-left text-sm">
                        <thead class="border-b border-slate-300 dark:border-slate-700">
                            <tr>
                                <th scope="col" class="py-2 pr-4">
                                    "REGION"
                                </th>
                                <th scope="col" class="py-2 pr-4">
                                    "ORGANIZATION"
                                </th>
                                <th scope="col" class="py-2 pr-4">
                                    "ORGANIZATION ID"
                                </th>
                                <th scope="col" class="py-2">
                                    "CONTAINER REGISTRY"
                                </th>
                            </tr>
                        </thead>
                        <tbody>
                            {rows
                                .into_iter()
                                .map(|r| {
                                    view! {
                                        <tr class="border-b border-slate-200 dark:border-slate-800">
                                            <td class="py-2 pr-4 font-mono">{r.region}</td>
                                            <td class="py-2 pr-4">{r.organization}</td>
                                            <td class="py-2 pr-4 font-mono text-xs">
                                                {r.organization_id}
                                            </td>
                                            <td class="py-2 font-mono">{r.registry}</td>
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
    }
}
