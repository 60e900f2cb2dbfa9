//! KCR's token service (`/kcr/token`) through HTTP, as registry clients call it: what it
//! grants whom, what it refuses and how it says so. The same flows against a real registry and
//! `skopeo` are in `registry.rs`.

use app::api::{
    project_members::RemoveProjectMember,
    projects::{DeleteProject, UpdateProject},
    tokens::{ListPersonalTokens, RevokePersonalToken},
};
use base64::Engine;
use reqwest::{Response, StatusCode};
use serde_json::Value;

use crate::helpers::{Backend, PASSWORD, TestApp, User};
use crate::on_both;

/// The KCR host (and token service name) of region `local` in these tests.
const SERVICE: &str = "127.0.0.1:5999";

/// Berth with one region, `local`, whose KCR host is [`SERVICE`].
pub async fn app_with_kcr(backend: Backend, host: &str) -> (TestApp, tempfile::TempDir) {
    app_with_kcr_and(backend, host, &[]).await
}

/// [`app_with_kcr`] with more `berth serve` flags.
pub async fn app_with_kcr_and(
    backend: Backend,
    host: &str,
    flags: &[&str],
) -> (TestApp, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("berth.toml");
    std::fs::write(
        &path,
        format!("[[regions]]\nname = 'local'\ndisplay_name = 'Local'\nkcr_host = '{host}'\n"),
    )
    .unwrap();
    let mut args = vec!["--config", path.to_str().unwrap()];
    args.extend_from_slice(flags);
    let app = TestApp::spawn_with(backend, &args).await;
    (app, dir)
}

fn basic(user: &str, password: &str) -> String {
    let text = format!("{user}:{password}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(text)
    )
}

/// GET /kcr/token with `scopes`, as `user` with `password` (no header when `None`).
async fn get_token(app: &TestApp, auth: Option<(&str, &str)>, scopes: &[&str]) -> Response {
    let mut query = vec![("service", SERVICE)];
    query.extend(scopes.iter().map(|s| ("scope", *s)));
    let mut req = app
        .http
        .get(format!("{}/kcr/token", app.base))
        .query(&query);
    if let Some((user, password)) = auth {
        req = req.header("authorization", basic(user, password));
    }
    req.send().await.unwrap()
}

/// The claims of the token in a successful answer.
pub async fn claims(res: Response) -> Value {
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["token"], body["access_token"]);
    assert_eq!(body["expires_in"], 300);
    let jwt = body["token"].as_str().unwrap();
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}

/// The actions granted on `repo` by a successful answer.
async fn granted(res: Response, repo: &str) -> Vec<String> {
    actions(&claims(res).await, repo)
}

/// The actions `claims` grant on `repo`.
fn actions(claims: &Value, repo: &str) -> Vec<String> {
    claims["access"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["name"] == repo)
        .flat_map(|a| a["actions"].as_array().unwrap().clone())
        .map(|a| a.as_str().unwrap().to_owned())
        .collect()
}

async fn message(res: Response) -> String {
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["errors"][0]["message"], body["details"]);
    body["details"].as_str().unwrap().to_owned()
}

const ALL: &str = "pull,push,delete";

/// acme (owner ann) with project shop; bob (organization member) a viewer of shop, dave
/// (organization member) a developer, olga an organization admin, carl a stranger.
pub async fn acme<'a>(app: &'a TestApp) -> [User<'a>; 5] {
    let ann = app.sign_up("ann").await;
    ann.create_org("acme").await;
    ann.create_project("acme", "shop").await;
    let bob = app.sign_up("bob").await;
    bob.join_org(&ann, "acme", "member").await;
    bob.join_project(&ann, ("acme", "shop"), "viewer").await;
    let dave = app.sign_up("dave").await;
    dave.join_org(&ann, "acme", "member").await;
    dave.join_project(&ann, ("acme", "shop"), "developer").await;
    let olga = app.sign_up("olga").await;
    olga.join_org(&ann, "acme", "admin").await;
    let carl = app.sign_up("carl").await;
    [ann, bob, dave, olga, carl]
}

