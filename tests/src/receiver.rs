//! A webhook receiver for tests: a local HTTP server that records what it is
//! sent, verifies Standard Webhooks signatures with its own implementation
//! (RustCrypto's HMAC and SHA-256, the `base64` crate — none of the product's
//! code), and answers as scripted: a status per request, or no answer at all.

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine;
use hmac::{KeyInit, Mac};

/// How the receiver answers one request.
#[derive(Debug, Clone, Copy)]
pub enum Answer {
    Status(u16),
    /// Never answer; hold the connection until the sender gives up.
    Hang,
}

/// One request as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub at: Instant,
    pub path: String,
    pub headers: HashMap<String, String>,
    pub body: String,
    /// Whether the Standard Webhooks signature verified (with why not).
    pub verified: Result<(), String>,
    /// For a hung request: when the sender closed the connection.
    pub closed_at: Option<Instant>,
}

impl Received {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
}

#[derive(Default)]
struct State {
    secret: Option<String>,
    script: VecDeque<Answer>,
    otherwise: Option<Answer>,
    received: Vec<Received>,
}

/// A running receiver (its thread lives as long as the test process).
#[derive(Clone)]
pub struct Receiver {
    pub port: u16,
    state: Arc<Mutex<State>>,
}

impl Receiver {
    /// Starts a receiver on a free loopback port; it answers 200 until scripted otherwise.
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State::default()));
        let shared = Arc::clone(&state);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let shared = Arc::clone(&shared);
                std::thread::spawn(move || serve(stream, &shared));
            }
        });
        Self { port, state }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// The endpoint secret (`whsec_…`) signatures are checked with.
    pub fn set_secret(&self, secret: &str) {
        self.state.lock().unwrap().secret = Some(secret.to_owned());
    }

    /// Answers the next requests in this order, then `otherwise` (200 by default).
    pub fn script(&self, answers: &[Answer], otherwise: Option<Answer>) {
        let mut state = self.state.lock().unwrap();
        state.script = answers.iter().copied().collect();
        state.otherwise = otherwise;
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }

    /// Waits (up to a minute, for a busy machine) until `n` requests arrived.
    pub fn wait_for(&self, n: usize) -> Vec<Received> {
        let give_up = Instant::now() + Duration::from_secs(60);
        loop {
            let got = self.received();
            if got.len() >= n || Instant::now() > give_up {
                return got;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn serve(stream: TcpStream, state: &Mutex<State>) {
    let mut reader = BufReader::new(&stream);
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() || line.is_empty() {
        return;
    }
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
    let mut headers = HashMap::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) <= 2 {
            break;
        }
        if let Some((name, value)) = header.trim_end().split_once(':') {
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
        }
    }
    let body = if headers.get("transfer-encoding").is_some_and(|t| t.eq_ignore_ascii_case("chunked")) {
        match read_chunked(&mut reader) {
            Some(body) => body,
            None => return,
        }
    } else {
        let length: usize = headers.get("content-length").and_then(|l| l.parse().ok()).unwrap_or(0);
        let mut body = vec![0u8; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        body
    };
    let body = String::from_utf8_lossy(&body).into_owned();
    let (answer, index) = {
        let mut s = state.lock().unwrap();
        let verified = match &s.secret {
            Some(secret) => verify(secret, &headers, &body),
            None => Err("no secret set".into()),
        };
        let answer = s.script.pop_front().or(s.otherwise).unwrap_or(Answer::Status(200));
        s.received.push(Received { at: Instant::now(), path, headers, body, verified, closed_at: None });
        (answer, s.received.len() - 1)
    };
    match answer {
        Answer::Status(status) => {
            let text = format!("status {status}");
            let _ = write!(
                &stream,
                "HTTP/1.1 {status} X\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
                text.len()
            );
        }
        Answer::Hang => {
            // Read until the sender closes the connection.
            let mut sink = [0u8; 64];
            let mut s = &stream;
            while s.read(&mut sink).is_ok_and(|n| n > 0) {}
            state.lock().unwrap().received[index].closed_at = Some(Instant::now());
        }
    }
}

/// A chunked body (`<hex size>\r\n<bytes>\r\n` … `0\r\n\r\n`).
fn read_chunked(reader: &mut impl BufRead) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let mut size = String::new();
        reader.read_line(&mut size).ok()?;
        let size = usize::from_str_radix(size.trim().split(';').next()?, 16).ok()?;
        let mut chunk = vec![0u8; size + 2];
        reader.read_exact(&mut chunk).ok()?;
        if size == 0 {
            return Some(body);
        }
        body.extend_from_slice(&chunk[..size]);
    }
}

/// Standard Webhooks verification, written from the specification: the key is
/// the base64 after `whsec_`; the signed content is `id.timestamp.body`; the
/// header holds space-separated `v1,<base64 HMAC-SHA256>`; the timestamp must
/// be within five minutes.
pub fn verify(secret: &str, headers: &HashMap<String, String>, body: &str) -> Result<(), String> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let id = headers.get("webhook-id").ok_or("no webhook-id")?;
    let timestamp = headers.get("webhook-timestamp").ok_or("no webhook-timestamp")?;
    let signatures = headers.get("webhook-signature").ok_or("no webhook-signature")?;
    let sent: u64 = timestamp.parse().map_err(|_| "timestamp is not a number")?;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    if sent.abs_diff(now) > 300 {
        return Err(format!("timestamp {sent} is too far from {now}"));
    }
    let key = b64.decode(secret.trim_start_matches("whsec_")).map_err(|e| format!("secret: {e}"))?;
    let mut mac = hmac::Hmac::<sha2_rustcrypto::Sha256>::new_from_slice(&key).map_err(|e| e.to_string())?;
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    let expected = b64.encode(mac.finalize().into_bytes());
    if signatures.split(' ').any(|s| s.strip_prefix("v1,") == Some(expected.as_str())) {
        Ok(())
    } else {
        Err(format!("no signature in `{signatures}` matches"))
    }
}
