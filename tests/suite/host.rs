//! The host as Spin users see it: routing, `spin-*` headers, storage across
//! restarts, variables, outbound policy, cron, limits, migrations, manifest errors.

use std::time::{Duration, Instant};

use switchyard_tests::{HostConfig, TestManifest, spawn_host, try_spawn_host};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The probe twice (a wildcard and an exact route), the ticker on a schedule
/// that never fires during a test (so only on-demand ticks count).
const BASIC: &str = r#"
spin_manifest_version = 2
[application]
name = "host-test"

[variables]
greeting = { default = "hello" }
secret_key = { required = true, secret = true }

[[trigger.http]]
route = "/probe/..."
component = "probe"

[[trigger.http]]
route = "/probe/exact"
component = "probe-exact"

[[trigger.cron]]
component = "ticker"
cron_expression = "0 0 0 1 1 *"

[component.probe]
source = "{probe}"
sqlite_databases = ["default"]
key_value_stores = ["default"]
allowed_outbound_hosts = ["http://127.0.0.1:{allowed_port}"]
[component.probe.variables]
greeting = "{{ greeting }}, world"
key = "{{ secret_key }}"

[component.probe-exact]
source = "{probe}"

[component.ticker]
source = "{ticker}"
key_value_stores = ["default"]
"#;

const SECRET: &str = "s3cret-value-never-printed";

fn basic(allowed_port: u16) -> TestManifest {
    TestManifest::new(&BASIC.replace("{allowed_port}", &allowed_port.to_string()))
}

fn basic_config(manifest: &TestManifest) -> HostConfig {
    manifest.config().env("SPIN_VARIABLE_SECRET_KEY", SECRET)
}

async fn headers(app: &switchyard_tests::TestApp, path: &str) -> serde_json::Value {
    let response = app.get(path).await;
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.unwrap()
}

#[tokio::test]
async fn routes_like_spin_and_sets_spin_headers() {
    let manifest = basic(9);
    let app = spawn_host(basic_config(&manifest)).await;
    let authority = app.address.trim_start_matches("http://").to_owned();

    let wild = headers(&app, "/probe/a/b?q=1&echo=headers").await;
    assert_eq!(wild["spin-full-url"], format!("http://{authority}/probe/a/b?q=1&echo=headers"));
    assert_eq!(wild["spin-path-info"], "/a/b");
    assert_eq!(wild["spin-matched-route"], "/probe/...");
    assert_eq!(wild["spin-raw-component-route"], "/probe/...");
    assert_eq!(wild["spin-component-route"], "/probe");
    assert_eq!(wild["spin-base-path"], "/");
    assert!(wild["spin-client-addr"].as_str().unwrap().starts_with("127.0.0.1:"));

    // The exact route is more specific than the wildcard that also matches it.
    let exact = headers(&app, "/probe/exact?echo=headers").await;
    assert_eq!(exact["spin-path-info"], "");
    assert_eq!(exact["spin-matched-route"], "/probe/exact");
    assert_eq!(exact["spin-component-route"], "/probe/exact");

    // A segment that only starts like a route is not that route.
    assert_eq!(app.get("/probes").await.status(), 404);
    assert_eq!(app.get("/elsewhere").await.status(), 404);
    assert_eq!(app.get("/.well-known/spin/health").await.status(), 200);

    let log = app.output();
    assert!(log.contains("GET /probe/exact probe-exact 200"), "access log:\n{log}");
    assert!(log.contains("GET /elsewhere - 404"), "access log:\n{log}");
}

#[tokio::test]
async fn sqlite_and_key_value_data_survive_a_restart() {
    let manifest = basic(9);
    let mut app = spawn_host(basic_config(&manifest)).await;
    assert_eq!(app.post("/probe/sqlite?k=colour&v=green", "").await.status(), 201);
    assert_eq!(app.post("/probe/kv?key=shape&value=round", "").await.status(), 201);

    app.restart().await;
    assert_eq!(app.get("/probe/sqlite?k=colour").await.text().await.unwrap(), "green");
    assert_eq!(app.get("/probe/kv?key=shape").await.text().await.unwrap(), "round");
    assert_eq!(app.get("/probe/kv?key=absent").await.status(), 404);
}

#[tokio::test]
async fn a_component_only_opens_the_databases_it_was_granted() {
    let manifest = basic(9);
    let app = spawn_host(basic_config(&manifest)).await;
    let response = app.get("/probe/sqlite-other").await;
    assert_eq!(response.status(), 403);
    assert!(response.text().await.unwrap().contains("AccessDenied"));
    // probe-exact lists no stores at all.
    assert_eq!(app.get("/probe/exact").await.status(), 404, "probe-exact answers nothing but headers");
}

