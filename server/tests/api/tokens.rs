//! Access tokens: shown once, stored as a hash, scoped, expiring, revocable; bearer calls of
//! server functions, their refusals (401 saying which, 400, 429), and the limits of personal
//! tokens (their owner's current role) and project tokens (their project).

use app::api::{
    auth::ChangePassword,
    credentials::{AddCredential, ListCredentials},
    orgs::ListOrgs,
    project_members::ChangeProjectMemberRole,
    projects::{DeleteProject, GetProject},
    tokens::{
        CreatePersonalToken, ListPersonalTokens, ListProjectTokens, RevokePersonalToken,
        RevokeProjectToken, Whoami,
    },
};
use app::domain::token::{Identity, Scope, TokenList};
use reqwest::{Response, StatusCode};
use sha2::{Digest, Sha256};

use crate::helpers::{Backend, TestApp, User, decode, error_body};
use crate::on_both;

fn list_creds(owner: &str) -> ListCredentials {
    ListCredentials {
        owner: owner.into(),
        name: "web".into(),
        after: None,
    }
}

fn add_cred(owner: &str, server: &str) -> AddCredential {
    AddCredential {
        owner: owner.into(),
        name: "web".into(),
        registry: "other".into(),
        server: server.into(),
        username: "ci".into(),
        email: String::new(),
        password: "pw".into(),
        expires_on: String::new(),
    }
}

