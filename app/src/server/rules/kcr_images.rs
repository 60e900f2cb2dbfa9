//! KCR images: applying the registry's notifications (pushes, pulls, deletes) to Berth's
//! tables, the Repositories page, and deleting an image through the registry.

use std::net::IpAddr;

use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use crate::domain::{
    images::{
        self, MANIFEST_TYPES, RepositoriesPage, RepositoryView, TAGS_PER_PAGE, TagPage, TagView,
    },
    kcr::Tag,
    kcr_access,
    role::ProjectAction,
};
use crate::error::AppError;
use crate::server::{
    audit,
    cx::ProjectCx,
    db::{
        access_tokens, kcr_images as db,
        kcr_images::{NewRepository, Pushed},
        orgs, projects,
    },
    kcr::{registry_client, signing::now_secs},
    state::AppState,
};

/// The registry's notification envelope.
#[derive(Debug, Deserialize)]
pub struct Envelope {
    pub events: Vec<RegistryEvent>,
}

/// One notification (distribution's `Event`; fields Berth does not use are ignored).
#[derive(Debug, Deserialize)]
pub struct RegistryEvent {
    pub id: String,
    #[serde(default)]
    pub timestamp: Option<String>,
    pub action: String,
    pub target: Target,
    #[serde(default)]
    pub actor: Actor,
    #[serde(default)]
    pub request: Request,
}

/// What an event is about.
#[derive(Debug, Deserialize)]
pub struct Target {
    #[serde(rename = "mediaType", default)]
    pub media_type: String,
    #[serde(default)]
    pub digest: String,
    pub repository: String,
    #[serde(default)]
    pub tag: Option<String>,
}

/// Who caused it: the `sub` of the token used (a Berth token ID, or `berth`).
#[derive(Debug, Default, Deserialize)]
pub struct Actor {
    #[serde(default)]
    pub name: String,
}

/// The client request behind it.
#[derive(Debug, Default, Deserialize)]
pub struct Request {
    #[serde(default)]
    pub addr: String,
}

/// A checked event, ready to apply.
struct Checked<'a> {
    event: &'a RegistryEvent,
    tag: Option<&'a str>,
    at: i64,
}

fn check(event: &RegistryEvent) -> Result<Checked<'_>, String> {
    if event.id.is_empty() || event.id.len() > 200 {
        return Err("bad event id".into());
    }
    kcr_access::check_repository(&event.target.repository)?;
    if !event.target.digest.is_empty() {
        images::check_digest(&event.target.digest)?;
    }
    let tag = match event.target.tag.as_deref().filter(|t| !t.is_empty()) {
        Some(t) if t.trim() != t => return Err("a tag with spaces".into()),
        Some(t) => Some(Tag::parse(t).map(|_| t)?),
        None => None,
    };
    let at = event
        .timestamp
        .as_deref()
        .and_then(|t| {
            time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
        })
        .map_or_else(now_secs, |t| t.unix_timestamp());
    Ok(Checked { event, tag, at })
}

/// Where a repository of `region` belongs: a project of the region (`OWNER/PROJECT/IMAGE`),
/// or its organization's shared images (`ORG/IMAGE`); `None` for anything else.
async fn place(
    state: &AppState,
    region: &str,
    name: &str,
) -> Result<Option<(Option<Uuid>, Option<Uuid>, String)>, AppError> {
    // As the token service decides (`rules::kcr_tokens`): the two kinds never overlap.
    let (owner, rest) = kcr_access::split_repository(name);
    if rest.len() >= 2 {
        let p = projects::find(&state.db, owner, rest[0]).await?;
        return Ok(p
            .filter(|p| p.region == region)
            .map(|p| (p.org_id, Some(p.id), owner.to_owned())));
    }
    if rest.len() != 1 {
        return Ok(None);
    }
    let Some((org, _)) = orgs::find_for_user(&state.db, owner, Uuid::nil()).await? else {
        return Ok(None);
    };
    let allowed = orgs::regions(&state.db, org.id)
        .await?
        .iter()
        .any(|r| r == region);
    Ok(allowed.then(|| (Some(org.id), None, owner.to_owned())))
}

/// Who an event's actor is: the account and token for the audit log, and how lists name them.
struct Who {
    user: Option<Uuid>,
    token: Option<(Uuid, String)>,
    label: String,
    is_berth: bool,
}

async fn who(state: &AppState, actor: &str) -> Result<Who, AppError> {
    if actor == registry_client::BERTH_SUBJECT {
        return Ok(Who {
            user: None,
            token: None,
            label: "Berth".into(),
            is_berth: true,
        });
    }
    let row = match Uuid::try_parse(actor) {
        Ok(id) => access_tokens::by_id(&state.db, id).await?,
        Err(_) => None,
    };
    Ok(match row {
        Some(row) => {
            let user = row.user.user();
            let label = match &user {
                Some(u) => format!("{} (token {})", u.username, row.name),
                None => format!("project token {}", row.name),
            };
            Who {
                user: user.map(|u| u.id),
                token: Some((row.id, row.name)),
                label,
                is_berth: false,
            }
        }
        None => Who {
            user: None,
            token: None,
            label: "an unknown token".into(),
            is_berth: false,
        },
    })
}

