//! The test harness: starts the real host binary on a free port with a fresh
//! data directory and gives each test a typed HTTP client.
//!
//! `scripts/test` builds the host and every `.wasm` first; the harness only
//! checks that they exist and says how to build them when they do not.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

pub mod conformance;
pub mod receiver;

use switchyard_api as api;

/// The repository root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| workspace_root().join("target"), PathBuf::from)
}

/// The Python that runs the official protocol SDKs and Selenium (`target/mcp-venv`, installed by `scripts/test`).
pub fn venv_python() -> PathBuf {
    let python = workspace_root().join("target/mcp-venv/bin/python");
    assert!(python.exists(), "{} is missing: run scripts/test, which installs the client libraries", python.display());
    python
}

/// Runs a Python client script from `tests/` with `args`; panics with its output (and the host's) unless it succeeds.
pub fn run_client_script(app: &TestApp, script: &str, args: &[&str]) -> serde_json::Value {
    let out = Command::new(venv_python()).arg(workspace_root().join(script)).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{script} failed:\n{}\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        app.output()
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

/// The host binary built by `scripts/test`.
pub fn host_binary() -> PathBuf {
    let path = target_dir().join("debug").join("switchyard-host");
    assert!(
        path.is_file(),
        "{} is missing: run `scripts/test` (or `cargo build -p switchyard-host`) first",
        path.display()
    );
    path
}

/// A component built by `scripts/build-wasm`, e.g. `wasm("test_probe")`.
pub fn wasm(crate_name: &str) -> PathBuf {
    let path = target_dir().join("wasm32-wasip2/release").join(format!("{crate_name}.wasm"));
    assert!(path.is_file(), "{} is missing: run `scripts/build-wasm` first", path.display());
    path
}

/// Compiled components are cached across test runs and test processes.
fn cache_dir() -> PathBuf {
    target_dir().join("switchyard-test-cache")
}

/// How to start a host: which manifest, which environment, which flags.
#[derive(Debug, Clone)]
pub struct HostConfig {
    pub manifest: PathBuf,
    pub env: Vec<(String, String)>,
    pub args: Vec<String>,
}

impl HostConfig {
    pub fn new(manifest: impl Into<PathBuf>) -> Self {
        Self { manifest: manifest.into(), env: Vec::new(), args: Vec::new() }
    }

    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    pub fn arg(mut self, arg: &str) -> Self {
        self.args.push(arg.to_owned());
        self
    }
}

/// A running host. Dropping it stops the process; the data directory lives
/// as long as the `TestApp`, so [`TestApp::restart`] keeps the data.
pub struct TestApp {
    // First: fields drop in order, and the host must be gone before its data directory is.
    child: Option<ChildGuard>,
    pub address: String,
    pub client: reqwest::Client,
    pub config: HostConfig,
    pub data: TempDir,
    /// The Ed25519 key pair whose public half the deployment trusts (product apps only).
    pub ed25519: Option<jwt_simple::prelude::Ed25519KeyPair>,
    log: PathBuf,
}

/// A host that refused to start: its exit status and everything it printed.
#[derive(Debug)]
pub struct StartFailure {
    pub output: String,
}

fn command(config: &HostConfig, data: &Path) -> Command {
    let mut cmd = Command::new(host_binary());
    cmd.arg("--manifest")
        .arg(&config.manifest)
        .arg("--data-dir")
        .arg(data)
        .arg("--cache-dir")
        .arg(cache_dir())
        .args(&config.args)
        .env_remove("SWITCHYARD_LISTEN")
        // As scripts/serve does: no backtrace capture on wasmtime's per-request error values.
        .env("RUST_LIB_BACKTRACE", "0")
        .envs(config.env.iter().map(|(k, v)| (k, v)));
    cmd
}

/// A child process that cannot outlive its test: it leads its own process
/// group, which `Drop` kills (also while a failed test unwinds); and its stdin
/// is a pipe that closes when this process dies in any way, which the host
/// (`--exit-on-stdin-close`) takes as the order to stop.
#[derive(Debug)]
pub struct ChildGuard {
    child: Child,
}

impl ChildGuard {
    pub fn spawn(mut cmd: Command) -> std::io::Result<Self> {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0).stdin(Stdio::piped());
        Ok(Self { child: cmd.spawn()? })
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }

    pub fn try_wait(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().unwrap()
    }

    /// Kills the whole process group and reaps the child.
    pub fn kill(&mut self) {
        // Signals go through nix, never the `kill` binary: procps-ng 4.0.2's
        // `kill -KILL -<pgid>` signals every process (`kill(-1)`), as seen here.
        if let Ok(group) = i32::try_from(self.child.id())
            && group > 1
        {
            let _ = nix::sys::signal::killpg(nix::unistd::Pid::from_raw(group), nix::sys::signal::Signal::SIGKILL);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Closes the process's stdin, as the death of this test process would.
    pub fn close_stdin(&mut self) {
        drop(self.child.stdin.take());
    }

    /// Waits up to `patience` for the process to exit; returns whether it
    /// exited successfully, or kills it and returns `false`.
    pub fn wait_or_kill(&mut self, patience: Duration) -> bool {
        let deadline = Instant::now() + patience;
        while Instant::now() < deadline {
            if let Some(status) = self.try_wait() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.kill();
        false
    }

    /// Asks the process to stop (SIGTERM).
    pub fn terminate(&self) {
        signal(self.child.id(), nix::sys::signal::Signal::SIGTERM);
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            self.kill();
        }
    }
}

/// Sends `signal` to one process (never to a group or to "every process").
pub fn signal(pid: u32, signal: nix::sys::signal::Signal) {
    if let Ok(pid) = i32::try_from(pid)
        && pid > 1
    {
        let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), signal);
    }
}