async fn message(res: Response) -> String {
    error_body(res).await["detail"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

async fn tokens_of(user: &User<'_>) -> TokenList {
    user.fetch(ListPersonalTokens {}).await
}

async fn a_token_is_shown_once_and_stored_only_as_its_hash(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.sign_up("ann").await;

    let created = ann
        .fetch(CreatePersonalToken {
            label: "laptop".into(),
            scopes: vec!["projects:read".into(), "credentials:read".into()],
            expires_in_days: "30".into(),
        })
        .await;
    let list = tokens_of(&ann).await;

    assert!(created.token.starts_with("berth_pat_"), "{}", created.token);
    assert_eq!(
        app::domain::token::parse(&created.token),
        Ok(app::domain::token::TokenKind::Personal)
    );
    assert_eq!(list.tokens.len(), 1);
    let listed = &list.tokens[0];
    assert_eq!(
        (listed.id.as_str(), listed.name.as_str()),
        (created.id.as_str(), "laptop")
    );
    assert_eq!(
        listed.scopes,
        vec![Scope::ProjectsRead, Scope::CredentialsRead]
    );
    assert_eq!(listed.created_by.as_deref(), Some("ann"));
    assert!(!listed.expired);
    assert!(listed.expires_at.is_some() && listed.last_used_at.is_none());
    // A JSON client holds no reveal cookie: nothing is shown again.
    assert!(list.created.is_none());
    let json = ann.json(ListPersonalTokens {}).await.to_string();
    assert!(!json.contains(&created.token[10..]), "{json}");
    let (hash, scopes): (Vec<u8>, String) = app::on_db!(&app.state.db, pool => sqlx::query_as(
        "select token_hash, scopes from access_token"
    )
    .fetch_one(pool)
    .await)
    .unwrap();
    assert_eq!(hash, Sha256::digest(created.token.as_bytes()).to_vec());
    assert_eq!(scopes, "projects:read credentials:read");
}

async fn a_bearer_call_needs_no_cookie_and_whoami_names_the_caller(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.sign_up("ann").await;
    ann.create_project("ann", "web").await;
    let token = ann.personal_token("ci", &["credentials:read"], "").await;

    let who: Identity = decode::<Whoami>(app.send_bearer(Whoami {}, &token).await).await;
    let creds = app.send_bearer(list_creds("ann"), &token).await;
    let session_who = ann.fetch(Whoami {}).await;

    assert_eq!(who.kind, "personal_token");
    assert_eq!(who.username.as_deref(), Some("ann"));
    assert_eq!(who.token_name.as_deref(), Some("ci"));
    assert_eq!(who.scopes, vec![Scope::CredentialsRead]);
    assert!(who.expires_at.is_some());
    assert_eq!(creds.status(), StatusCode::OK);
    assert_eq!(
        creds.headers().get("set-cookie"),
        None,
        "a bearer call starts no session"
    );
    assert_eq!(session_who.kind, "session");
    assert_eq!(session_who.scopes, vec![Scope::All]);
}

async fn bad_tokens_get_401_saying_which_and_change_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.sign_up("ann").await;
    ann.create_project("ann", "web").await;
    let good = ann.personal_token("good", &["all"], "").await;
    let revoked = ann.personal_token("old", &["all"], "").await;
    let expired = ann.personal_token("expired", &["all"], "7").await;
    let old_id = tokens_of(&ann)
        .await
        .tokens
        .iter()
        .find(|t| t.name == "old")
        .unwrap()
        .id
        .clone();
    ann.run(RevokePersonalToken { id: old_id }).await;
    app::on_db!(&app.state.db, pool => sqlx::query(
        "update access_token set expires_at = 1700000000 where name = 'expired'"
    )
    .execute(pool)
    .await
    .map(drop))
    .unwrap();
    // Well formed, right checksum, never issued.
    let unknown = app::domain::token::encode(
        app::domain::token::TokenKind::Personal,
        "0123456789abcdefghijABCDEFGHIJ",
    )
    .unwrap();
    let mut typo = good.clone().into_bytes();
    typo[15] = if typo[15] == b'A' { b'B' } else { b'A' };
    let typo = String::from_utf8(typo).unwrap();
    let before = app.count("registry_credential").await;

    let mut answers = Vec::new();
    for token in [
        &"ghp_notours".to_owned(),
        &typo,
        &unknown,
        &revoked,
        &expired,
    ] {
        let res = app
            .send_bearer(add_cred("ann", "x.example.com"), token)
            .await;
        let status = res.status();
        let challenge = res.headers().get("www-authenticate").cloned();
        answers.push((status, message(res).await, challenge));
    }

    for (status, _, challenge) in &answers {
        assert_eq!(*status, StatusCode::UNAUTHORIZED);
        assert!(challenge.is_some());
    }
    assert!(
        answers[0].1.contains("not a Berth access token"),
        "{}",
        answers[0].1
    );
    assert!(answers[1].1.contains("checksum"), "{}", answers[1].1);
    assert!(answers[2].1.contains("not valid"), "{}", answers[2].1);
    // Revoked reads exactly like never issued.
    assert_eq!(answers[3].1, answers[2].1);
    assert!(
        answers[4].1.contains("expired on 2023-11-14"),
        "{}",
        answers[4].1
    );
    assert_eq!(app.count("registry_credential").await, before);
    // The good one still works.
    let ok = app
        .send_bearer(add_cred("ann", "y.example.com"), &good)
        .await;
    assert_eq!(ok.status(), StatusCode::OK);
}

async fn odd_headers_are_refused_before_any_lookup(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.sign_up("ann").await;
    let token = ann.personal_token("ci", &["all"], "").await;

    let long = app
        .request(ListOrgs {})
        .header("authorization", format!("Bearer {}", "a".repeat(600)))
        .send()
        .await
        .unwrap();
    let both = app
        .request(ListOrgs {})
        .header("authorization", format!("Bearer {token}"))
        .header("cookie", &ann.cookie)
        .send()
        .await
        .unwrap();
    // Another scheme (a proxy's Basic authentication) is not Berth's: the session decides.
    let basic = app
        .request(ListOrgs {})
        .header("authorization", "Basic YW5uOnB3")
        .send()
        .await
        .unwrap();
    let basic_with_session = app
        .request(ListOrgs {})
        .header("authorization", "Basic YW5uOnB3")
        .header("cookie", &ann.cookie)
        .send()
        .await
        .unwrap();

    assert_eq!(long.status(), StatusCode::BAD_REQUEST);
    assert_eq!(both.status(), StatusCode::BAD_REQUEST);
    assert!(message(both).await.contains("not both"));
    assert_eq!(basic.status(), StatusCode::UNAUTHORIZED);
    assert!(message(basic).await.contains("Sign in"));
    assert_eq!(basic_with_session.status(), StatusCode::OK);
}

async fn a_bearer_post_is_not_taken_for_a_cross_site_request(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.sign_up("ann").await;
    ann.create_project("ann", "web").await;
    let token = ann.personal_token("ci", &["credentials:write"], "").await;

    let res = app
        .request(add_cred("ann", "x.example.com"))
        .header("authorization", format!("Bearer {token}"))
        .header("sec-fetch-site", "cross-site")
        .header("origin", "http://evil.test")
        .send()
        .await
        .unwrap();

    assert_eq!(res.status(), StatusCode::OK);
    // The exemption is for a checked token, not for any Authorization header.
    let forged = app
        .request(add_cred("ann", "y.example.com"))
        .header("authorization", "Basic YW5uOnB3")
        .header("cookie", &ann.cookie)
        .header("sec-fetch-site", "cross-site")
        .header("origin", "http://evil.test")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.count("registry_credential").await, 1);
}

