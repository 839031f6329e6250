//! The context engine (issue 14, first part): entries in five dimensions,
//! ranked for a question and paths (BM25 full text, path proximity,
//! confidence), confirmed, retired, and decayed by the tick until stale.

use serde_json::{Value, json};
use switchyard_tests::{ApiResponse, Tenant, TestApp, spawn_app_without_schedules};

async fn post(app: &TestApp, tenant: &Tenant, name: &str, body: Value) -> ApiResponse {
    app.call(name).token(&tenant.token).json(&body).send().await
}

async fn entry(app: &TestApp, tenant: &Tenant, body: Value) -> String {
    let r = post(app, tenant, "context-entry-create", body).await;
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()["id"].as_str().unwrap().to_owned()
}

fn titles(answer: &Value) -> Vec<String> {
    answer["ranked"].as_array().unwrap().iter().map(|r| r["entry"]["title"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn entries_rank_by_text_paths_and_confidence_and_decay_until_stale() {
    let app = spawn_app_without_schedules().await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    let style = entry(
        &app,
        &acme,
        json!({"dimension": "style", "title": "Rust formatting", "body": "Format Rust code with rustfmt; max_width is 120.",
            "paths": ["**/*.rs"], "source_path": "rustfmt.toml", "source_commit": "abc123", "confidence": 0.9}),
    )
    .await;
    let owners = entry(
        &app,
        &acme,
        json!({"dimension": "policy", "title": "Billing owners", "body": "Changes under src/billing need a review by @acme/billing.",
            "paths": ["src/billing/**"], "source_path": "CODEOWNERS", "evidence": "CODEOWNERS line 3"}),
    )
    .await;
    entry(
        &app,
        &acme,
        json!({"dimension": "product", "title": "What the shop sells", "body": "A shop for used bicycles in Europe."}),
    )
    .await;
    let python = entry(
        &app,
        &acme,
        json!({"dimension": "style", "title": "Python formatting", "body": "Format Python code with black.",
            "paths": ["**/*.py"], "confidence": 0.6}),
    )
    .await;
    for (body, field) in [
        (json!({"dimension": "style", "title": "x", "body": "y", "confidence": 1.5}), "confidence"),
        (json!({"dimension": "taste", "title": "x", "body": "y"}), "dimension"),
        (json!({"dimension": "style", "title": "x", "body": "y", "run_id": "lane_nosuchlane"}), "run_id"),
    ] {
        let r = post(&app, &acme, "context-entry-create", body).await;
        assert_eq!((r.status, r.json()["error"]["field"].as_str()), (422, Some(field)), "{}", r.text());
    }

    // A question and the file about to change: the Rust style ranks first, with why.
    let q = json!({"question": "How should I format this code?", "paths": ["src/billing/totals.rs"]});
    let answer = post(&app, &acme, "bmad-query", q.clone()).await.json();
    let ranked = titles(&answer);
    assert_eq!(ranked[0], "Rust formatting", "{answer}");
    assert_eq!(ranked.len(), 3, "the policy for the path and the other style by its text: {ranked:?}");
    let top = &answer["ranked"][0];
    assert_eq!(top["path"], 1.0);
    assert!(top["text"].as_f64().unwrap() > 0.0);
    let why = top["why"].as_array().unwrap().iter().map(|w| w.as_str().unwrap()).collect::<Vec<_>>().join("; ");
    assert!(why.contains("mentions format") && why.contains("**/*.rs covers src/billing/totals.rs"), "{why}");
    assert_eq!(top["entry"]["source"]["path"], "rustfmt.toml");
    assert!(!ranked.contains(&"What the shop sells".to_owned()), "matches neither text nor path");
    let dims: Vec<&str> =
        answer["dimensions"].as_array().unwrap().iter().map(|d| d["dimension"].as_str().unwrap()).collect();
    assert_eq!(dims, ["style", "policy"]);
    // Only policy; a tight budget leaves entries out.
    let policy =
        post(&app, &acme, "bmad-query", json!({"paths": ["src/billing/a.rs"], "dimensions": ["policy"]})).await.json();
    assert_eq!(titles(&policy), ["Billing owners"]);
    assert_eq!(policy["ranked"][0]["entry"]["id"], owners.as_str());
    let tight = post(&app, &acme, "bmad-query", json!({"question": "format code", "token_budget": 20})).await.json();
    assert!(tight["tokens_used"].as_u64().unwrap() <= 20 && tight["left_out"].as_u64().unwrap() >= 1, "{tight}");
    let empty = post(&app, &acme, "bmad-query", json!({"question": "the of a"})).await;
    assert_eq!((empty.status, empty.json()["error"]["field"].as_str()), (422, Some("question")));
    // A product question finds the product entry by its stem.
    let product =
        post(&app, &acme, "bmad-query", json!({"question": "Which bicycle does the shop sell?"})).await.json();
    assert_eq!(titles(&product)[0], "What the shop sells");

    // Retired: never served again, and it changes no more.
    let retired = post(&app, &acme, "context-entry-update", json!({"entry_id": python, "retire": true})).await;
    assert_eq!(retired.json()["status"], "retired", "{}", retired.text());
    assert!(
        !titles(&post(&app, &acme, "bmad-query", q.clone()).await.json()).contains(&"Python formatting".to_owned())
    );
    let again = post(&app, &acme, "context-entry-update", json!({"entry_id": python, "confirm": true})).await;
    assert_eq!(again.status, 409);

    // Time passes: the Rust style, unconfirmed for 200 days, decays below the floor.
    app.db()
        .execute(
            "UPDATE context_entries SET last_confirmed_at = '2026-05-16T00:00:00.000Z' WHERE id = ?1",
            [style.as_str()],
        )
        .unwrap();
    let tick = post(&app, &acme, "bmad-confidence-decay-tick", json!({})).await;
    assert_eq!(tick.status, 200, "{}", tick.text());
    assert_eq!(tick.json()["stale"], 1);
    let listed = post(&app, &acme, "context-entry-list", json!({"status": "stale"})).await.json();
    assert_eq!(listed["data"][0]["id"], style.as_str());
    assert!(listed["data"][0]["confidence"].as_f64().unwrap() < 0.2);
    assert_eq!(titles(&post(&app, &acme, "bmad-query", q.clone()).await.json())[0], "Billing owners");
    // Confirmed: back to its base and served again.
    let confirmed = post(
        &app,
        &acme,
        "context-entry-update",
        json!({"entry_id": style, "confirm": true, "source_commit": "def456"}),
    )
    .await
    .json();
    assert_eq!((confirmed["status"].as_str(), confirmed["confidence"].as_f64()), (Some("active"), Some(0.9)));
    assert_eq!(titles(&post(&app, &acme, "bmad-query", q).await.json())[0], "Rust formatting");

    // Another workspace sees none of it.
    let other = app.bootstrap("other", "us-east-1", "free").await;
    let theirs =
        post(&app, &other, "bmad-query", json!({"question": "format code", "paths": ["src/a.rs"]})).await.json();
    assert!(theirs["ranked"].as_array().unwrap().is_empty());
    let actions: Vec<String> = app.audit_entries(&acme.workspace_id).into_iter().map(|e| e.action).collect();
    for action in ["context-entry-create", "context-entry-update", "bmad-confidence-decay-tick"] {
        assert!(actions.iter().any(|a| a == action), "{action}: {actions:?}");
    }
}

#[tokio::test]
async fn lanes_leave_memories_that_later_briefs_recall_with_the_lanes_outcome() {
    let app = spawn_app_without_schedules().await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    let run_id = app.run_lane(&acme, switchyard_tests::lane_body("acme/shop", &["src/checkout/**"])).await;
    let learned = json!({"title": "Checkout tests need a Stripe key", "run_id": run_id, "paths": ["src/checkout/**"],
        "body": "The checkout tests fail without STRIPE_KEY; set it to sk_test_dummy before running them."});
    let memory = post(&app, &acme, "ai-memory-embed", learned).await;
    assert_eq!(memory.status, 201, "{}", memory.text());
    assert_eq!(
        (memory.json()["dimension"].as_str(), memory.json()["source"]["run_id"].as_str()),
        (Some("memory"), Some(run_id.as_str()))
    );
    let other =
        json!({"title": "Invoices render slowly", "body": "The invoice PDF takes 4 s to render; cache the fonts."});
    assert_eq!(post(&app, &acme, "ai-memory-embed", other).await.status, 201);
    entry(
        &app,
        &acme,
        json!({"dimension": "style", "title": "Checkout tests style", "body": "Name checkout tests after the step."}),
    )
    .await;
    let bad =
        post(&app, &acme, "ai-memory-embed", json!({"title": "x", "body": "y", "run_id": "lane_nosuchlane"})).await;
    assert_eq!(bad.json()["error"]["field"], "run_id");
    assert_eq!(post(&app, &acme, "agent-cancel", json!({"run_id": run_id})).await.status, 200);

    let recall = json!({"brief": "Fix the flaky checkout tests", "paths": ["src/checkout/pay.rs"]});
    let recalled = post(&app, &acme, "ai-memory-recall", recall).await.json();
    let data = recalled["data"].as_array().unwrap();
    assert_eq!(data.len(), 1, "only memories, and only relevant ones: {recalled}");
    assert_eq!(data[0]["entry"]["title"], "Checkout tests need a Stripe key");
    assert_eq!(data[0]["lane_state"], "cancelled");
    assert_eq!(data[0]["path"], 1.0);
    let empty = post(&app, &acme, "ai-memory-recall", json!({"brief": "the a of"})).await;
    assert_eq!((empty.status, empty.json()["error"]["field"].as_str()), (422, Some("brief")));
}

/// A stand-in for an OpenAI-compatible model server: `POST /v1/embeddings`
/// embeds each text as a bag of concepts (synonyms share a dimension, other
/// words hash into the rest), so texts that share no word can still be
/// close in meaning. Returns its base URL and the models it was asked for.
async fn model_server() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use http_body_util::{BodyExt, Full};
    const CONCEPTS: [&[&str]; 6] = [
        &["tax", "taxes", "vat", "levy", "duty"],
        &["invoice", "invoices", "bill", "purchase", "order", "orders"],
        &["format", "formatting", "style", "indent", "width"],
        &["review", "reviews", "owner", "owners", "approve"],
        &["money", "amount", "amounts", "price", "cents", "currency"],
        &["abroad", "country", "foreign", "international"],
    ];
    fn embed(text: &str) -> Vec<f32> {
        let mut v = vec![0f32; 64];
        for word in text.to_lowercase().split(|c: char| !c.is_alphanumeric()).filter(|w| w.len() > 2) {
            let dim = CONCEPTS.iter().position(|c| c.contains(&word)).unwrap_or_else(|| {
                8 + word.bytes().fold(7usize, |h, b| h.wrapping_mul(31).wrapping_add(usize::from(b))) % 56
            });
            v[dim] += 1.0;
        }
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-6);
        v.iter().map(|x| x / norm).collect()
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let models = seen.clone();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let models = models.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let models = models.clone();
                    async move {
                        let path = req.uri().path().to_owned();
                        let body = req.into_body().collect().await.unwrap().to_bytes();
                        let msg: Value = serde_json::from_slice(&body).unwrap_or_default();
                        models.lock().unwrap().push(msg["model"].as_str().unwrap_or_default().to_owned());
                        let reply = if path == "/v1/embeddings" {
                            let data: Vec<Value> = msg["input"]
                                .as_array()
                                .unwrap()
                                .iter()
                                .enumerate()
                                .map(|(i, t)| json!({"index": i, "embedding": embed(t.as_str().unwrap())}))
                                .collect();
                            json!({"data": data, "usage": {"prompt_tokens": 1}})
                        } else if path == "/v1/chat/completions" {
                            let prompt = msg["messages"][0]["content"].as_str().unwrap_or_default();
                            let facts = prompt.split("Facts: ").nth(1).unwrap_or_default();
                            json!({"choices": [{"message": {"role": "assistant", "content": format!("In short: {facts}")}}],
                                "usage": {"prompt_tokens": 10, "completion_tokens": 5}})
                        } else {
                            json!({"error": "no such route"})
                        };
                        let mut r = hyper::Response::new(Full::new(bytes::Bytes::from(reply.to_string())));
                        r.headers_mut().insert("content-type", "application/json".parse().unwrap());
                        Ok::<_, std::convert::Infallible>(r)
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (format!("http://{addr}/v1"), seen)
}

#[tokio::test]
async fn a_configured_model_blends_meaning_into_the_ranking_and_its_absence_falls_back_to_words() {
    let (url, models) = model_server().await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("runtime-config.toml");
    std::fs::write(&config, format!("[llm_compute]\ntype = \"remote_http\"\nurl = \"{url}\"\n")).unwrap();
    let app = switchyard_tests::spawn_app_without_schedules_with(&[(
        "SWITCHYARD_RUNTIME_CONFIG_FILE",
        config.to_str().unwrap(),
    )])
    .await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    entry(
        &app,
        &acme,
        json!({"dimension": "policy", "title": "Sales tax rounding", "body": "Round the sales tax per invoice line, half-even, by the buyer's country."}),
    )
    .await;
    entry(
        &app,
        &acme,
        json!({"dimension": "style", "title": "Rust formatting", "body": "Format Rust code with rustfmt."}),
    )
    .await;
    entry(
        &app,
        &acme,
        json!({"dimension": "product", "title": "Who uses it", "body": "Shop owners and their accountants."}),
    )
    .await;

    // No word of the question is in any entry, but the meaning is close.
    let q = json!({"question": "Which levy applies to a purchase abroad?"});
    let answer = post(&app, &acme, "bmad-query", q.clone()).await.json();
    assert_eq!(answer["semantic"], true, "{answer}");
    assert_eq!(titles(&answer)[0], "Sales tax rounding", "{answer}");
    let top = &answer["ranked"][0];
    assert_eq!(top["text"], 0.0);
    assert!(top["semantic"].as_f64().unwrap() >= 0.35, "{top}");
    assert!(
        top["why"].as_array().unwrap().iter().any(|w| w.as_str().unwrap().starts_with("close in meaning")),
        "{top}"
    );
    assert!(!titles(&answer).contains(&"Rust formatting".to_owned()), "{answer}");
    assert!(!models.lock().unwrap().is_empty() && models.lock().unwrap().iter().all(|m| m == "all-minilm-l6-v2"));
    // A lexical match still counts: the blend keeps the words.
    let words = post(&app, &acme, "bmad-query", json!({"question": "How do I format Rust code?"})).await.json();
    assert_eq!(titles(&words)[0], "Rust formatting");
    assert!(words["ranked"][0]["text"].as_f64().unwrap() > 0.0);

    // A lane's summary is written by the model from the rules' facts.
    let run_id = app.run_lane(&acme, switchyard_tests::lane_body("acme/shop", &["src/**"])).await;
    let summary = post(&app, &acme, "lane-plain-english-summary", json!({"run_id": run_id})).await.json();
    assert_eq!(summary["written_by"], "model:llama2-chat", "{summary}");
    assert!(summary["text"].as_str().unwrap().starts_with("In short: The lane changed no files"), "{summary}");
    assert!(models.lock().unwrap().iter().any(|m| m == "llama2-chat"));

    // A model server that cannot be reached: answers are lexical, and say so.
    let dead = dir.path().join("dead.toml");
    std::fs::write(&dead, "[llm_compute]\ntype = \"remote_http\"\nurl = \"http://127.0.0.1:9/v1\"\n").unwrap();
    let app_without = switchyard_tests::spawn_app_without_schedules_with(&[(
        "SWITCHYARD_RUNTIME_CONFIG_FILE",
        dead.to_str().unwrap(),
    )])
    .await;
    let other = app_without.bootstrap("acme", "us-east-1", "enterprise").await;
    entry(
        &app_without,
        &other,
        json!({"dimension": "policy", "title": "Sales tax rounding", "body": "Round the sales tax per invoice line."}),
    )
    .await;
    let lexical = post(&app_without, &other, "bmad-query", q).await.json();
    assert_eq!(lexical["semantic"], false);
    assert!(lexical["ranked"].as_array().unwrap().is_empty(), "{lexical}");
    let run_id = app_without.run_lane(&other, switchyard_tests::lane_body("acme/shop", &["src/**"])).await;
    let summary = post(&app_without, &other, "lane-plain-english-summary", json!({"run_id": run_id})).await.json();
    assert_eq!(summary["written_by"], "rules", "{summary}");
}