fn scope(repo: &str) -> String {
    format!("repository:{repo}:{ALL}")
}

async fn each_caller_gets_what_the_rule_table_says(backend: Backend) {
    let (app, _dir) = app_with_kcr(backend, SERVICE).await;
    let users = acme(&app).await;
    let mut tokens = Vec::new();
    for u in &users {
        tokens.push(u.personal_token("kcr", &["all"], "").await);
    }
    let project = scope("acme/shop/cart");
    let shared = scope("acme/debian");
    // (user, project repository, shared repository)
    let table: [(&str, &[&str], &[&str]); 5] = [
        (
            "ann",
            &["pull", "push", "delete"],
            &["pull", "push", "delete"],
        ),
        ("bob", &["pull"], &["pull"]),
        ("dave", &["pull", "push"], &["pull"]),
        (
            "olga",
            &["pull", "push", "delete"],
            &["pull", "push", "delete"],
        ),
        ("carl", &[], &[]),
    ];
    for ((name, in_project, in_shared), token) in table.into_iter().zip(&tokens) {
        let res = get_token(&app, Some((name, token)), &[&project, &shared]).await;
        let claims = claims(res).await;
        assert_eq!(
            actions(&claims, "acme/shop/cart"),
            in_project,
            "{name} in the project"
        );
        assert_eq!(actions(&claims, "acme/debian"), in_shared, "{name} shared");
    }

    // A project token: a developer in its own project, a puller of the shared images, and
    // nothing in another project.
    let ann = &users[0];
    ann.create_project("acme", "other").await;
    let prj = ann.project_token(("acme", "shop"), "ci", &["all"]).await;
    let res = get_token(
        &app,
        Some(("anything", &prj)),
        &[&project, &shared, &scope("acme/other/cart")],
    )
    .await;
    let claims = claims(res).await;
    let access = claims["access"].as_array().unwrap();
    assert_eq!(access.len(), 2, "{access:?}");
    assert_eq!(access[0]["name"], "acme/shop/cart");
    assert_eq!(access[0]["actions"], serde_json::json!(["pull", "push"]));
    assert_eq!(access[1]["name"], "acme/debian");
    assert_eq!(access[1]["actions"], serde_json::json!(["pull"]));
}

async fn a_project_is_reached_only_through_its_own_regions_registry(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("berth.toml");
    std::fs::write(
        &path,
        format!(
            "[[regions]]\nname = 'local'\ndisplay_name = 'Local'\nkcr_host = '{SERVICE}'\n\
             [[regions]]\nname = 'far'\ndisplay_name = 'Far'\nkcr_host = 'kcr.far.example'\n"
        ),
    )
    .unwrap();
    let app = TestApp::spawn_with(backend, &["--config", path.to_str().unwrap()]).await;
    let ann = app.sign_up("ann").await;
    ann.create_org("acme").await;
    ann.create_project_in("acme", "remote", "far").await;
    // An organization member with no project role: the shared images are not theirs.
    let mia = app.sign_up("mia").await;
    mia.join_org(&ann, "acme", "member").await;
    let token = ann.personal_token("kcr", &["all"], "").await;
    let mia_token = mia.personal_token("kcr", &["all"], "").await;
    let ask = |service: &'static str, user: &'static str, token: String, repo: &'static str| {
        let http = app.http.clone();
        let url = format!("{}/kcr/token", app.base);
        async move {
            http.get(url)
                .query(&[
                    ("service", service),
                    ("scope", &format!("repository:{repo}:pull,push")),
                ])
                .header("authorization", basic(user, &token))
                .send()
                .await
                .unwrap()
        }
    };
    let here = ask(SERVICE, "ann", token.clone(), "acme/remote/app").await;
    assert!(
        granted(here, "acme/remote/app").await.is_empty(),
        "another region's project"
    );
    let there = ask("kcr.far.example", "ann", token.clone(), "acme/remote/app").await;
    assert_eq!(granted(there, "acme/remote/app").await, ["pull", "push"]);
    for service in [SERVICE, "kcr.far.example"] {
        let res = ask(service, "mia", mia_token.clone(), "acme/base").await;
        assert!(granted(res, "acme/base").await.is_empty(), "{service}");
    }
}

