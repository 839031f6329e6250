//! Admission control, tried as an attacker would: slow clients, more requests
//! than slots, huge bodies, and streams competing with short requests.

use std::time::{Duration, Instant};

use serde_json::Value;
use switchyard_tests::{HostConfig, TestApp, TestManifest, spawn_host};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const PROBE: &str = r#"
spin_manifest_version = 2
[application]
name = "admission-test"

[[trigger.http]]
route = "/probe/..."
component = "probe"

[component.probe]
source = "{probe}"
"#;

async fn probe_host(args: &[&str]) -> (TestManifest, TestApp) {
    let manifest = TestManifest::new(PROBE);
    let mut config: HostConfig = manifest.config();
    for arg in args {
        config = config.arg(arg);
    }
    let app = spawn_host(config).await;
    (manifest, app)
}

/// Reads from a raw connection until the response head and `want` body bytes
/// (or the end), with a deadline far beyond any limit under test.
async fn read_response(stream: &mut TcpStream) -> String {
    let mut seen = Vec::new();
    let mut buf = [0u8; 8192];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => break,
            Ok(Ok(n)) => seen.extend_from_slice(&buf[..n]),
        }
        let text = String::from_utf8_lossy(&seen);
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned()))
                .and_then(|v| v.parse::<usize>().ok());
            if length.is_some_and(|n| body.len() >= n) {
                break;
            }
        }
    }
    String::from_utf8_lossy(&seen).into_owned()
}

