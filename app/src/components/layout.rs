//! The page frame: header with navigation and the signed-in user, flash messages, main column,
//! and the page-wide enhancements island.

use leptos::form::ActionForm;
use leptos::prelude::*;

use crate::api::auth::SignOut;
use crate::components::enhance::Enhancements;
use crate::components::flash::Flash;
use crate::components::project_switcher::ProjectSwitcher;
use crate::state::session::{provide_session, use_session};

/// Frames every page and provides the session context.
#[component]
pub fn Layout(children: Children) -> impl IntoView {
    provide_session();
    view! {
        <a
            href="#main"
            class="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:rounded focus:bg-white focus:px-3 focus:py-2 focus:text-sm dark:focus:bg-slate-900"
        >
            "Skip to content"
        </a>
        <Header />
        <main id="main" class="mx-auto w-full max-w-5xl px-4 py-8">
            <Flash />
            {children()}
        </main>
        // Last in the page: islands hydrate in document order (see `enhance`).
        <Enhancements />
    }
}

/// Site name, navigation, and the user menu (or the sign-in links).
#[component]
fn Header() -> impl IntoView {
    let session = use_session();
    let sign_out = ServerAction::<SignOut>::new();
    view! {
        <header class="border-b border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900">
            <nav
                aria-label="Main"
                class="mx-auto flex max-w-5xl flex-wrap items-center justify-between gap-x-4 gap-y-2 px-4 py-3"
            >
                <a href="/" class="text-lg font-bold tracking-tight text-sky-800 dark:text-sky-300">
                    "Berth"
                </a>
                {move || {
                    match session.user() {
                        Some(user) => {
                            view! {
                                <div class="flex flex-wrap items-center gap-3 text-sm">
                                    <a href="/projects" class="hover:underline">
                                        "Projects"
                                    </a>
                                    <ProjectSwitcher />
                                    {(user.pending_invitations > 0)
                                        .then(|| {
                                            let count = user.pending_invitations;
                                            view! {
                                                <a href="/#invitations" class="hover:underline">
                                                    "Invitations "
                                                    <span class="rounded-full bg-sky-700 px-2 py-0.5 text-xs font-semibold text-white">
                                                        {count}
                                                    </span>
                                                    <span class="sr-only">" waiting for your answer"</span>
                                                </a>
                                            }
                                        })}
                                    <a
                                        href="/account"
                                        class="font-medium hover:underline"
                                        title=user.email.clone()
                                    >
                                        <span class="sr-only">"Signed in as "</span>
                                        {user.display_name.clone()}
                                        <span class="text-slate-500 dark:text-slate-400">
                                            " @" {user.username.clone()}
                                        </span>
                                    </a>
                                    <ActionForm action=sign_out>
                                        <button type="submit" class="btn">
                                            "Sign out"
                                        </button>
                                    </ActionForm>
                                </div>
                            }
                                .into_any()
                        }
                        _ => {
                            view! {
                                <div class="flex items-center gap-3 text-sm">
                                    <a href="/login" class="hover:underline">
                                        "Sign in"
                                    </a>
                                    <a href="/signup" class="btn-primary">
                                        "Sign up"
                                    </a>
                                </div>
                            }
                                .into_any()
                        }
                    }
                }}
            </nav>
        </header>
    }
}