#[tokio::test]
async fn variables_use_defaults_templates_and_environment_overrides() {
    let manifest = basic(9);
    let app = spawn_host(basic_config(&manifest)).await;
    assert_eq!(app.get("/probe/variable?name=greeting").await.text().await.unwrap(), "hello, world");
    assert_eq!(app.get("/probe/variable?name=key").await.text().await.unwrap(), SECRET);
    let undefined = app.get("/probe/variable?name=nope").await;
    assert_eq!(undefined.status(), 404);
    assert!(undefined.text().await.unwrap().contains("Undefined"));

    let overridden = spawn_host(basic_config(&manifest).env("SPIN_VARIABLE_GREETING", "hi")).await;
    assert_eq!(overridden.get("/probe/variable?name=greeting").await.text().await.unwrap(), "hi, world");
    assert!(!app.output().contains(SECRET) && !overridden.output().contains(SECRET));
}

#[tokio::test]
async fn a_missing_required_variable_stops_start_up_with_its_name() {
    let manifest = basic(9);
    let failure = try_spawn_host(manifest.config()).await.err().expect("start-up must fail");
    assert!(failure.output.contains("SPIN_VARIABLE_SECRET_KEY"), "{}", failure.output);
}

/// A one-shot HTTP server on loopback answering `200 ok`.
async fn tiny_server() -> (u16, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buf = [0u8; 4096];
            let _ = socket.read(&mut buf).await;
            let _ = socket.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok").await;
        }
    });
    (port, task)
}

#[tokio::test]
async fn outbound_http_is_limited_to_allowed_hosts() {
    let (allowed, _a) = tiny_server().await;
    let (other, _b) = tiny_server().await;
    let manifest = basic(allowed);
    let app = spawn_host(basic_config(&manifest)).await;

    let ok = app.get(&format!("/probe/outbound?url=http://127.0.0.1:{allowed}/")).await;
    assert_eq!(ok.text().await.unwrap(), "status 200");

    let refused = app.get(&format!("/probe/outbound?url=http://127.0.0.1:{other}/")).await;
    assert_eq!(refused.status(), 502);
    assert!(refused.text().await.unwrap().contains("HttpRequestDenied"));
    let log = app.output();
    assert!(log.contains(&format!("disallowed destination 'http://127.0.0.1:{other}'")), "{log}");
}

#[tokio::test]
async fn cron_ticks_fire_on_demand_and_on_schedule() {
    let manifest = basic(9);
    let app = spawn_host(basic_config(&manifest)).await;
    let out = app.cron_tick("ticker");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("cron ticker ok"));
    assert_eq!(app.get("/probe/kv?key=ticks").await.text().await.unwrap(), "1");

    let unknown = app.cron_tick("probe");
    assert!(!unknown.status.success());

    let every_second = TestManifest::new(&BASIC.replace("0 0 0 1 1 *", "* * * * * *").replace("{allowed_port}", "9"));
    let scheduled = spawn_host(basic_config(&every_second)).await;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let ticks = scheduled.get("/probe/kv?key=ticks").await.text().await.unwrap();
        if ticks.parse::<u32>().is_ok_and(|n| n >= 2) {
            break;
        }
        assert!(Instant::now() < deadline, "cron did not fire twice: {ticks}\n{}", scheduled.output());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn a_runaway_guest_is_cut_off_while_other_requests_are_served() {
    let manifest = basic(9);
    let app =
        spawn_host(basic_config(&manifest).arg("--request-timeout-secs").arg("5").arg("--max-memory-mib").arg("64"))
            .await;
    let spinning = {
        let client = app.client.clone();
        let url = app.url("/probe/spin");
        tokio::spawn(async move { client.get(url).send().await.unwrap().status() })
    };
    // While it spins, another request is answered promptly.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    assert_eq!(app.get("/probe/ok").await.status(), 200);
    // Not queued behind the runaway guest (which runs until its 5 s deadline).
    assert!(started.elapsed() < Duration::from_secs(4), "served behind the runaway guest");
    assert_eq!(spinning.await.unwrap(), 504);

    let hog = app.get("/probe/allocate").await;
    assert_eq!(hog.status(), 500);
    assert_eq!(app.get("/probe/ok").await.status(), 200);
}

#[tokio::test]
async fn migrations_apply_once_and_a_bad_one_stops_start_up() {
    let manifest = basic(9)
        .with_migration("0001_create.sql", "CREATE TABLE notes (body TEXT);")
        .with_migration("0002_seed.sql", "INSERT INTO notes VALUES ('first');");
    let mut app = spawn_host(basic_config(&manifest)).await;
    assert!(app.output().contains("Applied migration 0002_seed.sql"));
    app.restart().await;
    assert!(!app.output().contains("Applied migration"), "re-applied:\n{}", app.output());
    let count = app.post("/probe/sqlite-query", "SELECT count(*) FROM notes").await;
    assert_eq!(count.text().await.unwrap(), "[Value::Integer(1)]");

    let broken = manifest.with_migration("0003_broken.sql", "CREATE TABLE (;");
    let failure = try_spawn_host(basic_config(&broken)).await.err().expect("must refuse");
    assert!(failure.output.contains("0003_broken.sql"), "{}", failure.output);
    assert!(failure.output.contains("syntax error"), "{}", failure.output);
}

