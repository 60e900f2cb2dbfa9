//! The markup sweep: hostile text in every user-controlled text column, and in every URL
//! parameter a page reflects, must come out of every page as text. Each page is parsed as a
//! browser would (html5ever); no element or attribute the payload carries may exist.
//!
//! Every text column of the migrations is either given a payload here or exempted with the
//! reason it cannot hold user text; a new column with neither fails
//! `every_text_column_has_a_payload_case`.

use std::collections::BTreeSet;

use app::api::{
    credential_imports::PreviewCredentialImport,
    credentials::{AddCredential, ListCredentials},
    projects::CreateProject,
};
use app::domain::credential_import::ImportPreview;
use reqwest::StatusCode;
use scraper::{Html, Selector};

use crate::helpers::{Backend, TestApp, User};
use crate::on_both;

/// Payloads, each meant for one context; `MARK` is replaced by a name saying where it was put.
const PAYLOADS: &[&str] = &[
    "</textarea><img src=x onerror=alert(1)>MARK",
    "</title><img src=x onerror=alert(2)>MARK",
    "<script>alert(3)</script>MARK",
    "\"><img src=x onerror=alert(4)>'><svg onload=alert(4)>MARK",
    "javascript:alert(5)//MARK",
    "{{constructor.constructor('alert(6)')()}}${alert(6)}MARK",
];

