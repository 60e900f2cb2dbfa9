//! The HTML shell and the router table.

use leptos::prelude::*;
use leptos_meta::{MetaTags, provide_meta_context};
use leptos_router::{
    SsrMode,
    components::{Route, Router, Routes},
    path,
};

use crate::components::layout::Layout;
use crate::pages::{
    account::AccountPage,
    account_tokens::AccountTokensPage,
    activate::ActivatePage,
    audit::{OrgAuditPage, ProjectAuditPage},
    credential_import::CredentialImportPage,
    credentials::CredentialsPage,
    home::HomePage,
    invitation::InvitationPage,
    login::LoginPage,
    not_found::NotFoundPage,
    org::OrgPage,
    org_members::OrgMembersPage,
    org_new::OrgNewPage,
    org_regions::OrgRegionsPage,
    org_settings::OrgSettingsPage,
    project::ProjectPage,
    project_members::ProjectMembersPage,
    project_new::ProjectNewPage,
    project_settings::ProjectSettingsPage,
    project_tokens::ProjectTokensPage,
    projects::ProjectsPage,
    pull_secret::PullSecretPage,
    push_paths::PushPathsPage,
    regions::RegionsPage,
    repositories::RepositoriesPage,
    signup::SignupPage,
};

/// The stylesheet's path (content-hashed in a built site); the server provides it.
#[derive(Clone, Debug)]
pub struct StylesheetHref(pub String);

/// The document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let stylesheet = use_context::<StylesheetHref>()
        .map(|s| s.0)
        .unwrap_or_else(|| "/pkg/berth.css".to_owned());
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <link rel="stylesheet" href=stylesheet />
                <HydrationScripts options islands=true />
                <MetaTags />
            </head>
            <body class="min-h-screen bg-slate-50 text-slate-900 antialiased dark:bg-slate-950 dark:text-slate-100">
                <App />
            </body>
        </html>
    }
}

/// The application: every route. Pages render fully on the server (`SsrMode::Async`) and only
/// there: they work with JavaScript off, and the browser hydrates nothing but the islands.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Router>
            <Layout>
                <Routes fallback=NotFoundPage>
                    <Route path=path!("/") view=HomePage ssr=SsrMode::Async />
                    <Route path=path!("/signup") view=SignupPage ssr=SsrMode::Async />
                    <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async />
                    <Route path=path!("/account") view=AccountPage ssr=SsrMode::Async />
                    <Route
                        path=path!("/account/tokens")
                        view=AccountTokensPage
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("/invitation") view=InvitationPage ssr=SsrMode::Async />
                    <Route path=path!("/activate") view=ActivatePage ssr=SsrMode::Async />
                    <Route path=path!("/regions") view=RegionsPage ssr=SsrMode::Async />
                    <Route path=path!("/orgs/new") view=OrgNewPage ssr=SsrMode::Async />
                    <Route path=path!("/orgs/:org") view=OrgPage ssr=SsrMode::Async />
                    <Route
                        path=path!("/orgs/:org/members")
                        view=OrgMembersPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/orgs/:org/regions")
                        view=OrgRegionsPage
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("/orgs/:org/audit") view=OrgAuditPage ssr=SsrMode::Async />
                    <Route
                        path=path!("/orgs/:org/settings")
                        view=OrgSettingsPage
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("/projects") view=ProjectsPage ssr=SsrMode::Async />
                    <Route path=path!("/projects/new") view=ProjectNewPage ssr=SsrMode::Async />
                    <Route
                        path=path!("/projects/:owner/:project")
                        view=ProjectPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/projects/:owner/:project/credentials")
                        view=CredentialsPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/projects/:owner/:project/credentials/import")
                        view=CredentialImportPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/projects/:owner/:project/pull-secret")
                        view=PullSecretPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/projects/:owner/:project/push-paths")
                        view=PushPathsPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/projects/:owner/:project/repositories")
                        view=RepositoriesPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/projects/:owner/:project/members")
                        view=ProjectMembersPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/projects/:owner/:project/tokens")
                        view=ProjectTokensPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/projects/:owner/:project/audit")
                        view=ProjectAuditPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/projects/:owner/:project/settings")
                        view=ProjectSettingsPage
                        ssr=SsrMode::Async
                    />
                </Routes>
            </Layout>
        </Router>
    }
}