#[tokio::test]
async fn a_malformed_manifest_is_refused_naming_the_field() {
    let manifest =
        TestManifest::new(&BASIC.replace("key_value_stores", "key_value_store").replace("{allowed_port}", "9"));
    let failure = try_spawn_host(basic_config(&manifest)).await.err().expect("must refuse");
    assert!(failure.output.contains("key_value_store"), "{}", failure.output);

    let missing = TestManifest::new(
        &BASIC
            .replace(
                "source = \"{ticker}\"",
                "source = \"nowhere.wasm\"\n[component.ticker.build]\ncommand = \"cargo build -p ticker\"",
            )
            .replace("{allowed_port}", "9"),
    );
    let failure = try_spawn_host(basic_config(&missing)).await.err().expect("must refuse");
    assert!(failure.output.contains("nowhere.wasm"), "{}", failure.output);
    assert!(failure.output.contains("cargo build -p ticker"), "{}", failure.output);
}

/// What keeps a crashed test run from leaving hosts behind: the harness holds
/// the write end of the host's stdin, and the host stops when it closes.
#[tokio::test]
async fn a_host_whose_supervisor_goes_away_stops_by_itself() {
    let manifest = basic(9);
    let mut app = spawn_host(basic_config(&manifest)).await;
    assert_eq!(app.get("/probe/ok").await.status(), 200);
    assert!(app.close_stdin_and_wait(), "{}", app.output());
    assert!(app.output().contains("Standard input closed: shutting down"), "{}", app.output());
}

/// Compiling happens after the host listens: a component that cannot compile
/// answers 500 and is named in the log, while every other route serves.
#[tokio::test]
async fn a_component_that_cannot_compile_fails_alone() {
    let manifest = TestManifest::new(
        r#"
spin_manifest_version = 2
[application]
name = "broken"
[[trigger.http]]
route = "/probe/..."
component = "probe"
[[trigger.http]]
route = "/broken"
component = "broken"
[component.probe]
source = "{probe}"
[component.broken]
source = "broken.wasm"
"#,
    );
    // A WebAssembly header, then garbage: it passes the start-up check and fails to compile.
    std::fs::write(manifest.dir.path().join("broken.wasm"), b"\0asm\x0d\x00\x01\x00garbage").unwrap();
    let app = spawn_host(manifest.config()).await;
    assert_eq!(app.get("/broken").await.status(), 500);
    assert_eq!(app.get("/probe/ok").await.status(), 200);
    assert_eq!(app.get("/broken").await.status(), 500, "a failed compile is not retried per request");
    let output = app.output();
    assert!(output.contains("component `broken`: cannot compile"), "{output}");
}

#[tokio::test]
async fn shuts_down_gracefully_on_sigterm() {
    let manifest = basic(9);
    let mut app = spawn_host(basic_config(&manifest)).await;
    assert_eq!(app.get("/probe/ok").await.status(), 200);
    assert!(app.stop(), "exit after SIGTERM was not clean:\n{}", app.output());
    assert!(app.output().contains("Shutting down"));
}

/// The README's run command as a new user meets it: `scripts/serve` is the
/// last step of `scripts/run` (which only builds before it), with the host's
/// default flags — relative data, cache, manifest and migration paths — and no
/// variable set except by the script. Only the port is free-picked.
#[tokio::test]
async fn the_run_command_serves_health_with_its_default_relative_paths() {
    let root = switchyard_tests::workspace_root();
    let mut cmd = std::process::Command::new(root.join("scripts/serve"));
    cmd.args(["--listen", "127.0.0.1:0"]).current_dir(std::env::temp_dir());
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy().into_owned();
        if key.starts_with("SWITCHYARD_") || key.starts_with("SPIN_VARIABLE_") {
            cmd.env_remove(key);
        }
    }
    let log = tempfile::NamedTempFile::new().unwrap();
    cmd.stdout(log.reopen().unwrap()).stderr(log.reopen().unwrap());
    let mut host = switchyard_tests::ChildGuard::spawn(cmd).unwrap();
    let address = switchyard_tests::wait_for_serving(&mut host, log.path())
        .unwrap_or_else(|printed| panic!("scripts/serve exited:\n{printed}"));
    let health = reqwest::get(format!("{address}/functions/v1/health")).await.unwrap();
    let printed = std::fs::read_to_string(log.path()).unwrap();
    assert_eq!(health.status(), 200, "{printed}");
    // The relative default data directory was resolved against the repository root.
    assert!(root.join(".switchyard/data/sqlite/default.db").is_file(), "{printed}");
    host.kill();
}