/// Applies the registry's notifications for `region`. Each event counts once, however often
/// the registry retries it; events Berth cannot place are skipped (and logged), so one bad
/// event never blocks the ones behind it.
#[tracing::instrument(level = "debug", skip_all, fields(region, events = envelope.events.len()), err)]
pub async fn apply(state: &AppState, region: &str, envelope: &Envelope) -> Result<(), AppError> {
    for event in &envelope.events {
        let checked = match check(event) {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(event.id = %event.id, error = %e, "KCR notification skipped");
                continue;
            }
        };
        let is_manifest = MANIFEST_TYPES.contains(&event.target.media_type.as_str());
        match event.action.as_str() {
            "push" if is_manifest && checked.tag.is_some() => push(state, region, &checked).await?,
            // Berth reading a manifest (for its size) is no one's pull.
            "pull"
                if is_manifest
                    && !event.target.digest.is_empty()
                    && event.actor.name != registry_client::BERTH_SUBJECT =>
            {
                pull(state, region, &checked).await?
            }
            "delete" => delete(state, region, &checked).await?,
            _ => {}
        }
    }
    Ok(())
}

/// Audits what a notification reports, as its actor and with the address the registry gave.
async fn record(
    tx: &mut crate::server::db::Tx,
    event: &RegistryEvent,
    who: &Who,
    (org_id, project_id): (Option<Uuid>, Option<Uuid>),
    action: &str,
    target: &str,
    mut details: serde_json::Value,
) -> Result<(), AppError> {
    details["address"] = json!(ADDRESS_SOURCE);
    audit::record(
        tx,
        address(event),
        audit::Event {
            actor: who.user,
            token: who.token.as_ref().map(|(id, name)| (*id, name.as_str())),
            org_id,
            project_id,
            action,
            target,
            details,
        },
    )
    .await
    .map_err(AppError::from)
}

/// Said in the details of entries made from notifications: the address is the registry's
/// account of the client, which takes `X-Forwarded-For` on trust.
const ADDRESS_SOURCE: &str = "as the registry reported it";

fn address(event: &RegistryEvent) -> IpAddr {
    let addr = &event.request.addr;
    addr.parse::<std::net::SocketAddr>()
        .map(|a| a.ip())
        .or_else(|_| addr.parse::<IpAddr>())
        .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
}

