//! The registry's notifications (`/kcr/events/{region}`) through HTTP, as distribution sends
//! them: the shared secret, retries counted once, blobs and strangers' repositories ignored;
//! and the tags of a repository paged by keyset at 10,000 tags. The flow with a real registry
//! is in `registry.rs`.

use app::api::images::ListRepositories;
use app::domain::images::TAGS_PER_PAGE;
use app::server::kcr::events;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp};
use crate::kcr_tokens::app_with_kcr;
use crate::on_both;

const HOST: &str = "127.0.0.1:5998";

fn digest(n: u32) -> String {
    format!("sha256:{}", format!("{n:08x}").repeat(8))
}

fn event(
    id: &str,
    action: &str,
    repository: &str,
    tag: Option<&str>,
    digest: &str,
    media: &str,
) -> Value {
    json!({
        "id": id,
        "timestamp": "2026-11-30T10:00:00.000000000Z",
        "action": action,
        "target": {
            "mediaType": media,
            "size": 528,
            "digest": digest,
            "length": 528,
            "repository": repository,
            "url": format!("http://{HOST}/v2/{repository}/manifests/{digest}"),
            "tag": tag,
        },
        "request": {"id": "r", "addr": "10.1.2.3:45678", "host": HOST, "method": "PUT", "useragent": "skopeo"},
        "actor": {"name": "nobody-we-know"},
        "source": {"addr": "registry:5000", "instanceID": "i"},
    })
}

const MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

async fn post(app: &TestApp, region: &str, secret: Option<&str>, body: &Value) -> StatusCode {
    let mut req = app
        .http
        .post(format!("{}/kcr/events/{region}", app.base))
        .header(
            "content-type",
            "application/vnd.docker.distribution.events.v1+json",
        )
        .body(body.to_string());
    if let Some(secret) = secret {
        req = req.header("authorization", format!("Bearer {secret}"));
    }
    req.send().await.unwrap().status()
}

fn page(repository: Option<&str>, after: Option<String>) -> ListRepositories {
    ListRepositories {
        owner: "acme".into(),
        name: "shop".into(),
        repository: repository.map(str::to_owned),
        after,
    }
}

