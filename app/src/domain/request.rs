//! What the server knows about the request a page renders for, put into the page's context
//! before anything renders (`server::http::render_context`): who is signed in, the fields of a
//! failed plain form post sent back to its form, and the credential check a plain post kept.
//! Pages, components and the session state read it here and never reach into `server`; in the
//! browser (islands) it is absent, and each reads as nothing.

use crate::domain::{account::SessionUser, credential_check::KeptCheck};

/// The request facts of the page being rendered.
#[derive(Clone, Debug, Default)]
pub struct RequestFacts {
    /// Who is signed in.
    pub user: Option<SessionUser>,
    /// What a failed plain form post had typed, when this page is where it was sent back to.
    pub kept_form: Option<KeptForm>,
    /// The check a plain post kept for this page (`checked=1`).
    pub kept_check: Option<KeptCheck>,
}

/// The non-secret fields of a failed plain form post to one server function.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeptForm {
    /// The server function's path (`/api/add_credential`): only its form takes them.
    pub fn_path: String,
    /// Field names and values, as posted.
    pub fields: Vec<(String, String)>,
}

impl KeptForm {
    /// Field `name` as posted to `fn_path`.
    pub fn get(&self, fn_path: &str, name: &str) -> Option<String> {
        (self.fn_path == fn_path)
            .then(|| {
                self.fields
                    .iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.clone())
            })
            .flatten()
    }
}

/// The facts of the page being rendered (none in the browser).
pub fn facts() -> Option<RequestFacts> {
    leptos::prelude::use_context::<RequestFacts>()
}
