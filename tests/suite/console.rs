//! The web console (`/console/`) in a real browser: `tests/browser/console_test.py`
//! drives Debian's headless Chromium with Selenium (installed by `scripts/test`
//! into `target/mcp-venv`) against a host, while the reference harness runs a
//! scripted agent. The script signs in with a pasted token, dispatches a lane
//! from the form, watches it live, pauses, resumes and interrupts it, issues and
//! revokes a token and verifies the audit export in the browser (and sees
//! tampered ones fail); screenshots land in `target/test-artifacts/console/`.
//! From here: what the component serves (CSP, the 404 envelope, the redirect),
//! and, after the script, that the lane really went through those states.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use switchyard_tests::{ChildGuard, TestApp, harness_binary, spawn_app, target_dir, workspace_root};

use crate::harness::repos;

/// The agent the harness runs: it changes a file, then prints a line every
/// 0.5 s until an interrupt tells it to finish, so the browser has all the
/// time it needs to pause and resume it (SIGSTOP freezes the count, too).
const AGENT: &str = r#"#!/bin/sh
echo "agent: started on ${SWITCHYARD_REPOSITORY:-?}"
mkdir -p src
echo "changed from the console test" >> src/console.txt
i=0
while [ "$i" -lt 360 ]; do
  i=$((i + 1))
  echo "tick $i"
  if grep -q finish "$SWITCHYARD_INTERRUPTS_FILE" 2>/dev/null; then
    echo "agent: told to finish"
    exit 0
  fi
  sleep 0.5
done
echo "agent: nobody told me to finish" >&2
exit 3
"#;

/// The reference harness running [`AGENT`]; asked to stop (then killed) on drop.
struct Harness {
    child: ChildGuard,
    log: PathBuf,
}

impl Harness {
    async fn start(app: &TestApp, token: &str, dir: &Path) -> Self {
        use std::os::unix::fs::PermissionsExt;
        let agent = dir.join("console-agent.sh");
        std::fs::write(&agent, AGENT).unwrap();
        std::fs::set_permissions(&agent, std::fs::Permissions::from_mode(0o755)).unwrap();
        let log = dir.join("harness.log");
        let mut cmd = Command::new(harness_binary());
        cmd.args(["--url", &app.address, "--token", token, "--kind", "script", "--name", "console"])
            .arg("--repos-dir")
            .arg(dir.join("repos"))
            .arg("--work-dir")
            .arg(dir.join("work"))
            .arg("--command")
            .arg(&agent)
            .args(["--lease-seconds", "5", "--poll-interval-ms", "200"])
            .stdout(Stdio::null())
            .stderr(Stdio::from(std::fs::File::create(&log).unwrap()));
        let harness = Self { child: ChildGuard::spawn(cmd).unwrap(), log };
        let deadline = Instant::now() + Duration::from_secs(60);
        while !harness.log().contains("registered harness") {
            assert!(Instant::now() < deadline, "the harness never registered:\n{}", harness.log());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        harness
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        // SIGTERM lets it stop its agents; the guard kills what is left.
        self.child.terminate();
        std::thread::sleep(Duration::from_millis(300));
    }
}

const CSP_NEEDS: [&str; 4] = ["script-src 'self'", "style-src 'self'", "connect-src 'self'", "default-src 'none'"];

/// What the component serves, seen by any HTTP client.
async fn the_console_serves_its_files_under_a_strict_policy(app: &TestApp) {
    for (path, media) in [
        ("/console/", "text/html"),
        ("/console/app.js", "text/javascript"),
        ("/console/api.js", "text/javascript"),
        ("/console/verify.js", "text/javascript"),
        ("/console/style.css", "text/css"),
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status(), 200, "{path}");
        let header = |name: &str| r.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        assert!(header("content-type").starts_with(media), "{path}: {}", header("content-type"));
        let csp = header("content-security-policy");
        for needed in CSP_NEEDS {
            assert!(csp.contains(needed), "{path}: the CSP lacks {needed}: {csp}");
        }
        assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{path}: {csp}");
        assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
        let body = r.text().await.unwrap();
        assert!(!body.trim().is_empty(), "{path} is empty");
        if path == "/console/" {
            // Nothing inline for the CSP to refuse: scripts have a src, no style attributes or elements.
            assert!(!body.contains("<script>") && !body.contains("style=") && !body.contains("<style"), "{body}");
            assert!(body.contains("<main") && body.contains("<nav") && body.contains("aria-live=\"polite\""), "{body}");
        }
    }

    let missing = app.get("/console/nope.js").await;
    assert_eq!(missing.status(), 404);
    let envelope: Value = missing.json().await.unwrap();
    assert_eq!(envelope["error"]["code"], "NOT_FOUND", "{envelope}");
    assert!(envelope["error"]["request_id"].as_str().unwrap_or_default().starts_with("req_"), "{envelope}");

    let no_redirects = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    for path in ["/functions/v1/console", "/console"] {
        let r = no_redirects.get(app.url(path)).send().await.unwrap();
        assert!(r.status().is_redirection(), "{path}: {}", r.status());
        assert_eq!(r.headers()["location"], "/console/", "{path}");
    }
}

