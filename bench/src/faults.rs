//! Fault scripts, bounded and on loopback:
//! - `kill`: kill -9 during a burst of credential writes, restart; every write that got a
//!   success is there and opens, no row lacks its audit event (no half-done transaction);
//! - `pg-restart`: stop and start PostgreSQL under load (a throwaway cluster of the script's
//!   own, `pg_cluster`, run last); Berth answers 503 (never hangs, never another 5xx), shows an
//!   error page, and recovers without a restart;
//! - `replicas`: two Berth processes on one PostgreSQL database; writes through both, none lost;
//!   a session made on one is valid on the other, and signing out on one ends it on both;
//! - `soak`: a fixed mixed read/write rate for a while; no 5xx, resident memory flat.

use std::{
    collections::{HashMap, HashSet},
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::Duration,
};

use app::{
    on_db,
    server::{
        crypto::secrets::{self, Sealed},
        db::{Db, PoolSettings},
    },
};
use secrecy::ExposeSecret;
use tokio::{task::JoinSet, time::Instant};
use uuid::Uuid;

use crate::{
    berth::Launch,
    client::Client,
    fixture::{self, Backend, Database, Env},
    load::{self, Plan, Target},
    pg_cluster::Cluster,
    report::{Report, holds, mb},
    seed::Size,
};

/// Settings of a fault run.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Binaries, scratch space, databases (the kill script runs on each of `backends`).
    pub env: Env,
    /// Length of the soak.
    pub soak: Duration,
    /// `all` or one script's name.
    pub only: String,
}

const SMALL: Size = Size {
    projects: 100,
    credentials: 1_000,
};

/// Runs the chosen fault scripts into `report`.
pub async fn run(settings: &Settings, report: &mut Report) -> anyhow::Result<()> {
    let want = |name: &str| settings.only == "all" || settings.only == name;
    if want("kill") {
        for &backend in &settings.env.backends {
            kill_during_writes(settings, backend, report).await?;
        }
    }
    if want("replicas") {
        replicas(settings, report).await?;
    }
    if want("soak") {
        soak(settings, report).await?;
    }
    // Last: it stops a PostgreSQL server (its own; see `pg_cluster`).
    if want("pg-restart") {
        postgres_restart(settings, report).await?;
    }
    Ok(())
}

async fn seeded(settings: &Settings, backend: Backend) -> anyhow::Result<(Database, Launch)> {
    let env = &settings.env;
    env.seeded(backend, SMALL, &env.site_root).await
}

/// A credential write Berth answered 200 to: project name, registry host, password.
type Acked = (String, String, String);

/// Projects the writers spread over: `bench-org/svc-01` … `svc-19`, empty after seeding, so
/// 1,900 writes fit under the product's 100 credentials per project.
const WRITE_PROJECTS: usize = 19;

/// What a set of writers saw.
#[derive(Debug, Default)]
struct Writes {
    /// Writes answered 200.
    acked: Vec<Acked>,
    /// Writes refused or lost in flight (no answer, 5xx, anything unexpected).
    failed: u64,
    /// Writes refused by a product limit (409: the project is full): not a fault.
    limited: u64,
}

