//! Breadcrumbs: where a page sits (Home / Projects / owner / project).

use leptos::prelude::*;

/// Breadcrumbs: `(text, link)` pairs, the last one the current page.
#[component]
pub fn Breadcrumbs(trail: Vec<(String, Option<String>)>) -> impl IntoView {
    let last = trail.len().saturating_sub(1);
    view! {
        <nav aria-label="Breadcrumb" class="text-sm text-slate-500 dark:text-slate-400">
            <ol class="flex flex-wrap gap-1">
                {trail
                    .into_iter()
                    .enumerate()
                    .map(|(i, (text, href))| {
                        let sep = (i > 0).then_some(view! { <span aria-hidden="true">"/"</span> });
                        let item = match href {
                            Some(href) if i != last => {
                                view! {
                                    <a
                                        href=href
                                        class="inline-flex min-h-6 items-center hover:underline"
                                    >
                                        {text}
                                    </a>
                                }
                                    .into_any()
                            }
                            _ => view! { <span aria-current="page">{text}</span> }.into_any(),
                        };
                        view! { <li class="flex items-center gap-1">{sep} {item}</li> }
                    })
                    .collect_view()}
            </ol>
        </nav>
    }
}
