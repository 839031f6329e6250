//! A test-only component. Each path under `/probe/` exercises one host
//! behaviour and reports what happened, so tests can check the host from
//! outside, like a client.

use spin_sdk::http::{IntoResponse, Method, Request, Response};
use spin_sdk::{http_component, key_value, sqlite, variables};

fn text(status: u16, body: impl Into<String>) -> Response {
    Response::builder().status(status).header("content-type", "text/plain").body(body.into()).build()
}

fn query<'r>(req: &'r Request, name: &str) -> &'r str {
    req.query().split('&').filter_map(|pair| pair.split_once('=')).find(|(k, _)| *k == name).map_or("", |(_, v)| v)
}

#[http_component]
async fn handle(req: Request) -> anyhow::Result<impl IntoResponse> {
    let path_info = req.header("spin-path-info").and_then(|v| v.as_str()).unwrap_or("").to_owned();
    let echo_headers = req.query().split('&').any(|p| p == "echo=headers");
    Ok(match (req.method(), path_info.as_str()) {
        _ if echo_headers => {
            let mut seen = serde_json::Map::new();
            for (name, value) in req.headers() {
                if name.starts_with("spin-") {
                    seen.insert(name.to_owned(), value.as_str().unwrap_or("").into());
                }
            }
            Response::builder()
                .status(200)
                .header("content-type", "application/json")
                .body(serde_json::Value::Object(seen).to_string())
                .build()
        }
        (Method::Post, "/sqlite") => {
            let db = sqlite::Connection::open_default()?;
            db.execute("CREATE TABLE IF NOT EXISTS probe (k TEXT PRIMARY KEY, v TEXT)", &[])?;
            db.execute(
                "INSERT INTO probe (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v",
                &[sqlite::Value::Text(query(&req, "k").into()), sqlite::Value::Text(query(&req, "v").into())],
            )?;
            text(201, "stored")
        }
        (Method::Get, "/sqlite") => {
            let db = sqlite::Connection::open_default()?;
            let rows =
                db.execute("SELECT v FROM probe WHERE k = ?", &[sqlite::Value::Text(query(&req, "k").into())])?;
            match rows.rows().next().and_then(|r| r.get::<&str>("v").map(str::to_owned)) {
                Some(v) => text(200, v),
                None => text(404, "missing"),
            }
        }
        (_, "/sqlite-query") => {
            // Runs one statement against the default database; used by the
            // migration tests to look at what start-up created.
            let db = sqlite::Connection::open_default()?;
            match db.execute(&String::from_utf8_lossy(req.body()), &[]) {
                Ok(rows) => {
                    let first = rows.rows.first().map(|r| format!("{:?}", r.values)).unwrap_or_default();
                    text(200, first)
                }
                Err(e) => text(400, format!("{e:?}")),
            }
        }
        (_, "/sqlite-other") => match sqlite::Connection::open("not-granted") {
            Ok(_) => text(200, "opened"),
            Err(e) => text(403, format!("{e:?}")),
        },
        (Method::Post, "/kv") => {
            let store = key_value::Store::open_default()?;
            store.set(query(&req, "key"), query(&req, "value").as_bytes())?;
            text(201, "stored")
        }
        (Method::Get, "/kv") => {
            let store = key_value::Store::open_default()?;
            match store.get(query(&req, "key"))? {
                Some(v) => text(200, String::from_utf8_lossy(&v)),
                None => text(404, "missing"),
            }
        }
        (_, "/variable") => match variables::get(query(&req, "name")) {
            Ok(v) => text(200, v),
            Err(e) => text(404, format!("{e:?}")),
        },
        (_, "/outbound") => {
            let url = query(&req, "url").replace("%3A", ":").replace("%2F", "/");
            let outgoing = Request::get(url).build();
            match spin_sdk::http::send::<_, Response>(outgoing).await {
                Ok(response) => text(200, format!("status {}", response.status())),
                Err(e) => text(502, format!("{e:?}")),
            }
        }
        (_, "/spin") => {
            // A runaway guest: never returns on its own.
            let mut n: u64 = 0;
            loop {
                n = std::hint::black_box(n.wrapping_add(1));
            }
        }
        (_, "/allocate") => {
            // Allocates without bound until the host's memory cap stops it.
            let mut hoard: Vec<Vec<u8>> = Vec::new();
            loop {
                hoard.push(vec![1u8; 8 * 1024 * 1024]);
                std::hint::black_box(&hoard);
            }
        }
        (_, "/ok") => text(200, "ok"),
        (_, "/sleep") => {
            // Holds its instance without using a core (the host's clock does the waiting).
            let ms = query(&req, "ms").parse::<u64>().unwrap_or(1000);
            std::thread::sleep(std::time::Duration::from_millis(ms));
            text(200, "slept")
        }
        (_, "/echo") => text(200, req.body().len().to_string()),
        _ => text(404, format!("probe has no {path_info}")),
    })
}
