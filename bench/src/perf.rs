//! Speed, scale, memory and start-up, each beside a floor measured in the same run:
//! - the credentials page (SSR, signed in, 50 credentials) against a static file of the same
//!   size, at 1, 16 and 64 connections;
//! - `list_credentials` against a static JSON file of the same size;
//! - the credentials list and the project list with a small and a large database;
//! - idle and peak memory, time from process start to `/readyz`.

use std::time::Duration;

use anyhow::{Context, ensure};

use crate::{
    berth::Berth,
    client::Client,
    fixture::{self, Backend, Env},
    load::{self, Plan, Target},
    report::{Report, at_least, at_most, mb},
    seed::Size,
};

/// Settings of a performance run.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Binaries, scratch space, databases.
    pub env: Env,
    /// Seconds per load measurement.
    pub seconds: u64,
    /// The small database.
    pub small: Size,
    /// The large database.
    pub large: Size,
}

const PAGE: &str = "/projects/bench-org/web/credentials";
const LIST: &str = "/api/list_credentials?owner=bench-org&name=web";
const PROJECTS: &str = "/api/list_projects";
const STATIC_PAGE: &str = "/bench-static/page.html";
const STATIC_LIST: &str = "/bench-static/list.json";

/// Runs every performance benchmark into `report`.
pub async fn run(settings: &Settings, report: &mut Report) -> anyhow::Result<()> {
    let site = settings.env.scratch.join("site");
    fixture::copy_site(&settings.env.site_root, &site)?;
    for &backend in &settings.env.backends {
        let small = scale_point(settings, &site, backend, settings.small, true, report).await?;
        let large = scale_point(settings, &site, backend, settings.large, false, report).await?;
        report.section(&format!(
            "Scale on {}: {} vs {} credentials",
            backend.label(),
            settings.small.credentials,
            settings.large.credentials
        ));
        for (what, s, l) in [
            ("credentials list", &small.list, &large.list),
            ("project list", &small.projects, &large.projects),
        ] {
            for (q, label) in [(0.5, "p50"), (0.99, "p99")] {
                let ratio = l.quantile_ms(q) / s.quantile_ms(q);
                report.add(
                    &format!("{} {what} {label}: large / small", backend.label()),
                    format!(
                        "{ratio:.2} ({:.2} ms vs {:.2} ms)",
                        l.quantile_ms(q),
                        s.quantile_ms(q)
                    ),
                    "small database".into(),
                    "≤ 1.5",
                    at_most(ratio, 1.5, "×"),
                );
            }
        }
        report.add(
            &format!("{} start to /readyz, large database", backend.label()),
            format!("{:.0} ms", large.start.as_secs_f64() * 1000.0),
            format!("{:.0} ms small", small.start.as_secs_f64() * 1000.0),
            "≤ 300 ms",
            at_most(large.start.as_secs_f64() * 1000.0, 300.0, "ms"),
        );
    }
    Ok(())
}

/// What the scale comparison needs from one database size.
struct ScalePoint {
    list: load::Stats,
    projects: load::Stats,
    start: Duration,
}

async fn scale_point(
    settings: &Settings,
    site: &std::path::Path,
    backend: Backend,
    size: Size,
    full: bool,
    report: &mut Report,
) -> anyhow::Result<ScalePoint> {
    let (db, launch) = settings.env.seeded(backend, size, site).await?;
    // Start-up on an existing database: the median of five starts.
    let mut starts = Vec::new();
    for _ in 0..4 {
        let berth = launch.start().await?;
        starts.push(berth.start_to_ready);
        berth.stop().await?;
    }
    let berth = launch.start().await?;
    starts.push(berth.start_to_ready);
    starts.sort();
    let start = starts[starts.len() / 2];

    let client = Client::new(&berth.base())?;
    let cookie = client.sign_in("bench").await?;
    let label = format!("{} {} credentials", backend.label(), size.credentials);
    report.section(&label);
    if full {
        full_suite(
            settings, site, &berth, &client, &cookie, backend, start, report,
        )
        .await?;
    }
    let one = |path: &str| Target::get(berth.addr, path, Some(&cookie));
    let plan = Plan::closed(1, settings.seconds);
    let list = load::run(&one(LIST), plan).await;
    let projects = load::run(&one(PROJECTS), plan).await;
    for (what, stats) in [("credentials list", &list), ("project list", &projects)] {
        ensure!(
            stats.non_ok() == 0 && stats.failures == 0,
            "{what}: {stats:?}"
        );
        report.note(
            &format!("{label}: {what}, 1 conn"),
            format!(
                "p50 {:.2} ms, p99 {:.2} ms, {:.0} req/s",
                stats.quantile_ms(0.5),
                stats.quantile_ms(0.99),
                stats.rps()
            ),
        );
    }
    berth.stop().await?;
    db.remove().await?;
    Ok(ScalePoint {
        list,
        projects,
        start,
    })
}