async fn failed_bearer_attempts_are_throttled_per_address(backend: Backend) {
    let app = TestApp::spawn_with(
        backend,
        &[
            "--login-max-attempts-per-address",
            "3",
            "--trust-forwarded-for",
            "true",
        ],
    )
    .await;
    let ann = app.sign_up("ann").await;
    let good = ann.personal_token("ci", &["all"], "").await;
    let expired = ann.personal_token("old", &["all"], "7").await;
    app::on_db!(&app.state.db, pool => sqlx::query(
        "update access_token set expires_at = 1700000000 where name = 'old'"
    )
    .execute(pool)
    .await
    .map(drop))
    .unwrap();
    let call = |token: String, from: &'static str| {
        app.request(ListOrgs {})
            .header("authorization", format!("Bearer {token}"))
            .header("x-forwarded-for", from)
            .send()
    };

    // An expired token is no guess: it is not counted.
    for _ in 0..5 {
        let res = call(expired.clone(), "203.0.113.7").await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let mut statuses = Vec::new();
    for i in 0..4 {
        let res = call(format!("berth_pat_guess{i}"), "203.0.113.7")
            .await
            .unwrap();
        statuses.push(res.status());
    }
    let blocked = call("berth_pat_guess".into(), "203.0.113.7").await.unwrap();
    let blocked_good = call(good.clone(), "203.0.113.7").await.unwrap();
    let elsewhere = call(good, "198.51.100.9").await.unwrap();

    assert_eq!(
        statuses,
        [
            StatusCode::UNAUTHORIZED,
            StatusCode::UNAUTHORIZED,
            StatusCode::UNAUTHORIZED,
            StatusCode::TOO_MANY_REQUESTS
        ]
    );
    assert_eq!(blocked.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(blocked.headers().contains_key("retry-after"));
    // A blocked address is refused before any lookup, even with a good token.
    assert_eq!(blocked_good.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(elsewhere.status(), StatusCode::OK);
}

async fn a_personal_token_never_reaches_past_its_owners_current_role(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.sign_up("ann").await;
    let bob = app.sign_up("bob").await;
    ann.create_org("acme").await;
    ann.create_project("acme", "web").await;
    bob.join_org(&ann, "acme", "member").await;
    bob.join_project(&ann, ("acme", "web"), "developer").await;
    let token = bob.personal_token("ci", &["all"], "").await;

    let as_developer = app
        .send_bearer(add_cred("acme", "a.example.com"), &token)
        .await;
    ann.run(ChangeProjectMemberRole {
        owner: "acme".into(),
        name: "web".into(),
        username: "bob".into(),
        role: "viewer".into(),
    })
    .await;
    let as_viewer = app
        .send_bearer(add_cred("acme", "b.example.com"), &token)
        .await;
    let still_reads = app.send_bearer(list_creds("acme"), &token).await;
    app::on_db!(&app.state.db, pool => sqlx::query(
        "delete from project_member where user_id = (select id from app_user where username = 'bob')"
    )
    .execute(pool)
    .await
    .map(drop))
    .unwrap();
    let removed = app.send_bearer(list_creds("acme"), &token).await;

    assert_eq!(as_developer.status(), StatusCode::OK);
    assert_eq!(as_viewer.status(), StatusCode::FORBIDDEN);
    assert!(message(as_viewer).await.contains("developer role"));
    assert_eq!(still_reads.status(), StatusCode::OK);
    assert_eq!(removed.status(), StatusCode::NOT_FOUND);
}

async fn a_token_without_the_scope_gets_403_naming_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.sign_up("ann").await;
    ann.create_project("ann", "web").await;
    let read = ann.personal_token("read", &["credentials:read"], "").await;
    let write = ann
        .personal_token("write", &["credentials:write"], "")
        .await;

    let refused = app
        .send_bearer(add_cred("ann", "a.example.com"), &read)
        .await;
    let project = app
        .send_bearer(
            GetProject {
                owner: "ann".into(),
                name: "web".into(),
            },
            &read,
        )
        .await;
    let written = app
        .send_bearer(add_cred("ann", "a.example.com"), &write)
        .await;
    // Writing credentials needs to see them: write brings read.
    let listed = app.send_bearer(list_creds("ann"), &write).await;

    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(message(refused).await.contains("credentials:write scope"));
    assert_eq!(project.status(), StatusCode::FORBIDDEN);
    assert!(message(project).await.contains("projects:read scope"));
    assert_eq!(written.status(), StatusCode::OK);
    assert_eq!(listed.status(), StatusCode::OK);
}

async fn tokens_cannot_manage_tokens_or_the_account(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.sign_up("ann").await;
    let token = ann.personal_token("all", &["all"], "").await;

    let more = app
        .send_bearer(
            CreatePersonalToken {
                label: "successor".into(),
                scopes: vec!["all".into()],
                expires_in_days: "never".into(),
            },
            &token,
        )
        .await;
    let password = app
        .send_bearer(
            ChangePassword {
                current_password: crate::helpers::PASSWORD.into(),
                new_password: "another long password".into(),
            },
            &token,
        )
        .await;

    assert_eq!(more.status(), StatusCode::FORBIDDEN);
    assert!(message(more).await.contains("sign in"));
    assert_eq!(password.status(), StatusCode::FORBIDDEN);
    assert_eq!(tokens_of(&ann).await.tokens.len(), 1);
}

async fn a_revoked_token_stops_at_once_and_only_its_owner_revokes_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.sign_up("ann").await;
    let eve = app.sign_up("eve").await;
    let token = ann.personal_token("ci", &["all"], "").await;
    let id = tokens_of(&ann).await.tokens[0].id.clone();

    let by_eve = eve.send(RevokePersonalToken { id: id.clone() }).await;
    let works = app.send_bearer(ListOrgs {}, &token).await;
    ann.run(RevokePersonalToken { id: id.clone() }).await;
    let after = app.send_bearer(ListOrgs {}, &token).await;
    let again = ann.send(RevokePersonalToken { id }).await;
    let bad_id = ann.send(RevokePersonalToken { id: "nope".into() }).await;

    assert_eq!(by_eve.status(), StatusCode::NOT_FOUND);
    assert_eq!(works.status(), StatusCode::OK);
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
    assert_eq!(bad_id.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(tokens_of(&ann).await.tokens.is_empty());
    // Created and revoked, each audited once, never with the token.
    let (events, details): (i64, String) = app::on_db!(&app.state.db, pool => sqlx::query_as(
        "select count(*), coalesce(max(details), '') from audit_event where action like 'token.%'"
    )
    .fetch_one(pool)
    .await)
    .unwrap();
    assert_eq!(events, 2);
    assert!(!details.contains(&token[10..]));
}

async fn bad_token_forms_are_refused_and_names_are_unique_among_live_tokens(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.sign_up("ann").await;
    ann.personal_token("ci", &["all"], "").await;

    let twice = ann
        .send(CreatePersonalToken {
            label: "ci".into(),
            scopes: vec!["all".into()],
            expires_in_days: String::new(),
        })
        .await;
    let bad = ann
        .send(CreatePersonalToken {
            label: " ".into(),
            scopes: vec!["root".into()],
            expires_in_days: "400".into(),
        })
        .await;
    let none = ann
        .send(CreatePersonalToken {
            label: "x".into(),
            scopes: vec![],
            expires_in_days: String::new(),
        })
        .await;
    let id = tokens_of(&ann).await.tokens[0].id.clone();
    ann.run(RevokePersonalToken { id }).await;
    let reused = ann.personal_token("ci", &["all"], "never").await;

    assert_eq!(twice.status(), StatusCode::CONFLICT);
    let conflict = error_body(twice).await;
    assert!(
        conflict["detail"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("already a token named \"ci\"")),
        "{conflict}"
    );
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let detail = error_body(bad).await["detail"].clone();
    assert!(
        detail["label"].is_string()
            && detail["scopes"].is_string()
            && detail["expires_in_days"].is_string(),
        "{detail}"
    );
    assert_eq!(none.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reused.starts_with("berth_pat_"));
    let list = tokens_of(&ann).await;
    assert_eq!(list.tokens.len(), 1);
    assert_eq!(list.tokens[0].expires_at, None);
}

async fn last_use_is_written_at_most_once_a_minute(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.sign_up("ann").await;
    let token = ann.personal_token("ci", &["all"], "").await;
    let last_used = || async {
        app::on_db!(&app.state.db, pool => sqlx::query_as::<_, (Option<i64>, Option<String>)>(
            "select last_used_at, last_used_addr from access_token"
        )
        .fetch_one(pool)
        .await)
        .unwrap()
    };
    let db = &app.state.db;
    let set = |at: i64| async move {
        app::on_db!(db, pool => sqlx::query("update access_token set last_used_at = $1")
            .bind(at)
            .execute(pool)
            .await
            .map(drop))
        .unwrap();
    };

    app.send_bearer(ListOrgs {}, &token).await;
    let first = last_used().await;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    set(now - 30).await;
    app.send_bearer(ListOrgs {}, &token).await;
    let within_a_minute = last_used().await.0;
    set(now - 120).await;
    app.send_bearer(ListOrgs {}, &token).await;
    let later = last_used().await.0;

    assert!(first.0.is_some_and(|at| (at - now).abs() < 5), "{first:?}");
    assert_eq!(first.1.as_deref(), Some("127.0.0.1"));
    assert_eq!(within_a_minute, Some(now - 30));
    assert!(later.is_some_and(|at| at >= now), "{later:?}");
    let listed = &tokens_of(&ann).await.tokens[0];
    assert!(listed.last_used_at.is_some());
    assert_eq!(listed.last_used_addr.as_deref(), Some("127.0.0.1"));
}

async fn a_project_token_reaches_its_project_only_and_outlives_its_creator(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.sign_up("ann").await;
    let pat = app.sign_up("pat").await;
    ann.create_org("acme").await;
    ann.create_project("acme", "web").await;
    ann.create_project("acme", "api").await;
    pat.join_org(&ann, "acme", "member").await;
    pat.join_project(&ann, ("acme", "web"), "admin").await;
    let token = pat
        .project_token(
            ("acme", "web"),
            "deploy",
            &["credentials:write", "projects:read"],
        )
        .await;

    let added = app
        .send_bearer(add_cred("acme", "a.example.com"), &token)
        .await;
    let other = app
        .send_bearer(
            ListCredentials {
                owner: "acme".into(),
                name: "api".into(),
                after: None,
            },
            &token,
        )
        .await;
    let orgs = app.send_bearer(ListOrgs {}, &token).await;
    let delete = app
        .send_bearer(
            DeleteProject {
                owner: "acme".into(),
                name: "web".into(),
                confirm: "web".into(),
            },
            &token,
        )
        .await;
    let who = decode::<Whoami>(app.send_bearer(Whoami {}, &token).await).await;
    app::on_db!(&app.state.db, pool => sqlx::query(
        "delete from project_member where user_id = (select id from app_user where username = 'pat')"
    )
    .execute(pool)
    .await
    .map(drop))
    .unwrap();
    let after_creator_left = app.send_bearer(list_creds("acme"), &token).await;
    let (actor, token_id, token_name, client): (
        Option<uuid::Uuid>,
        Option<uuid::Uuid>,
        Option<String>,
        Option<String>,
    ) = app::on_db!(&app.state.db, pool => sqlx::query_as(
            "select actor_id, token_id, token_name, client_addr from audit_event where action = 'credential.added'"
        )
        .fetch_one(pool)
        .await)
        .unwrap();
    let listed = ann
        .fetch(ListProjectTokens {
            owner: "acme".into(),
            name: "web".into(),
        })
        .await;
    ann.run(DeleteProject {
        owner: "acme".into(),
        name: "web".into(),
        confirm: "web".into(),
    })
    .await;
    let after_delete = app.send_bearer(ListOrgs {}, &token).await;

    assert!(token.starts_with("berth_prj_"));
    assert_eq!(added.status(), StatusCode::OK);
    assert_eq!(other.status(), StatusCode::NOT_FOUND);
    assert_eq!(orgs.status(), StatusCode::FORBIDDEN);
    assert_eq!(delete.status(), StatusCode::FORBIDDEN);
    assert_eq!(who.kind, "project_token");
    assert_eq!(
        (who.username, who.project.as_deref()),
        (None, Some("acme/web"))
    );
    assert_eq!(after_creator_left.status(), StatusCode::OK);
    assert_eq!(
        (actor, token_name.as_deref(), client.as_deref()),
        (None, Some("deploy"), Some("127.0.0.1"))
    );
    assert_eq!(listed.tokens.len(), 1);
    assert_eq!(
        token_id.map(|id| id.to_string()),
        Some(listed.tokens[0].id.clone())
    );
    assert_eq!(listed.tokens[0].created_by.as_deref(), Some("pat"));
    assert_eq!(after_delete.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.count("access_token").await, 0);
}

async fn project_tokens_are_managed_by_project_admins_only(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.sign_up("ann").await;
    let dev = app.sign_up("dev").await;
    ann.create_project("ann", "web").await;
    dev.join_project(&ann, ("ann", "web"), "developer").await;
    let token = ann
        .project_token(("ann", "web"), "ci", &["registry:pull"])
        .await;
    let id = ann
        .fetch(ListProjectTokens {
            owner: "ann".into(),
            name: "web".into(),
        })
        .await
        .tokens[0]
        .id
        .clone();

    let listed_by_dev = dev
        .send(ListProjectTokens {
            owner: "ann".into(),
            name: "web".into(),
        })
        .await;
    let revoked_by_dev = dev
        .send(RevokeProjectToken {
            owner: "ann".into(),
            name: "web".into(),
            id: id.clone(),
        })
        .await;
    let works = app.send_bearer(Whoami {}, &token).await;
    ann.run(RevokeProjectToken {
        owner: "ann".into(),
        name: "web".into(),
        id,
    })
    .await;
    let revoked = app.send_bearer(Whoami {}, &token).await;

    assert_eq!(listed_by_dev.status(), StatusCode::FORBIDDEN);
    assert_eq!(revoked_by_dev.status(), StatusCode::FORBIDDEN);
    assert_eq!(works.status(), StatusCode::OK);
    assert_eq!(revoked.status(), StatusCode::UNAUTHORIZED);
}

async fn the_new_token_page_shows_the_token_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.sign_up("ann").await;

    // A plain form post, as a browser without JavaScript sends it.
    let res = app
        .request(CreatePersonalToken {
            label: "laptop".into(),
            scopes: vec!["all".into()],
            expires_in_days: String::new(),
        })
        .header("cookie", &ann.cookie)
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    let reveal = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("berth_new_token="))
        .expect("a reveal cookie")
        .to_owned();
    assert!(
        reveal.contains("HttpOnly") && reveal.contains("SameSite=Strict"),
        "{reveal}"
    );
    let pair = reveal.split(';').next().unwrap().to_owned();
    let cookies = format!("{}; {pair}", ann.cookie);
    let shown = app.get("/account/tokens", Some(&cookies)).await;
    let cleared = shown.headers().get_all("set-cookie").iter().any(|v| {
        v.to_str()
            .unwrap_or_default()
            .starts_with("berth_new_token=;")
    });
    let page = shown.text().await.unwrap();
    let again = ann.page("/account/tokens").await;
    // Someone else's session cannot open it.
    let eve = app.sign_up("eve").await;
    let as_eve = app
        .get("/account/tokens", Some(&format!("{}; {pair}", eve.cookie)))
        .await
        .text()
        .await
        .unwrap();

    assert!(cleared, "the page deletes the cookie");
    assert!(page.contains("berth_pat_"), "the token is on the page");
    assert!(!again.contains("berth_pat_"), "and never again");
    assert!(again.contains("laptop"));
    assert!(!as_eve.contains("berth_pat_"));
}