/// Writers adding credentials to `bench-org/svc-NN` through `clients` (round robin) until
/// `stop`; each write goes to the next project, so writers spread over all of them.
fn writers(
    clients: Vec<Client>,
    cookie: &str,
    count: usize,
    tag: &str,
    stop: Arc<AtomicBool>,
) -> JoinSet<Writes> {
    let mut set = JoinSet::new();
    for w in 0..count {
        let client = clients[w % clients.len()].clone();
        let (cookie, tag) = (cookie.to_owned(), tag.to_owned());
        let stop = stop.clone();
        set.spawn(async move {
            let mut seen = Writes::default();
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                let project = format!("svc-{:02}", 1 + (w + count * i) % WRITE_PROJECTS);
                let host = format!("w{w}-{i}.{tag}.example");
                let password = format!("pw-{}", Uuid::new_v4());
                match client
                    .add_credential(&cookie, ("bench-org", &project), &host, &password)
                    .await
                {
                    Ok(status) if status.is_success() => {
                        seen.acked.push((project.clone(), host, password));
                    }
                    Ok(status) if status.as_u16() == 409 => seen.limited += 1,
                    _ => {
                        seen.failed += 1;
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
                i += 1;
            }
            seen
        });
    }
    set
}

async fn collect(mut set: JoinSet<Writes>) -> Writes {
    let mut all = Writes::default();
    while let Some(joined) = set.join_next().await {
        if let Ok(w) = joined {
            all.acked.extend(w.acked);
            all.failed += w.failed;
            all.limited += w.limited;
        }
    }
    all
}

/// Opens `url` with a small pool of its own (Berth is not running, or is another process).
async fn open(url: &str) -> anyhow::Result<Db> {
    Ok(Db::connect(
        url,
        PoolSettings {
            max_connections: 2,
            min_connections: 0,
            acquire_timeout: Duration::from_secs(10),
        },
    )
    .await?)
}

/// Deletes the credentials written under `tag` (their audit events stay).
async fn forget_credentials(url: &str, tag: &str) -> anyhow::Result<()> {
    let db = open(url).await?;
    let like = format!("%.{tag}.example");
    on_db!(&db, pool => sqlx::query("delete from registry_credential where registry_host like $1")
        .bind(&like)
        .execute(pool)
        .await
        .map(drop))?;
    db.close().await;
    Ok(())
}

/// What the database holds for the credentials written under `tag`.
#[derive(Debug, Default)]
struct Audit {
    /// Acknowledged writes present with the right password.
    present: usize,
    /// Acknowledged writes missing or with another password.
    lost: Vec<String>,
    /// Rows nobody was told about (the answer was lost with the process): allowed.
    unacknowledged: usize,
    /// Rows that do not open, or have no audit event: half-done writes.
    broken: Vec<String>,
}

async fn audit(url: &str, tag: &str, acked: &[Acked]) -> anyhow::Result<Audit> {
    let db = open(url).await?;
    type Row = (Uuid, Uuid, String, String, Vec<u8>, Vec<u8>, String);
    let like = format!("%.{tag}.example");
    let rows: Vec<Row> = on_db!(&db, pool => sqlx::query_as(
        "select c.id, c.project_id, p.name, c.registry_host, c.password_ciphertext,
                c.password_nonce, c.key_id
         from registry_credential c join project p on p.id = c.project_id
         where c.registry_host like $1"
    )
    .bind(&like)
    .fetch_all(pool)
    .await)?;
    let audited: HashSet<String> = on_db!(&db, pool => sqlx::query_scalar::<_, String>(
        "select target from audit_event where action = 'credential.added'"
    )
    .fetch_all(pool)
    .await)?
    .into_iter()
    .collect();
    db.close().await;

    let key = fixture::key();
    let mut out = Audit::default();
    let mut stored: HashMap<(String, String), String> = HashMap::new();
    for (id, project_id, project, host, ciphertext, nonce, key_id) in rows {
        let sealed = Sealed {
            ciphertext,
            nonce,
            key_id,
        };
        match secrets::open(&[&key], &sealed, id, project_id) {
            Ok(password) if audited.contains(&id.to_string()) => {
                stored.insert((project, host), password.expose_secret().to_owned());
            }
            Ok(_) => out.broken.push(format!("{host}: no audit event")),
            Err(e) => out.broken.push(format!("{host}: {e}")),
        }
    }
    let acked_keys: HashSet<(String, String)> = acked
        .iter()
        .map(|(p, h, _)| (p.clone(), h.clone()))
        .collect();
    for (project, host, password) in acked {
        match stored.get(&(project.clone(), host.clone())) {
            Some(p) if p == password => out.present += 1,
            Some(_) => out.lost.push(format!("{project}/{host}: another password")),
            None => out.lost.push(format!("{project}/{host}: missing")),
        }
    }
    out.unacknowledged = stored.keys().filter(|k| !acked_keys.contains(*k)).count();
    Ok(out)
}

async fn kill_during_writes(
    settings: &Settings,
    backend: Backend,
    report: &mut Report,
) -> anyhow::Result<()> {
    let name = backend.label();
    report.section(&format!("kill -9 during credential writes ({name})"));
    let (db, launch) = seeded(settings, backend).await?;
    let (mut acked, mut failed, mut limited) = (0, 0, 0);
    let mut found = Audit::default();
    // Three bursts, each ended by SIGKILL at a different moment. Each is audited while Berth
    // is down, then its rows are removed: every burst writes into projects with room, so
    // none ends in refusals at the product's limit.
    for round in 0..3u64 {
        let berth = launch.start_on(crate::berth::free_addr()?).await?;
        let client = Client::new(&berth.base())?;
        let cookie = client.sign_in("bench").await?;
        let stop = Arc::new(AtomicBool::new(false));
        let tag = format!("kill{round}");
        let set = writers(vec![client], &cookie, 8, &tag, stop.clone());
        tokio::time::sleep(Duration::from_millis(900 + 350 * round)).await;
        berth.kill9().await?;
        stop.store(true, Ordering::Relaxed);
        let writes = collect(set).await;
        let burst = audit(&db.url, &tag, &writes.acked).await?;
        forget_credentials(&db.url, &tag).await?;
        acked += writes.acked.len();
        failed += writes.failed;
        limited += writes.limited;
        found.present += burst.present;
        found.lost.extend(burst.lost);
        found.broken.extend(burst.broken);
        found.unacknowledged += burst.unacknowledged;
    }
    // The database opens again and Berth serves: the old session is still valid.
    let berth = launch.start().await?;
    let ready = berth.start_to_ready;
    berth.stop().await?;
    report.add(
        &format!("{name}: acknowledged writes present and decrypting after 3× kill -9"),
        format!("{} of {acked}", found.present),
        format!("{failed} writes failed in flight, {limited} refused at the project limit"),
        "all",
        holds(found.lost.is_empty() && acked > 0, || {
            format!(
                "{} lost: {:?}",
                found.lost.len(),
                &found.lost[..found.lost.len().min(3)]
            )
        }),
    );
    report.add(
        &format!("{name}: rows without audit event or not opening"),
        found.broken.len().to_string(),
        format!("{} committed but unacknowledged", found.unacknowledged),
        "0",
        holds(found.broken.is_empty(), || format!("{:?}", found.broken)),
    );
    report.note(
        &format!("{name}: restart to /readyz after kill -9"),
        format!("{:.0} ms", ready.as_secs_f64() * 1000.0),
    );
    db.remove().await?;
    Ok(())
}

async fn postgres_restart(settings: &Settings, report: &mut Report) -> anyhow::Result<()> {
    report.section("PostgreSQL stopped and started under load (a cluster of the script's own)");
    let cluster = Cluster::create(&settings.env.scratch).await?;
    let result = restart_under_load(settings, &cluster, report).await;
    cluster.remove().await?;
    result
}

async fn restart_under_load(
    settings: &Settings,
    cluster: &Cluster,
    report: &mut Report,
) -> anyhow::Result<()> {
    let env = Env {
        postgres_url: cluster.url(),
        ..settings.env.clone()
    };
    let (db, launch) = env.seeded(Backend::Postgres, SMALL, &env.site_root).await?;
    let berth = launch.start().await?;
    let client = Client::new(&berth.base())?;
    let cookie = client.sign_in("bench").await?;
    let list = Target::get(
        berth.addr,
        "/api/list_credentials?owner=bench-org&name=web",
        Some(&cookie),
    );
    let load = tokio::spawn({
        let list = list.clone();
        async move {
            let mut plan = Plan::closed(8, 14);
            plan.think = Duration::from_millis(5);
            load::run(&list, plan).await
        }
    });
    tokio::time::sleep(Duration::from_secs(3)).await;
    cluster.stop().await?;
    let stopped = Instant::now();
    // While it is down: /readyz says 503, and a page answers with an error, quickly.
    let outage = async {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let ready = client.get("/readyz", None).await?.status().as_u16();
        let asked = Instant::now();
        let page = client
            .get("/projects/bench-org/web/credentials", Some(&cookie))
            .await?;
        let took = asked.elapsed();
        let status = page.status().as_u16();
        let text = page.text().await?;
        anyhow::Ok((ready, status, took, text))
    }
    .await;
    tokio::time::sleep(Duration::from_secs(3).saturating_sub(stopped.elapsed())).await;
    cluster.start().await?;
    let (ready, page_status, page_took, page_text) = outage?;
    // Back without restarting Berth: how long until a list answers 200 again.
    let started = Instant::now();
    let recovered = loop {
        if let Ok(res) = client
            .get(
                "/api/list_credentials?owner=bench-org&name=web",
                Some(&cookie),
            )
            .await
            && res.status().is_success()
        {
            break Some(started.elapsed());
        }
        if started.elapsed() > Duration::from_secs(30) {
            break None;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let stats = load.await?;
    let other_5xx: u64 = stats
        .statuses
        .iter()
        .filter(|(s, _)| **s >= 500 && **s != 503)
        .map(|(_, n)| n)
        .sum();
    report.add(
        "/readyz while PostgreSQL is down",
        ready.to_string(),
        "—".into(),
        "503",
        holds(ready == 503, || format!("answered {ready}")),
    );
    let clear = page_text.contains("database") || page_text.contains("unavailable");
    report.add(
        "credentials page while PostgreSQL is down",
        format!(
            "{page_status} in {:.0} ms",
            page_took.as_secs_f64() * 1000.0
        ),
        "—".into(),
        "503 with an error message, < 6 s",
        holds(
            page_status == 503 && clear && page_took < Duration::from_secs(6),
            || format!("status {page_status}, message shown: {clear}"),
        ),
    );
    report.add(
        "responses under load across the restart",
        format!("{:?}", stats.statuses),
        format!("{} without a response", stats.failures),
        "only 200 and 503",
        holds(other_5xx == 0 && stats.failures == 0, || {
            format!("{other_5xx} other 5xx, {} failures", stats.failures)
        }),
    );
    report.add(
        "recovery after PostgreSQL is back (no Berth restart)",
        recovered.map_or("never".into(), |d| {
            format!("{:.0} ms", d.as_secs_f64() * 1000.0)
        }),
        "—".into(),
        "recovers",
        holds(recovered.is_some(), || "no 200 within 30 s".into()),
    );
    berth.stop().await?;
    db.remove().await?;
    Ok(())
}

async fn replicas(settings: &Settings, report: &mut Report) -> anyhow::Result<()> {
    report.section("Two replicas on one PostgreSQL");
    let (db, launch) = seeded(settings, Backend::Postgres).await?;
    let a = launch.start().await?;
    let b = launch.start().await?;
    let (ca, cb) = (Client::new(&a.base())?, Client::new(&b.base())?);
    let cookie = ca.sign_in("bench").await?;
    let on_b = cb
        .get("/api/current_user", Some(&cookie))
        .await?
        .text()
        .await?;
    report.add(
        "a session made on replica A, used on B",
        if on_b.contains("\"bench\"") {
            "valid"
        } else {
            "refused"
        }
        .into(),
        "—".into(),
        "valid",
        holds(on_b.contains("\"bench\""), || on_b.clone()),
    );

    let stop = Arc::new(AtomicBool::new(false));
    let set = writers(
        vec![ca.clone(), cb.clone()],
        &cookie,
        8,
        "replica",
        stop.clone(),
    );
    let reads = {
        let targets = [
            Target::get(a.addr, "/projects/bench-org/web/credentials", Some(&cookie)),
            Target::get(b.addr, "/projects/bench-org/web/credentials", Some(&cookie)),
        ];
        tokio::spawn(async move {
            let (x, y) = tokio::join!(
                load::run(&targets[0], Plan::closed(4, 8)),
                load::run(&targets[1], Plan::closed(4, 8))
            );
            x.server_errors() + y.server_errors() + x.failures + y.failures
        })
    };
    tokio::time::sleep(Duration::from_secs(9)).await;
    stop.store(true, Ordering::Relaxed);
    let Writes {
        acked,
        failed,
        limited,
    } = collect(set).await;
    let read_errors = reads.await?;
    let found = audit(&db.url, "replica", &acked).await?;
    report.add(
        "writes through both replicas (8 writers, 9 s) present and decrypting",
        format!("{} of {}", found.present, acked.len()),
        format!(
            "{failed} failed, {limited} refused at the project limit, {read_errors} read errors during"
        ),
        "all, no errors",
        holds(
            !acked.is_empty()
                && found.lost.is_empty()
                && found.broken.is_empty()
                && failed == 0
                && read_errors == 0,
            || {
                format!(
                    "lost {:?}, broken {:?}",
                    found.lost.len(),
                    found.broken.len()
                )
            },
        ),
    );
    // Signing out on B ends the session on A too.
    cb.call("sign_out", &[], Some(&cookie)).await?;
    let on_a = ca
        .get("/api/current_user", Some(&cookie))
        .await?
        .text()
        .await?;
    report.add(
        "sign out on B, then the same cookie on A",
        if on_a.trim() == "null" {
            "signed out"
        } else {
            "still signed in"
        }
        .into(),
        "—".into(),
        "signed out",
        holds(on_a.trim() == "null", || on_a.clone()),
    );
    a.stop().await?;
    b.stop().await?;
    db.remove().await?;
    Ok(())
}

async fn soak(settings: &Settings, report: &mut Report) -> anyhow::Result<()> {
    let backend = settings
        .env
        .backends
        .first()
        .copied()
        .unwrap_or(Backend::Sqlite);
    let secs = settings.soak.as_secs();
    let length = if secs < 120 {
        format!("{secs} s")
    } else {
        format!("{} min", secs / 60)
    };
    report.section(&format!("Soak, {length} ({})", backend.label()));
    let (db, launch) = seeded(settings, backend).await?;
    let berth = launch.start().await?;
    let client = Client::new(&berth.base())?;
    let cookie = client.sign_in("bench").await?;

    // Reads: 4 connections with a 20 ms pause on the page, 4 on the list (about 300 req/s).
    let mut page = Plan::closed(4, settings.soak.as_secs());
    page.think = Duration::from_millis(20);
    page.warmup = Duration::ZERO;
    let reads = [
        Target::get(
            berth.addr,
            "/projects/bench-org/web/credentials",
            Some(&cookie),
        ),
        Target::get(
            berth.addr,
            "/api/list_credentials?owner=bench-org&name=web",
            Some(&cookie),
        ),
    ];
    let loads = tokio::spawn(async move {
        let (x, y) = tokio::join!(load::run(&reads[0], page), load::run(&reads[1], page));
        (x, y)
    });
    // Writes: add then delete a credential, ten times a second.
    let writes = Arc::new(AtomicU64::new(0));
    let write_errors = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = tokio::spawn({
        let (client, cookie, stop) = (client.clone(), cookie.clone(), stop.clone());
        let (writes, write_errors) = (writes.clone(), write_errors.clone());
        async move {
            let mut tick = tokio::time::interval(Duration::from_millis(100));
            let mut i = 0u64;
            while !stop.load(Ordering::Relaxed) {
                tick.tick().await;
                let host = format!("s{i}.soak.example");
                let ok = matches!(
                    client.add_credential(&cookie, ("bench-org", "svc-01"), &host, "soak").await,
                    Ok(s) if s.is_success()
                ) && delete_by_host(&client, &cookie, &host).await;
                if !ok {
                    write_errors.fetch_add(1, Ordering::Relaxed);
                }
                writes.fetch_add(1, Ordering::Relaxed);
                i += 1;
            }
        }
    });
    // About 30 samples whatever the length (a short soak in CI, ten minutes by hand).
    let every = (settings.soak / 30).clamp(Duration::from_secs(1), Duration::from_secs(10));
    let mut samples = Vec::new();
    let started = Instant::now();
    while started.elapsed() < settings.soak {
        tokio::time::sleep(every).await;
        samples.push((started.elapsed(), berth.memory()?.rss));
    }
    stop.store(true, Ordering::Relaxed);
    let (x, y) = loads.await?;
    writer.await?;
    // Flat: the mean of the last fifth against the mean of the second fifth (after warm-up).
    let fifth = (samples.len() / 5).max(1);
    let mean = |s: &[(Duration, u64)]| {
        s.iter().map(|(_, r)| *r as f64).sum::<f64>() / s.len().max(1) as f64
    };
    let early = mean(&samples[fifth.min(samples.len())..(2 * fifth).min(samples.len())]);
    let late = mean(&samples[samples.len().saturating_sub(fifth)..]);
    let drift = (late / early - 1.0) * 100.0;
    let server_errors = x.server_errors() + y.server_errors();
    let failures = x.failures + y.failures + write_errors.load(Ordering::Relaxed);
    report.add(
        "soak: 5xx responses",
        server_errors.to_string(),
        format!(
            "{} reads, {} write pairs, {failures} failed",
            x.requests + y.requests,
            writes.load(Ordering::Relaxed)
        ),
        "0",
        holds(server_errors == 0 && failures == 0, || {
            format!("{server_errors} 5xx, {failures} failures")
        }),
    );
    report.add(
        "soak: RSS drift (late vs early mean)",
        format!("{drift:+.1}% ({} → {})", mb(early as u64), mb(late as u64)),
        format!("max {}", mb(samples.iter().map(|s| s.1).max().unwrap_or(0))),
        "within ±10%",
        holds(drift.abs() <= 10.0, || format!("{drift:+.1}%")),
    );
    report.note(
        "soak: read latency",
        format!(
            "page p50 {:.2} / p99 {:.2} ms, list p50 {:.2} / p99 {:.2} ms",
            x.quantile_ms(0.5),
            x.quantile_ms(0.99),
            y.quantile_ms(0.5),
            y.quantile_ms(0.99)
        ),
    );
    berth.stop().await?;
    db.remove().await?;
    Ok(())
}

/// Deletes `bench-org/svc-01`'s credential for `host` (found through the list).
async fn delete_by_host(client: &Client, cookie: &str, host: &str) -> bool {
    let Ok(res) = client
        .get(
            "/api/list_credentials?owner=bench-org&name=svc-01",
            Some(cookie),
        )
        .await
    else {
        return false;
    };
    let Ok(page) = res.json::<serde_json::Value>().await else {
        return false;
    };
    let Some(id) = page["items"]
        .as_array()
        .and_then(|items| items.iter().find(|c| c["registry_host"] == host))
        .and_then(|c| c["id"].as_str())
    else {
        return false;
    };
    client
        .call(
            "delete_credential",
            &[("owner", "bench-org"), ("name", "svc-01"), ("id", id)],
            Some(cookie),
        )
        .await
        .is_ok_and(|r| r.status().is_success())
}