async fn no_project_name_reaches_the_shared_images_and_no_nested_name_is_shared(backend: Backend) {
    let (app, _dir) = app_with_kcr(backend, SERVICE).await;
    let ann = app.sign_up("ann").await;
    ann.create_org("acme").await;
    ann.create_project("acme", "debian").await;
    // pat administers project `debian` and nothing else of acme.
    let pat = app.sign_up("pat").await;
    pat.join_org(&ann, "acme", "member").await;
    pat.join_project(&ann, ("acme", "debian"), "admin").await;
    let pat_token = pat.personal_token("kcr", &["all"], "").await;
    let ann_token = ann.personal_token("kcr", &["all"], "").await;

    // The project's images are `acme/debian/…`; the shared image `acme/debian` is not its.
    let res = get_token(
        &app,
        Some(("pat", &pat_token)),
        &[&scope("acme/debian/app")],
    )
    .await;
    assert_eq!(
        granted(res, "acme/debian/app").await,
        ["pull", "push", "delete"]
    );
    let res = get_token(&app, Some(("pat", &pat_token)), &[&scope("acme/debian")]).await;
    assert_eq!(
        granted(res, "acme/debian").await,
        ["pull"],
        "pulls it, as a project member"
    );

    // A nested name with no project behind it is nobody's, even the owner's.
    let res = get_token(
        &app,
        Some(("ann", &ann_token)),
        &[&scope("acme/nothing/app")],
    )
    .await;
    assert!(granted(res, "acme/nothing/app").await.is_empty());

    // While KCR lists images of the project, it can be neither renamed nor deleted.
    let project = app::server::db::projects::find(&app.state.db, "acme", "debian")
        .await
        .unwrap()
        .unwrap();
    let mut tx = app.state.db.begin().await.unwrap();
    let repository = app::server::db::kcr_images::repository_id(
        &mut tx,
        &app::server::db::kcr_images::NewRepository {
            region: "local",
            name: "acme/debian/app",
            owner_name: "acme",
            project_id: Some(project.id),
        },
        1,
    )
    .await
    .unwrap();
    app::server::db::kcr_images::put_tag(
        &mut tx,
        &app::server::db::kcr_images::Pushed {
            repository,
            tag: "1",
            digest: &format!("sha256:{}", "b".repeat(64)),
            media_type: "application/vnd.oci.image.manifest.v1+json",
            size: None,
            at: 1,
            by: None,
            token: None,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let rename = ann
        .send(UpdateProject {
            owner: "acme".into(),
            name: "debian".into(),
            new_name: "base".into(),
            description: String::new(),
        })
        .await;
    assert_eq!(rename.status(), StatusCode::CONFLICT);
    assert!(rename.text().await.unwrap().contains("Repositories page"));
    let delete = ann
        .send(DeleteProject {
            owner: "acme".into(),
            name: "debian".into(),
            confirm: "debian".into(),
        })
        .await;
    assert_eq!(delete.status(), StatusCode::CONFLICT);
    // The description alone may change.
    ann.run(UpdateProject {
        owner: "acme".into(),
        name: "debian".into(),
        new_name: "debian".into(),
        description: "still here".into(),
    })
    .await;
}

async fn a_token_is_short_lived_and_names_berth_the_registry_and_the_caller(backend: Backend) {
    let (app, _dir) = app_with_kcr(backend, SERVICE).await;
    let ann = app.sign_up("ann").await;
    ann.create_project("ann", "site").await;
    let token = ann.personal_token("kcr", &["registry:push"], "").await;
    let res = get_token(
        &app,
        Some(("ann", &token)),
        &["repository:ann/site/web:pull,push"],
    )
    .await;
    let c = claims(res).await;
    assert_eq!(c["iss"], "berth");
    assert_eq!(c["aud"], SERVICE);
    let id = ann.fetch(ListPersonalTokens {}).await.tokens[0].id.clone();
    assert_eq!(c["sub"], id);
    let (iat, exp) = (c["iat"].as_i64().unwrap(), c["exp"].as_i64().unwrap());
    assert_eq!(exp - iat, 300);
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    assert!((iat - now).abs() < 30);
    assert_eq!(
        c["access"],
        serde_json::json!([{"type": "repository", "name": "ann/site/web", "actions": ["pull", "push"]}])
    );

    // No scope: a login check, granting nothing. The catalog is never a client's. A personal
    // repository path without a project reaches nothing.
    let res = get_token(&app, Some(("ann", &token)), &[]).await;
    assert_eq!(claims(res).await["access"], serde_json::json!([]));
    let res = get_token(
        &app,
        Some(("ann", &token)),
        &["registry:catalog:*", "repository:ann/web:pull"],
    )
    .await;
    assert_eq!(claims(res).await["access"], serde_json::json!([]));
    // The username may be spelled in another case; another account's name is refused.
    let res = get_token(&app, Some(("ANN", &token)), &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = get_token(&app, Some(("bob", &token)), &[]).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(message(res).await.contains("sign in as ann"));
}

async fn scopes_narrow_a_token_and_never_widen_a_role(backend: Backend) {
    let (app, _dir) = app_with_kcr(backend, SERVICE).await;
    let [ann, bob, ..] = acme(&app).await;
    let cases: [(&User, &[&str], &[&str]); 6] = [
        (&ann, &["registry:pull"], &["pull"]),
        (&ann, &["registry:push"], &["pull", "push"]),
        (&ann, &["registry:delete"], &["delete"]),
        (&ann, &["credentials:write"], &[]),
        (&ann, &["all"], &["pull", "push", "delete"]),
        (&bob, &["all"], &["pull"]),
    ];
    for (user, scopes, expected) in cases {
        let token = user
            .personal_token(&scopes.join("-").replace(':', "_"), scopes, "")
            .await;
        let res = get_token(
            &app,
            Some((&user.username, &token)),
            &[&scope("acme/shop/cart")],
        )
        .await;
        assert_eq!(granted(res, "acme/shop/cart").await, expected, "{scopes:?}");
    }
}

async fn refusals_say_what_is_wrong_and_grant_nothing(backend: Backend) {
    let (app, _dir) = app_with_kcr(backend, SERVICE).await;
    let [ann, bob, ..] = acme(&app).await;
    let token = ann.personal_token("kcr", &["all"], "").await;

    // No credentials: 401 with a Basic challenge.
    let res = get_token(&app, None, &[&scope("acme/shop/cart")]).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        res.headers()["www-authenticate"],
        "Basic realm=\"Berth KCR\""
    );
    assert!(message(res).await.contains("access token as the password"));

    // The Berth password: refused, saying to use a token (and where to make one).
    let res = get_token(&app, Some(("ann", PASSWORD)), &[]).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let text = message(res).await;
    assert!(text.contains("not a Berth password"), "{text}");
    assert!(text.contains("/account/tokens"), "{text}");
    assert!(!text.contains(PASSWORD));

    // A wrong checksum, an unknown token.
    let mangled = crate::helpers::with_last_changed(&token);
    let res = get_token(&app, Some(("ann", &mangled)), &[]).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    // Bad scopes and services are 400s that say why.
    for (scopes, says) in [
        (vec!["repository:acme/Shop:pull"], "lowercase"),
        (
            vec!["repository:acme/shop:steal"],
            "\"steal\" is not a registry action",
        ),
        (vec!["nonsense"], "is not a scope"),
    ] {
        let res = get_token(&app, Some(("ann", &token)), &scopes).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{scopes:?}");
        let text = message(res).await;
        assert!(text.contains(says), "{scopes:?}: {text}");
    }
    let res = app
        .http
        .get(format!("{}/kcr/token?service=registry.example", app.base))
        .header("authorization", basic("ann", &token))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(message(res).await.contains("not a KCR service"));
    let res = app
        .http
        .get(format!("{}/kcr/token?service={SERVICE}", app.base))
        .header("authorization", "Basic !!!")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);

    // Revoked, expired, and a member removed since: refused or granted nothing.
    let bob_token = bob.personal_token("kcr", &["registry:pull"], "").await;
    let res = get_token(&app, Some(("bob", &bob_token)), &[&scope("acme/shop/cart")]).await;
    assert_eq!(granted(res, "acme/shop/cart").await, ["pull"]);
    ann.run(RemoveProjectMember {
        owner: "acme".into(),
        name: "shop".into(),
        username: "bob".into(),
    })
    .await;
    let res = get_token(&app, Some(("bob", &bob_token)), &[&scope("acme/shop/cart")]).await;
    assert!(granted(res, "acme/shop/cart").await.is_empty());

    let id = ann.fetch(ListPersonalTokens {}).await.tokens[0].id.clone();
    ann.run(RevokePersonalToken { id }).await;
    let res = get_token(&app, Some(("ann", &token)), &[]).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(message(res).await.contains("not valid"));

    let old = ann.personal_token("old", &["all"], "").await;
    app::on_db!(&app.state.db, pool => sqlx::query(
        "update access_token set expires_at = 1700000000 where name = 'old'"
    )
    .execute(pool)
    .await
    .map(drop))
    .unwrap();
    let res = get_token(&app, Some(("ann", &old)), &[]).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(message(res).await.contains("expired"));
}

async fn the_oauth_form_works_and_its_refresh_token_dies_with_the_access_token(backend: Backend) {
    let (app, _dir) = app_with_kcr(backend, SERVICE).await;
    let ann = app.sign_up("ann").await;
    ann.create_project("ann", "site").await;
    let token = ann.personal_token("kcr", &["registry:push"], "").await;
    let post = |form: Vec<(&'static str, String)>| {
        app.http
            .post(format!("{}/kcr/token", app.base))
            .form(&form)
            .send()
    };
    let scope = "repository:ann/site/web:pull,push repository:ann/site/api:pull".to_owned();
    let res = post(vec![
        ("grant_type", "password".into()),
        ("username", "ann".into()),
        ("password", token.clone()),
        ("service", SERVICE.into()),
        ("scope", scope.clone()),
        ("client_id", "docker".into()),
        ("access_type", "offline".into()),
    ])
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body["scope"],
        "repository:ann/site/web:pull,push repository:ann/site/api:pull"
    );
    let refresh = body["refresh_token"].as_str().unwrap().to_owned();
    assert!(refresh.starts_with("berth_rt_"));
    assert!(
        !refresh.contains(&token[10..]),
        "the token never comes back"
    );

    let by_refresh = || {
        post(vec![
            ("grant_type", "refresh_token".into()),
            ("refresh_token", refresh.clone()),
            ("service", SERVICE.into()),
            ("scope", "repository:ann/site/web:push".into()),
            ("client_id", "docker".into()),
        ])
    };
    let res = by_refresh().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["scope"], "repository:ann/site/web:push");
    assert!(body.get("refresh_token").is_none());

    // A forged refresh token, a password grant without offline access, an unknown grant.
    let forged = crate::helpers::with_last_changed(&refresh);
    let res = post(vec![
        ("grant_type", "refresh_token".into()),
        ("refresh_token", forged),
        ("service", SERVICE.into()),
    ])
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    let res = post(vec![
        ("grant_type", "password".into()),
        ("username", "ann".into()),
        ("password", token.clone()),
        ("service", SERVICE.into()),
    ])
    .await
    .unwrap();
    let body: Value = res.json().await.unwrap();
    assert!(body.get("refresh_token").is_none());
    let res = post(vec![
        ("grant_type", "magic".into()),
        ("service", SERVICE.into()),
    ])
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);

    // Revoking the access token ends its refresh token.
    let id = ann.fetch(ListPersonalTokens {}).await.tokens[0].id.clone();
    ann.run(RevokePersonalToken { id }).await;
    let res = by_refresh().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

