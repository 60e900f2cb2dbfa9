//! The session context: who is signed in.
//!
//! The server knows the caller before it renders (the session layer loaded the user into the
//! request), so the user is a plain value taken from the request, not a resource: nothing
//! waits for it, and no page reads one resource from two `<Suspense>` boundaries (which can
//! leave a Leptos 0.8 SSR response hanging, leptos-rs/leptos#4851). Pages render on the server
//! only (islands), and every form that can change who is signed in ends in a new page, so the
//! value never needs refreshing.

use leptos::prelude::*;

use crate::domain::account::SessionUser;

/// Who is signed in.
#[derive(Clone)]
pub struct Session {
    user: Option<SessionUser>,
}

impl Session {
    /// The signed-in user (`None` when anonymous).
    pub fn user(&self) -> Option<SessionUser> {
        self.user.clone()
    }

    /// Whether someone is signed in.
    pub fn signed_in(&self) -> bool {
        self.user.is_some()
    }
}

/// Creates the session context for everything below the caller.
pub fn provide_session() -> Session {
    let session = Session {
        user: user_of_this_request(),
    };
    provide_context(session.clone());
    session
}

/// The session context.
pub fn use_session() -> Session {
    expect_context::<Session>()
}

/// The user the session layer attached to the request being rendered (the server put it
/// into the page's context: `domain::request`); none in the browser, where pages do not render.
fn user_of_this_request() -> Option<SessionUser> {
    crate::domain::request::facts()?.user
}