/// Compiles every component of the product and the test components into the
/// shared cache once per test process, before the first host starts — so
/// hosts started in parallel load compiled code instead of racing to compile.
fn warm_compile_cache() {
    static WARM: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    WARM.get_or_init(|| {
        let scratch = tempfile::tempdir().unwrap();
        let started = Instant::now();
        let test_components = TestManifest::new(ALL_TEST_COMPONENTS);
        for manifest in [workspace_root().join("spin.toml"), test_components.path()] {
            // `compile` needs no variables and applies no migrations.
            let out = Command::new(host_binary())
                .arg("--manifest")
                .arg(&manifest)
                .arg("--data-dir")
                .arg(scratch.path())
                .arg("--cache-dir")
                .arg(cache_dir())
                .arg("compile")
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "compiling {} failed:\n{}",
                manifest.display(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        eprintln!("compile cache warmed in {:.1} s", started.elapsed().as_secs_f64());
    });
}

/// A manifest that reaches every test component, for [`warm_compile_cache`].
const ALL_TEST_COMPONENTS: &str = r#"
spin_manifest_version = 2
[application]
name = "warm-up"
[[trigger.http]]
route = "/..."
component = "probe"
[[trigger.cron]]
component = "ticker"
cron_expression = "0 0 0 1 1 *"
[component.probe]
source = "{probe}"
[component.ticker]
source = "{ticker}"
"#;

/// Starts a host and waits for its `Serving` line. There is no start-up
/// deadline for a slow machine to miss: the wait ends when the host serves or
/// exits (compiling happens before, in [`warm_compile_cache`], and in the
/// background after it serves).
fn start(config: &HostConfig, data: &Path) -> Result<(ChildGuard, String, PathBuf), StartFailure> {
    warm_compile_cache();
    let log = data.join(format!(
        "host-{}.log",
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
    ));
    let out = std::fs::File::create(&log).unwrap();
    let err = out.try_clone().unwrap();
    let mut cmd = command(config, data);
    cmd.arg("up").arg("--listen").arg("127.0.0.1:0").arg("--exit-on-stdin-close");
    cmd.stdout(Stdio::from(out)).stderr(Stdio::from(err));
    let mut child = ChildGuard::spawn(cmd).unwrap();
    match wait_for_serving(&mut child, &log) {
        Ok(address) => Ok((child, address, log)),
        Err(output) => Err(StartFailure { output }),
    }
}

/// Waits until the host writing to `log` prints `Serving http://…`; returns
/// that address, or everything printed if the process exits first.
pub fn wait_for_serving(child: &mut ChildGuard, log: &Path) -> Result<String, String> {
    loop {
        let printed = std::fs::read_to_string(log).unwrap_or_default();
        if let Some(line) = printed.lines().find(|l| l.starts_with("Serving http://")) {
            return Ok(line.trim_start_matches("Serving ").trim().to_owned());
        }
        if child.try_wait().is_some() {
            return Err(printed);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The service-role key every test deployment is started with.
pub const SERVICE_ROLE_KEY: &str = "test-service-role-key-7f3a9c1e5b";
/// The Ed25519 seed test deployments sign exports and heads with.
pub const AUDIT_SIGNING_KEY: &str = "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a";
/// The HS256 secret test deployments accept JWTs for.
pub const JWT_HS256_SECRET: &str = "test-jwt-hs256-secret-a81d0c55e2";

/// The product's configuration for tests: the repository's own `spin.toml`
/// and `migrations/`, a service-role key, and JWT keys (HS256 and Ed25519).
pub fn app_config() -> (HostConfig, jwt_simple::prelude::Ed25519KeyPair) {
    let ed = jwt_simple::prelude::Ed25519KeyPair::generate();
    let config = HostConfig::new(workspace_root().join("spin.toml"))
        .env("SPIN_VARIABLE_SERVICE_ROLE_KEY", SERVICE_ROLE_KEY)
        .env("SPIN_VARIABLE_JWT_HS256_SECRET", JWT_HS256_SECRET)
        .env("SPIN_VARIABLE_JWT_ED25519_PUBLIC_KEY", &ed.public_key().to_pem())
        .env("SPIN_VARIABLE_AUDIT_SIGNING_KEY", AUDIT_SIGNING_KEY)
        // Test MCP servers listen on loopback.
        .env("SPIN_VARIABLE_MCP_OUTBOUND_HOSTS", "http://127.0.0.1:*")
        // Domains prove ownership through the tests' challenge server (a path per deployment).
        .env("SPIN_VARIABLE_SSO_VERIFICATION_OUTBOUND_HOSTS", "http://127.0.0.1:*")
        .env(
            "SPIN_VARIABLE_SSO_DOMAIN_VERIFICATION_URL",
            &format!(
                "http://{}/app{}/{{domain}}/.well-known/switchyard-domain-verification",
                challenges().address,
                DEPLOYMENTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            ),
        );
    (config, ed)
}

/// Numbers each test deployment's challenge paths apart.
static DEPLOYMENTS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Stands in for every domain's web server: serves whatever challenge a test
/// publishes at a path (`GET` only; 404 otherwise). One per test process.
pub struct ChallengeServer {
    pub address: String,
    served: std::sync::Mutex<std::collections::HashMap<String, String>>,
}

impl ChallengeServer {
    /// Serves `body` at the path of `url` (as a domain owner would).
    pub fn publish(&self, url: &str, body: &str) {
        let path = url.split_once("://").map_or(url, |(_, rest)| rest.find('/').map_or("/", |i| &rest[i..]));
        self.served.lock().unwrap().insert(path.to_owned(), body.to_owned());
    }
}

/// The process's challenge server, started on first use.
pub fn challenges() -> &'static ChallengeServer {
    static SERVER: std::sync::OnceLock<&'static ChallengeServer> = std::sync::OnceLock::new();
    SERVER.get_or_init(|| {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let server: &'static ChallengeServer = Box::leak(Box::new(ChallengeServer {
            address: listener.local_addr().unwrap().to_string(),
            served: std::sync::Mutex::new(std::collections::HashMap::new()),
        }));
        std::thread::spawn(move || {
            use std::io::{BufRead, Write};
            for stream in listener.incoming().flatten() {
                let mut reader = std::io::BufReader::new(&stream);
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() {
                    continue;
                }
                // Drain the headers.
                let mut header = String::new();
                while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
                    header.clear();
                }
                let path = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
                let found = server.served.lock().unwrap().get(&path).cloned();
                let (status, body) = match found {
                    Some(body) => ("200 OK", body),
                    None => ("404 Not Found", "no such challenge".to_owned()),
                };
                let _ = write!(
                    &stream,
                    "HTTP/1.1 {status}\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        server
    })
}

/// The product's `spin.toml` without its `[[trigger.cron]]` tables, as deployed
/// where Spin's cron plugin is missing (component paths made absolute, since
/// the copy lives elsewhere).
pub fn manifest_without_schedules() -> PathBuf {
    static PATH: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    PATH.get_or_init(|| {
        let root = workspace_root();
        let text = std::fs::read_to_string(root.join("spin.toml")).unwrap();
        let mut copy = String::new();
        let mut in_cron = false;
        for line in text.lines() {
            if line.trim_start().starts_with('[') {
                in_cron = line.trim() == "[[trigger.cron]]";
            }
            if in_cron {
                continue;
            }
            match line.strip_prefix("source = \"target/") {
                Some(rest) => copy.push_str(&format!("source = \"{}/{rest}\n", target_dir().display())),
                None => copy.push_str(&format!("{line}\n")),
            }
        }
        assert!(!copy.lines().any(|l| l.trim() == "[[trigger.cron]]"));
        let dir = target_dir().join("switchyard-test-manifests");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("spin-without-schedules-{}.toml", std::process::id()));
        std::fs::write(&path, copy).unwrap();
        path
    })
    .clone()
}

/// Starts the product with no cron trigger: ticks run only when a test calls them over HTTP.
pub async fn spawn_app_without_schedules() -> TestApp {
    spawn_app_without_schedules_with(&[]).await
}

/// Like [`spawn_app_without_schedules`], with extra environment: deployment
/// variables (`SPIN_VARIABLE_…`) and host settings (`SWITCHYARD_…`).
pub async fn spawn_app_without_schedules_with(env: &[(&str, &str)]) -> TestApp {
    let (mut config, ed) = app_config();
    for (key, value) in env {
        config = config.env(key, value);
    }
    config.manifest = manifest_without_schedules();
    config = config.arg("--migrations").arg(&workspace_root().join("migrations").display().to_string());
    let mut app = spawn_host(config).await;
    app.ed25519 = Some(ed);
    app
}

/// Starts the product.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// Starts the product with extra host flags (e.g. tighter admission limits).
pub async fn spawn_app_with(args: &[&str]) -> TestApp {
    let (mut config, ed) = app_config();
    for arg in args {
        config = config.arg(arg);
    }
    let mut app = spawn_host(config).await;
    app.ed25519 = Some(ed);
    app
}

/// Starts a host for `config`, panicking with its output if it cannot start.
pub async fn spawn_host(config: HostConfig) -> TestApp {
    try_spawn_host(config).await.unwrap_or_else(|f| panic!("host failed to start:\n{}", f.output))
}

/// Starts a host for `config`, or returns what it printed when it refused.
pub async fn try_spawn_host(config: HostConfig) -> Result<TestApp, StartFailure> {
    let data = tempfile::tempdir().unwrap();
    let (child, address, log) = start(&config, data.path())?;
    Ok(TestApp { address, client: client(), config, data, ed25519: None, child: Some(child), log })
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(60)).build().unwrap()
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    pub async fn post(&self, path: &str, body: impl Into<reqwest::Body>) -> reqwest::Response {
        self.client.post(self.url(path)).body(body).send().await.unwrap()
    }

    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> reqwest::Response {
        self.client.post(self.url(path)).json(body).send().await.unwrap()
    }

    /// The host's process id.
    /// The host's `host:port`, for raw TCP clients.
    pub fn socket_address(&self) -> String {
        self.address.trim_start_matches("http://").trim_end_matches('/').to_owned()
    }

    /// The host's resident memory in KiB (Linux `/proc`).
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, ChildGuard::id)
    }

    /// Closes the host's stdin and waits for it to exit; returns whether it exited cleanly.
    pub fn close_stdin_and_wait(&mut self) -> bool {
        let Some(mut child) = self.child.take() else { return true };
        child.close_stdin();
        // Generous: the host needs milliseconds; this only keeps a broken host from hanging the test.
        child.wait_or_kill(Duration::from_secs(60))
    }

    /// Everything the host printed so far (access log, start-up lines, errors).
    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Sends SIGTERM and waits for a graceful exit; returns whether it exited cleanly.
    pub fn stop(&mut self) -> bool {
        let Some(mut child) = self.child.take() else { return true };
        child.terminate();
        child.wait_or_kill(Duration::from_secs(20))
    }

    /// Stops the host and starts it again on the same data directory.
    pub async fn restart(&mut self) {
        assert!(self.stop(), "host did not shut down cleanly:\n{}", self.output());
        let (child, address, log) =
            start(&self.config, self.data.path()).unwrap_or_else(|f| panic!("restart failed:\n{}", f.output));
        self.child = Some(child);
        self.address = address;
        self.log = log;
    }

    /// Runs `switchyard-host cron-tick <component>` against this app's data.
    pub fn cron_tick(&self, component: &str) -> std::process::Output {
        command(&self.config, self.data.path()).arg("cron-tick").arg(component).output().unwrap()
    }
}