/// How each text column of the schema is covered.
enum Case {
    /// Given a payload, and shown on some page (so the test cannot pass by showing nothing).
    Shown,
    /// Given a payload, but no page shows it (pages must stay clean all the same).
    Stored,
    /// Cannot hold user text, for the reason given.
    Exempt(#[expect(dead_code, reason = "the reason is for the reader")] &'static str),
}

const COLUMNS: &[(&str, Case)] = &[
    ("app_user.display_name", Case::Shown),
    ("app_user.email", Case::Shown),
    ("organization.display_name", Case::Shown),
    ("project.description", Case::Shown),
    ("registry_credential.server", Case::Shown),
    ("registry_credential.username", Case::Shown),
    ("registry_credential.email", Case::Shown),
    ("registry_credential.registry_host", Case::Stored),
    ("invitation.invitee_email", Case::Shown),
    ("audit_event.target", Case::Shown),
    ("audit_event.token_name", Case::Shown),
    ("access_token.name", Case::Shown),
    ("access_token.kind", Case::Exempt(ENUM)),
    ("access_token.scopes", Case::Exempt(ENUM)),
    ("access_token.owner_key", Case::Exempt(KEY)),
    (
        "access_token.last_used_addr",
        Case::Exempt("a parsed IP address"),
    ),
    ("audit_event.details", Case::Shown),
    ("kcr_tag.pushed_by", Case::Shown),
    ("registry_credential.last_exported_by", Case::Shown),
    // Registry error text from the last check, and the image it tried.
    ("registry_credential.check_reason", Case::Shown),
    ("registry_credential.check_image", Case::Shown),
    (
        "registry_credential.check_status",
        Case::Exempt("one of two words the server writes (ok, failing)"),
    ),
    (
        "registry_credential.expires_on",
        Case::Exempt("a calendar date (YYYY-MM-DD) checked by its parser before it is stored"),
    ),
    // An ECR credential's renewal failure carries AWS's own words.
    ("registry_credential.refresh_error", Case::Shown),
    ("registry_credential.source", Case::Exempt(ENUM)),
    (
        "registry_credential.aws_access_key_id",
        Case::Exempt("letters and digits only, checked by its parser"),
    ),
    (
        "registry_credential.aws_role_arn",
        Case::Exempt("an IAM role ARN ([A-Za-z0-9+=,.@_/:-]), checked by its parser"),
    ),
    (
        "registry_credential.aws_external_id",
        Case::Exempt("[A-Za-z0-9+=,.@:/_-] only, checked by its parser"),
    ),
    (
        "registry_credential.aws_secret_key_id",
        Case::Exempt("derived from the master key, never rendered"),
    ),
    ("worker_lease.name", Case::Exempt(KEY)),
    ("worker_lease.holder", Case::Exempt(KEY)),
    ("credential_import.made_by", Case::Exempt(KEY)),
    (
        "credential_import.key_id",
        Case::Exempt("derived from the master key, never rendered"),
    ),
    ("device_grant.client_name", Case::Shown),
    (
        "device_grant.user_code",
        Case::Exempt("drawn by the server from a fixed alphabet"),
    ),
    ("device_grant.scopes", Case::Exempt(ENUM)),
    (
        "device_grant.requested_addr",
        Case::Exempt("a parsed IP address"),
    ),
    ("kcr_repository.name", Case::Exempt(GRAMMAR)),
    ("kcr_tag.tag", Case::Exempt(GRAMMAR)),
    ("kcr_tag.digest", Case::Exempt(GRAMMAR)),
    (
        "kcr_tag.media_type",
        Case::Exempt("one of the manifest types a push is recorded for"),
    ),
    ("kcr_repository.region", Case::Exempt(REGION)),
    ("kcr_repository.owner_name", Case::Exempt(NAME)),
    (
        "kcr_event.id",
        Case::Exempt("the registry's notification ID, never rendered"),
    ),
    ("app_user.username", Case::Exempt(NAME)),
    ("namespace.name", Case::Exempt(NAME)),
    ("organization.name", Case::Exempt(NAME)),
    ("project.name", Case::Exempt(NAME)),
    ("project.owner_name", Case::Exempt(NAME)),
    ("namespace.kind", Case::Exempt(ENUM)),
    ("org_member.role", Case::Exempt(ENUM)),
    ("project_member.role", Case::Exempt(ENUM)),
    ("invitation.role", Case::Exempt(ENUM)),
    ("org_region.region", Case::Exempt(REGION)),
    ("project.region", Case::Exempt(REGION)),
    (
        "audit_event.action",
        Case::Exempt("a constant of the server's code"),
    ),
    (
        "audit_event.client_addr",
        Case::Exempt("a parsed IP address"),
    ),
    ("audit_event.at", Case::Exempt(CLOCK)),
    ("app_user.created_at", Case::Exempt(CLOCK)),
    ("app_user.updated_at", Case::Exempt(CLOCK)),
    ("namespace.created_at", Case::Exempt(CLOCK)),
    ("organization.created_at", Case::Exempt(CLOCK)),
    ("org_member.created_at", Case::Exempt(CLOCK)),
    ("project.created_at", Case::Exempt(CLOCK)),
    ("project.updated_at", Case::Exempt(CLOCK)),
    ("project_member.created_at", Case::Exempt(CLOCK)),
    ("registry_credential.created_at", Case::Exempt(CLOCK)),
    ("registry_credential.updated_at", Case::Exempt(CLOCK)),
    ("invitation.created_at", Case::Exempt(CLOCK)),
    (
        "app_user.password_hash",
        Case::Exempt("an argon2 PHC string, never rendered"),
    ),
    (
        "registry_credential.key_id",
        Case::Exempt("derived from the master key, never rendered"),
    ),
    ("invitation.target_key", Case::Exempt(KEY)),
    ("invitation.invitee_key", Case::Exempt(KEY)),
    ("login_throttle.key", Case::Exempt(KEY)),
    ("user_session.id_hash", Case::Exempt(KEY)),
    (
        "user_session.data",
        Case::Exempt("session data the server writes, never rendered"),
    ),
];

const NAME: &str = "a namespace or project name: [a-z0-9-] only, checked by its parser; markup in \
                    the URL segment is covered by the reflected cases";
const ENUM: &str = "one of a fixed set, held by a check constraint";
const REGION: &str = "a configured region name, checked at start-up";
const CLOCK: &str = "a time the server writes";
const KEY: &str = "a key the server derives, never rendered";
const GRAMMAR: &str = "checked against the distribution reference grammar (lowercase names, tags \
                       of [A-Za-z0-9_.-], sha256 hex digests) before it is stored";

/// The text columns of the SQLite migrations, as `table.column`, in their final shape.
fn text_columns() -> BTreeSet<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations/sqlite");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut columns = BTreeSet::new();
    for file in files {
        let sql = std::fs::read_to_string(file).unwrap();
        let mut table: Option<String> = None;
        for line in sql.lines().map(str::trim) {
            let words: Vec<&str> = line.split_whitespace().collect();
            match words.as_slice() {
                ["drop", "table", name, ..] => {
                    let prefix = format!("{}.", name.trim_end_matches(';'));
                    columns.retain(|c: &String| !c.starts_with(&prefix));
                }
                ["create", "table", name, "(", ..] => table = Some((*name).to_owned()),
                [")", ..] | [");", ..] => table = None,
                ["alter", "table", name, "add", "column", column, "text", ..] => {
                    columns.insert(format!("{name}.{column}"));
                }
                [column, "text", ..] if *column != "constraint" => {
                    if let Some(t) = &table {
                        columns.insert(format!("{t}.{column}"));
                    }
                }
                _ => {}
            }
        }
    }
    columns
}