/// Runs the browser script to its end (or kills it after `patience`): (success, its output).
fn run_browser(args: &[&str], output: &Path, patience: Duration) -> (bool, String) {
    let python = switchyard_tests::venv_python();
    let log = std::fs::File::create(output).unwrap();
    let mut cmd = Command::new(python);
    cmd.arg(workspace_root().join("tests/browser/console_test.py"))
        .args(args)
        .env("SE_OFFLINE", "true")
        .env("PYTHONUNBUFFERED", "1")
        .stdout(Stdio::from(log.try_clone().unwrap()))
        .stderr(Stdio::from(log));
    // Its own process group (with chromedriver and Chromium), killed if the test dies.
    let mut child = ChildGuard::spawn(cmd).unwrap();
    let ok = child.wait_or_kill(patience);
    (ok, std::fs::read_to_string(output).unwrap_or_default())
}

fn states(events: &Value) -> Vec<(String, String)> {
    events["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let d = &e["data"];
            (d["from"].as_str().unwrap_or("new").to_owned(), d["to"].as_str().unwrap_or_default().to_owned())
        })
        .collect()
}

#[tokio::test]
async fn a_person_in_a_browser_steers_a_lane_issues_a_token_and_verifies_the_audit_log() {
    let app = spawn_app().await;
    the_console_serves_its_files_under_a_strict_policy(&app).await;

    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    let dir = repos();
    let (harness_token, _) = app.issue(&acme, &["lanes:write", "lanes:read"]).await;
    let harness = Harness::start(&app, &harness_token, dir.path()).await;

    let shots = target_dir().join("test-artifacts/console");
    let _ = std::fs::remove_dir_all(&shots);
    std::fs::create_dir_all(&shots).unwrap();
    let started = Instant::now();
    let (ok, output) = tokio::task::spawn_blocking({
        let (address, token, shots) = (app.address.clone(), acme.token.clone(), shots.clone());
        move || {
            let output = shots.join("output.log");
            run_browser(
                &[
                    &address,
                    &token,
                    shots.to_str().unwrap(),
                    "--repository",
                    "shop",
                    "--harness-kind",
                    "script",
                    "--claim",
                    "src/**",
                ],
                &output,
                Duration::from_secs(900),
            )
        }
    })
    .await
    .unwrap();
    println!("console_test.py ({:.0?}):\n{output}", started.elapsed());
    assert!(
        ok,
        "the browser test failed (screenshots in {}):\n{output}\n--- harness:\n{}",
        shots.display(),
        harness.log()
    );

    // What the page did, as the API recorded it.
    let run_id = output
        .lines()
        .find_map(|l| l.strip_prefix("RUN_ID="))
        .unwrap_or_else(|| panic!("the script printed no RUN_ID:\n{output}"))
        .trim()
        .to_owned();
    let lane = app.lane(&acme, &run_id).await;
    assert_eq!(lane["state"], "completed", "{lane}");
    assert_eq!(lane["exit_code"], 0, "{lane}");
    assert_eq!(lane["token_budget"], 100_000, "the form's budget: {lane}");
    assert_eq!(lane["claim"], json!(["src/**"]), "{lane}");
    let events = app
        .call("lane-events")
        .token(&acme.token)
        .json(&json!({"run_id": run_id, "types": ["state"], "limit": 1000}))
        .send()
        .await
        .json();
    let moves = states(&events);
    let position = |from: &str, to: &str| {
        moves.iter().position(|(f, t)| f == from && t == to).unwrap_or_else(|| panic!("no {from} → {to} in {moves:?}"))
    };
    let (paused, resumed, completed) =
        (position("running", "paused"), position("paused", "running"), position("running", "completed"));
    assert!(paused < resumed && resumed < completed, "{moves:?}");
    let reasons: Vec<&str> =
        events["data"].as_array().unwrap().iter().filter_map(|e| e["data"]["reason"].as_str()).collect();
    assert!(reasons.iter().any(|r| r.contains(&acme.token_id)), "paused by the pasted token: {reasons:?}");
    // The interrupt sent from the page reached the agent, which finished because of it.
    let seen = app
        .call("lane-events")
        .token(&acme.token)
        .json(&json!({"run_id": run_id, "types": ["interrupt", "output"], "limit": 1000}))
        .send()
        .await
        .json();
    let seen = seen["data"].as_array().unwrap();
    assert!(seen.iter().any(|e| e["data"]["message"] == "finish now, please"), "{seen:?}");
    assert!(seen.iter().any(|e| e["data"]["line"] == "agent: told to finish"), "{seen:?}");

    // Every change the page made is in the audit log, by the token it was given.
    let actor = acme.token_id.clone();
    let audited: Vec<(String, String)> =
        app.audit_entries(&acme.workspace_id).into_iter().map(|e| (e.action, e.actor)).collect();
    for action in ["agent-run", "agent-pause", "agent-resume", "agent-interrupt", "api-token-issue", "api-token-revoke"]
    {
        assert!(audited.iter().any(|(a, who)| a == action && *who == actor), "no {action} by {actor}: {audited:?}");
    }
    drop(harness);
}