/// Writes `spin.toml` (and optional migrations) into a fresh directory; the
/// manifest may use `{probe}` and `{ticker}` for the test components' paths.
pub struct TestManifest {
    pub dir: TempDir,
}

impl TestManifest {
    pub fn new(template: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut text = template.to_owned();
        for (placeholder, component) in
            [("{probe}", "test_probe"), ("{ticker}", "test_ticker"), ("{hello}", "test_hello")]
        {
            if text.contains(placeholder) {
                text = text.replace(placeholder, &wasm(component).display().to_string());
            }
        }
        std::fs::write(dir.path().join("spin.toml"), text).unwrap();
        Self { dir }
    }

    pub fn with_migration(self, name: &str, sql: &str) -> Self {
        let migrations = self.dir.path().join("migrations");
        std::fs::create_dir_all(&migrations).unwrap();
        std::fs::write(migrations.join(name), sql).unwrap();
        self
    }

    pub fn path(&self) -> PathBuf {
        self.dir.path().join("spin.toml")
    }

    pub fn config(&self) -> HostConfig {
        HostConfig::new(self.path())
    }
}

/// A response, read whole.
#[derive(Debug)]
pub struct ApiResponse {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

impl ApiResponse {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `error.code` of an error envelope.
    pub fn code(&self) -> String {
        self.json()["error"]["code"].as_str().unwrap_or_default().to_owned()
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A workspace made by `workspace-bootstrap`, with its admin token.
#[derive(Debug, Clone)]
pub struct Tenant {
    pub workspace_id: String,
    pub handle: String,
    pub token: String,
    pub token_id: String,
}

/// A request to a function: token, extra headers and JSON body.
pub struct Call<'a> {
    app: &'a TestApp,
    name: String,
    method: reqwest::Method,
    token: Option<String>,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
}

impl<'a> Call<'a> {
    pub fn token(mut self, token: &str) -> Self {
        self.token = Some(token.to_owned());
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn json(mut self, body: &serde_json::Value) -> Self {
        self.body = Some(body.to_string().into_bytes());
        self
    }

    pub fn raw(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = Some(body.into());
        self
    }

    pub fn method(mut self, method: reqwest::Method) -> Self {
        self.method = method;
        self
    }

    pub async fn send(self) -> ApiResponse {
        let mut req =
            self.app.client.request(self.method.clone(), self.app.url(&format!("/functions/v1/{}", self.name)));
        if let Some(token) = &self.token {
            req = req.bearer_auth(token);
        }
        for (name, value) in &self.headers {
            req = req.header(name, value);
        }
        if let Some(body) = self.body {
            req = req.header("content-type", "application/json").body(body);
        }
        let response = req.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.bytes().await.unwrap().to_vec();
        let response = ApiResponse { status, headers, body };
        let path = format!("/functions/v1/{}", self.name);
        if let Err(contradiction) =
            conformance::check(&path, self.method.as_str(), status, response.header("content-type"), &response.body)
        {
            panic!("{contradiction}");
        }
        response
    }

    /// Sends `request` as the JSON body and parses a 2xx answer as `Resp`;
    /// any other status is returned as the response, for the test to inspect.
    /// A change to either wire type breaks the tests that use it.
    pub async fn typed<Req: serde::Serialize, Resp: serde::de::DeserializeOwned>(
        self,
        request: &Req,
    ) -> Result<Resp, ApiResponse> {
        let r = self.json(&serde_json::to_value(request).unwrap()).send().await;
        if !(200..300).contains(&r.status) {
            return Err(r);
        }
        Ok(serde_json::from_slice(&r.body).unwrap_or_else(|e| panic!("{e}: {}", r.text())))
    }
}

impl TestApp {
    /// Starts a POST to `/functions/v1/<name>`.
    pub fn call(&self, name: &str) -> Call<'_> {
        Call {
            app: self,
            name: name.to_owned(),
            method: reqwest::Method::POST,
            token: None,
            headers: Vec::new(),
            body: None,
        }
    }