async fn denials_of_members_are_audited_and_strangers_leave_no_trace(backend: Backend) {
    let (app, _dir) = app_with_kcr(backend, SERVICE).await;
    let [_ann, bob, _dave, _olga, carl] = acme(&app).await;
    let audit_rows = || async {
        app::on_db!(&app.state.db, pool => sqlx::query_as::<_, (String, String, Option<String>)>(
            "select target, details, token_name from audit_event where action = 'kcr.access_denied'"
        )
        .fetch_all(pool)
        .await)
        .unwrap()
    };
    let bob_token = bob.personal_token("laptop", &["all"], "").await;
    let res = get_token(
        &app,
        Some(("bob", &bob_token)),
        &["repository:acme/shop/cart:pull,push"],
    )
    .await;
    assert_eq!(granted(res, "acme/shop/cart").await, ["pull"]);
    let rows = audit_rows().await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].0, "acme/shop/cart");
    assert!(
        rows[0].1.contains("push") && !rows[0].1.contains("pull"),
        "{}",
        rows[0].1
    );
    assert_eq!(rows[0].2.as_deref(), Some("laptop"));

    let carl_token = carl.personal_token("x", &["all"], "").await;
    for repo in ["acme/shop/cart", "acme/base"] {
        let res = get_token(&app, Some(("carl", &carl_token)), &[&scope(repo)]).await;
        assert!(granted(res, repo).await.is_empty());
    }
    assert_eq!(audit_rows().await.len(), 1, "a stranger writes nothing");
}

