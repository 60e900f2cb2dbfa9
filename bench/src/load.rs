//! A closed-loop HTTP/1.1 load generator: `connections` keep-alive connections, each sending
//! its next request as soon as the last answer is read, for a fixed time (and at most a fixed
//! count). Records every latency; reports throughput and percentiles.

use std::{collections::BTreeMap, net::SocketAddr, sync::Arc, time::Duration};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use tokio::{net::TcpStream, time::Instant};

/// One request, sent over and over.
#[derive(Clone, Debug)]
pub struct Target {
    /// Where the server listens.
    pub addr: SocketAddr,
    /// `GET` or `POST`.
    pub method: Method,
    /// Path and query.
    pub path: String,
    /// Extra headers (cookie, accept, content type).
    pub headers: Vec<(&'static str, String)>,
    /// Request body (empty for GET).
    pub body: Bytes,
}

impl Target {
    /// A GET of `path`, signed in with `cookie` when given.
    pub fn get(addr: SocketAddr, path: &str, cookie: Option<&str>) -> Self {
        // Server functions answer JSON to a JSON client (a browser's `text/html` would get
        // the no-JavaScript redirect instead); pages are asked for as a browser does.
        let accept = if path.starts_with("/api/") {
            "application/json"
        } else {
            "text/html,application/xhtml+xml"
        };
        let mut headers = vec![("accept", accept.to_owned())];
        if let Some(cookie) = cookie {
            headers.push(("cookie", cookie.to_owned()));
        }
        Self {
            addr,
            method: Method::GET,
            path: path.to_owned(),
            headers,
            body: Bytes::new(),
        }
    }
}

/// What a run measured.
#[derive(Clone, Default)]
pub struct Stats {
    /// Requests answered (any status).
    pub requests: u64,
    /// Responses by status code.
    pub statuses: BTreeMap<u16, u64>,
    /// Connection or protocol failures (no response).
    pub failures: u64,
    /// Response body bytes read.
    pub body_bytes: u64,
    /// Wall time of the measured part.
    pub elapsed: Duration,
    /// Every latency, in microseconds, sorted.
    pub latencies_us: Vec<u32>,
}

impl std::fmt::Debug for Stats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} requests, statuses {:?}, {} failures, p50 {:.2} ms, p99 {:.2} ms",
            self.requests,
            self.statuses,
            self.failures,
            self.quantile_ms(0.5),
            self.quantile_ms(0.99)
        )
    }
}

impl Stats {
    /// Requests per second.
    pub fn rps(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The `q` quantile of latency (0.5, 0.99), in milliseconds.
    pub fn quantile_ms(&self, q: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return f64::NAN;
        }
        let rank = ((self.latencies_us.len() as f64 - 1.0) * q).round() as usize;
        f64::from(self.latencies_us[rank]) / 1000.0
    }

    /// Responses with a status of 500 or more.
    pub fn server_errors(&self) -> u64 {
        self.statuses.range(500..).map(|(_, n)| n).sum()
    }

    /// Responses with a status other than 200.
    pub fn non_ok(&self) -> u64 {
        self.statuses
            .iter()
            .filter(|(s, _)| **s != 200)
            .map(|(_, n)| n)
            .sum()
    }

    fn merge(&mut self, other: Stats) {
        self.requests += other.requests;
        self.failures += other.failures;
        self.body_bytes += other.body_bytes;
        for (status, n) in other.statuses {
            *self.statuses.entry(status).or_default() += n;
        }
        self.latencies_us.extend(other.latencies_us);
    }
}

/// How long and how hard.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    /// Concurrent connections.
    pub connections: usize,
    /// Unmeasured warm-up before the measured part.
    pub warmup: Duration,
    /// Length of the measured part.
    pub duration: Duration,
    /// Most requests in the measured part (all connections together).
    pub max_requests: u64,
    /// Pause between one answer and the next request on a connection (a fixed rate).
    pub think: Duration,
}

impl Plan {
    /// `connections` as fast as they go, for `seconds`, after a one-second warm-up.
    pub fn closed(connections: usize, seconds: u64) -> Self {
        Self {
            connections,
            warmup: Duration::from_secs(1),
            duration: Duration::from_secs(seconds),
            max_requests: 5_000_000,
            think: Duration::ZERO,
        }
    }
}

/// Runs `target` under `plan`.
pub async fn run(target: &Target, plan: Plan) -> Stats {
    let target = Arc::new(target.clone());
    let start = Instant::now();
    let measure_from = start + plan.warmup;
    let until = measure_from + plan.duration;
    let budget = Arc::new(std::sync::atomic::AtomicU64::new(plan.max_requests));
    let tasks: Vec<_> = (0..plan.connections)
        .map(|_| {
            let target = target.clone();
            let budget = budget.clone();
            tokio::spawn(connection(target, measure_from, until, budget, plan.think))
        })
        .collect();
    let mut total = Stats::default();
    for task in tasks {
        if let Ok(stats) = task.await {
            total.merge(stats);
        }
    }
    total.elapsed = Instant::now()
        .min(until)
        .saturating_duration_since(measure_from);
    total.latencies_us.sort_unstable();
    total
}

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

/// How long one request may take before it counts as failed (and its connection is dropped).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

async fn connect(addr: SocketAddr) -> Option<Sender> {
    let stream = TcpStream::connect(addr).await.ok()?;
    stream.set_nodelay(true).ok()?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .ok()?;
    tokio::spawn(conn);
    Some(sender)
}

async fn connection(
    target: Arc<Target>,
    measure_from: Instant,
    until: Instant,
    budget: Arc<std::sync::atomic::AtomicU64>,
    think: Duration,
) -> Stats {
    use std::sync::atomic::Ordering;
    let mut stats = Stats::default();
    let mut sender: Option<Sender> = None;
    while Instant::now() < until {
        let measured = Instant::now() >= measure_from;
        if measured
            && budget
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
                .is_err()
        {
            break;
        }
        if sender.as_ref().is_none_or(|s| s.is_closed()) {
            sender = connect(target.addr).await;
        }
        let Some(s) = sender.as_mut() else {
            stats.failures += 1;
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let mut req = Request::builder()
            .method(target.method.clone())
            .uri(&target.path)
            .header("host", target.addr.to_string());
        for (name, value) in &target.headers {
            req = req.header(*name, value);
        }
        let Ok(req) = req.body(Full::new(target.body.clone())) else {
            stats.failures += 1;
            break;
        };
        let sent = Instant::now();
        let outcome = async {
            s.ready().await.ok()?;
            let res = s.send_request(req).await.ok()?;
            let status = res.status().as_u16();
            let body = res.into_body().collect().await.ok()?.to_bytes();
            Some((status, body.len() as u64))
        };
        // A response that never comes is a failure, not a run that never ends.
        let outcome = tokio::time::timeout(REQUEST_TIMEOUT, outcome)
            .await
            .ok()
            .flatten();
        let latency = sent.elapsed();
        match outcome {
            Some((status, len)) if measured => {
                stats.requests += 1;
                stats.body_bytes += len;
                *stats.statuses.entry(status).or_default() += 1;
                stats
                    .latencies_us
                    .push(latency.as_micros().min(u128::from(u32::MAX)) as u32);
            }
            Some(_) => {}
            None => {
                if measured {
                    stats.failures += 1;
                }
                sender = None;
            }
        }
        if !think.is_zero() {
            tokio::time::sleep(think).await;
        }
    }
    stats
}