async fn notifications_need_the_secret_and_count_once(backend: Backend) {
    let (app, _dir) = app_with_kcr(backend, HOST).await;
    let ann = app.sign_up("ann").await;
    ann.create_org("acme").await;
    ann.create_project("acme", "shop").await;
    let secret = events::secret(&app.state.key, "local");
    let push = json!({"events": [
        event("e1", "push", "acme/shop/cart", Some("1"), &digest(1), MANIFEST),
        // A layer: not an image.
        event("e2", "push", "acme/shop/cart", None, &digest(2), "application/octet-stream"),
        // Nobody's repository, and a malformed one: skipped, the rest applied.
        event("e3", "push", "nobody/x/y", Some("1"), &digest(3), MANIFEST),
        event("e4", "push", "acme/shop/Cart", Some("1"), &digest(4), MANIFEST),
    ]});

    assert_eq!(
        post(&app, "local", None, &push).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        post(&app, "local", Some("wrong"), &push).await,
        StatusCode::UNAUTHORIZED
    );
    let other = events::secret(&app.state.key, "elsewhere");
    assert_eq!(
        post(&app, "local", Some(&other), &push).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        post(&app, "mars", Some(&secret), &push).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        post(&app, "local", Some(&secret), &json!({"nope": 1})).await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(app.count("kcr_tag").await, 0, "nothing applied yet");

    // Delivered, then retried: one tag, one audit entry.
    for _ in 0..2 {
        assert_eq!(
            post(&app, "local", Some(&secret), &push).await,
            StatusCode::OK
        );
    }
    assert_eq!(app.count("kcr_tag").await, 1);
    assert_eq!(app.count("kcr_repository").await, 1);
    let pushed = app::on_db!(&app.state.db, pool => sqlx::query_scalar::<_, i64>(
        "select count(*) from audit_event where action = 'kcr.pushed'"
    )
    .fetch_one(pool)
    .await)
    .unwrap();
    assert_eq!(pushed, 1);
    let list = ann.fetch(page(Some("acme/shop/cart"), None)).await;
    let tag = &list.selected.unwrap().tags[0];
    assert_eq!(tag.digest, digest(1));
    assert_eq!(tag.pushed_by.as_deref(), Some("an unknown token"));
    // The registry at HOST is not running: the size is unknown, not made up.
    assert_eq!(tag.size, None);

    // A re-push of the tag moves it; a pull sets "last pulled"; a delete removes it.
    let again = json!({"events": [
        event("e5", "push", "acme/shop/cart", Some("1"), &digest(5), MANIFEST),
        event("e6", "pull", "acme/shop/cart", Some("1"), &digest(5), MANIFEST),
    ]});
    assert_eq!(
        post(&app, "local", Some(&secret), &again).await,
        StatusCode::OK
    );
    let list = ann.fetch(page(Some("acme/shop/cart"), None)).await;
    let tag = &list.selected.unwrap().tags[0];
    assert_eq!(tag.digest, digest(5));
    assert!(tag.last_pulled_at.is_some());
    let delete = json!({"events": [
        event("e7", "delete", "acme/shop/cart", None, &digest(5), ""),
    ]});
    assert_eq!(
        post(&app, "local", Some(&secret), &delete).await,
        StatusCode::OK
    );
    let list = ann.fetch(page(Some("acme/shop/cart"), None)).await;
    assert!(list.selected.unwrap().tags.is_empty());
}

async fn ten_thousand_tags_page_by_keyset_without_gaps_or_repeats(backend: Backend) {
    let (app, _dir) = app_with_kcr(backend, HOST).await;
    let ann = app.sign_up("ann").await;
    ann.create_org("acme").await;
    ann.create_project("acme", "shop").await;
    let web = app::server::db::projects::find(&app.state.db, "acme", "shop")
        .await
        .unwrap()
        .unwrap();
    let repository = uuid::Uuid::now_v7();
    app::on_db!(&app.state.db, pool => sqlx::query(
        "insert into kcr_repository (id, region, name, owner_name, project_id, created_at)
         values ($1, 'local', 'acme/shop/many', 'acme', $2, 0)"
    )
    .bind(repository)
    .bind(web.id)
    .execute(pool)
    .await
    .map(drop))
    .unwrap();
    // 10,000 tags; every ten share a push time, so the cursor's tie-break on the tag matters.
    let total = 10_000u32;
    for chunk in (0..total).collect::<Vec<_>>().chunks(500) {
        let values: Vec<String> = chunk
            .iter()
            .map(|i| {
                format!(
                    "('{repository}', 'v{i}', '{}', '{MANIFEST}', 1, {}, 'ann')",
                    digest(*i),
                    1_700_000_000 + i / 10
                )
            })
            .collect();
        let sql = format!(
            "insert into kcr_tag (repository_id, tag, digest, media_type, size, pushed_at, pushed_by) values {}",
            values.join(",")
        );
        match &app.state.db {
            app::server::db::Db::Sqlite(pool) => {
                // SQLite keeps UUIDs as blobs.
                let sql = sql.replace(
                    &format!("'{repository}'"),
                    &format!("x'{}'", repository.simple()),
                );
                sqlx::query(&sql).execute(pool).await.unwrap();
            }
            app::server::db::Db::Postgres(pool) => {
                sqlx::query(&sql).execute(pool).await.unwrap();
            }
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut after = None;
    let mut pages = 0;
    let mut last: Option<(i64, String)> = None;
    loop {
        let list = ann.fetch(page(Some("acme/shop/many"), after.clone())).await;
        let tags = list.selected.unwrap();
        pages += 1;
        for t in &tags.tags {
            // Newest push first, then by tag, descending.
            let key = (t.pushed_at, t.tag.clone());
            if let Some(prev) = &last {
                assert!(key < *prev, "{key:?} after {prev:?}");
            }
            last = Some(key);
            assert!(seen.insert(t.tag.clone()), "{} twice", t.tag);
        }
        match tags.next {
            Some(next) => {
                assert_eq!(tags.tags.len(), TAGS_PER_PAGE);
                after = Some(next);
            }
            None => break,
        }
    }
    assert_eq!(seen.len(), total as usize);
    assert_eq!(pages, (total as usize).div_ceil(TAGS_PER_PAGE));
    let list = ann.fetch(page(None, None)).await;
    assert_eq!(list.repositories[0].tags, i64::from(total));

    // A forged cursor is a 400, not a panic or a scan.
    let res = ann
        .send(page(Some("acme/shop/many"), Some("x:y z".into())))
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let res = ann.send(page(Some("someone/else/x"), None)).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

on_both!(
    notifications_need_the_secret_and_count_once,
    ten_thousand_tags_page_by_keyset_without_gaps_or_repeats,
);
