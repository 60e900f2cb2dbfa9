//! The person's side of a device login (`berth login`): look up the code the device shows,
//! then approve or deny it. Browser sessions only: a token cannot approve a device (it could
//! mint itself successors). The device's side is `server::auth::device_login`.

use leptos::prelude::*;

use crate::domain::device::DeviceRequestView;
use crate::error::AppError;

#[cfg(feature = "ssr")]
use crate::server::{cx::Cx, http::request, rules::device_logins};

/// The waiting device login `code` names: which device, from where, asking for what.
#[server(endpoint = "device_request", input = server_fn::codec::GetUrl)]
pub async fn device_request(code: String) -> Result<DeviceRequestView, AppError> {
    device_logins::lookup(&Cx::session().await?, &code).await
}

/// Approves the device login `code` names: the device's next poll gets a personal token.
#[server(endpoint = "approve_device")]
pub async fn approve_device(code: String) -> Result<(), AppError> {
    device_logins::decide(&Cx::session().await?, &code, true).await?;
    request::redirect("/activate?done=approved");
    Ok(())
}

/// Denies it: the device is told so and gets nothing.
#[server(endpoint = "deny_device")]
pub async fn deny_device(code: String) -> Result<(), AppError> {
    device_logins::decide(&Cx::session().await?, &code, false).await?;
    request::redirect("/activate?done=denied");
    Ok(())
}