    /// Creates a workspace through `workspace-bootstrap`.
    pub async fn bootstrap(&self, handle: &str, region: &str, plan: &str) -> Tenant {
        let request: api::BootstrapWorkspace = serde_json::from_value(serde_json::json!({
            "handle": handle, "region": region, "plan": plan, "admin_email": format!("owner@{handle}.example.com")
        }))
        .unwrap();
        let made: api::BootstrappedWorkspace = self
            .call("workspace-bootstrap")
            .token(SERVICE_ROLE_KEY)
            .typed(&request)
            .await
            .unwrap_or_else(|r| panic!("{}: {}", r.status, r.text()));
        Tenant {
            workspace_id: made.workspace.id.to_string(),
            handle: handle.to_owned(),
            token: made.token.token,
            token_id: made.token.id.to_string(),
        }
    }

    /// Issues a token with `scopes` in `tenant`'s workspace; returns (token, id).
    pub async fn issue(&self, tenant: &Tenant, scopes: &[&str]) -> (String, String) {
        let request: api::IssueToken =
            serde_json::from_value(serde_json::json!({"name": "test", "scopes": scopes})).unwrap();
        let issued: api::IssuedToken = self
            .call("api-token-issue")
            .token(&tenant.token)
            .typed(&request)
            .await
            .unwrap_or_else(|r| panic!("{}: {}", r.status, r.text()));
        (issued.token, issued.id.to_string())
    }

