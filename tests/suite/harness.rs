//! End to end: the reference harness binary runs a scripted agent (a shell
//! script standing in for an agent CLI) in git worktrees, against the host.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use switchyard_tests::{ApiResponse, Tenant, TestApp, harness_binary, spawn_app, workspace_root};

/// A git repository `shop` with one commit, under a fresh `repos/` directory.
pub(crate) fn repos() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repos/shop");
    std::fs::create_dir_all(repo.join("src")).unwrap();
    std::fs::write(repo.join("src/lib.rs"), "pub fn answer() -> u32 { 42 }\n").unwrap();
    let git = |args: &[&str]| {
        let ok = Command::new("git")
            .args(["-c", "user.name=test", "-c", "user.email=test@example.com", "-c", "init.defaultBranch=main"])
            .args(args)
            .current_dir(&repo)
            .output()
            .unwrap();
        assert!(ok.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&ok.stderr));
    };
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "initial"]);
    dir
}

/// A running reference harness; killed on drop.
pub(crate) struct Harness {
    child: Child,
    log: PathBuf,
}

impl Harness {
    pub(crate) fn start(app: &TestApp, token: &str, dir: &Path, name: &str) -> Self {
        let log = dir.join(format!("{name}.log"));
        let out = std::fs::File::create(&log).unwrap();
        let child = Command::new(harness_binary())
            .args(["--url", &app.address, "--token", token, "--kind", "script", "--name", name])
            .arg("--repos-dir")
            .arg(dir.join("repos"))
            .arg("--work-dir")
            .arg(dir.join(format!("work-{name}")))
            .arg("--command")
            .arg(workspace_root().join("tests/agents/scripted-agent.sh"))
            .args(["--lease-seconds", "5", "--poll-interval-ms", "200"])
            .stdout(Stdio::null())
            .stderr(Stdio::from(out))
            .spawn()
            .unwrap();
        Self { child, log }
    }

    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub(crate) async fn wait_for(&self, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(45);
        while !self.log().contains(needle) {
            assert!(Instant::now() < deadline, "harness never logged `{needle}`:\n{}", self.log());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Kills the harness (SIGKILL, no goodbye) and the agent it started.
    fn kill_hard(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        for line in self.log().lines() {
            if let Some(group) = line.split("process group ").nth(1)
                && let Ok(group) = group.trim_end_matches(')').trim().parse::<i32>()
                && group > 1
            {
                let _ = nix::sys::signal::killpg(nix::unistd::Pid::from_raw(group), nix::sys::signal::Signal::SIGKILL);
            }
        }
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        switchyard_tests::signal(self.child.id(), nix::sys::signal::Signal::SIGTERM);
        std::thread::sleep(Duration::from_millis(300));
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn lane_with_mode(app: &TestApp, acme: &Tenant, mode: &str, claim: &str) -> String {
    app.run_lane(
        acme,
        json!({"harness_kind": "script", "brief": format!("Implement the feature.\nmode: {mode}\n"), "repository": "shop", "claim": [claim]}),
    )
    .await
}

pub(crate) async fn wait_state(app: &TestApp, acme: &Tenant, run_id: &str, state: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(45);
    loop {
        let lane = app.lane(acme, run_id).await;
        if lane["state"] == state {
            return lane;
        }
        assert!(Instant::now() < deadline, "lane never became {state}: {lane}");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

pub(crate) async fn output_lines(app: &TestApp, acme: &Tenant, run_id: &str) -> Vec<String> {
    let page = app
        .call("lane-events")
        .token(&acme.token)
        .json(&json!({"run_id": run_id, "types": ["output"], "limit": 1000}))
        .send()
        .await
        .json();
    page["data"].as_array().unwrap().iter().map(|e| e["data"]["line"].as_str().unwrap_or_default().to_owned()).collect()
}

/// Reads the lane's SSE stream until it ends; returns every `data:` event.
async fn watch(client: reqwest::Client, base: String, token: String, run_id: String) -> Vec<Value> {
    use futures::StreamExt;
    let mut seen = Vec::new();
    let mut last: Option<u64> = None;
    // Streams are bounded (20 s); reconnect with Last-Event-ID until `end`.
    for _ in 0..10 {
        let mut req = client
            .get(format!("{base}/functions/v1/lane-events?run_id={run_id}"))
            .bearer_auth(&token)
            .header("accept", "text/event-stream");
        if let Some(id) = last {
            req = req.header("last-event-id", id.to_string());
        }
        let mut stream = req.send().await.unwrap().bytes_stream();
        let mut buffer = String::new();
        while let Some(Ok(chunk)) = stream.next().await {
            buffer.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buffer.find("\n\n") {
                let frame: String = buffer.drain(..end + 2).collect();
                if frame.contains("event: end") {
                    return seen;
                }
                if let Some(data) = frame.lines().find_map(|l| l.strip_prefix("data: ")) {
                    let event: Value = serde_json::from_str(data).unwrap();
                    last = event["id"].as_u64();
                    seen.push(event);
                }
            }
        }
    }
    panic!("the stream never ended");
}

#[tokio::test]
async fn a_real_harness_runs_a_lane_with_live_events_interrupts_pause_and_resume() {
    let app = spawn_app().await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    let dir = repos();
    let (token, _) = app.issue(&acme, &["lanes:write", "lanes:read"]).await;
    let harness = Harness::start(&app, &token, dir.path(), "h1");
    harness.wait_for("registered harness").await;

    let run_id = lane_with_mode(&app, &acme, "interactive", "src/**").await;
    let watcher = tokio::spawn(watch(app.client.clone(), app.address.clone(), acme.token.clone(), run_id.clone()));
    harness.wait_for(&format!("claimed lane {run_id}")).await;
    wait_for_line(&app, &acme, &run_id, "agent: waiting for an interrupt").await;

    let interrupt = app
        .call("agent-interrupt")
        .token(&acme.token)
        .json(&json!({"run_id": run_id, "kind": "redirect", "message": "Also update the changelog."}))
        .send()
        .await;
    assert_eq!(interrupt.status, 201);
    wait_for_line(&app, &acme, &run_id, "Also update the changelog.").await;
    wait_for_line(&app, &acme, &run_id, "tick 3").await;

    // Pause: the agent's process group is stopped, so its output stops.
    let paused = app.call("agent-pause").token(&acme.token).json(&json!({"run_id": run_id})).send().await;
    assert_eq!(paused.json()["state"], "paused");
    harness.wait_for("agent stopped (SIGSTOP)").await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let frozen = output_lines(&app, &acme, &run_id).await.len();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(output_lines(&app, &acme, &run_id).await.len(), frozen, "output continued while paused");
    let resumed = app.call("agent-resume").token(&acme.token).json(&json!({"run_id": run_id})).send().await;
    assert_eq!(resumed.json()["state"], "running", "{}", resumed.text());
    harness.wait_for("agent continued (SIGCONT)").await;

    let lane = wait_state(&app, &acme, &run_id, "completed").await;
    assert_eq!(lane["exit_code"], 0);
    assert_eq!(lane["summary"], "agent: finished after the interrupt");
    let lines = output_lines(&app, &acme, &run_id).await;
    let ticks: Vec<&String> = lines.iter().filter(|l| l.starts_with("tick ")).collect();
    assert_eq!(ticks.len(), 40, "every tick once, none lost across the pause");
    let interrupt_lines = lines.iter().filter(|l| l.contains("Also update the changelog.")).count();
    assert_eq!(interrupt_lines, 1, "the interrupt reached the agent exactly once");

    // The live stream saw the same story, in order, ending with the result.
    let streamed = watcher.await.unwrap();
    let states: Vec<&str> =
        streamed.iter().filter(|e| e["type"] == "state").filter_map(|e| e["data"]["to"].as_str()).collect();
    assert_eq!(states, ["queued", "running", "paused", "running", "completed"]);
    let result = streamed.iter().find(|e| e["type"] == "result").unwrap();
    assert_eq!(result["data"]["diff_stat"]["files_changed"], 1);
    assert!(streamed.iter().any(|e| e["type"] == "file_change" && e["data"]["path"] == "src/feature.txt"));
    assert!(streamed.iter().any(|e| e["type"] == "interrupt_delivered"));
    // The worktree holds the agent's change; the repository itself is untouched.
    let worktree = dir.path().join("work-h1").join(&run_id);
    assert!(std::fs::read_to_string(worktree.join("src/feature.txt")).unwrap().contains("interactive change"));
    assert!(!dir.path().join("repos/shop/src/feature.txt").exists());
}

async fn wait_for_line(app: &TestApp, acme: &Tenant, run_id: &str, needle: &str) {
    let deadline = Instant::now() + Duration::from_secs(45);
    while !output_lines(app, acme, run_id).await.iter().any(|l| l.contains(needle)) {
        assert!(Instant::now() < deadline, "never saw `{needle}` in the lane's output");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

#[tokio::test]
async fn cancel_terminates_the_agent_and_claim_conflicts_hold_across_harnesses() {
    let app = spawn_app().await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    let dir = repos();
    let (token, _) = app.issue(&acme, &["lanes:write"]).await;
    let harness = Harness::start(&app, &token, dir.path(), "h1");
    let run_id = lane_with_mode(&app, &acme, "hang", "src/**").await;
    harness.wait_for(&format!("claimed lane {run_id}")).await;
    wait_for_line(&app, &acme, &run_id, "still working").await;

    let clash = app
        .call("agent-run")
        .token(&acme.token)
        .json(&json!({"harness_kind": "script", "brief": "mode: quick", "repository": "shop", "claim": ["src/lib.rs"]}))
        .send()
        .await;
    assert_eq!((clash.status, clash.code().as_str()), (403, "LANE_SCOPE_DENIED"));

    let cancelled = app.call("agent-cancel").token(&acme.token).json(&json!({"run_id": run_id})).send().await;
    assert_eq!(cancelled.json()["state"], "cancelled");
    harness.wait_for("terminating agent (SIGTERM)").await;
    harness.wait_for(&format!("lane {run_id} cancelled")).await;

    // The claim is free again, and the same harness takes the next lane.
    let next = lane_with_mode(&app, &acme, "quick", "src/lib.rs").await;
    let lane = wait_state(&app, &acme, &next, "completed").await;
    assert_eq!(lane["summary"], "agent: done quickly");
}

#[tokio::test]
async fn a_lane_of_a_killed_harness_is_requeued_and_completed_by_another() {
    let app = spawn_app().await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    let dir = repos();
    let (token, _) = app.issue(&acme, &["lanes:write"]).await;
    let mut first = Harness::start(&app, &token, dir.path(), "h1");
    let run_id = lane_with_mode(&app, &acme, "hang-first", "src/**").await;
    first.wait_for(&format!("claimed lane {run_id}")).await;
    wait_for_line(&app, &acme, &run_id, "still working").await;
    first.kill_hard();

    // Its lease (5 s) runs out; the tick requeues the lane with its attempt raised.
    tokio::time::sleep(Duration::from_millis(5500)).await;
    app.tick("dispatch-status-tick");
    let lane = app.lane(&acme, &run_id).await;
    assert_eq!((lane["state"].as_str(), lane["attempt"].as_u64()), (Some("queued"), Some(2)), "{lane}");

    let second = Harness::start(&app, &token, dir.path(), "h2");
    second.wait_for(&format!("claimed lane {run_id}")).await;
    let lane = wait_state(&app, &acme, &run_id, "completed").await;
    assert_eq!(lane["summary"], "agent: done quickly");
    let events = app
        .call("lane-events")
        .token(&acme.token)
        .json(&json!({"run_id": run_id, "types": ["state"]}))
        .send()
        .await
        .json();
    let reasons: Vec<&str> =
        events["data"].as_array().unwrap().iter().filter_map(|e| e["data"]["reason"].as_str()).collect();
    assert!(reasons.iter().any(|r| r.contains("lease expired")), "{reasons:?}");
}

/// Gives `repos/shop` a bare remote `origin` (holding `main`) under `dir`; returns its path.
fn with_remote(dir: &Path) -> PathBuf {
    let remote = dir.join("origin.git");
    let git = |args: &[&str], cwd: &Path| {
        let out = Command::new("git").args(args).current_dir(cwd).output().unwrap();
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    git(&["init", "-q", "--bare", remote.to_str().unwrap()], dir);
    git(&["remote", "add", "origin", remote.to_str().unwrap()], &dir.join("repos/shop"));
    git(&["push", "-q", "origin", "main"], &dir.join("repos/shop"));
    remote
}

/// `refs/heads/<branch>` of the bare remote `origin`, if it exists.
fn remote_branch(remote: &Path, branch: &str) -> Option<String> {
    let out = Command::new("git").arg("-C").arg(remote).args(["rev-parse", "--verify", "-q", branch]).output().unwrap();
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

#[tokio::test]
async fn the_harness_holds_a_push_until_a_member_decides() {
    let app = spawn_app().await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    let dir = repos();
    let remote = with_remote(dir.path());
    let rules = json!([
        {"name": "trusted-commits", "effect": "allow", "when": {"on": "action", "kinds": ["commit"]}},
        {"name": "review-pushes", "effect": "require_approval", "message": "A person reviews every push.",
         "when": {"on": "action", "kinds": ["push"]}},
    ]);
    let r = app.call("policy-update").token(&acme.token).json(&json!({"rules": rules})).send().await;
    assert_eq!(r.status, 201, "{}", r.text());
    let harness = Harness::start(&app, &acme.token, dir.path(), "gate");

    // Approved: the commit went through at once, the push waited, then landed.
    let run_id = lane_with_mode(&app, &acme, "ship", "src/**").await;
    wait_state(&app, &acme, &run_id, "awaiting_approval").await;
    wait_for_line(&app, &acme, &run_id, "agent: committed").await;
    let branch = format!("agent/{run_id}");
    assert_eq!(remote_branch(&remote, &branch), None, "nothing is pushed before the decision");
    let pending = app.call("approval-list").token(&acme.token).json(&json!({"run_id": run_id})).send().await.json();
    let request = &pending["data"][0];
    assert_eq!((request["state"].as_str(), request["rule"].as_str()), (Some("pending"), Some("review-pushes")));
    assert!(
        request["action"]["summary"].as_str().unwrap().contains(&format!("refs/heads/agent/{run_id}")),
        "{request}"
    );
    assert_eq!(request["action"]["paths"], json!(["src/feature.txt"]));
    let approved =
        app.call("lane-approve").token(&acme.token).json(&json!({"run_id": run_id, "note": "ship it"})).send().await;
    assert_eq!(approved.status, 200, "{}", approved.text());
    wait_state(&app, &acme, &run_id, "completed").await;
    assert!(output_lines(&app, &acme, &run_id).await.contains(&"agent: pushed".to_owned()));
    assert!(remote_branch(&remote, &branch).is_some(), "the approved push landed");

    // Rejected: the push fails, the agent goes on and finishes.
    let second = lane_with_mode(&app, &acme, "ship", "docs/**").await;
    wait_state(&app, &acme, &second, "awaiting_approval").await;
    let rejected =
        app.call("lane-reject").token(&acme.token).json(&json!({"run_id": second, "note": "not today"})).send().await;
    assert_eq!(rejected.status, 200, "{}", rejected.text());
    wait_state(&app, &acme, &second, "completed").await;
    let lines = output_lines(&app, &acme, &second).await;
    assert!(lines.contains(&"agent: push refused".to_owned()), "{lines:?}");
    assert!(lines.iter().any(|l| l.contains("push refused: rejected by") && l.contains("not today")), "{lines:?}");
    assert_eq!(remote_branch(&remote, &format!("agent/{second}")), None);
    harness.wait_for("waits for approval").await;
}

#[tokio::test]
async fn an_agent_asks_a_person_and_goes_on_with_the_answer() {
    let app = spawn_app().await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    let dir = repos();
    let _harness = Harness::start(&app, &acme.token, dir.path(), "asker");
    let run_id = lane_with_mode(&app, &acme, "ask", "src/**").await;
    wait_state(&app, &acme, &run_id, "input_required").await;
    let inbox = app.call("inbox-list").token(&acme.token).json(&json!({"resolved": false})).send().await.json();
    let item = &inbox["data"][0];
    assert_eq!(
        (item["question"].as_str(), item["run_id"].as_str()),
        (Some("Which colour should the button be?"), Some(run_id.as_str()))
    );
    assert_eq!(item["options"], json!(["red", "blue"]));
    let r = app
        .call("inbox-resolve")
        .token(&acme.token)
        .json(&json!({"item_id": item["item_id"], "answer": "blue"}))
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    wait_state(&app, &acme, &run_id, "completed").await;
    let lines = output_lines(&app, &acme, &run_id).await;
    assert!(lines.contains(&"agent: the answer is blue".to_owned()), "{lines:?}");
}

#[tokio::test]
async fn a_mandate_stops_a_lane_that_adds_a_secret() {
    let app = spawn_app().await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    let dir = repos();
    let _harness = Harness::start(&app, &acme.token, dir.path(), "leaker");
    let run_id = lane_with_mode(&app, &acme, "leak", "src/**").await;
    // The agent exits 0, but its completion waits: the built-in secret rule is blocking.
    wait_state(&app, &acme, &run_id, "awaiting_approval").await;
    let events = app
        .call("lane-events")
        .token(&acme.token)
        .json(&json!({"run_id": run_id, "types": ["mandate_violations"]}))
        .send()
        .await
        .json();
    let violation = &events["data"][0]["data"]["violations"][0];
    assert_eq!(
        (violation["rule"].as_str(), violation["path"].as_str(), violation["line"].as_u64()),
        (Some("no-committed-secrets"), Some("src/settings.toml"), Some(2)),
        "{events}"
    );
    assert!(!events.to_string().contains("AKIAABCDEFGHIJKLMNOP"), "the secret is never repeated");
    let rejected = app
        .call("lane-reject")
        .token(&acme.token)
        .json(&json!({"run_id": run_id, "note": "rotate that key"}))
        .send()
        .await;
    assert_eq!(rejected.status, 200, "{}", rejected.text());
    let lane = wait_state(&app, &acme, &run_id, "failed").await;
    assert_eq!(lane["state"], "failed");
}

/// Issue 11's whole story under one real harness: a policy denies a dispatch
/// by name; another holds `git push` for a member; one agent commits, waits,
/// is approved and pushes; another asks a question and goes on with the
/// answer; a mandate stops a lane that adds a secret; a workspace budget
/// pauses the running lanes and "grant more" resumes them; the signed audit
/// export lists every decision with its actor.
#[tokio::test]
async fn the_governance_story_from_policy_to_audit_export() {
    let app = switchyard_tests::spawn_app_without_schedules().await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    let (approver, approver_id) = app.issue(&acme, &["approvals:write", "lanes:read", "lanes:write"]).await;
    let dir = repos();
    let remote = with_remote(dir.path());
    let rules = json!({"rules": [
        {"name": "no-direct-billing-edits", "effect": "deny", "when": {"on": "dispatch", "paths": ["billing/**"]}},
        {"name": "trusted-commits", "effect": "allow", "when": {"on": "action", "kinds": ["commit"]}},
        {"name": "review-pushes", "effect": "require_approval", "when": {"on": "action", "kinds": ["push"]}},
    ]});
    assert_eq!(app.call("policy-update").token(&acme.token).json(&rules).send().await.status, 201);

    // 1. Denied by name.
    let denied = app
        .call("agent-run")
        .token(&acme.token)
        .json(&json!({"harness_kind": "script",
        "brief": "mode: quick\n", "repository": "shop", "claim": ["billing/**"]}))
        .send()
        .await;
    assert_eq!(denied.code(), "POLICY_DENIED");
    assert!(denied.text().contains("no-direct-billing-edits"));

    let _harness = Harness::start(&app, &acme.token, dir.path(), "story");
    // 2. Commit, wait, approval, push.
    let ship = lane_with_mode(&app, &acme, "ship", "src/**").await;
    wait_state(&app, &acme, &ship, "awaiting_approval").await;
    let approved = app.call("lane-approve").token(&approver).json(&json!({"run_id": ship})).send().await;
    assert_eq!(approved.status, 200, "{}", approved.text());
    wait_state(&app, &acme, &ship, "completed").await;
    assert!(remote_branch(&remote, &format!("agent/{ship}")).is_some());

    // 3. A question, its answer, the lane finishes.
    let asker = lane_with_mode(&app, &acme, "ask", "docs/**").await;
    wait_state(&app, &acme, &asker, "input_required").await;
    let inbox = app.call("inbox-list").token(&approver).json(&json!({"resolved": false})).send().await.json();
    let item = inbox["data"][0]["item_id"].as_str().unwrap().to_owned();
    let answered =
        app.call("inbox-resolve").token(&approver).json(&json!({"item_id": item, "answer": "red"})).send().await;
    assert_eq!(answered.status, 200, "{}", answered.text());
    wait_state(&app, &acme, &asker, "completed").await;
    assert!(output_lines(&app, &acme, &asker).await.contains(&"agent: the answer is red".to_owned()));

    // 4. A mandate stops a secret.
    let leak = lane_with_mode(&app, &acme, "leak", "lib/**").await;
    wait_state(&app, &acme, &leak, "awaiting_approval").await;
    app.call("lane-reject").token(&approver).json(&json!({"run_id": leak})).send().await;
    wait_state(&app, &acme, &leak, "failed").await;

    // 5. A workspace budget pauses the running lane; "grant more" resumes it.
    let long = lane_with_mode(&app, &acme, "hang", "tests/**").await;
    wait_state(&app, &acme, &long, "running").await;
    app.call("budget-update").token(&acme.token).json(&json!({"daily_tokens": 100})).send().await;
    // The scripted agent reports no tokens (a real agent's harness does): record the day's use directly.
    app.db()
        .execute(
            "INSERT INTO lane_usage (lane_id, day, workspace_id, repository, harness_kind, tokens, cost_cents)
             VALUES (?1, substr(strftime('%Y-%m-%dT%H:%M:%fZ','now'), 1, 10), ?2, 'shop', 'script', 150, 0)",
            [&long, &acme.workspace_id],
        )
        .unwrap();
    assert_eq!(app.tick_over_http("cost-ceiling-tick").await["paused"], 1);
    assert_eq!(app.lane(&acme, &long).await["pause_reason"], "workspace_budget_exhausted");
    let (granter, granter_id) = app.issue(&acme, &["budgets:write"]).await;
    let granted = app.call("budget-grant").token(&granter).json(&json!({"tokens": 1000})).send().await.json();
    assert_eq!(granted["resumed"], json!([long]));
    wait_state(&app, &acme, &long, "running").await;
    app.call("agent-cancel").token(&acme.token).json(&json!({"run_id": long})).send().await;

    // 6. The signed export: every decision, with who took it.
    let export = app.call("audit-export").token(&acme.token).json(&json!({})).send().await;
    let entries: Vec<Value> = export
        .text()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|l| l["type"] == "entry")
        .collect();
    let by = |action: &str| -> Vec<String> {
        entries.iter().filter(|e| e["action"] == action).map(|e| e["actor"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(by("policy-update"), [acme.token_id.clone()]);
    assert_eq!(by("agent-run:policy_denied"), [acme.token_id.clone()]);
    assert_eq!(by("lane-approve"), [approver_id.clone()]);
    assert_eq!(by("lane-reject"), [approver_id.clone()]);
    assert_eq!(by("inbox-resolve"), [approver_id.clone()]);
    assert_eq!(by("budget-grant"), [granter_id]);
    assert_eq!(by("cost-ceiling-tick:paused"), ["system:cost-ceiling-tick"]);
    assert_eq!(by("harness-action:approval_requested").len(), 1);
    assert_eq!(by("harness-event:question").len(), 1);
    assert_eq!(by("harness-event:mandate_violation").len(), 1);
}

/// Issue 12's story: a pull-request comment mentioning the bot dispatches a
/// lane; the reference harness pushes its branch; a CI failure arrives as a
/// lane event; the fix lands; the pull request merges; the changelog entry is
/// published — and a signed webhook goes out for each step.
#[tokio::test]
async fn the_forge_story_from_comment_to_changelog() {
    use switchyard_tests::receiver::Receiver;
    let receiver = Receiver::start();
    let target = format!("127.0.0.1:{}", receiver.port);
    let app = switchyard_tests::spawn_app_without_schedules_with(&[
        ("SPIN_VARIABLE_WEBHOOK_PRIVATE_TARGETS", &target),
        ("SWITCHYARD_OUTBOUND_PRIVATE", &target),
    ])
    .await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    // The forge names the repository `acme/shop`; the harness keeps it at repos/acme/shop.
    let dir = repos();
    let remote = with_remote(dir.path());
    std::fs::create_dir_all(dir.path().join("repos/acme")).unwrap();
    std::fs::rename(dir.path().join("repos/shop"), dir.path().join("repos/acme/shop")).unwrap();
    let rules = json!({"rules": [{"name": "agents-ship", "effect": "allow", "when": {"on": "action", "kinds": ["commit", "push"]}}]});
    assert_eq!(app.call("policy-update").token(&acme.token).json(&rules).send().await.status, 201);
    let secret = "story-forge-secret-0123456789";
    let connection = app
        .call("forge-connection-create")
        .token(&acme.token)
        .json(&json!({"provider": "github", "secret": secret, "bot_handle": "switchyard", "dispatch_harness_kind": "script",
            "dispatch_claim": ["src/**"], "ci_follow_up": true, "auto_changelog": true, "required_checks": ["test"]}))
        .send()
        .await
        .json();
    let connection = connection["id"].as_str().unwrap().to_owned();
    let hook = app
        .call("webhook-endpoint-create")
        .token(&acme.token)
        .json(&json!({"url": receiver.url("/story"), "event_types": ["lane.*", "changelog.published"]}))
        .send()
        .await
        .json();
    receiver.set_secret(hook["secret"].as_str().unwrap());
    let deliver =
        |event: &'static str, delivery: String, body: Value| github(&app, &connection, secret, event, delivery, body);
    let repo = json!({"full_name": "acme/shop"});

    // 1. A comment mentions the bot: a lane is dispatched.
    let comment = json!({"action": "created", "repository": repo, "issue": {"number": 12},
        "comment": {"body": "@switchyard mode: ship\nplease add the feature", "user": {"login": "ana"},
            "html_url": "https://github.com/acme/shop/issues/12#issuecomment-1"}});
    let r = deliver("issue_comment", "s-1".into(), comment).await;
    let outcome = r.json()["outcome"].as_str().unwrap().to_owned();
    let run_id = outcome.split_whitespace().nth(1).unwrap().to_owned();
    assert!(outcome.ends_with("dispatched"), "{outcome}");

    // 2. The harness runs it; the agent commits and pushes its branch, which the harness reports.
    let _harness = Harness::start(&app, &acme.token, dir.path(), "forge");
    let lane = wait_state(&app, &acme, &run_id, "completed").await;
    let branch = format!("agent/{run_id}");
    assert_eq!(lane["branch"], branch.as_str(), "{lane}");
    assert!(remote_branch(&remote, &branch).is_some());

    // 3. The pull request opens; CI fails on it: a lane event.
    let pr = |action: &str, merged: bool| {
        json!({"action": action, "repository": repo, "pull_request": {"number": 13, "merged": merged,
            "title": "Add the feature", "body": "Adds the feature the issue asked for.", "user": {"login": "switchyard"},
            "html_url": "https://github.com/acme/shop/pull/13", "head": {"ref": branch}, "labels": [{"name": "enhancement"}],
            "merge_commit_sha": if merged { json!("0d1c0ffee") } else { Value::Null }}})
    };
    deliver("pull_request", "s-2".into(), pr("opened", false)).await;
    let check = |conclusion: &str| {
        json!({"action": "completed", "repository": repo, "check_run": {"name": "test", "status": "completed",
            "conclusion": conclusion, "check_suite": {"head_branch": branch}, "pull_requests": [{"number": 13}],
            "output": {"summary": if conclusion == "failure" { "feature_test failed" } else { "all passed" }}}})
    };
    deliver("check_run", "s-3".into(), check("failure")).await;
    let events = app.call("lane-events").token(&acme.token).json(&json!({"run_id": run_id})).send().await.json();
    let failed = events["data"].as_array().unwrap().iter().find(|e| e["type"] == "check").unwrap().clone();
    assert_eq!(
        (failed["data"]["status"].as_str(), failed["data"]["summary"].as_str()),
        (Some("failure"), Some("feature_test failed"))
    );

    // 4. The fix lands on the branch and CI passes; the lane is verified.
    let push =
        json!({"ref": format!("refs/heads/{branch}"), "after": "f1x", "repository": repo, "commits": [{"id": "f1x"}]});
    deliver("push", "s-4".into(), push).await;
    deliver("check_run", "s-5".into(), check("success")).await;
    let verified =
        app.call("verify-lane").token(switchyard_tests::SERVICE_ROLE_KEY).json(&json!({"run_id": run_id})).send().await;
    assert_eq!(verified.json()["verified"], true, "{}", verified.text());

    // 5. The pull request merges: the lane is merged, the changelog has it.
    deliver("pull_request", "s-6".into(), pr("closed", true)).await;
    assert_eq!(app.lane(&acme, &run_id).await["state"], "merged");
    let changelog = app.client_get("/functions/v1/changelog?workspace=acme").await;
    assert_eq!(
        (changelog["entries"][0]["pr_number"].as_u64(), changelog["entries"][0]["category"].as_str()),
        (Some(13), Some("Features"))
    );

    // 6. A signed webhook went out for each step.
    app.tick_over_http("outbound-webhook-tick").await;
    let expected = [
        "lane.queued",
        "lane.running",
        "lane.completed",
        "lane.pull_request",
        "lane.check",
        "lane.push",
        "lane.check",
        "lane.verified",
        "lane.pull_request",
        "lane.merged",
        "changelog.published",
    ];
    let got = receiver.wait_for(expected.len());
    assert!(got.iter().all(|r| r.verified == Ok(())), "every signature verifies");
    let mut types: Vec<String> = got.iter().map(|r| r.json()["type"].as_str().unwrap().to_owned()).collect();
    let mut want: Vec<String> = expected.iter().map(|s| (*s).to_owned()).collect();
    types.sort();
    want.sort();
    assert_eq!(types, want);
}

/// Sends a GitHub delivery signed with `secret` to the connection's webhook.
async fn github(
    app: &TestApp,
    connection: &str,
    secret: &str,
    event: &str,
    delivery: String,
    body: Value,
) -> ApiResponse {
    let raw = serde_json::to_vec(&body).unwrap();
    app.call(&format!("github-webhook?connection={connection}"))
        .header("x-github-event", event)
        .header("x-github-delivery", &delivery)
        .header("x-hub-signature-256", &switchyard_tests::github_signature(secret, &raw))
        .raw(raw)
        .send()
        .await
}

/// Issue 13's intake story (its sprint half follows): a Sentry-signed error arrives
/// twice (one issue, counted twice); it tops the queue; a worker claims it
/// with a prompt from the workspace's `bug` template and dispatches it; the
/// reference harness runs the lane; the worker reviews the prompt (the
/// template's health moves); the issue is done when the lane completes.
#[tokio::test]
async fn the_intake_story_from_a_sentry_error_to_a_closed_issue() {
    let app = switchyard_tests::spawn_app_without_schedules().await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    let dir = repos();
    let post = |name: &'static str, body: Value| app.call(name).token(&acme.token).json(&body).send();
    let project = post("project-create", json!({"name": "Shop", "repository": "shop", "goal": "Checkout never fails"}))
        .await
        .json();
    let template = json!({"name": "bug", "body": "Fix #{{issue.number}}: {{issue.title}}\n{{issue.body}}\nGoal: {{project.goal}}\nmode: quick\n"});
    assert_eq!(post("template-create", template).await.status, 201);
    let secret = "sentry-story-secret-0123456789";
    let source =
        post("signal-source-create", json!({"provider": "sentry", "secret": secret, "project_id": project["id"]}))
            .await
            .json();
    let path = source["webhook_path"].as_str().unwrap().trim_start_matches("/functions/v1/").to_owned();
    let error = json!({"action": "created", "data": {"error": {"issue_id": "4242", "title": "KeyError: 'sku'",
        "level": "error", "culprit": "shop.cart in add", "exception": {"values": [{"type": "KeyError", "value": "'sku'",
            "stacktrace": {"frames": [{"filename": "src/lib.rs", "function": "add", "lineno": 1, "in_app": true}]}}]}}}});
    let raw = serde_json::to_vec(&error).unwrap();
    let signature = switchyard_tests::github_signature(secret, &raw).trim_start_matches("sha256=").to_owned();
    for _ in 0..2 {
        let r = app
            .call(&path)
            .header("sentry-hook-resource", "error")
            .header("sentry-hook-signature", &signature)
            .raw(raw.clone())
            .send()
            .await;
        assert_eq!(r.status, 202, "{}", r.text());
    }
    // One issue, seen twice, at the head of the queue; a worker claims it.
    let queue = post("dispatch-queue", json!({})).await.json();
    assert_eq!(queue["data"][0]["issue"]["signal_count"], 2);
    let _harness = Harness::start(&app, &acme.token, dir.path(), "intake");
    let claimed = post("dispatch-claim", json!({"worker": "story-worker"})).await.json();
    let prompt = claimed["prompt"].as_str().unwrap();
    assert!(prompt.starts_with("Fix #1: KeyError: 'sku'") && prompt.contains("Goal: Checkout never fails"), "{prompt}");
    let lane = json!({"harness_kind": "script", "brief": prompt, "repository": claimed["repository"],
        "claim": ["src/**"], "issue_id": claimed["issue"]["id"]});
    let run_id = post("agent-run", lane).await.json()["run_id"].as_str().unwrap().to_owned();
    wait_state(&app, &acme, &run_id, "completed").await;
    // The worker reviews the prompt it was given; the issue closed with its lane.
    let review = json!({"name": "bug", "version": claimed["template"]["version"], "score": 4, "run_id": run_id});
    let reviewed = post("template-review", review).await.json();
    assert_eq!(
        (reviewed["versions"][0]["health"].as_f64(), reviewed["versions"][0]["reviews"].as_u64()),
        (Some(4.0), Some(1))
    );
    let issue = post("issue-get", json!({"issue_id": claimed["issue"]["id"]})).await.json();
    assert_eq!((issue["status"].as_str(), issue["run_id"].as_str()), (Some("done"), Some(run_id.as_str())));
    assert_eq!(post("dispatch-claim", json!({})).await.status, 204, "nothing left");
}

/// Issue 13's sprint story: a sprint planned from a goal goes through every
/// SDLC state under the reference harness — its two issues are built one
/// after the other (their claims overlap), `ship` is refused until each lane
/// is merged and verified, and the sprint completes with its issues done.
#[tokio::test]
async fn the_sprint_story_from_a_goal_through_every_sdlc_state() {
    let app = switchyard_tests::spawn_app_without_schedules().await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    let dir = repos();
    let remote = with_remote(dir.path());
    std::fs::create_dir_all(dir.path().join("repos/acme")).unwrap();
    std::fs::rename(dir.path().join("repos/shop"), dir.path().join("repos/acme/shop")).unwrap();
    let post = |name: &'static str, body: Value| app.call(name).token(&acme.token).json(&body).send();
    let rules = json!({"rules": [{"name": "agents-ship", "effect": "allow", "when": {"on": "action", "kinds": ["commit", "push"]}}]});
    assert_eq!(post("policy-update", rules).await.status, 201);
    let secret = "sprint-forge-secret-0123456789";
    let connection =
        post("forge-connection-create", json!({"provider": "github", "secret": secret, "required_checks": ["test"]}))
            .await
            .json();
    let connection = connection["id"].as_str().unwrap().to_owned();
    let deliver =
        |event: &'static str, delivery: String, body: Value| github(&app, &connection, secret, event, delivery, body);
    let project = post("project-create", json!({"name": "Shop", "repository": "acme/shop"})).await.json();
    let goal = post("goal-create", json!({"title": "Checkout never fails", "project_id": project["id"], "weight": 3}))
        .await
        .json();
    let template = json!({"name": "task", "body": "{{issue.title}}\n{{issue.body}}\n"});
    assert_eq!(post("template-create", template).await.status, 201);
    for title in ["Validate the cart", "Retry the payment"] {
        let issue = json!({"title": title, "body": "mode: ship", "goal_id": goal["id"], "project_id": project["id"]});
        assert_eq!(post("issue-create", issue).await.status, 201);
    }

    // Intake → plan → build: the first lane runs; the second waits for its claim.
    let planned = post("sprint-plan", json!({"goal_id": goal["id"], "harness_kind": "script", "token_budget": 100000}))
        .await
        .json();
    let sprint_id = planned["id"].as_str().unwrap().to_owned();
    let to = |state: &str| json!({"sprint_id": sprint_id, "to": state});
    assert_eq!(post("sdlc-transition", to("plan")).await.json()["state"], "plan");
    let built = post("sdlc-transition", to("build")).await.json();
    assert_eq!(
        (built["items"][0]["dispatch"].as_str(), built["items"][1]["dispatch"].as_str()),
        (Some("dispatched"), Some("planned"))
    );
    let _harness = Harness::start(&app, &acme.token, dir.path(), "sprint");
    let first = built["items"][0]["run_id"].as_str().unwrap().to_owned();
    wait_state(&app, &acme, &first, "completed").await;
    let mut second = None;
    for _ in 0..200 {
        let now = post("sprint-get", json!({"sprint_id": sprint_id})).await.json();
        if let Some(run) = now["items"][1]["run_id"].as_str() {
            second = Some(run.to_owned());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let second = second.expect("the second issue is dispatched when the first lane ends");
    wait_state(&app, &acme, &second, "completed").await;

    // Review; ship is refused until each pull request is merged and verified.
    assert_eq!(post("sdlc-transition", to("review")).await.json()["state"], "review");
    let early = post("sdlc-transition", to("ship")).await;
    assert_eq!((early.status, early.code().as_str()), (409, "CONFLICT"), "{}", early.text());
    assert!(early.text().contains("#1's lane is completed, not merged"), "{}", early.text());
    let repo = json!({"full_name": "acme/shop"});
    for (n, run_id) in [(21, &first), (22, &second)] {
        let branch = format!("agent/{run_id}");
        assert!(remote_branch(&remote, &branch).is_some(), "the agent pushed {branch}");
        let pr = |action: &str, merged: bool| {
            json!({"action": action, "repository": repo, "pull_request": {"number": n, "merged": merged,
                "title": format!("Sprint change {n}"), "html_url": format!("https://github.com/acme/shop/pull/{n}"),
                "head": {"ref": branch}, "user": {"login": "switchyard"}}})
        };
        deliver("pull_request", format!("p-{n}"), pr("opened", false)).await;
        let check = json!({"action": "completed", "repository": repo, "check_run": {"name": "test", "status": "completed",
            "conclusion": "success", "check_suite": {"head_branch": branch}, "pull_requests": [{"number": n}]}});
        deliver("check_run", format!("c-{n}"), check).await;
        let verified = app
            .call("verify-lane")
            .token(switchyard_tests::SERVICE_ROLE_KEY)
            .json(&json!({"run_id": run_id}))
            .send()
            .await;
        assert_eq!(verified.json()["verified"], true, "{}", verified.text());
        if n == 21 {
            let half = post("sdlc-transition", to("ship")).await;
            assert!(half.text().contains("#2's lane is completed, not merged"), "{}", half.text());
        }
        deliver("pull_request", format!("m-{n}"), pr("closed", true)).await;
        assert_eq!(app.lane(&acme, run_id).await["state"], "merged");
    }
    let shipped = post("sdlc-transition", to("ship")).await.json();
    assert_eq!(shipped["state"], "ship", "{shipped}");
    assert_eq!(shipped["items"][1]["pull_request"]["number"], 22);
    let complete = post("sdlc-transition", to("complete")).await.json();
    assert_eq!(complete["state"], "complete");
    let phases: Vec<&str> =
        complete["phases"].as_array().unwrap().iter().map(|p| p["status"].as_str().unwrap()).collect();
    assert_eq!(phases, ["done"; 6]);
    assert!(complete["phases"].as_array().unwrap().iter().all(|p| p["entered_at"].is_string()), "{complete}");
    let statuses: Vec<&str> =
        complete["items"].as_array().unwrap().iter().map(|i| i["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["done", "done"]);
    let again = post("sdlc-transition", to("cancelled")).await;
    assert_eq!(again.status, 409, "a complete sprint is not cancelled");
    let board = post("dashboard-summary", json!({})).await.json();
    assert_eq!((board["totals"]["lanes_merged"].as_u64(), board["rates"]["merge_rate"].as_f64()), (Some(2), Some(1.0)));
}
