//! The session context: who is signed in.
//!
//! The server knows the caller before it renders (the session layer loaded the user into the
//! request), so the user is a plain signal seeded from the request and handed to the browser
//! inside the page (`SharedValue`), not a resource. Nothing waits for it: the header and the
//! pages render at once, and no page reads one resource from two `<Suspense>` boundaries (which
//! can leave a Leptos 0.8 SSR response hanging, leptos-rs/leptos#4851). In the browser, the
//! user is fetched again whenever an action that can change it finishes.

use leptos::prelude::*;
use leptos::server::SharedValue;
use server_fn::ServerFn;

use crate::domain::account::SessionUser;
use crate::error::AppError;

/// Who is signed in.
#[derive(Clone, Copy)]
pub struct Session {
    user: RwSignal<Option<SessionUser>>,
}

impl Session {
    /// The signed-in user (`None` when anonymous); tracked.
    pub fn user(&self) -> Option<SessionUser> {
        self.user.get()
    }

    /// Whether someone is signed in; tracked.
    pub fn signed_in(&self) -> bool {
        self.user.with(Option::is_some)
    }

    /// Asks the server again who is signed in (browser only).
    fn refresh(self) {
        leptos::task::spawn_local(async move {
            if let Ok(user) = crate::api::auth::current_user().await {
                self.user.set(user);
            }
        });
    }
}

/// Creates the session context for everything below the caller.
pub fn provide_session() -> Session {
    let initial = SharedValue::new(user_of_this_request);
    let session = Session {
        user: RwSignal::new(initial.into_inner()),
    };
    provide_context(session);
    session
}

/// The session context.
pub fn use_session() -> Session {
    expect_context::<Session>()
}

/// The user the session layer attached to the request being rendered.
#[cfg(feature = "ssr")]
fn user_of_this_request() -> Option<SessionUser> {
    use crate::server::auth::backend::AuthSession;

    use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<AuthSession>()?.user.clone())
        .map(SessionUser::from)
}

/// In the browser the value always comes from the server's page.
#[cfg(not(feature = "ssr"))]
fn user_of_this_request() -> Option<SessionUser> {
    None
}

/// A server action that may change who is signed in (sign-in, sign-up, sign-out): the session
/// is fetched again each time it finishes. Create it in the page that shows its form, so a
/// JavaScript-free post's error (carried back in the URL) reaches the form.
pub fn session_action<S>() -> ServerAction<S>
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Send + Sync + 'static,
{
    let action = ServerAction::<S>::new();
    let session = use_session();
    Effect::new(move |previous: Option<usize>| {
        let version = action.version().get();
        if previous.is_some_and(|p| p != version) {
            session.refresh();
        }
        version
    });
    action
}