    /// A direct connection to the `default` database, for checks a client cannot make
    /// (audit chain contents) and for setting up states (an expired token).
    pub fn db(&self) -> rusqlite::Connection {
        let conn = rusqlite::Connection::open(self.data.path().join("sqlite/default.db")).unwrap();
        conn.busy_timeout(Duration::from_secs(5)).unwrap();
        conn
    }

    pub fn audit_count(&self, workspace_id: &str) -> i64 {
        self.db()
            .query_row("SELECT count(*) FROM audit_log WHERE workspace_id = ?1", [workspace_id], |r| r.get(0))
            .unwrap()
    }
}

/// A harness registered through `harness-register`.
#[derive(Debug, Clone)]
pub struct TestHarness {
    pub id: String,
    pub credential: String,
}

impl TestApp {
    pub async fn register_harness(
        &self,
        tenant: &Tenant,
        kind: &str,
        labels: &[&str],
        lease_seconds: u64,
    ) -> TestHarness {
        let request: api::RegisterHarness = serde_json::from_value(
            serde_json::json!({"kind": kind, "name": "test-harness", "labels": labels, "lease_seconds": lease_seconds}),
        )
        .unwrap();
        let registered: api::RegisteredHarness = self
            .call("harness-register")
            .token(&tenant.token)
            .typed(&request)
            .await
            .unwrap_or_else(|r| panic!("{}: {}", r.status, r.text()));
        TestHarness { id: registered.harness_id.to_string(), credential: registered.credential }
    }

