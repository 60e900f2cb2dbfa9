//! Access tokens: make one (its text is given out once), list and revoke a person's own
//! tokens and a project's tokens, and tell a caller who it is. Making, listing and revoking
//! take a browser session (`Cx::session`): a leaked token cannot make itself a successor.
//! How a token made by a plain form post reaches the page it lands on is HTTP's business
//! (`http::new_token`); a list shows such a token only when it is one of its own.

use aes_gcm::aead::{OsRng, rand_core::RngCore};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::token::{
    self, CreatedToken, Identity, MAX_LIVE_TOKENS, NewToken, Scope, TokenKind, TokenList,
    TokenView, field,
};
use crate::domain::when;
use crate::error::AppError;
use crate::server::{
    auth::bearer::{self, Holder},
    cx::{Cx, ProjectCx},
    db::{
        self,
        access_tokens::{self, Owner, TokenRow},
        projects,
    },
};

fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// 30 base62 characters from the OS's generator (bytes past 247 are drawn again, so every
/// character is equally likely).
fn random_part() -> String {
    let mut out = String::with_capacity(token::RANDOM_LEN);
    let mut buf = [0u8; 64];
    while out.len() < token::RANDOM_LEN {
        OsRng.fill_bytes(&mut buf);
        for b in buf {
            if b < 248 && out.len() < token::RANDOM_LEN {
                out.push(char::from(token::BASE62[usize::from(b % 62)]));
            }
        }
    }
    out
}

/// Makes a personal token for the signed-in person.
#[tracing::instrument(skip_all, fields(caller = %cx.caller), err)]
pub async fn create_personal(cx: &Cx, new: NewToken) -> Result<CreatedToken, AppError> {
    let me = cx.me()?;
    create(cx, Owner::User(me.id), TokenKind::Personal, None, new).await
}

/// Makes a token for the project (its admins).
#[tracing::instrument(skip_all, fields(caller = %cx.caller, project.id = %cx.project.id), err)]
pub async fn create_for_project(cx: &ProjectCx, new: NewToken) -> Result<CreatedToken, AppError> {
    create(
        cx,
        Owner::Project(cx.project.id),
        TokenKind::Project,
        Some(cx),
        new,
    )
    .await
}

async fn create(
    cx: &Cx,
    owner: Owner,
    kind: TokenKind,
    project: Option<&ProjectCx>,
    new: NewToken,
) -> Result<CreatedToken, AppError> {
    let me = cx.me()?;
    let now = now();
    let expires_at = new
        .expires_in_days
        .map(|days| now + i64::from(days) * 86_400);
    let mut tx = cx.state.db.begin().await?;
    let made = insert(
        &mut tx,
        &Issue {
            owner,
            kind,
            name: &new.name,
            scopes: &new.scopes,
            created_by: Some(me.id),
            expires_at,
            pull_secret: false,
            made_by_token: None,
        },
    )
    .await?;
    let details = made.audit_details();
    match project {
        Some(p) => {
            p.audit(&mut tx, "token.created", &made.id.to_string(), details)
                .await?
        }
        None => {
            cx.audit(
                &mut tx,
                (None, None),
                "token.created",
                &made.id.to_string(),
                details,
            )
            .await?
        }
    }
    tx.commit().await?;
    tracing::info!(token.id = %made.id, "access token created");
    Ok(CreatedToken {
        id: made.id.to_string(),
        name: new.name,
        token: made.text,
        expires_at: expires_at.map(when::rfc3339_secs),
    })
}

/// What [`insert`] makes: a token for `owner`.
pub struct Issue<'a> {
    pub owner: Owner,
    pub kind: TokenKind,
    pub name: &'a str,
    pub scopes: &'a [Scope],
    /// The person making it (`None`: a project token making a pull secret).
    pub created_by: Option<Uuid>,
    pub expires_at: Option<i64>,
    pub pull_secret: bool,
    /// The token making it (a pull secret exported with a token).
    pub made_by_token: Option<Uuid>,
}