async fn every_text_column_has_a_payload_case(_backend: Backend) {
    let schema = text_columns();
    let covered: BTreeSet<String> = COLUMNS.iter().map(|(c, _)| (*c).to_owned()).collect();

    let missing: Vec<_> = schema.difference(&covered).collect();
    let stale: Vec<_> = covered.difference(&schema).collect();
    assert!(
        missing.is_empty(),
        "text columns without a payload case in xss.rs: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "cases for columns that do not exist: {stale:?}"
    );
    assert!(
        schema.contains("project.description"),
        "the parser read nothing"
    );
}

/// What the sweep found wrong in one page.
fn injected(html: &str, nonce: Option<&str>) -> Vec<String> {
    let doc = Html::parse_document(html);
    let mut found = Vec::new();
    for el in doc.select(&Selector::parse("*").unwrap()) {
        let tag = el.value().name();
        if matches!(
            tag,
            "img" | "svg" | "iframe" | "object" | "embed" | "base" | "frame"
        ) {
            found.push(format!("<{tag}> element: {}", el.html()));
        }
        if tag == "script" && el.value().attr("nonce") != nonce {
            found.push(format!("script without this page's nonce: {}", el.html()));
        }
        for (name, value) in el.value().attrs() {
            if name.starts_with("on") {
                found.push(format!(
                    "event handler attribute {name}={value:?} on <{tag}>"
                ));
            }
            let url_attr = matches!(
                name,
                "href" | "src" | "action" | "formaction" | "xlink:href"
            );
            if url_attr
                && value
                    .trim_start()
                    .to_ascii_lowercase()
                    .starts_with("javascript:")
            {
                found.push(format!("javascript: URL in {name} of <{tag}>"));
            }
        }
    }
    let titles = doc.select(&Selector::parse("title").unwrap()).count();
    if titles > 1 {
        found.push(format!("{titles} title elements"));
    }
    found
}

/// Everything a parsed page shows as text or holds in attribute values.
fn visible(html: &str) -> String {
    let doc = Html::parse_document(html);
    let mut out = String::new();
    for el in doc.select(&Selector::parse("*").unwrap()) {
        for text in el.text() {
            out.push_str(text);
            out.push('\n');
        }
        for (_, value) in el.value().attrs() {
            out.push_str(value);
            out.push('\n');
        }
    }
    out
}

/// The nonce of the page's Content-Security-Policy, if it has one.
fn nonce_of(res: &reqwest::Response) -> Option<String> {
    let policy = res
        .headers()
        .get("content-security-policy")?
        .to_str()
        .ok()?;
    let start = policy.find("'nonce-")? + "'nonce-".len();
    let end = policy[start..].find('\'')? + start;
    Some(policy[start..end].to_owned())
}

/// `text` percent-encoded as a URL component (everything but the unreserved characters).
fn encode_component(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `bytes` in padded base64url, as `__err` parameters carry a server-function error.
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
        for _ in chunk.len()..3 {
            out.push('=');
        }
    }
    out
}

/// Runs the update `sql` with `value` bound to `$1`, straight in the database.
async fn set(app: &TestApp, sql: &str, value: &str) {
    app::on_db!(&app.state.db, pool => sqlx::query(sql).bind(value).execute(pool).await.map(drop))
        .unwrap();
}