    /// Configures `provider` for `domain` and proves the domain's ownership
    /// through the challenge server (panics unless both succeed).
    pub async fn verify_sso_domain(&self, tenant: &Tenant, domain: &str, provider: &str) {
        self.verify_sso_config(tenant, serde_json::json!({"domain": domain, "provider": provider})).await;
    }

    /// Sends `config` to `sso-config-update`, then proves its domain's ownership.
    pub async fn verify_sso_config(&self, tenant: &Tenant, config: serde_json::Value) {
        let domain = config["domain"].as_str().unwrap().to_ascii_lowercase();
        let configured = self.call("sso-config-update").token(&tenant.token).json(&config).send().await;
        assert_eq!(configured.status, 200, "{}", configured.text());
        let challenge = &configured.json()["verification"];
        if !challenge.is_null() {
            challenges().publish(challenge["url"].as_str().unwrap(), challenge["body"].as_str().unwrap());
        }
        let verified = self
            .call("sso-domain-verify")
            .token(&tenant.token)
            .json(&serde_json::json!({"domain": domain}))
            .send()
            .await;
        assert_eq!(verified.status, 200, "{}", verified.text());
    }

    /// Starts a lane; returns its run id (panics unless 201).
    pub async fn run_lane(&self, tenant: &Tenant, body: serde_json::Value) -> String {
        let request: api::RunAgent = serde_json::from_value(body).unwrap();
        let lane: api::Lane = self
            .call("agent-run")
            .token(&tenant.token)
            .typed(&request)
            .await
            .unwrap_or_else(|r| panic!("{}: {}", r.status, r.text()));
        lane.run_id.to_string()
    }