/// The leak test for tokens: after creation the token's text is in no response (pages and read
/// functions, by session and by the token itself), and nowhere in the database's bytes.
async fn a_token_never_comes_back_out(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.sign_up("ann").await;
    ann.create_project("ann", "web").await;
    let personal = ann.personal_token("laptop", &["all"], "").await;
    let project = ann.project_token(("ann", "web"), "ci", &["all"]).await;
    app.send_bearer(add_cred("ann", "a.example.com"), &project)
        .await;
    app.send_bearer(add_cred("ann", "b.example.com"), &personal)
        .await;

    let paths = [
        "/",
        "/account",
        "/account/tokens",
        "/projects/ann/web",
        "/projects/ann/web/tokens",
        "/projects/ann/web/credentials",
        "/projects/ann/web/audit",
        "/api/list_personal_tokens",
        "/api/list_project_tokens?owner=ann&name=web",
        "/api/project_audit_log?owner=ann&name=web",
        "/api/whoami",
    ];
    for token in [&personal, &project] {
        // The random part: the prefix is public, the checksum follows from the rest.
        let secret = &token[10..40];
        for path in paths {
            let res = ann.get(path).await;
            assert_eq!(res.status(), StatusCode::OK, "{path}");
            let headers = format!("{:?}", res.headers());
            let body = res.text().await.unwrap();
            assert!(!headers.contains(secret), "{path}: token in headers");
            assert!(!body.contains(secret), "{path}: token in body");
        }
        let res = app
            .http
            .get(format!("{}/api/whoami", app.base))
            .header("authorization", format!("Bearer {token}"))
            .send()
            .await
            .unwrap();
        let body = res.text().await.unwrap();
        assert!(
            !body.contains(secret),
            "whoami answers with the token: {body}"
        );
    }
    for token in [&personal, &project] {
        crate::helpers::assert_not_stored(&app, backend, &token[10..40]).await;
    }
}

on_both!(
    a_token_never_comes_back_out,
    a_token_is_shown_once_and_stored_only_as_its_hash,
    a_bearer_call_needs_no_cookie_and_whoami_names_the_caller,
    bad_tokens_get_401_saying_which_and_change_nothing,
    odd_headers_are_refused_before_any_lookup,
    a_bearer_post_is_not_taken_for_a_cross_site_request,
    failed_bearer_attempts_are_throttled_per_address,
    a_personal_token_never_reaches_past_its_owners_current_role,
    a_token_without_the_scope_gets_403_naming_it,
    tokens_cannot_manage_tokens_or_the_account,
    a_revoked_token_stops_at_once_and_only_its_owner_revokes_it,
    bad_token_forms_are_refused_and_names_are_unique_among_live_tokens,
    last_use_is_written_at_most_once_a_minute,
    a_project_token_reaches_its_project_only_and_outlives_its_creator,
    project_tokens_are_managed_by_project_admins_only,
    the_new_token_page_shows_the_token_once,
);
