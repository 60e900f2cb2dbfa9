//! The menu of an area's sections (a project's, an organization's): tabs under the area's
//! heading, the current one marked with `aria-current`. At phone width the tabs give way to a
//! `<details>` menu that opens without JavaScript (`.section-nav` in `style/main.css`).

use leptos::prelude::*;

/// One section: its label and link.
pub struct Section {
    pub label: &'static str,
    pub href: String,
}

/// The section menu; `current` is the label of the section shown.
#[component]
pub fn SectionNav(
    /// The menu's accessible name, e.g. "Project".
    label: &'static str,
    sections: Vec<Section>,
    current: &'static str,
) -> impl IntoView {
    let links = move || {
        sections
            .iter()
            .map(|s| {
                let here = (s.label == current).then_some("page");
                view! {
                    <li>
                        <a href=s.href.clone() aria-current=here>
                            {s.label}
                        </a>
                    </li>
                }
            })
            .collect_view()
    };
    view! {
        <nav aria-label=label class="section-nav">
            <ul class="section-tabs">{links()}</ul>
            <details class="section-menu">
                <summary>
                    <span class="sr-only">{label} " sections: "</span>
                    {current}
                </summary>
                <ul>{links()}</ul>
            </details>
        </nav>
    }
}
