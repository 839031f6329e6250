//! `scripts/bench`: throughput and latency through the host versus a native
//! hyper handler, instantiation cost, and start-up time. Prints markdown.
//!
//! Usage: switchyard-bench [seconds-per-run] [concurrency]

#![allow(clippy::unwrap_used)] // a benchmark: a failed unwrap is a failed run

use std::convert::Infallible;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use switchyard_tests::{HostConfig, TestManifest, app_config, host_binary, spawn_host};

const PROBE: &str = r#"
spin_manifest_version = 2
[application]
name = "bench"
[[trigger.http]]
route = "/probe/..."
component = "probe"
[component.probe]
source = "{probe}"
"#;

struct Run {
    requests: usize,
    errors: usize,
    seconds: f64,
    latencies_us: Vec<u64>,
}

impl Run {
    fn rps(&self) -> f64 {
        self.requests as f64 / self.seconds
    }

    fn percentile(&self, p: f64) -> f64 {
        let i = ((self.latencies_us.len() as f64 - 1.0) * p).round() as usize;
        self.latencies_us.get(i).copied().unwrap_or_default() as f64 / 1000.0
    }
}

/// `concurrency` keep-alive clients hammering `url` for `seconds`.
async fn load(url: &str, seconds: u64, concurrency: usize) -> Run {
    let client = reqwest::Client::builder().pool_max_idle_per_host(concurrency).build().unwrap();
    // Warm up connections and caches.
    for _ in 0..50 {
        let _ = client.get(url).send().await.unwrap().bytes().await;
    }
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let workers = (0..concurrency).map(|_| {
        let client = client.clone();
        let url = url.to_owned();
        tokio::spawn(async move {
            let (mut latencies, mut errors) = (Vec::new(), 0usize);
            while Instant::now() < deadline {
                let t = Instant::now();
                match client.get(&url).send().await {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                        latencies.push(t.elapsed().as_micros() as u64);
                    }
                    _ => errors += 1,
                }
            }
            (latencies, errors)
        })
    });
    let mut run = Run { requests: 0, errors: 0, seconds: 0.0, latencies_us: Vec::new() };
    for w in futures::future::join_all(workers).await {
        let (latencies, errors) = w.unwrap();
        run.requests += latencies.len();
        run.errors += errors;
        run.latencies_us.extend(latencies);
    }
    run.seconds = started.elapsed().as_secs_f64();
    run.latencies_us.sort_unstable();
    run
}

/// A native hyper server answering `ok`, on its own runtime, for comparison.
fn native_server() -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(|_req| async {
                        Ok::<_, Infallible>(hyper::Response::new(Full::new(Bytes::from_static(b"ok"))))
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                        .await;
                });
            }
        });
    });
    format!("http://{}/probe/ok", rx.recv().unwrap())
}

/// Milliseconds from spawning the host to its first 200 on `path`.
fn start_to_first_200(config: &HostConfig, cache: &std::path::Path, path: &str) -> f64 {
    let data = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let started = Instant::now();
    let mut child = Command::new(host_binary())
        .arg("--manifest")
        .arg(&config.manifest)
        .arg("--data-dir")
        .arg(data.path())
        .arg("--cache-dir")
        .arg(cache)
        .arg("up")
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .envs(config.env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}{path}");
    let took = loop {
        if status(&url).is_ok_and(|s| s == 200) {
            break started.elapsed();
        }
        assert!(started.elapsed() < Duration::from_secs(120), "host did not answer");
        std::thread::sleep(Duration::from_millis(2));
    };
    let _ = child.kill();
    let _ = child.wait();
    took.as_secs_f64() * 1000.0
}

/// The status of a blocking HTTP/1.1 GET (keeps the start-up probe free of client set-up costs).
fn status(url: &str) -> std::io::Result<u16> {
    use std::io::{Read, Write};
    let rest = url.trim_start_matches("http://");
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let mut s = std::net::TcpStream::connect(authority)?;
    write!(s, "GET /{path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n")?;
    let mut head = [0u8; 12];
    s.read_exact(&mut head)?;
    Ok(std::str::from_utf8(&head[9..12]).unwrap_or("0").parse().unwrap_or(0))
}

/// Audit export and offline verification of 100 000 entries.
async fn audit(app: &switchyard_tests::TestApp) -> String {
    use futures::StreamExt;
    const ENTRIES: u64 = 100_000;
    let tenant = app.bootstrap("bench-audit", "us-east-1", "enterprise").await;
    app.seed_audit(&tenant.workspace_id, ENTRIES);
    let started = Instant::now();
    let response = app
        .client
        .post(app.url("/functions/v1/audit-export"))
        .bearer_auth(&tenant.token)
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    let mut bytes = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        bytes.extend_from_slice(&chunk.unwrap());
    }
    let export_secs = started.elapsed().as_secs_f64();
    let key = switchyard_domain::export::SigningKey::from_seed_hex(switchyard_tests::AUDIT_SIGNING_KEY).unwrap();
    let public = switchyard_domain::export::VerifyingKey::from_bytes(&key.public_key()).unwrap();
    let started = Instant::now();
    let verified = switchyard_domain::export::verify_ndjson(bytes.as_slice(), &[public]).unwrap();
    let verify_secs = started.elapsed().as_secs_f64();
    format!(
        "| export (NDJSON over HTTP, streamed) | {:.0} entries/s | {:.1} MB in {export_secs:.2} s |\n\
         | offline verification (in-process, same code as `switchyard verify-export`) | {:.0} entries/s | {} entries in {verify_secs:.2} s |\n",
        verified.count as f64 / export_secs,
        bytes.len() as f64 / 1e6,
        verified.count as f64 / verify_secs,
        verified.count
    )
}

