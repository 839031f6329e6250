//! Tamper-evident audit: signed exports, the offline verifier, tree heads and proofs.

use std::path::{Path, PathBuf};
use std::process::Command;
use switchyard_domain::audit::Hashed;

use serde_json::{Value, json};
use switchyard_tests::{AUDIT_SIGNING_KEY, Tenant, TestApp, spawn_app, spawn_host, target_dir};

async fn export(app: &TestApp, tenant: &Tenant, body: Value) -> Vec<u8> {
    let r = app.call("audit-export").token(&tenant.token).json(&body).send().await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.body
}

/// The verifier CLI's exit status and output for `bytes`, checked against the JWKS.
fn verify_cli(dir: &Path, jwks: &Value, bytes: &[u8]) -> (bool, String) {
    let file = dir.join(format!("export-{}.ndjson", bytes.len()));
    std::fs::write(&file, bytes).unwrap();
    let jwks_file = dir.join("jwks.json");
    std::fs::write(&jwks_file, jwks.to_string()).unwrap();
    let out = Command::new(cli()).arg("verify-export").arg(&file).arg("--jwks").arg(&jwks_file).output().unwrap();
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

fn cli() -> PathBuf {
    let path = target_dir().join("debug/switchyard");
    assert!(path.is_file(), "{} is missing: run scripts/test", path.display());
    path
}

async fn jwks(app: &TestApp) -> Value {
    let r = app.get("/.well-known/jwks.json").await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

fn lines(bytes: &[u8]) -> Vec<Vec<u8>> {
    bytes.split_inclusive(|b| *b == b'\n').map(<[u8]>::to_vec).collect()
}

#[tokio::test]
async fn a_ten_thousand_entry_export_verifies_offline_and_in_json() {
    let app = spawn_app().await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    app.seed_audit(&acme.workspace_id, 10_000);
    let keys = jwks(&app).await;
    assert_eq!(keys["keys"][0]["crv"], "Ed25519");
    let bytes = export(&app, &acme, json!({})).await;
    assert_eq!(lines(&bytes).len(), 10_001 + 2);
    let dir = tempfile::tempdir().unwrap();
    let (ok, out) = verify_cli(dir.path(), &keys, &bytes);
    assert!(ok, "{out}");
    assert!(out.contains("valid: 10001 entries"), "{out}");

    // The JSON form of a range, with the public key given as hex.
    let doc = export(&app, &acme, json!({"format": "json", "from_seq": 100, "to_seq": 600})).await;
    let parsed: Value = serde_json::from_slice(&doc).unwrap();
    assert_eq!(parsed["entries"].as_array().unwrap().len(), 501);
    let file = dir.path().join("export.json");
    std::fs::write(&file, &doc).unwrap();
    let public = switchyard_domain::export::SigningKey::from_seed_hex(AUDIT_SIGNING_KEY).unwrap().public_key();
    let out = Command::new(cli())
        .arg("verify-export")
        .arg(&file)
        .arg("--public-key")
        .arg(hex::encode(public))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let too_big = app.call("audit-export").token(&acme.token).json(&json!({"format": "json"})).send().await;
    assert_eq!((too_big.status, too_big.json()["error"]["field"].as_str()), (422, Some("format")));
}

#[tokio::test]
async fn each_tampering_is_caught_at_the_right_line() {
    let app = spawn_app().await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    app.seed_audit(&acme.workspace_id, 40);
    let keys = jwks(&app).await;
    let clean = lines(&export(&app, &acme, json!({})).await);
    let dir = tempfile::tempdir().unwrap();

    let mut flipped = clean.clone();
    let pos = flipped[10].iter().position(|b| *b == b'a').unwrap();
    flipped[10][pos] = b'b';
    let mut deleted = clean.clone();
    deleted.remove(20);
    let mut reordered = clean.clone();
    reordered.swap(30, 31);
    let all = clean.concat();
    let truncated = all[..all.len() * 2 / 3].to_vec();
    let cut_at_line = clean[..25].concat();

    for (what, bytes, line) in [
        ("a flipped byte", flipped.concat(), 11),
        ("a deleted line", deleted.concat(), 21),
        ("reordered lines", reordered.concat(), 31),
        ("a truncated file", truncated.clone(), lines(&truncated).len()),
        ("a file cut at a line end", cut_at_line, 26),
    ] {
        let (ok, out) = verify_cli(dir.path(), &keys, &bytes);
        assert!(!ok, "{what} went unnoticed");
        assert!(out.contains(&format!("line {line}")), "{what}: expected line {line}: {out}");
    }

    // The public verify endpoint says the same, with the entry index.
    let answer = app
        .call("federation-verify")
        .json(&json!({"export": String::from_utf8(flipped.concat()).unwrap()}))
        .send()
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    let answer = answer.json();
    assert_eq!(
        (answer["valid"].as_bool(), answer["line"].as_u64(), answer["first_bad_index"].as_u64()),
        (Some(false), Some(11), Some(9))
    );
    let good =
        app.call("federation-verify").json(&json!({"export": String::from_utf8(clean.concat()).unwrap()})).send().await;
    assert_eq!(good.json()["valid"], true, "{}", good.text());
}

async fn publish(app: &TestApp, tenant: &Tenant) -> Value {
    let r = app.call("federation-publish-head").token(&tenant.token).json(&json!({})).send().await;
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()
}

#[tokio::test]
async fn heads_prove_inclusion_and_consistency_until_the_past_is_rewritten() {
    let app = spawn_app().await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    app.seed_audit(&acme.workspace_id, 20);
    let first = publish(&app, &acme).await;
    assert_eq!(first["head"]["tree_size"], 21);
    assert!(first["previous"].is_null());
    app.seed_audit(&acme.workspace_id, 15);
    let second = publish(&app, &acme).await;
    // The first publish itself was audited: 21 + 1 + 15.
    assert_eq!(second["head"]["tree_size"], 37);
    assert_eq!(second["previous"], first["head"]);
    let verdict = app
        .call("federation-verify")
        .json(&json!({"head": second["head"], "previous_head": second["previous"], "consistency_proof": second["consistency_proof"]}))
        .send()
        .await
        .json();
    assert_eq!(verdict["valid"], true, "{verdict}");
    assert_eq!(verdict["checked"], json!(["head_signature", "consistency"]));

    // Inclusion of entry 5 in the second head.
    let proof =
        app.call("audit-proof").token(&acme.token).json(&json!({"seq": 5, "tree_size": 37})).send().await.json();
    assert_eq!(proof["root_hash"], second["head"]["root_hash"]);
    let inclusion = json!({"seq": 5, "entry_hash": proof["entry_hash"], "proof": proof["proof"]});
    let verdict = app
        .call("federation-verify")
        .json(&json!({"head": second["head"], "inclusion": inclusion}))
        .send()
        .await
        .json();
    assert_eq!(verdict["valid"], true, "{verdict}");
    let mut wrong = inclusion.clone();
    wrong["seq"] = json!(6);
    let verdict =
        app.call("federation-verify").json(&json!({"head": second["head"], "inclusion": wrong})).send().await.json();
    assert_eq!(verdict["valid"], false);

    // A forged head is refused.
    let mut forged = second["head"].clone();
    forged["tree_size"] = json!(99);
    let verdict = app.call("federation-verify").json(&json!({"head": forged})).send().await.json();
    assert_eq!(verdict["valid"], false);

    // Someone with database access rewrites entry 3 (and re-seals the rest of the chain).
    rewrite_history(&app, &acme.workspace_id, 3);
    let third = publish(&app, &acme).await;
    let verdict = app
        .call("federation-verify")
        .json(&json!({"head": third["head"], "previous_head": second["head"], "consistency_proof": third["consistency_proof"]}))
        .send()
        .await
        .json();
    assert_eq!(verdict["valid"], false, "{verdict}");
    assert!(verdict["reason"].as_str().unwrap().contains("earlier entries changed"), "{verdict}");
}

/// Alters entry `seq` and re-seals every later entry so the chain itself looks intact.
fn rewrite_history(app: &TestApp, workspace_id: &str, seq: u64) {
    let mut db = app.db();
    let tx = db.transaction().unwrap();
    tx.execute_batch("DROP TRIGGER audit_log_no_update;").unwrap();
    let mut entries = app.audit_entries(workspace_id);
    let start = (seq - 1) as usize;
    entries[start].actor = "tok_innocent".into();
    for i in start..entries.len() {
        if i > 0 {
            entries[i].prev_hash = entries[i - 1].hash.clone();
        }
        entries[i].hash = entries[i].computed_hash();
        tx.execute(
            "UPDATE audit_log SET actor = ?1, prev_hash = ?2, hash = ?3 WHERE workspace_id = ?4 AND seq = ?5",
            rusqlite::params![
                entries[i].actor,
                entries[i].prev_hash,
                entries[i].hash,
                workspace_id,
                entries[i].seq as i64
            ],
        )
        .unwrap();
    }
    tx.commit().unwrap();
}

#[tokio::test]
async fn a_hundred_parallel_mutations_leave_a_gapless_verifiable_chain() {
    let app = spawn_app().await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    let calls = (0..100).map(|i| {
        app.call("api-token-issue")
            .token(&acme.token)
            .json(&json!({"name": format!("p{i}"), "scopes": ["lanes:read"]}))
            .send()
    });
    let answers = futures::future::join_all(calls).await;
    assert!(answers.iter().all(|r| r.status == 201), "{:?}", answers.iter().map(|r| r.status).collect::<Vec<_>>());
    let bytes = export(&app, &acme, json!({})).await;
    let dir = tempfile::tempdir().unwrap();
    let (ok, out) = verify_cli(dir.path(), &jwks(&app).await, &bytes);
    assert!(ok && out.contains("valid: 101 entries"), "{out}");
}

#[tokio::test]
async fn audit_log_export_streams_a_date_range() {
    let app = spawn_app().await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    app.seed_audit(&acme.workspace_id, 72); // three days of hourly entries in 2030
    let r = app
        .call("audit-log-export")
        .token(&acme.token)
        .json(&json!({"from": "2030-01-02", "to": "2030-01-03"}))
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/x-ndjson"));
    let got = lines(&r.body);
    assert_eq!(got.len(), 24 + 2, "one day of hourly entries");
    let dir = tempfile::tempdir().unwrap();
    let (ok, out) = verify_cli(dir.path(), &jwks(&app).await, &r.body);
    assert!(ok, "{out}");
    let bad = app
        .call("audit-log-export")
        .token(&acme.token)
        .json(&json!({"from": "yesterday", "to": "2030-01-03"}))
        .send()
        .await;
    assert_eq!((bad.status, bad.json()["error"]["field"].as_str()), (422, Some("from")));
}

#[tokio::test]
async fn a_hundred_thousand_entry_export_streams_in_bounded_memory() {
    // Each instance may use at most 24 MiB of linear memory; the export is ~45 MB.
    let (config, _) = switchyard_tests::app_config();
    let app = spawn_host(config.arg("--max-memory-mib").arg("24")).await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    app.seed_audit(&acme.workspace_id, 100_000);
    let response = app
        .client
        .post(app.url("/functions/v1/audit-export"))
        .bearer_auth(&acme.token)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big.ndjson");
    let mut out = std::fs::File::create(&file).unwrap();
    let mut stream = response.bytes_stream();
    let mut total = 0usize;
    use futures::StreamExt;
    use std::io::Write;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.unwrap();
        total += chunk.len();
        out.write_all(&chunk).unwrap();
    }
    drop(out);
    assert!(total > 24 * 1024 * 1024, "the export ({total} bytes) is larger than the instance's memory cap");
    let keys = jwks(&app).await;
    let jwks_file = dir.path().join("jwks.json");
    std::fs::write(&jwks_file, keys.to_string()).unwrap();
    let out = Command::new(cli()).arg("verify-export").arg(&file).arg("--jwks").arg(&jwks_file).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("valid: 100001 entries"));
}