    pub async fn lane(&self, tenant: &Tenant, run_id: &str) -> serde_json::Value {
        let r = self.call("lane-get").token(&tenant.token).json(&serde_json::json!({"run_id": run_id})).send().await;
        assert_eq!(r.status, 200, "{}", r.text());
        r.json()
    }

    /// Runs one tick the way a scheduler without Spin's cron trigger does:
    /// `POST /functions/v1/<component>` with the service-role key. Returns its report.
    pub async fn tick_over_http(&self, component: &str) -> serde_json::Value {
        let r = self.call(component).token(SERVICE_ROLE_KEY).send().await;
        assert_eq!(r.status, 200, "{component}: {}", r.text());
        r.json()
    }

    /// Runs one tick of a cron component against this app's data; panics on failure.
    pub fn tick(&self, component: &str) -> String {
        let out = self.cron_tick(component);
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "{component} tick failed:\n{text}");
        text
    }
}

/// A lane body with sensible defaults for tests.
pub fn lane_body(repository: &str, claim: &[&str]) -> serde_json::Value {
    serde_json::json!({
        "harness_kind": "script",
        "brief": "Make the tests pass.",
        "repository": repository,
        "claim": claim,
    })
}

impl TestApp {
    /// An anonymous GET; asserts 200 and returns the JSON body.
    pub async fn client_get(&self, path: &str) -> serde_json::Value {
        let r = self.get(path).await;
        assert_eq!(r.status(), 200, "GET {path}");
        r.json().await.unwrap()
    }

    /// An anonymous GET; asserts 200 and returns the body as text.
    pub async fn client_get_text(&self, path: &str) -> String {
        let r = self.get(path).await;
        assert_eq!(r.status(), 200, "GET {path}");
        r.text().await.unwrap()
    }

    /// GET with a bearer token; asserts 200 and returns the JSON body.
    pub async fn get_with_token(&self, path: &str, token: &str) -> serde_json::Value {
        let r = self.client.get(self.url(path)).bearer_auth(token).send().await.unwrap();
        let status = r.status();
        let text = r.text().await.unwrap();
        assert_eq!(status, 200, "{path}: {text}");
        serde_json::from_str(&text).unwrap()
    }
}

/// Every function served over HTTP: the endpoint table.
pub fn http_functions() -> &'static [switchyard_api::Endpoint] {
    switchyard_api::endpoints::ALL
}

/// The reference harness binary built by `scripts/test`.
pub fn harness_binary() -> PathBuf {
    let path = target_dir().join("debug").join("switchyard-harness");
    assert!(
        path.is_file(),
        "{} is missing: run `scripts/test` (or `cargo build -p switchyard-harness`)",
        path.display()
    );
    path
}

