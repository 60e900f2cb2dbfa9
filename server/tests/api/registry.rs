//! KCR against a real registry: Debian's `docker-registry` trusting Berth's tokens, `skopeo`
//! pushing and pulling as the people and tokens of a project. Nothing here imitates the
//! registry: a push that works, works.

use app::api::{
    credentials::AddCredential,
    images::{DeleteImage, ListRepositories},
    project_members::RemoveProjectMember,
    tokens::{ListPersonalTokens, RevokePersonalToken},
};

use app::domain::secret::PasswordInput;

use crate::client::Cli;
use crate::helpers::{
    Backend, PASSWORD,
    registry::{Registry, free_port, image, inspect, push, skopeo},
};
use crate::kcr_tokens::{acme, app_with_kcr};
use crate::on_both;

/// Whether skopeo failed because the registry refused an action the token lacks.
fn denied(stderr: &str) -> bool {
    stderr.contains("requested access to the resource is denied")
}

/// Whether skopeo failed because Berth refused to issue a token, with `message`.
fn refused(stderr: &str, message: &str) -> bool {
    stderr.contains("unable to retrieve auth token") && stderr.contains(message)
}

async fn pushes_and_pulls_follow_roles_scopes_and_token_state(backend: Backend) {
    let host = format!("127.0.0.1:{}", free_port());
    let (app, _config) = app_with_kcr(backend, &host).await;
    let mut registry = Registry::start(&app, &host).await;

    let [ann, bob, dave, _olga, carl] = acme(&app).await;

    let ann_t = ann.personal_token("push", &["registry:push"], "").await;
    let bob_t = bob.personal_token("pull", &["registry:pull"], "").await;
    let dave_t = dave.personal_token("push", &["registry:push"], "").await;
    let carl_t = carl.personal_token("all", &["all"], "").await;
    let (_img, layout, digest) = image("1", b"hello from berth\n");

    // A developer pushes to the project's path; the registry has it under its digest.
    let pushed = push(&layout, "1", &host, "acme/shop/cart", ("dave", &dave_t)).await;
    assert!(pushed.ok, "{pushed:?}\n{}", registry.log());
    let seen = inspect(&host, "acme/shop/cart", "1", ("bob", &bob_t)).await;
    assert!(seen.ok, "a viewer pulls: {seen:?}");
    let seen: serde_json::Value = serde_json::from_str(&seen.stdout).unwrap();
    assert_eq!(seen["Digest"], digest.as_str());

    // The organization's shared path: owners and admins push, developers do not.
    let no = push(&layout, "1", &host, "acme/base", ("dave", &dave_t)).await;
    assert!(!no.ok && denied(&no.stderr), "{no:?}");
    let yes = push(&layout, "1", &host, "acme/base", ("ann", &ann_t)).await;
    assert!(yes.ok, "{yes:?}");
    let pulled = inspect(&host, "acme/base", "1", ("dave", &dave_t)).await;
    assert!(
        pulled.ok,
        "a project member pulls the shared image: {pulled:?}"
    );

    // A viewer cannot push; a stranger cannot pull; a Berth password is no token.
    let no = push(&layout, "2", &host, "acme/shop/cart", ("bob", &bob_t)).await;
    assert!(!no.ok && denied(&no.stderr), "{no:?}");
    let no = inspect(&host, "acme/shop/cart", "1", ("carl", &carl_t)).await;
    assert!(!no.ok && denied(&no.stderr), "{no:?}");
    let no = inspect(&host, "acme/shop/cart", "1", ("ann", PASSWORD)).await;
    assert!(
        !no.ok && refused(&no.stderr, "not a Berth password"),
        "{no:?}"
    );

    // The push-paths page's skopeo commands work as copied: from an OCI layout with
    // --dest-creds, and a login kept in the auth file.
    let view = dave
        .fetch(app::api::kcr::PushTarget {
            owner: "acme".into(),
            name: "shop".into(),
        })
        .await;
    let commands = view
        .target
        .commands(
            app::domain::kcr::Scope::Project,
            &app::domain::kcr::ImageName::parse("cart").unwrap(),
            &app::domain::kcr::Tag::parse("1").unwrap(),
        )
        .unwrap();
    let lines: Vec<&str> = commands.skopeo.lines().collect();
    let oci = lines.iter().find(|l| l.contains(" oci:")).unwrap();
    let login = lines.iter().find(|l| l.contains("skopeo login")).unwrap();
    let cwd = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(&layout, cwd.path().join("cart")).unwrap();
    for line in [oci, login] {
        let out = tokio::process::Command::new("sh")
            .args([
                "-c",
                &line.replacen("skopeo ", "skopeo --insecure-policy ", 1),
            ])
            .current_dir(cwd.path())
            .env("BERTH_TOKEN", &dave_t)
            .env("REGISTRY_AUTH_FILE", cwd.path().join("auth.json"))
            .output()
            .await
            .unwrap();
        assert!(
            out.status.success(),
            "{line}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let auth = std::fs::read_to_string(cwd.path().join("auth.json")).unwrap();
    assert!(auth.contains(&host), "the login is kept: {auth}");

    // A project token pushes to its own project.
    let prj = ann
        .project_token(("acme", "shop"), "ci", &["registry:push"])
        .await;
    let pushed = push(&layout, "1", &host, "acme/shop/api", ("ci", &prj)).await;
    assert!(pushed.ok, "{pushed:?}");

    // A revoked token, an expired one, and a member removed since: refused.
    let id = dave.fetch(ListPersonalTokens {}).await.tokens[0].id.clone();
    dave.run(RevokePersonalToken { id }).await;
    let no = push(&layout, "3", &host, "acme/shop/cart", ("dave", &dave_t)).await;
    assert!(!no.ok && refused(&no.stderr, "not valid"), "{no:?}");
    app::on_db!(&app.state.db, pool => sqlx::query(
        "update access_token set expires_at = 1700000000 where name = 'push'"
    )
    .execute(pool)
    .await
    .map(drop))
    .unwrap();
    let no = inspect(&host, "acme/shop/cart", "1", ("ann", &ann_t)).await;
    assert!(!no.ok && refused(&no.stderr, "expired"), "{no:?}");
    ann.run(RemoveProjectMember {
        owner: "acme".into(),
        name: "shop".into(),
        username: "bob".into(),
    })
    .await;
    let no = inspect(&host, "acme/shop/cart", "1", ("bob", &bob_t)).await;
    assert!(!no.ok && denied(&no.stderr), "{no:?}");
    assert!(registry.is_running());
}

/// Waits (up to ten seconds) until `check` holds: the registry sends notifications on its own
/// schedule.
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..100 {
        if check().await {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("not within ten seconds: {what}");
}

fn list(repository: Option<&str>) -> ListRepositories {
    ListRepositories {
        owner: "acme".into(),
        name: "shop".into(),
        repository: repository.map(str::to_owned),
        after: None,
    }
}

async fn the_repositories_page_follows_pushes_pulls_and_deletes(backend: Backend) {
    let host = format!("127.0.0.1:{}", free_port());
    let (app, _config) = app_with_kcr(backend, &host).await;
    let registry = Registry::start(&app, &host).await;
    let [ann, bob, ..] = acme(&app).await;
    let ann_t = ann
        .personal_token("ci", &["registry:push", "registry:delete"], "")
        .await;
    let bob_t = bob.personal_token("pull", &["registry:pull"], "").await;
    let (_img, layout, digest) = image("1", b"page test\n");

    assert!(
        push(&layout, "1", &host, "acme/shop/cart", ("ann", &ann_t))
            .await
            .ok
    );
    assert!(
        push(&layout, "1", &host, "acme/base", ("ann", &ann_t))
            .await
            .ok
    );
    eventually("both pushes are listed", || async {
        bob.fetch(list(None)).await.repositories.len() == 2
    })
    .await;
    let page = bob.fetch(list(Some("acme/shop/cart"))).await;
    let names: Vec<(&str, bool)> = page
        .repositories
        .iter()
        .map(|r| (r.name.as_str(), r.shared))
        .collect();
    assert_eq!(names, [("acme/base", true), ("acme/shop/cart", false)]);
    let tags = page.selected.unwrap();
    assert_eq!(tags.tags.len(), 1);
    let tag = &tags.tags[0];
    assert_eq!(
        (tag.tag.as_str(), tag.digest.as_str()),
        ("1", digest.as_str())
    );
    assert_eq!(tag.pushed_by.as_deref(), Some("ann (token ci)"));
    assert!(tag.size.is_some_and(|s| s > 0), "{tag:?}");
    assert_eq!(tag.last_pulled_at, None);
    assert!(!tags.repository.may_delete, "a viewer deletes nothing");

    // `berth images list` shows the same, and tells a viewer why a push would be denied.
    let cli = Cli::new(&app);
    cli.login(&bob.personal_token("cli", &["registry:pull"], "").await)
        .await;
    let listed = cli.run(&["images", "list", "-p", "acme/shop"], None).await;
    assert_eq!(listed.code, 0, "{listed:?}");
    let shown: Vec<Vec<&str>> = listed
        .stdout
        .lines()
        .map(|l| {
            l.split("   ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .collect()
        })
        .collect();
    assert_eq!(shown[0], ["REPOSITORY", "TAGS", "LAST PUSHED", "OF"]);
    assert_eq!(
        shown[1..]
            .iter()
            .map(|r| (r[0], r[1], r[3]))
            .collect::<Vec<_>>(),
        [
            (format!("{host}/acme/base").as_str(), "1", "organization"),
            (format!("{host}/acme/shop/cart").as_str(), "1", "project"),
        ]
    );
    assert_eq!(
        listed.stderr,
        "You are a viewer of acme/shop: you can pull its images. Pushing needs the developer role and deleting the admin role; a project admin can change your role.\n"
    );
    let tags_out = cli
        .run(
            &["images", "list", "-p", "acme/shop", "acme/shop/cart"],
            None,
        )
        .await;
    assert!(
        tags_out.stdout.starts_with("TAG   DIGEST")
            && tags_out.stdout.contains(&digest)
            && tags_out.stdout.contains("ann (token ci)"),
        "{tags_out:?}"
    );

    // The push is audited as ann's, by her token; a pull updates "last pulled", unaudited.
    let pushed = app::on_db!(&app.state.db, pool => sqlx::query_scalar::<_, String>(
        "select target from audit_event where action = 'kcr.pushed' and token_name = 'ci' order by target"
    )
    .fetch_all(pool)
    .await)
    .unwrap();
    assert_eq!(pushed, ["acme/base:1", "acme/shop/cart:1"]);
    assert!(
        inspect(&host, "acme/shop/cart", "1", ("bob", &bob_t))
            .await
            .ok
    );
    // skopeo inspect reads the manifest by tag: a pull event.
    eventually("the pull is recorded", || async {
        let page = bob.fetch(list(Some("acme/shop/cart"))).await;
        page.selected.unwrap().tags[0].last_pulled_at.is_some()
    })
    .await;

    // A viewer may not delete; the admin may, and the registry forgets the image.
    let delete = || DeleteImage {
        owner: "acme".into(),
        name: "shop".into(),
        repository: "acme/shop/cart".into(),
        digest: digest.clone(),
    };
    assert_eq!(bob.send(delete()).await.status(), 403);
    let page = ann.fetch(list(Some("acme/shop/cart"))).await;
    assert!(page.selected.unwrap().repository.may_delete);
    ann.run(delete()).await;
    let page = ann.fetch(list(Some("acme/shop/cart"))).await;
    assert!(page.selected.unwrap().tags.is_empty());
    let gone = inspect(&host, "acme/shop/cart", "1", ("ann", &ann_t)).await;
    assert!(
        !gone.ok && gone.stderr.contains("manifest unknown"),
        "{gone:?}"
    );
    let audited = app::on_db!(&app.state.db, pool => sqlx::query_scalar::<_, String>(
        "select details from audit_event where action = 'kcr.image_deleted'"
    )
    .fetch_all(pool)
    .await)
    .unwrap();
    assert_eq!(audited.len(), 1);
    assert!(audited[0].contains("\"1\""), "{audited:?}");
    // The shared image is still there.
    assert!(inspect(&host, "acme/base", "1", ("bob", &bob_t)).await.ok);
    drop(registry);
}

/// End to end: the CLI exports a pull secret, skopeo pulls the pushed image from KCR with
/// it, and the external credential inside is exactly the stored password. Then docker's way:
/// `configure` and the credential helper, with no secret in any file skopeo reads.
async fn a_pull_secret_and_the_credential_helper_pull_from_kcr(backend: Backend) {
    let host = format!("127.0.0.1:{}", free_port());
    let (app, _config) = app_with_kcr(backend, &host).await;
    let registry = Registry::start(&app, &host).await;
    let [ann, bob, ..] = acme(&app).await;
    let push_t = ann.personal_token("push", &["registry:push"], "").await;
    let (_img, layout, digest) = image("1", b"pull secret test\n");
    let pushed = push(&layout, "1", &host, "acme/shop/cart", ("ann", &push_t)).await;
    assert!(pushed.ok, "{pushed:?}");
    ann.run(AddCredential {
        owner: "acme".into(),
        name: "shop".into(),
        registry: "other".into(),
        server: "registry.example.com".into(),
        username: "ci".into(),
        email: String::new(),
        password: PasswordInput::from("p@ss: wörd".to_owned()),
        expires_on: String::new(),
    })
    .await;

    let cli = Cli::new(&app);
    cli.login(
        &ann.personal_token("cli", &["pull-secrets:export", "projects:read"], "")
            .await,
    )
    .await;
    let file = cli.home.path().join("auth.json");
    let out = cli
        .run(
            &[
                "pull-secret",
                "-p",
                "acme/shop",
                "--kcr-ttl",
                "10m",
                "-f",
                file.to_str().unwrap(),
            ],
            None,
        )
        .await;
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.is_empty(), "the file, not stdout: {out:?}");
    let dest = cli.home.path().join("pulled");
    let pulled = skopeo(&[
        "copy",
        "--authfile",
        file.to_str().unwrap(),
        "--src-tls-verify=false",
        "--preserve-digests",
        &format!("docker://{host}/acme/shop/cart:1"),
        &format!("oci:{}:1", dest.display()),
    ])
    .await;
    assert!(pulled.ok, "{pulled:?}\n{}", registry.log());
    let index = std::fs::read_to_string(dest.join("index.json")).unwrap();
    assert!(index.contains(&digest), "{index}");
    let auth: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(
        auth["auths"]["registry.example.com"]["password"],
        "p@ss: wörd"
    );
    // The KCR login pulls and nothing else.
    let kcr = auth["auths"][host.as_str()]["password"]
        .as_str()
        .unwrap()
        .to_owned();
    let no = push(&layout, "2", &host, "acme/shop/cart", ("x", &kcr)).await;
    assert!(!no.ok && denied(&no.stderr), "{no:?}");
    let audited = app::on_db!(&app.state.db, pool => sqlx::query_scalar::<_, String>(
        "select details from audit_event where action = 'pull_secret.exported'"
    )
    .fetch_all(pool)
    .await)
    .unwrap();
    assert_eq!(audited.len(), 1);

    // A token without the scope gets the 403's message and exit code 4.
    let other = Cli::new(&app);
    other
        .login(&ann.personal_token("read", &["projects:read"], "").await)
        .await;
    let out = other.run(&["pull-secret", "-p", "acme/shop"], None).await;
    assert_eq!(out.code, 4, "{out:?}");
    assert!(out.stderr.contains("pull-secrets:export"), "{out:?}");

    // The credential helper: bob (a viewer) configures docker and skopeo pulls with no creds given.
    let helper = Cli::new(&app);
    helper
        .login(
            &bob.personal_token("cli", &["projects:read", "registry:pull"], "")
                .await,
        )
        .await;
    let out = helper
        .run(&["auth", "container-registry", "configure"], None)
        .await;
    assert_eq!(out.code, 0, "{out:?}");
    let bin = helper.install_helper().await;
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let runtime = helper.home.path().join("run");
    std::fs::create_dir_all(&runtime).unwrap();
    let seen = helper
        .command(std::path::Path::new("skopeo"))
        .args([
            "--insecure-policy",
            "inspect",
            "--tls-verify=false",
            &format!("docker://{host}/acme/shop/cart:1"),
        ])
        .env("PATH", path)
        .env("XDG_RUNTIME_DIR", &runtime)
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&seen.stderr);
    assert!(seen.status.success(), "{stderr}\n{}", registry.log());
    let seen: serde_json::Value = serde_json::from_slice(&seen.stdout).unwrap();
    assert_eq!(seen["Digest"], digest.as_str());
    drop(registry);
}

on_both!(
    pushes_and_pulls_follow_roles_scopes_and_token_state,
    the_repositories_page_follows_pushes_pulls_and_deletes,
    a_pull_secret_and_the_credential_helper_pull_from_kcr,
);