#[allow(clippy::too_many_arguments)]
async fn full_suite(
    settings: &Settings,
    site: &std::path::Path,
    berth: &Berth,
    client: &Client,
    cookie: &str,
    backend: Backend,
    start: Duration,
    report: &mut Report,
) -> anyhow::Result<()> {
    let name = backend.label();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle = berth.memory()?;
    report.add(
        &format!("{name} idle RSS after start and sign-in"),
        mb(idle.rss),
        "—".into(),
        "≤ 40 MB",
        at_most(idle.rss as f64 / 1_048_576.0, 40.0, "MB"),
    );
    report.add(
        &format!("{name} start to /readyz (median of 5)"),
        format!("{:.0} ms", start.as_secs_f64() * 1000.0),
        "—".into(),
        "≤ 300 ms",
        at_most(start.as_secs_f64() * 1000.0, 300.0, "ms"),
    );

    // Static twins of the page and of the list, byte for byte what Berth answers.
    let page = body(client, PAGE, cookie).await?;
    ensure!(
        page.contains("registry-49.bench.example"),
        "the credentials page does not show the 50 seeded credentials"
    );
    let list = body(client, LIST, cookie).await?;
    let dir = site.join("bench-static");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("page.html"), &page)?;
    std::fs::write(dir.join("list.json"), &list)?;
    ensure!(
        body(client, STATIC_PAGE, cookie).await?.len() == page.len(),
        "the static twin is not served whole"
    );

    let get = |path: &str| Target::get(berth.addr, path, Some(cookie));
    for connections in [1, 16, 64] {
        let plan = Plan::closed(connections, settings.seconds);
        let ssr = load::run(&get(PAGE), plan).await;
        let flat = load::run(&get(STATIC_PAGE), plan).await;
        ensure!(ssr.non_ok() == 0 && ssr.failures == 0, "page: {ssr:?}");
        let ratio = ssr.rps() / flat.rps();
        report.add(
            &format!(
                "{name} credentials page ({} KB), {connections} conn: throughput",
                page.len() / 1024
            ),
            format!("{:.0} req/s ({:.0}% of static)", ssr.rps(), ratio * 100.0),
            format!("{:.0} req/s static", flat.rps()),
            "≥ 40% of static",
            at_least(ratio * 100.0, 40.0, "points"),
        );
        let (target, verdict) = if connections == 64 {
            ("p99 ≤ 25 ms", at_most(ssr.quantile_ms(0.99), 25.0, "ms"))
        } else {
            ("—", "—".into())
        };
        report.add(
            &format!("{name} credentials page, {connections} conn: latency"),
            format!(
                "p50 {:.2} ms, p99 {:.2} ms",
                ssr.quantile_ms(0.5),
                ssr.quantile_ms(0.99)
            ),
            format!(
                "p50 {:.2} ms, p99 {:.2} ms static",
                flat.quantile_ms(0.5),
                flat.quantile_ms(0.99)
            ),
            target,
            verdict,
        );
    }

    let plan = Plan::closed(16, settings.seconds);
    let fun = load::run(&get(LIST), plan).await;
    let flat = load::run(&get(STATIC_LIST), plan).await;
    ensure!(fun.non_ok() == 0 && fun.failures == 0, "list: {fun:?}");
    let ratio = fun.rps() / flat.rps();
    report.add(
        &format!(
            "{name} list_credentials ({} KB JSON), 16 conn",
            list.len() / 1024
        ),
        format!(
            "{:.0} req/s ({:.0}% of static), p99 {:.2} ms",
            fun.rps(),
            ratio * 100.0,
            fun.quantile_ms(0.99)
        ),
        format!(
            "{:.0} req/s, p99 {:.2} ms static",
            flat.rps(),
            flat.quantile_ms(0.99)
        ),
        "≥ 50% of static",
        at_least(ratio * 100.0, 50.0, "points"),
    );

    // The same list by access token instead of the session cookie (issue 13): a token is
    // found by its hash, like a session; the cookie runs before and after frame it.
    let token = client.personal_token(cookie, "credentials:read").await?;
    let mut by_token = Target::get(berth.addr, LIST, None);
    by_token
        .headers
        .push(("authorization", format!("Bearer {token}")));
    let bearer = load::run(&by_token, plan).await;
    let again = load::run(&get(LIST), plan).await;
    ensure!(
        bearer.non_ok() == 0 && bearer.failures == 0,
        "list by token: {bearer:?}"
    );
    let cookie_rps = (fun.rps() + again.rps()) / 2.0;
    let ratio = bearer.rps() / cookie_rps;
    report.add(
        &format!("{name} list_credentials by bearer token vs by cookie, 16 conn"),
        format!(
            "{:.0} req/s ({:.0}% of cookie), p99 {:.2} ms",
            bearer.rps(),
            ratio * 100.0,
            bearer.quantile_ms(0.99)
        ),
        format!(
            "{:.0} req/s, p99 {:.2} ms by cookie (mean of the runs before and after)",
            cookie_rps,
            again.quantile_ms(0.99)
        ),
        "≥ 90% of cookie",
        at_least(ratio * 100.0, 90.0, "points"),
    );

    let burst = load::run(&get(PAGE), Plan::closed(256, settings.seconds)).await;
    let memory = berth.memory()?;
    report.add(
        &format!("{name} peak RSS, 256 conns on the page"),
        mb(memory.peak),
        format!(
            "{:.0} req/s, {} non-200",
            burst.rps(),
            burst.non_ok() + burst.failures
        ),
        "≤ 150 MB",
        at_most(memory.peak as f64 / 1_048_576.0, 150.0, "MB"),
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    report.note(
        &format!("{name} RSS 2 s after the burst"),
        mb(berth.memory()?.rss),
    );
    Ok(())
}

async fn body(client: &Client, path: &str, cookie: &str) -> anyhow::Result<String> {
    let res = client.get(path, Some(cookie)).await?;
    let status = res.status();
    let text = res.text().await.context("reading a body")?;
    ensure!(status.is_success(), "GET {path}: {status}: {text}");
    Ok(text)
}