impl TestApp {
    /// Appends `n` entries to a workspace's audit log straight into the
    /// database (fast set-up for big logs), continuing its chain; entry `i`
    /// is dated `i` hours after 2030-01-01 (28-day months).
    pub fn seed_audit(&self, workspace_id: &str, n: u64) {
        use switchyard_domain::audit::{NewEntry, seal};
        let mut db = self.db();
        let tx = db.transaction().unwrap();
        let (mut seq, mut hash): (i64, String) = tx
            .query_row(
                "SELECT seq, hash FROM audit_log WHERE workspace_id = ?1 ORDER BY seq DESC LIMIT 1",
                [workspace_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        {
            let mut insert = tx
                .prepare(
                    "INSERT INTO audit_log (workspace_id, seq, at, actor, action, target, request_id, input_digest, prev_hash, hash)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                )
                .unwrap();
            for i in 0..n {
                let (day, hour) = (i / 24, i % 24);
                let (month, day) = (1 + (day / 28) % 12, 1 + day % 28);
                let e = seal(
                    NewEntry {
                        workspace_id: workspace_id.to_owned(),
                        at: format!("2030-{month:02}-{day:02}T{hour:02}:00:00.000Z"),
                        actor: "tok_seed".into(),
                        action: "agent-run".into(),
                        target: Some(format!("lane_seed{i}")),
                        request_id: format!("req_seed{i}"),
                        input_digest: switchyard_domain::sha256_hex(i.to_string().as_bytes()),
                    },
                    Some((u64::try_from(seq).unwrap(), &hash)),
                );
                insert
                    .execute(rusqlite::params![
                        e.workspace_id,
                        e.seq as i64,
                        e.at,
                        e.actor,
                        e.action,
                        e.target,
                        e.request_id,
                        e.input_digest,
                        e.prev_hash,
                        e.hash
                    ])
                    .unwrap();
                seq = e.seq as i64;
                hash = e.hash;
            }
        }
        tx.commit().unwrap();
    }
}

impl TestApp {
    /// A workspace's audit log as stored, in seq order.
    pub fn audit_entries(&self, workspace_id: &str) -> Vec<switchyard_domain::audit::AuditEntry> {
        let db = self.db();
        let mut stmt = db
            .prepare(
                "SELECT workspace_id, seq, at, actor, action, target, request_id, input_digest, prev_hash, hash
                 FROM audit_log WHERE workspace_id = ?1 ORDER BY seq",
            )
            .unwrap();
        stmt.query_map([workspace_id], |r| {
            Ok(switchyard_domain::audit::AuditEntry {
                workspace_id: r.get(0)?,
                seq: u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
                at: r.get(2)?,
                actor: r.get(3)?,
                action: r.get(4)?,
                target: r.get(5)?,
                request_id: r.get(6)?,
                input_digest: r.get(7)?,
                prev_hash: r.get(8)?,
                hash: r.get(9)?,
            })
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
    }
}

/// GitHub's `X-Hub-Signature-256` for `body`, computed here with RustCrypto's
/// HMAC (not the product's code): `sha256=<hex>`.
pub fn github_signature(secret: &str, body: &[u8]) -> String {
    use hmac::{KeyInit, Mac};
    let mut mac = hmac::Hmac::<sha2_rustcrypto::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Inserts `n` open issues straight into the database (numbers 1..=n, one a
/// second apart, priorities cycling when `mixed`): set-up for queue tests and
/// benchmarks that would otherwise spend the plan's write budget.
pub fn seed_issues(app: &TestApp, workspace_id: &str, n: usize, mixed: bool) {
    let mut db = app.db();
    let tx = db.transaction().unwrap();
    for i in 1..=n {
        let (priority, rank) =
            if mixed { [("low", 1), ("normal", 2), ("high", 3), ("urgent", 4)][i % 4] } else { ("normal", 2) };
        tx.execute(
            "INSERT INTO issues (id, workspace_id, number, title, type, priority, priority_rank, status, labels, source,
             signal_count, created_by, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, 'task', ?5, ?6, 'open', '[]', 'manual', 0, 'seed', ?7, ?7)",
            rusqlite::params![
                format!("iss_seed{i:05}"),
                workspace_id,
                i as i64,
                format!("issue {i}"),
                priority,
                rank,
                format!("2026-12-01T{:02}:{:02}:{:02}.000Z", i / 3600, (i / 60) % 60, i % 60)
            ],
        )
        .unwrap();
    }
    tx.commit().unwrap();
}