async fn a_flood_of_denials_is_counted_not_written_row_by_row(backend: Backend) {
    let (app, _dir) = app_with_kcr(backend, SERVICE).await;
    let [_ann, bob, ..] = acme(&app).await;
    let bob_token = bob.personal_token("laptop", &["all"], "").await;
    let rows = || app.audit_details("kcr.access_denied");

    // The same denial 60 times: one entry now, one summary with the count when it closes.
    for _ in 0..60 {
        let res = get_token(
            &app,
            Some(("bob", &bob_token)),
            &["repository:acme/shop/cart:push"],
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    assert_eq!(rows().await.len(), 1);
    // Forty other repositories: the first nine more are written, the rest only counted.
    for i in 0..40 {
        let scope = format!("repository:acme/shop/img{i}:push");
        get_token(&app, Some(("bob", &bob_token)), &[&scope]).await;
    }
    let per_caller = app::server::kcr::denials::ROWS_PER_CALLER;
    assert_eq!(rows().await.len(), per_caller);

    let written = app::server::rules::kcr_tokens::close_denials(&app.state, true)
        .await
        .unwrap();
    assert_eq!(written, 1, "one summary for the one project");
    let all = rows().await;
    assert_eq!(all.len(), per_caller + 1);
    let summary = all.last().unwrap();
    assert_eq!(summary["repeated"][0]["repository"], "acme/shop/cart");
    assert_eq!(summary["repeated"][0]["times"], 59, "{summary}");
    assert_eq!(
        summary["also_denied"]["times"],
        40 - (per_caller as u64 - 1),
        "{summary}"
    );
    assert_eq!(
        app::server::rules::kcr_tokens::close_denials(&app.state, true)
            .await
            .unwrap(),
        0,
        "nothing is written twice"
    );
}

on_both!(
    each_caller_gets_what_the_rule_table_says,
    no_project_name_reaches_the_shared_images_and_no_nested_name_is_shared,
    a_project_is_reached_only_through_its_own_regions_registry,
    a_token_is_short_lived_and_names_berth_the_registry_and_the_caller,
    scopes_narrow_a_token_and_never_widen_a_role,
    refusals_say_what_is_wrong_and_grant_nothing,
    the_oauth_form_works_and_its_refresh_token_dies_with_the_access_token,
    denials_of_members_are_audited_and_strangers_leave_no_trace,
    a_flood_of_denials_is_counted_not_written_row_by_row,
);
