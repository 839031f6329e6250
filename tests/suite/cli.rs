//! The `switchyard` command line against a running host, as a person or a
//! script at a terminal uses it: login (profile file mode 0600), lanes run /
//! list / get / watch / pause / resume / cancel / interrupt, `--json`, the
//! error envelope and exit codes, tokens, audit export and verify,
//! completions and the man page.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;
use switchyard_tests::{TestApp, spawn_app, target_dir};

use crate::harness::{Harness, repos, wait_state};

/// Runs `switchyard <args>` with its profiles in `home`.
fn cli(home: &Path, args: &[&str]) -> Output {
    let bin = target_dir().join("debug/switchyard");
    assert!(bin.is_file(), "{} is missing: run scripts/test", bin.display());
    Command::new(bin)
        .args(args)
        .env("SWITCHYARD_CONFIG", home.join("profiles.json"))
        .env_remove("SWITCHYARD_URL")
        .env_remove("SWITCHYARD_TOKEN")
        .env_remove("SWITCHYARD_PROFILE")
        .output()
        .unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(out)))
}

fn ok(out: &Output) -> &Output {
    assert!(
        out.status.success(),
        "exit {:?}\n{}\n{}",
        out.status.code(),
        stdout(out),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

async fn login(app: &TestApp, home: &Path, token: &str) {
    let out = cli(home, &["login", "--url", &app.address, "--with-token", token]);
    ok(&out);
    assert!(stdout(&out).contains("signed in to"), "{}", stdout(&out));
}

#[tokio::test]
async fn a_person_at_a_terminal_dispatches_watches_and_stops_lanes() {
    use std::os::unix::fs::PermissionsExt;
    let app = spawn_app().await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    let home = tempfile::tempdir().unwrap();

    // Without a profile: a usage error naming what to do.
    let none = cli(home.path(), &["lanes", "list"]);
    assert_eq!(none.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&none.stderr).contains("switchyard login"));
    // A token the server does not know is refused at login, and nothing is stored.
    let bad = cli(home.path(), &["login", "--url", &app.address, "--with-token", "sl_pat_nope"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("UNAUTHORIZED"), "{}", String::from_utf8_lossy(&bad.stderr));
    assert!(!home.path().join("profiles.json").exists());
    login(&app, home.path(), &acme.token).await;
    let mode = std::fs::metadata(home.path().join("profiles.json")).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);

    // A lane run by the reference harness, watched to its end from the terminal.
    let dir = repos();
    let (harness_token, _) = app.issue(&acme, &["lanes:write", "lanes:read"]).await;
    let harness = Harness::start(&app, &harness_token, dir.path(), "h1");
    let out = cli(
        home.path(),
        &[
            "lanes",
            "run",
            "--repository",
            "shop",
            "--claim",
            "src/**",
            "--brief",
            "Do it.\nmode: quick\n",
            "--token-budget",
            "5000",
            "--watch",
        ],
    );
    ok(&out);
    let text = stdout(&out);
    assert!(text.contains("[state] queued → running"), "{text}");
    assert!(text.contains("[stdout] agent: done quickly"), "{text}");
    assert!(text.contains("[result] completed, exit 0"), "{text}");
    assert!(text.trim_end().ends_with("ended: completed"), "{text}");

    // Scripts: --json everywhere.
    let listed = json(ok(&cli(home.path(), &["lanes", "list", "--json"])));
    let run_id = listed["data"][0]["run_id"].as_str().unwrap().to_owned();
    assert_eq!(listed["data"][0]["state"], "completed");
    let got = json(ok(&cli(home.path(), &["lanes", "get", &run_id, "--json"])));
    assert_eq!(got["summary"], "agent: done quickly");
    assert!(stdout(ok(&cli(home.path(), &["lanes", "get", &run_id]))).contains("budget      0/5000 tokens"));

    // Pause, interrupt, resume and cancel a lane that keeps working.
    let started = json(ok(&cli(
        home.path(),
        &["lanes", "run", "--repository", "shop", "--claim", "src/**", "--brief", "mode: hang", "--json"],
    )));
    let hanging = started["run_id"].as_str().unwrap().to_owned();
    wait_state(&app, &acme, &hanging, "running").await;
    assert_eq!(json(ok(&cli(home.path(), &["lanes", "pause", &hanging, "--json"])))["state"], "paused");
    ok(&cli(home.path(), &["lanes", "interrupt", &hanging, "--message", "also the docs"]));
    assert_eq!(json(ok(&cli(home.path(), &["lanes", "resume", &hanging, "--json"])))["state"], "running");
    let watcher = {
        let home = home.path().to_owned();
        let hanging = hanging.clone();
        std::thread::spawn(move || cli(&home, &["lanes", "watch", &hanging]))
    };
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    assert!(stdout(ok(&cli(home.path(), &["lanes", "cancel", &hanging]))).contains("cancelled"));
    let watched = watcher.join().unwrap();
    assert_eq!(watched.status.code(), Some(5), "a cancelled lane exits 5: {}", stdout(&watched));

    // Errors: the envelope's code, message and request id; exit 1; --json prints the envelope.
    let missing = cli(home.path(), &["lanes", "get", "lane_nosuchlane00000000"]);
    assert_eq!(missing.status.code(), Some(1));
    let err = String::from_utf8_lossy(&missing.stderr);
    assert!(err.contains("NOT_FOUND") && err.contains("[request req_"), "{err}");
    let missing = json(&cli(home.path(), &["lanes", "get", "lane_nosuchlane00000000", "--json"]));
    assert_eq!(missing["error"]["code"], "NOT_FOUND");
    let invalid = cli(home.path(), &["lanes", "run", "--repository", "shop", "--claim", "/abs", "--brief", "x"]);
    assert!(
        String::from_utf8_lossy(&invalid.stderr).contains("(field `claim[0]`)"),
        "{}",
        String::from_utf8_lossy(&invalid.stderr)
    );
    // The server gone: exit 3.
    let gone = cli(home.path(), &["lanes", "list", "--url", "http://127.0.0.1:9"]);
    assert_eq!(gone.status.code(), Some(3));

    // The inbox and approvals (nothing waits here).
    assert!(json(ok(&cli(home.path(), &["inbox", "list", "--json"])))["data"].is_array());
    assert!(json(ok(&cli(home.path(), &["approvals", "list", "--json"])))["data"].is_array());
    assert_eq!(stdout(ok(&cli(home.path(), &["approvals", "list"]))).trim(), "none");
    let nothing = cli(home.path(), &["approve", &hanging]);
    assert_eq!(nothing.status.code(), Some(1), "nothing to approve: {}", String::from_utf8_lossy(&nothing.stderr));

    // Tokens, and the audit log exported and verified offline.
    let issued = json(ok(&cli(home.path(), &["tokens", "issue", "--name", "ci", "--scope", "lanes:read", "--json"])));
    assert!(issued["token"].as_str().unwrap().starts_with("sl_pat_"));
    let id = issued["id"].as_str().unwrap();
    let listed = stdout(ok(&cli(home.path(), &["tokens", "list"])));
    assert!(listed.contains(id) && listed.contains("active") && listed.contains("[lanes:read]"), "{listed}");
    assert!(!listed.contains("sl_pat_"), "a listing never shows a secret: {listed}");
    ok(&cli(home.path(), &["tokens", "revoke", id]));
    assert!(!stdout(ok(&cli(home.path(), &["tokens", "list"]))).contains(id), "revoked tokens are hidden by default");
    let all = json(ok(&cli(home.path(), &["tokens", "list", "--all", "--json"])));
    let row = all["data"].as_array().unwrap().iter().find(|t| t["id"] == id).cloned().unwrap();
    assert_eq!((row["state"].as_str(), row["name"].as_str()), (Some("revoked"), Some("ci")));
    let export = home.path().join("audit.ndjson");
    ok(&cli(home.path(), &["audit", "export", "--out", export.to_str().unwrap()]));
    let jwks = app.get("/.well-known/jwks.json").await.text().await.unwrap();
    let jwks_file = home.path().join("jwks.json");
    std::fs::write(&jwks_file, jwks).unwrap();
    let verified =
        ok(&cli(home.path(), &["audit", "verify", export.to_str().unwrap(), "--jwks", jwks_file.to_str().unwrap()]))
            .stdout
            .clone();
    assert!(String::from_utf8_lossy(&verified).starts_with("valid: "), "{}", String::from_utf8_lossy(&verified));

    // Completions and the man page come from the same definitions.
    assert!(stdout(ok(&cli(home.path(), &["completions", "bash"]))).contains("switchyard"));
    assert!(stdout(ok(&cli(home.path(), &["man"]))).contains(".TH switchyard"));
    // Logout forgets the profile.
    ok(&cli(home.path(), &["logout"]));
    assert_eq!(cli(home.path(), &["lanes", "list"]).status.code(), Some(2));
    drop(harness);
}