#[tokio::test]
async fn the_workspace_archive_holds_configuration_lanes_events_and_audit_and_verifies_offline() {
    let app = spawn_app().await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    let globex = app.bootstrap("globex", "us-east-1", "enterprise").await;
    let run_id = app.run_lane(&acme, switchyard_tests::lane_body("shop", &["src/**"])).await;
    app.run_lane(&globex, switchyard_tests::lane_body("shop", &["src/**"])).await;
    let (reader, _) = app.issue(&acme, &["lanes:read"]).await;

    // Admin only.
    let r = app.call("workspace-export").token(&reader).json(&json!({})).send().await;
    assert_eq!((r.status, r.code().as_str()), (403, "SCOPE_DENIED"));
    let r = app.call("workspace-export").token(&acme.token).json(&json!({})).send().await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.header("content-type").unwrap().starts_with("application/x-ndjson"));
    let text = r.text();
    assert!(!text.contains("sl_pat_"), "no token secret is ever in an archive");
    assert!(!text.contains(&globex.workspace_id), "only this workspace");
    assert!(text.contains(&run_id));

    let keys = switchyard_domain::export::VerifyingKey::from_jwks(&jwks(&app).await).unwrap();
    let verified = switchyard_domain::archive::verify(text.as_bytes(), &keys).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(verified.workspace_id, acme.workspace_id);
    let count = |kind: &str| verified.records.get(kind).copied().unwrap_or(0);
    assert_eq!((count("workspace"), count("policy"), count("mandates"), count("budget")), (1, 1, 1, 1));
    assert_eq!((count("lane"), count("member"), count("token")), (1, 1, 2));
    assert!(count("event") >= 1 && count("audit") >= 2, "{:?}", verified.records);

    // Any altered byte fails; the CLI says so offline, and passes the original.
    let dir = tempfile::tempdir().unwrap();
    let jwks_file = dir.path().join("jwks.json");
    std::fs::write(&jwks_file, jwks(&app).await.to_string()).unwrap();
    let check = |bytes: &[u8], name: &str| {
        let file = dir.path().join(name);
        std::fs::write(&file, bytes).unwrap();
        let out = Command::new(cli())
            .args(["workspace", "verify"])
            .arg(&file)
            .arg("--jwks")
            .arg(&jwks_file)
            .output()
            .unwrap();
        (
            out.status.success(),
            format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)),
        )
    };
    let (ok, said) = check(text.as_bytes(), "good.ndjson");
    assert!(ok && said.contains("valid: archive of") && said.contains("1 lane"), "{said}");
    let altered = text.replacen("Make the tests pass.", "Make the tests fail.", 1);
    let (ok, said) = check(altered.as_bytes(), "altered.ndjson");
    assert!(!ok && said.contains("digest does not match"), "{said}");
    let cut: String = text.lines().take(5).map(|l| format!("{l}\n")).collect();
    let (ok, said) = check(cut.as_bytes(), "cut.ndjson");
    assert!(!ok && said.contains("without a trailer"), "{said}");
}