async fn push(state: &AppState, region: &str, c: &Checked<'_>) -> Result<(), AppError> {
    let (event, tag) = (c.event, c.tag.unwrap_or_default());
    let repo = &event.target.repository;
    let Some((org_id, project_id, owner)) = place(state, region, repo).await? else {
        tracing::warn!(repository = %repo, "a push to a repository no project or organization owns");
        return Ok(());
    };
    // A retry of an applied event costs one read, not a manifest fetch.
    if db::applied(&state.db, &event.id).await? {
        return Ok(());
    }
    let who = who(state, &event.actor.name).await?;
    // Outside the transaction: a network call must not hold the write lock.
    let size = registry_client::image_size(state, region, repo, &event.target.digest).await;
    let now = now_secs();
    let mut tx = state.db.begin().await?;
    if !db::first_time(&mut tx, &event.id, now).await? {
        return Ok(());
    }
    let repository = db::repository_id(
        &mut tx,
        &NewRepository {
            region,
            name: repo,
            owner_name: &owner,
            project_id,
        },
        now,
    )
    .await?;
    db::put_tag(
        &mut tx,
        &Pushed {
            repository,
            tag,
            digest: &event.target.digest,
            media_type: &event.target.media_type,
            size,
            at: c.at,
            by: Some(&who.label),
            token: who.token.as_ref().map(|t| t.0),
        },
    )
    .await?;
    record(
        &mut tx,
        event,
        &who,
        (org_id, project_id),
        "kcr.pushed",
        &format!("{repo}:{tag}"),
        json!({ "digest": event.target.digest, "size": size }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A pull only moves "last pulled" forward (idempotent as it is): no event ID is kept.
async fn pull(state: &AppState, region: &str, c: &Checked<'_>) -> Result<(), AppError> {
    let event = c.event;
    let mut tx = state.db.begin().await?;
    db::pulled(
        &mut tx,
        region,
        &event.target.repository,
        c.tag,
        &event.target.digest,
        c.at,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn delete(state: &AppState, region: &str, c: &Checked<'_>) -> Result<(), AppError> {
    let event = c.event;
    let repo = &event.target.repository;
    let digest = Some(event.target.digest.as_str()).filter(|d| !d.is_empty());
    if digest.is_none() && c.tag.is_none() {
        return Ok(());
    }
    let who = who(state, &event.actor.name).await?;
    let place = place(state, region, repo).await?;
    let mut tx = state.db.begin().await?;
    if !db::first_time(&mut tx, &event.id, now_secs()).await? {
        return Ok(());
    }
    let removed = db::remove(&mut tx, region, repo, digest, c.tag).await?;
    // Berth's own deletes are audited where they are made.
    if !removed.is_empty()
        && !who.is_berth
        && let Some((org_id, project_id, _)) = place
    {
        record(
            &mut tx,
            event,
            &who,
            (org_id, project_id),
            "kcr.deleted",
            repo,
            json!({ "digest": digest, "tags": removed }),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The repositories `cx` sees in its project (and its organization's shared ones), and the
/// tags of `selected` a page at a time.
#[tracing::instrument(level = "debug", skip_all, fields(project.id = %cx.project.id), err)]
pub async fn page(
    cx: &ProjectCx,
    selected: Option<&str>,
    after: Option<&str>,
) -> Result<RepositoriesPage, AppError> {
    let p = &cx.project;
    let host = cx
        .state
        .settings
        .region(&p.region)
        .map(|r| r.kcr_host.clone())
        .unwrap_or_default();
    let shared_owner = p.org_id.map(|_| p.owner_name.as_str());
    let rows = db::repositories(&cx.state.db, p.id, &p.region, shared_owner).await?;
    let may_project = cx.may(ProjectAction::DeleteImages);
    let may_shared = if rows.iter().any(|r| r.project_id.is_none()) {
        cx.may_delete_shared_images().await?
    } else {
        false
    };
    let view = |r: &db::RepositoryRow| RepositoryView {
        name: r.name.clone(),
        shared: r.project_id.is_none(),
        tags: r.tags,
        last_pushed_at: r.last_pushed_at,
        may_delete: if r.project_id.is_none() {
            may_shared
        } else {
            may_project
        },
    };
    let selected = match selected.filter(|s| !s.is_empty()) {
        None => None,
        Some(name) => {
            let row = rows
                .iter()
                .find(|r| r.name == name)
                .ok_or_else(|| not_here(name))?;
            let after = after
                .filter(|a| !a.is_empty())
                .map(images::parse_cursor)
                .transpose()
                .map_err(AppError::BadRequest)?;
            let limit = TAGS_PER_PAGE as i64 + 1;
            let mut tags = db::tags(
                &cx.state.db,
                row.id,
                after.as_ref().map(|(at, tag)| (*at, tag.as_str())),
                limit,
            )
            .await?;
            let next = (tags.len() > TAGS_PER_PAGE).then(|| {
                tags.truncate(TAGS_PER_PAGE);
                let last = &tags[TAGS_PER_PAGE - 1];
                images::cursor(last.pushed_at, &last.tag)
            });
            Some(TagPage {
                repository: view(row),
                tags: tags
                    .into_iter()
                    .map(|t| TagView {
                        index: images::is_index(&t.media_type),
                        tag: t.tag,
                        digest: t.digest,
                        size: t.size,
                        pushed_at: t.pushed_at,
                        pushed_by: t.pushed_by,
                        last_pulled_at: t.last_pulled_at,
                    })
                    .collect(),
                next,
            })
        }
    };
    Ok(RepositoriesPage {
        header: cx.header(),
        host,
        repositories: rows.iter().map(view).collect(),
        selected,
    })
}

fn not_here(name: &str) -> AppError {
    AppError::NotFound(format!(
        "There is no repository \"{name}\" in this project's images."
    ))
}

/// Deletes image `digest` from `repository` (every tag on it) through the registry, then from
/// Berth's list; audited with the tags it removed.
#[tracing::instrument(level = "debug", skip_all, fields(project.id = %cx.project.id), err)]
pub async fn delete_image(cx: &ProjectCx, repository: &str, digest: &str) -> Result<(), AppError> {
    images::check_digest(digest).map_err(|m| AppError::invalid(images::field::DIGEST, m))?;
    let p = &cx.project;
    let shared_owner = p.org_id.map(|_| p.owner_name.as_str());
    let rows = db::repositories(&cx.state.db, p.id, &p.region, shared_owner).await?;
    let row = rows
        .iter()
        .find(|r| r.name == repository)
        .ok_or_else(|| not_here(repository))?;
    let allowed = if row.project_id.is_some() {
        cx.may(ProjectAction::DeleteImages)
    } else {
        cx.may_delete_shared_images().await?
    };
    if !allowed {
        return Err(AppError::Forbidden(if row.project_id.is_some() {
            "Deleting images needs the admin role in the project (and a token with registry:delete).".into()
        } else {
            "Deleting the organization's shared images needs the owner or admin role in it (and a token with registry:delete).".into()
        }));
    }
    // Read first: the registry's own delete notification may remove them before we do.
    let tags = db::tags_on(&cx.state.db, row.id, digest).await?;
    let existed =
        registry_client::delete_manifest(&cx.state, &p.region, repository, digest).await?;
    let mut tx = cx.state.db.begin().await?;
    db::remove(&mut tx, &p.region, repository, Some(digest), None).await?;
    cx.audit(
        &mut tx,
        "kcr.image_deleted",
        &format!("{repository}@{digest}"),
        json!({ "tags": tags, "was_in_registry": existed }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