/// Lane throughput: `agent-run` creating lanes, then N harnesses racing to
/// claim them; each run in its own workspace (rate limits are per token).
async fn lanes(app: &switchyard_tests::TestApp) -> String {
    const LANES: usize = 400;
    let mut out = String::from(
        "| harnesses | lanes created/s (agent-run, 8 clients) | claims/s (harness-dispatch) | double claims |\n|---|---|---|---|\n",
    );
    for (round, harnesses) in [1usize, 10, 50].into_iter().enumerate() {
        let tenant = app.bootstrap(&format!("bench-{round}"), "us-east-1", "enterprise").await;
        let started = Instant::now();
        let next = std::sync::atomic::AtomicUsize::new(0);
        let creators = (0..8).map(|_| async {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= LANES {
                    break;
                }
                let body = switchyard_tests::lane_body("bench", &[&format!("part{i}/**")]);
                let r = app.call("agent-run").token(&tenant.token).json(&body).send().await;
                assert_eq!(r.status, 201, "{}", r.text());
            }
        });
        futures::future::join_all(creators).await;
        let created_per_sec = LANES as f64 / started.elapsed().as_secs_f64();
        let mut registered = Vec::new();
        for _ in 0..harnesses {
            registered.push(app.register_harness(&tenant, "script", &[], 60).await);
        }
        let started = Instant::now();
        let claimers = registered.iter().map(|h| async {
            let mut mine = Vec::new();
            loop {
                let r = app.call("harness-dispatch").token(&h.credential).json(&serde_json::json!({})).send().await;
                match r.status {
                    200 => mine.push(r.json()["lane"]["lane_id"].as_str().unwrap().to_owned()),
                    204 => return mine,
                    other => panic!("dispatch answered {other}: {}", r.text()),
                }
            }
        });
        let claimed: Vec<String> = futures::future::join_all(claimers).await.into_iter().flatten().collect();
        let claims_per_sec = claimed.len() as f64 / started.elapsed().as_secs_f64();
        let unique: std::collections::HashSet<&String> = claimed.iter().collect();
        assert_eq!(unique.len(), LANES, "every lane claimed");
        out.push_str(&format!(
            "| {harnesses} | {created_per_sec:.0} | {claims_per_sec:.0} | {} |\n",
            claimed.len() - unique.len()
        ));
    }
    out
}

fn row(name: &str, run: &Run) -> String {
    format!(
        "| {name} | {:.0} | {:.2} | {:.2} | {} |",
        run.rps(),
        run.percentile(0.50),
        run.percentile(0.99),
        run.errors
    )
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let seconds: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(10);
    let concurrency: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(16);

    let manifest = TestManifest::new(PROBE);
    let mut probe = spawn_host(manifest.config()).await;
    let trivial = load(&probe.url("/probe/ok"), seconds, concurrency).await;
    probe.stop();
    let instantiate =
        probe.output().lines().find_map(|l| l.strip_prefix("Stopped: ").map(str::to_owned)).unwrap_or_default();

    let native = load(&native_server(), seconds, concurrency).await;

    let (product, _) = app_config();
    let app = spawn_host(product.clone()).await;
    let health = load(&app.url("/functions/v1/health"), seconds, concurrency).await;
    let lanes = lanes(&app).await;
    let audit = audit(&app).await;
    drop(app);

    let cold_cache = tempfile::tempdir().unwrap();
    let cold = start_to_first_200(&product, cold_cache.path(), "/functions/v1/health");
    let warm = start_to_first_200(&product, cold_cache.path(), "/functions/v1/health");

    println!(
        "Loopback, {concurrency} keep-alive connections, {seconds} s per run (load generator on the same 2 cores).\n"
    );
    println!("| server | req/s | p50 ms | p99 ms | errors |\n|---|---|---|---|---|");
    println!("{}", row("native hyper handler (in-process)", &native));
    println!("{}", row("host → trivial spin-sdk component (`/probe/ok`)", &trivial));
    println!("{}", row("host → `health` (edge crate + SQLite read)", &health));
    println!(
        "\nHost/native throughput ratio: **{:.1}×** slower ({:.1}% of native).",
        native.rps() / trivial.rps().max(1.0),
        100.0 * trivial.rps() / native.rps().max(1.0)
    );
    println!("\nInstantiation (host counters over the trivial run): {instantiate}.");
    println!("\n## Lanes\n\n{} lanes per row, through the host with the product manifest.\n\n{lanes}", 400);
    println!(
        "\n## Audit export and verification\n\n100 000 seeded entries; the bench binary is a dev build (dependencies at opt-level 1).\n\n| what | rate | size |\n|---|---|---|\n{audit}"
    );
    println!(
        "\nProcess start to first 200 on `/functions/v1/health` (product manifest, {} components): \
         **{cold:.0} ms** with an empty compile cache, **{warm:.0} ms** with a warm one.",
        switchyard_catalog::load(&switchyard_tests::workspace_root()).map(|d| d.len()).unwrap_or(0)
    );
}