/// A token just stored: its ID and its text (given out once, never stored).
pub struct Made {
    pub id: Uuid,
    pub text: String,
    name: String,
    scopes: String,
    expires_at: Option<i64>,
}

impl Made {
    /// The `token.created` audit details (never the text).
    pub fn audit_details(&self) -> serde_json::Value {
        serde_json::json!({
            "after": {
                "name": self.name,
                "scopes": self.scopes,
                "expires_at": self.expires_at.map(when::rfc3339_secs),
            }
        })
    }
}

/// Stores a new token in `tx` (the caller audits and commits): at most
/// [`MAX_LIVE_TOKENS`] live per owner, names unique among them (409 on the name field).
pub async fn insert(tx: &mut db::Tx, issue: &Issue<'_>) -> Result<Made, AppError> {
    let id = Uuid::now_v7();
    let text = token::encode(issue.kind, &random_part()).ok_or(AppError::Internal)?;
    let scopes = token::scopes_to_text(issue.scopes);
    let taken = || {
        AppError::conflict(
            field::NAME,
            format!(
                "There is already a token named \"{}\"; choose another name or revoke that one.",
                issue.name
            ),
        )
    };
    if !issue.pull_secret && access_tokens::count_live(tx, issue.owner).await? >= MAX_LIVE_TOKENS {
        return Err(AppError::conflict(
            field::NAME,
            format!("There are already {MAX_LIVE_TOKENS} live tokens here; revoke one first."),
        ));
    }
    access_tokens::insert(
        tx,
        &access_tokens::NewToken {
            id,
            owner: issue.owner,
            name: issue.name,
            hash: &bearer::hash(&text),
            scopes: &scopes,
            created_at: now(),
            created_by: issue.created_by,
            expires_at: issue.expires_at,
            pull_secret: issue.pull_secret,
            made_by_token: issue.made_by_token,
        },
    )
    .await
    .map_err(|e| db::conflict(e, vec![(access_tokens::NAME_TAKEN, taken())]))?;
    Ok(Made {
        id,
        text,
        name: issue.name.to_owned(),
        scopes,
        expires_at: issue.expires_at,
    })
}

/// The signed-in person's live tokens, with `made` (a token the page was sent after making)
/// when it is one of them.
#[tracing::instrument(level = "debug", skip_all, fields(caller = %cx.caller), err)]
pub async fn list_personal(cx: &Cx, made: Option<CreatedToken>) -> Result<TokenList, AppError> {
    let owner = Owner::User(cx.me()?.id);
    Ok(complete(TokenList {
        tokens: list(cx, owner).await?,
        created: made,
        project: None,
    }))
}

/// The project's live tokens, with `made` when it is one of them.
#[tracing::instrument(level = "debug", skip_all, fields(project.id = %cx.project.id), err)]
pub async fn list_for_project(
    cx: &ProjectCx,
    made: Option<CreatedToken>,
) -> Result<TokenList, AppError> {
    let owner = Owner::Project(cx.project.id);
    Ok(complete(TokenList {
        tokens: list(cx, owner).await?,
        created: made,
        project: Some(cx.header()),
    }))
}

async fn list(cx: &Cx, owner: Owner) -> Result<Vec<TokenView>, AppError> {
    let now = now();
    Ok(access_tokens::list(&cx.state.db, owner)
        .await?
        .into_iter()
        .map(|row| view(row, now))
        .collect())
}

fn view(row: TokenRow, now: i64) -> TokenView {
    TokenView {
        id: row.id.to_string(),
        name: row.name,
        scopes: token::scopes_from_text(&row.scopes),
        created_at: when::rfc3339_secs(row.created_at),
        created_by: row.created_by,
        expired: row.expires_at.is_some_and(|e| e <= now),
        expires_at: row.expires_at.map(when::rfc3339_secs),
        last_used_at: row.last_used_at.map(when::rfc3339_secs),
        last_used_addr: row.last_used_addr,
        pull_secret: row.pull_secret,
    }
}