/// The error code in a raw response's JSON envelope.
fn envelope_code(raw: &str) -> String {
    let body = raw.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    let doc: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    doc["error"]["code"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn slow_clients_hold_no_instance_and_are_cut_off_with_408() {
    let (_manifest, app) = probe_host(&["--max-concurrent", "4", "--body-timeout-secs", "3"]).await;
    let address = app.socket_address();
    // 300 clients send their headers and one byte of a 100-byte body, then stall.
    let mut slow = Vec::new();
    for _ in 0..300 {
        let mut stream = TcpStream::connect(&address).await.unwrap();
        stream.write_all(b"POST /probe/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nx").await.unwrap();
        slow.push(stream);
    }
    // And 20 more never finish their headers.
    let mut half_headers = Vec::new();
    for _ in 0..20 {
        let mut stream = TcpStream::connect(&address).await.unwrap();
        stream.write_all(b"GET /probe/ok HTTP/1.1\r\nHost: x\r\n").await.unwrap();
        half_headers.push(stream);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    for _ in 0..5 {
        let started = Instant::now();
        let r = app.get("/probe/ok").await;
        assert_eq!(r.status(), 200);
        assert!(started.elapsed() < Duration::from_secs(1), "a normal client waited {:?}", started.elapsed());
    }
    // Each stalled body is cut off after the body timeout, in the envelope.
    let raw = read_response(&mut slow[0]).await;
    assert!(raw.starts_with("HTTP/1.1 408"), "{raw}");
    assert_eq!(envelope_code(&raw), "BODY_TIMEOUT");
    assert!(raw.to_ascii_lowercase().contains("x-request-id: req_"), "{raw}");
    let raw = read_response(&mut slow[299]).await;
    assert!(raw.starts_with("HTTP/1.1 408"), "{raw}");
    assert!(!app.output().contains("backtrace"), "no backtrace is logged for a slow client");
}

#[tokio::test]
async fn more_requests_than_slots_are_queued_then_refused_with_503_and_retry_after() {
    let (_manifest, app) = probe_host(&["--max-concurrent", "2", "--max-waiting", "2", "--queue-wait-ms", "300"]).await;
    let sleepers: Vec<_> = (0..8)
        .map(|_| {
            let client = app.client.clone();
            let url = app.url("/probe/sleep?ms=2000");
            tokio::spawn(async move {
                let r = client.get(url).send().await.unwrap();
                let status = r.status().as_u16();
                let retry = r.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
                let content_type = r.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned());
                let body: Value = r.json().await.unwrap_or(Value::Null);
                (status, retry, content_type, body)
            })
        })
        .collect();
    let mut ok = 0;
    let mut refused = 0;
    for sleeper in sleepers {
        let (status, retry, content_type, body) = sleeper.await.unwrap();
        match status {
            200 => ok += 1,
            503 => {
                refused += 1;
                assert_eq!(retry.as_deref(), Some("1"));
                assert_eq!(content_type.as_deref(), Some("application/json"));
                assert_eq!(body["error"]["code"], "OVERLOADED", "{body}");
                assert!(body["error"]["request_id"].as_str().unwrap().starts_with("req_"));
            }
            other => panic!("unexpected status {other}: {body}"),
        }
    }
    assert_eq!((ok, refused), (2, 6), "two run, two wait and give up, four are refused at once");
    assert_eq!(app.get("/probe/ok").await.status(), 200, "served again once the slots are free");
    // RFC 9457 clients get problem details from the host too.
    let blockers: Vec<_> = (0..2)
        .map(|_| {
            let client = app.client.clone();
            let url = app.url("/probe/sleep?ms=1500");
            tokio::spawn(async move { client.get(url).send().await.unwrap().status() })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let r = app.client.get(app.url("/probe/ok")).header("accept", "application/problem+json").send().await.unwrap();
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let doc: Value = r.json().await.unwrap();
    assert_eq!(doc["code"], "OVERLOADED");
    assert_eq!(doc["status"], 503);
    for b in blockers {
        assert_eq!(b.await.unwrap(), 200);
    }
}

#[tokio::test]
async fn bodies_over_the_limit_are_refused_with_413_before_they_are_read() {
    let (_manifest, app) = probe_host(&[]).await;
    let address = app.socket_address();
    let before = app.rss_kib();

    // Sixteen declared 100 MB uploads: refused on the header alone.
    let mut uploads = Vec::new();
    for _ in 0..16 {
        let address = address.clone();
        uploads.push(tokio::spawn(async move {
            let mut stream = TcpStream::connect(&address).await.unwrap();
            stream
                .write_all(b"POST /probe/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 104857600\r\n\r\n")
                .await
                .unwrap();
            read_response(&mut stream).await
        }));
    }
    for upload in uploads {
        let raw = upload.await.unwrap();
        assert!(raw.starts_with("HTTP/1.1 413"), "{raw}");
        assert_eq!(envelope_code(&raw), "PAYLOAD_TOO_LARGE");
    }

    // A chunked body is refused as soon as it passes the limit.
    let mut stream = TcpStream::connect(&address).await.unwrap();
    stream.write_all(b"POST /probe/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n").await.unwrap();
    let chunk = vec![b'a'; 64 * 1024];
    for _ in 0..16 {
        stream.write_all(format!("{:x}\r\n", chunk.len()).as_bytes()).await.unwrap();
        stream.write_all(&chunk).await.unwrap();
        stream.write_all(b"\r\n").await.unwrap();
    }
    stream.write_all(b"1\r\na\r\n").await.unwrap();
    let raw = read_response(&mut stream).await;
    assert!(raw.starts_with("HTTP/1.1 413"), "{raw}");
    assert_eq!(envelope_code(&raw), "PAYLOAD_TOO_LARGE");

    // Fifty chunked megabytes: the host stops reading at the limit and its memory stays put.
    let mut stream = TcpStream::connect(&address).await.unwrap();
    stream.write_all(b"POST /probe/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n").await.unwrap();
    let chunk = vec![b'a'; 1024 * 1024];
    for _ in 0..50 {
        let framed = [format!("{:x}\r\n", chunk.len()).into_bytes(), chunk.clone(), b"\r\n".to_vec()].concat();
        if stream.write_all(&framed).await.is_err() {
            break; // the host answered and closed; the rest is never read
        }
    }
    drop(stream);

    // A body within the limit still arrives whole.
    let body = vec![b'z'; 1024 * 1024];
    let r = app.post("/probe/echo", body).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), (1024 * 1024).to_string());
    let grown = app.rss_kib().saturating_sub(before);
    assert!(grown < 64 * 1024, "the host grew by {grown} KiB");
}

#[tokio::test]
async fn the_limits_must_leave_instances_for_cron() {
    let manifest = TestManifest::new(PROBE);
    let refused = switchyard_tests::try_spawn_host(
        manifest.config().arg("--max-instances").arg("64").arg("--max-concurrent").arg("64"),
    )
    .await
    .err()
    .expect("the host refuses limits that would exhaust the pool");
    assert!(refused.output.contains("--max-instances"), "{}", refused.output);
}
