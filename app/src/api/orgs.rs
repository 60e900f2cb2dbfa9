//! Regions and organizations: list the regions, create an organization, list mine, view one.

use leptos::prelude::*;

use crate::domain::{
    org::{OrgSummary, OrgView},
    region::Region,
};
use crate::error::AppError;

#[cfg(feature = "ssr")]
use crate::{
    domain::{org::NewOrgForm, role::OrgAction, token::Scope},
    server::{cx::Cx, http::request, rules::orgs},
};

/// The regions projects can live in, with their KCR hosts.
#[server(endpoint = "list_regions", input = server_fn::codec::GetUrl)]
pub async fn list_regions() -> Result<Vec<Region>, AppError> {
    Ok(orgs::regions(&Cx::signed_in(Scope::ProjectsRead).await?))
}

/// The organizations the caller belongs to, by name.
#[server(endpoint = "list_orgs", input = server_fn::codec::GetUrl)]
pub async fn list_orgs() -> Result<Vec<OrgSummary>, AppError> {
    orgs::list(&Cx::signed_in(Scope::ProjectsRead).await?).await
}

/// Creates an organization owned by the caller, allowing every configured region.
#[server(endpoint = "create_org")]
pub async fn create_org(name: String, display_name: String) -> Result<(), AppError> {
    let cx = Cx::signed_in(Scope::All).await?;
    let form = NewOrgForm::parse(&name, &display_name)?;
    request::redirect(&orgs::create(&cx, form).await?);
    Ok(())
}

/// One organization, for its members. Anyone else gets 404: its existence is not revealed.
#[server(endpoint = "get_org", input = server_fn::codec::GetUrl)]
pub async fn get_org(name: String) -> Result<OrgView, AppError> {
    orgs::view(&Cx::org(&name, OrgAction::View).await?).await
}

/// Changes the name an organization is shown by (owners and admins); blank means its name.
#[server(endpoint = "update_org")]
pub async fn update_org(org: String, display_name: String) -> Result<(), AppError> {
    let cx = Cx::org(&org, OrgAction::ManageProjects).await?;
    orgs::rename(&cx, &display_name).await?;
    request::redirect(&format!("{}/settings", cx.path()));
    Ok(())
}

/// Sets the regions an organization's projects may live in (owners and admins): at least one,
/// each configured, and none dropped that still has projects.
#[server(endpoint = "set_org_regions")]
pub async fn set_org_regions(org: String, regions: Vec<String>) -> Result<(), AppError> {
    let cx = Cx::org(&org, OrgAction::ManageProjects).await?;
    orgs::set_regions(&cx, &regions).await?;
    request::redirect(&format!("{}/regions", cx.path()));
    Ok(())
}

/// Deletes an organization (owners): `confirm` must repeat its name, and it must have no
/// projects left.
#[server(endpoint = "delete_org")]
pub async fn delete_org(org: String, confirm: String) -> Result<(), AppError> {
    let cx = Cx::org(&org, OrgAction::ManageOwners).await?;
    orgs::delete(&cx, &confirm).await?;
    request::redirect("/");
    Ok(())
}
