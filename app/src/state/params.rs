//! The route parameters pages read: which project (`/projects/:owner/:project/...`) or which
//! organization (`/orgs/:org/...`) a page is about.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

/// A project page's `(owner, project)` from the URL; tracked (a navigation to another project
/// updates it).
pub fn use_project_params() -> Signal<(String, String)> {
    let params = use_params_map();
    Signal::derive(move || {
        params.with(|p| {
            (
                p.get("owner").unwrap_or_default(),
                p.get("project").unwrap_or_default(),
            )
        })
    })
}

/// An organization page's name from the URL; tracked.
pub fn use_org_param() -> Signal<String> {
    let params = use_params_map();
    Signal::derive(move || params.with(|p| p.get("org").unwrap_or_default()))
}
