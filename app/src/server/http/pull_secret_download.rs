//! The console's "Download pull secret" button: a plain form post from the confirm page
//! (`/projects/{owner}/{name}/pull-secret`) answered with the file itself, as an attachment.
//! A server function cannot answer a form post with a file (leptos_axum sends plain posts
//! back to the page they came from), so this route runs the same check and rule as
//! `api::pull_secrets::export_pull_secret`. It sits behind the same layers as the server
//! functions: session, cross-site refusal, bearer tokens, no-store. A refusal goes back to the
//! confirm page with a code in `error` (`domain::pull_secret::download_error_code`).

use std::net::SocketAddr;

use axum::{
    extract::{ConnectInfo, Form, FromRequest, FromRequestParts, Path, Request},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;

use crate::domain::{
    pull_secret::{ExportRequest, download_error_code},
    role::ProjectAction,
};
use crate::error::AppError;
use crate::server::{
    auth::{backend::AuthSession, bearer::TokenCaller},
    cx::{Caller, Cx},
    http::request,
    rules::pull_secrets,
    state::AppState,
};

/// The form's fields.
#[derive(Debug, Deserialize)]
pub struct DownloadForm {
    #[serde(default)]
    format: String,
    #[serde(default)]
    kcr_ttl: String,
    #[serde(default)]
    secret_name: String,
}

/// `POST /projects/{owner}/{name}/pull-secret/download`.
pub async fn download(
    state: AppState,
    Path((owner, name)): Path<(String, String)>,
    req: Request,
) -> Response {
    let (mut parts, body) = req.into_parts();
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let address = request::address_of(&state.settings, &parts.headers, peer);
    let token = parts.extensions.get::<TokenCaller>().cloned();
    let session = <AuthSession as FromRequestParts<()>>::from_request_parts(&mut parts, &())
        .await
        .ok();
    let form = Form::<DownloadForm>::from_request(Request::from_parts(parts, body), &()).await;
    let caller = match (token, session.and_then(|s| s.user)) {
        (Some(token), _) => Caller::Token(token),
        (None, Some(user)) => Caller::Session(user),
        (None, None) => return Redirect::to("/login").into_response(),
    };
    let result = async {
        let Ok(Form(form)) = form else {
            return Err(AppError::BadRequest("The form could not be read.".into()));
        };
        let cx = Cx {
            state,
            caller,
            address,
        }
        .in_project(&owner, &name, ProjectAction::ExportPullSecrets)
        .await?;
        let request = ExportRequest::parse(&form.format, &form.kcr_ttl, &form.secret_name)?;
        pull_secrets::export(&cx, request).await
    }
    .await;
    match result {
        Ok(secret) => {
            let disposition = format!("attachment; filename=\"{}\"", secret.file_name);
            let mut res = (StatusCode::OK, secret.content).into_response();
            let headers = res.headers_mut();
            if let Ok(v) = HeaderValue::from_str(&secret.content_type) {
                headers.insert(header::CONTENT_TYPE, v);
            }
            if let Ok(v) = HeaderValue::from_str(&disposition) {
                headers.insert(header::CONTENT_DISPOSITION, v);
            }
            res
        }
        Err(err) => {
            let back = format!(
                "/projects/{}/{}/pull-secret?error={}",
                encode(&owner),
                encode(&name),
                download_error_code(&err)
            );
            let mut res = Redirect::to(&back).into_response();
            if let AppError::TooManyRequests { retry_after_secs } = err
                && let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string())
            {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
            res
        }
    }
}

fn encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}