/// An image `acme/web/app:1` in Berth's list, as a registry notification would record it.
async fn pushed_image(app: &TestApp) {
    use app::server::db::{kcr_images, projects};
    let web = projects::find(&app.state.db, "acme", "web")
        .await
        .unwrap()
        .unwrap();
    let mut tx = app.state.db.begin().await.unwrap();
    let repository = kcr_images::repository_id(
        &mut tx,
        &kcr_images::NewRepository {
            region: "local",
            name: "acme/web/app",
            owner_name: "acme",
            project_id: Some(web.id),
        },
        1,
    )
    .await
    .unwrap();
    kcr_images::put_tag(
        &mut tx,
        &kcr_images::Pushed {
            repository,
            tag: "1",
            digest: &format!("sha256:{}", "a".repeat(64)),
            media_type: "application/vnd.oci.image.manifest.v1+json",
            size: Some(1234),
            at: 1_700_000_000,
            by: Some("ann (token ci)"),
            token: None,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

/// ann owns `acme` with project `web` (a credential, a pending email invitation, an audit
/// history); bob is a member and a viewer of `web`, and has an invitation of his own pending.
/// Returns ann, bob, the credential's ID and the ID of bob's pending invitation.
async fn populate(app: &TestApp) -> (User<'_>, User<'_>, String, String) {
    let ann = app.sign_up("ann").await;
    let bob = app.sign_up("bob").await;
    ann.create_org("acme").await;
    for name in ["web", "api"] {
        ann.run(CreateProject {
            owner: "acme".into(),
            name: name.into(),
            description: "d".into(),
            region: "local".into(),
        })
        .await;
    }
    bob.join_org(&ann, "acme", "member").await;
    bob.join_project(&ann, ("acme", "web"), "viewer").await;
    pushed_image(app).await;
    ann.invite_to_project(("acme", "api"), "bob", "viewer")
        .await;
    ann.invite_to_org("acme", "pending@example.com", "member")
        .await;
    ann.run(AddCredential {
        owner: "acme".into(),
        name: "web".into(),
        registry: "other".into(),
        server: "reg.example.com".into(),
        username: "ci".into(),
        email: "ci@example.com".into(),
        password: "pw".into(),
        expires_on: String::new(),
    })
    .await;
    let list = ann
        .fetch(ListCredentials {
            owner: "acme".into(),
            name: "web".into(),
            after: None,
        })
        .await;
    let id = list.items[0].id.clone();
    let invitation = bob.invitation_id("acme/api").await;
    // Tokens of both kinds, and a change made with one (its name goes into the audit log).
    let token = ann
        .project_token(("acme", "api"), "ci", &["credentials:write"])
        .await;
    ann.personal_token("laptop", &["all"], "").await;
    let res = app
        .send_bearer(
            AddCredential {
                owner: "acme".into(),
                name: "api".into(),
                registry: "other".into(),
                server: "by-token.example.com".into(),
                username: String::new(),
                email: String::new(),
                password: "pw".into(),
                expires_on: String::new(),
            },
            &token,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    // A pull secret exported (the credentials' "last exported by") and a device login waiting.
    let res = app
        .send(
            app::api::pull_secrets::ExportPullSecret {
                owner: "acme".into(),
                name: "web".into(),
                format: String::new(),
                kcr_ttl: String::new(),
                secret_name: String::new(),
            },
            Some(&ann.cookie),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app
        .http
        .post(format!("{}/device/code", app.base))
        .form(&[("client_name", "berth CLI"), ("scope", "projects:read")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    (ann, bob, id, invitation)
}

/// Puts `payload` (with `MARK` naming the column) into every covered column.
async fn store(app: &TestApp, payload: &str) {
    let p = |column: &str| payload.replace("MARK", &format!("[{column}]"));
    set(
        app,
        "update app_user set display_name = $1",
        &p("app_user.display_name"),
    )
    .await;
    // Emails are unique: each account's gets its username appended.
    set(
        app,
        "update app_user set email = $1 || username",
        &p("app_user.email"),
    )
    .await;
    set(
        app,
        "update organization set display_name = $1",
        &p("organization.display_name"),
    )
    .await;
    set(
        app,
        "update project set description = $1",
        &p("project.description"),
    )
    .await;
    for column in ["server", "registry_host", "username", "email"] {
        let sql = format!("update registry_credential set {column} = $1");
        set(app, &sql, &p(&format!("registry_credential.{column}"))).await;
    }
    set(
        app,
        "update invitation set invitee_email = $1 where invitee_email is not null",
        &p("invitation.invitee_email"),
    )
    .await;
    set(
        app,
        "update audit_event set target = $1",
        &p("audit_event.target"),
    )
    .await;
    set(
        app,
        "update audit_event set details = $1",
        &p("audit_event.details"),
    )
    .await;
    set(
        app,
        "update audit_event set token_name = $1 where token_name is not null",
        &p("audit_event.token_name"),
    )
    .await;
    set(
        app,
        "update access_token set name = $1",
        &p("access_token.name"),
    )
    .await;
    set(
        app,
        "update kcr_tag set pushed_by = $1",
        &p("kcr_tag.pushed_by"),
    )
    .await;
    set(
        app,
        "update registry_credential set last_exported_by = $1 where last_exported_by is not null",
        &p("registry_credential.last_exported_by"),
    )
    .await;
    set(
        app,
        "update device_grant set client_name = $1",
        &p("device_grant.client_name"),
    )
    .await;
    // A failing check: its reason carries the registry's own words.
    set(
        app,
        "update registry_credential set check_status = 'failing', check_reason = $1",
        &p("registry_credential.check_reason"),
    )
    .await;
    set(
        app,
        "update registry_credential set check_image = $1",
        &p("registry_credential.check_image"),
    )
    .await;
    // acme/api's credential shown as Amazon ECR, whose renewal fails (acme/web's stays static:
    // its edit form shows the other columns).
    set(
        app,
        "update registry_credential set source = 'ecr', aws_access_key_id = 'AKIAIOSFODNN7EXAMPLE',
             refresh_error = $1
         where project_id = (select id from project where name = 'api')",
        &p("registry_credential.refresh_error"),
    )
    .await;
}

/// An import preview of a config.json whose entry, server and username carry `payload`; the
/// path of its page.
async fn import_preview(ann: &User<'_>, payload: &str) -> String {
    let p = |part: &str| payload.replace("MARK", &format!("[import.{part}]"));
    let config = serde_json::json!({
        "auths": {
            p("key"): {"username": "u", "password": "p"},
            "ghcr.io": {"username": p("username"), "password": "p"},
        },
        "credHelpers": {p("helper"): p("helper-name")},
    })
    .to_string();
    let preview: ImportPreview = ann
        .fetch(PreviewCredentialImport {
            owner: "acme".into(),
            name: "web".into(),
            docker_config: config,
        })
        .await;
    format!(
        "/projects/acme/web/credentials/import?draft={}",
        preview.draft
    )
}

async fn stored_markup_comes_out_of_every_page_as_text(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ann, bob, cred, invitation) = populate(&app).await;
    let code: String = app::on_db!(&app.state.db, pool => sqlx::query_scalar(
        "select user_code from device_grant"
    )
    .fetch_one(pool)
    .await)
    .unwrap();
    let pages = [
        (&ann, "/projects/acme/web/pull-secret".to_owned()),
        (&ann, format!("/activate?code={code}")),
        (&ann, "/".to_owned()),
        (&ann, "/account".to_owned()),
        (&ann, "/projects".to_owned()),
        (&ann, "/regions".to_owned()),
        (&ann, "/orgs/acme".to_owned()),
        (&ann, "/orgs/acme/members".to_owned()),
        (&ann, "/orgs/acme/regions".to_owned()),
        (&ann, "/orgs/acme/audit".to_owned()),
        (&ann, "/orgs/acme/settings".to_owned()),
        (&ann, "/projects/acme/web".to_owned()),
        (&ann, "/projects/acme/web/members".to_owned()),
        (&ann, "/projects/acme/web/settings".to_owned()),
        (&ann, "/projects/acme/web/credentials".to_owned()),
        (&ann, format!("/projects/acme/web/credentials?edit={cred}")),
        (
            &ann,
            format!("/projects/acme/web/credentials?delete={cred}"),
        ),
        (&ann, "/projects/acme/web/push-paths".to_owned()),
        (&ann, "/projects/acme/web/repositories".to_owned()),
        (
            &ann,
            "/projects/acme/web/repositories?repository=acme/web/app".to_owned(),
        ),
        (&ann, "/projects/acme/web/audit".to_owned()),
        (&ann, "/projects/acme/api/tokens".to_owned()),
        (&ann, "/projects/acme/api/credentials".to_owned()),
        (&ann, "/account/tokens".to_owned()),
        (&bob, "/".to_owned()),
        (&bob, "/orgs/acme".to_owned()),
        (&bob, "/orgs/acme/members".to_owned()),
        (&bob, "/projects/acme/web".to_owned()),
        (&bob, "/projects/acme/web/members".to_owned()),
        (&bob, "/projects/acme/web/credentials".to_owned()),
        (&bob, format!("/invitation?id={invitation}&token=")),
    ];
    let mut failures = Vec::new();
    for payload in PAYLOADS {
        store(&app, payload).await;
        let mut shown = String::new();
        let import = (&ann, import_preview(&ann, payload).await);
        for (user, path) in pages.iter().chain([&import]) {
            let res = user.get(path).await;
            assert_eq!(res.status(), StatusCode::OK, "{path}");
            let nonce = nonce_of(&res);
            let html = res.text().await.unwrap();
            for problem in injected(&html, nonce.as_deref()) {
                failures.push(format!("{path} with {payload:?}: {problem}"));
            }
            shown.push_str(&visible(&html));
        }
        for part in ["key", "username", "helper", "helper-name"] {
            if !shown.contains(&format!("[import.{part}]")) {
                failures.push(format!("the import preview does not show its {part}"));
            }
        }
        for (column, case) in COLUMNS {
            if matches!(case, Case::Shown) && !shown.contains(&format!("[{column}]")) {
                failures.push(format!(
                    "{column} is shown on no page (payload {payload:?})"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

async fn markup_in_url_parameters_comes_out_of_every_page_as_text(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ann, _, _, _) = populate(&app).await;
    let mut failures = Vec::new();
    for payload in PAYLOADS {
        let p = encode_component(payload);
        let error = format!(
            r#"{{"kind":"unauthenticated","detail":{}}}"#,
            serde_json::json!(payload)
        );
        let paths = [
            format!("/orgs/{p}"),
            format!("/orgs/{p}/audit"),
            format!("/orgs/{p}/settings"),
            format!("/projects/{p}/{p}"),
            format!("/projects/acme/{p}/audit"),
            format!("/projects/acme/{p}/members"),
            format!("/projects/{p}/web/settings"),
            format!("/projects/acme/web/push-paths?image={p}&tag={p}"),
            format!("/projects/acme/web/credentials?image={p}"),
            format!("/projects/acme/web/pull-secret?error={p}"),
            format!("/activate?code={p}"),
            format!("/activate?done={p}"),
            format!("/projects/acme/web/credentials?edit={p}"),
            format!("/projects/acme/web/audit?action={p}&before={p}"),
            format!("/projects/acme/web/repositories?repository={p}"),
            format!("/projects/acme/web/repositories?repository=acme/web/app&after={p}"),
            format!("/login?next={p}"),
            format!("/?flash={p}"),
            format!("/invitation?id={p}&token={p}"),
            format!("/{p}"),
            format!(
                "/login?__path=/api/sign_in&__err={}",
                base64url(error.as_bytes())
            ),
        ];
        for path in paths {
            let res = ann.get(&path).await;
            let nonce = nonce_of(&res);
            let html = res.text().await.unwrap();
            for problem in injected(&html, nonce.as_deref()) {
                failures.push(format!("{path}: {problem}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

on_both!(
    every_text_column_has_a_payload_case,
    stored_markup_comes_out_of_every_page_as_text,
    markup_in_url_parameters_comes_out_of_every_page_as_text,
);