fn parse_id(id: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(id.trim()).map_err(|_| AppError::invalid(field::ID, "That is not a token ID."))
}

fn not_found() -> AppError {
    AppError::NotFound("There is no live token with that ID here.".into())
}

/// Revokes one of the signed-in person's tokens: it stops working at once.
#[tracing::instrument(skip_all, fields(caller = %cx.caller), err)]
pub async fn revoke_personal(cx: &Cx, id: &str) -> Result<(), AppError> {
    let id = parse_id(id)?;
    let mut tx = cx.state.db.begin().await?;
    let name = access_tokens::revoke(&mut tx, Owner::User(cx.me()?.id), id, now())
        .await?
        .ok_or_else(not_found)?;
    let details = serde_json::json!({ "before": { "name": name } });
    cx.audit(
        &mut tx,
        (None, None),
        "token.revoked",
        &id.to_string(),
        details,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Revokes the token the caller is using (a session gets 400: it has none).
#[tracing::instrument(skip_all, fields(caller = %cx.caller), err)]
pub async fn revoke_own(cx: &Cx) -> Result<(), AppError> {
    let Some(token) = cx.caller.token() else {
        return Err(AppError::BadRequest(
            "This revokes the access token it is called with; the request has none.".into(),
        ));
    };
    let (owner, project) = match &token.holder {
        Holder::Person(user) => (Owner::User(user.id), None),
        Holder::Project(id) => (Owner::Project(*id), Some(*id)),
    };
    let org = match project {
        Some(id) => projects::by_id(&cx.state.db, id)
            .await?
            .and_then(|p| p.org_id),
        None => None,
    };
    let mut tx = cx.state.db.begin().await?;
    let name = access_tokens::revoke(&mut tx, owner, token.id, now())
        .await?
        .ok_or_else(not_found)?;
    let details = serde_json::json!({ "before": { "name": name }, "via": "logout" });
    cx.audit(
        &mut tx,
        (org, project),
        "token.revoked",
        &token.id.to_string(),
        details,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Revokes one of the project's tokens (its admins).
#[tracing::instrument(skip_all, fields(caller = %cx.caller, project.id = %cx.project.id), err)]
pub async fn revoke_for_project(cx: &ProjectCx, id: &str) -> Result<(), AppError> {
    let id = parse_id(id)?;
    let mut tx = cx.state.db.begin().await?;
    let name = access_tokens::revoke(&mut tx, Owner::Project(cx.project.id), id, now())
        .await?
        .ok_or_else(not_found)?;
    let details = serde_json::json!({ "before": { "name": name } });
    cx.audit(&mut tx, "token.revoked", &id.to_string(), details)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Who is calling, and what it may use.
pub async fn whoami(cx: &Cx) -> Result<Identity, AppError> {
    let token = cx.caller.token();
    let project = match token.map(|t| &t.holder) {
        Some(Holder::Project(id)) => projects::path_of(&cx.state.db, *id)
            .await?
            .map(|(owner, name)| format!("{owner}/{name}")),
        _ => None,
    };
    Ok(Identity {
        kind: match token.map(|t| &t.holder) {
            None => "session",
            Some(Holder::Person(_)) => "personal_token",
            Some(Holder::Project(_)) => "project_token",
        }
        .to_owned(),
        username: cx.caller.user().map(|u| u.username.clone()),
        project,
        token_name: token.map(|t| t.name.clone()),
        scopes: token.map_or_else(|| vec![Scope::All], |t| t.scopes.clone()),
        expires_at: token.and_then(|t| t.expires_at).map(when::rfc3339_secs),
    })
}

/// The name and expiry of a revealed token, read from the list it is shown with (a revoked
/// one is not shown at all).
fn complete(mut list: TokenList) -> TokenList {
    list.created = list.created.take().and_then(|mut created| {
        let live = list.tokens.iter().find(|t| t.id == created.id)?;
        created.name = live.name.clone();
        created.expires_at = live.expires_at.clone();
        Some(created)
    });
    list
}
