//! What each command does: build the request, call the server, print the
//! answer as text (or, with `--json`, as the server's JSON).

use serde_json::{Value, json};

use crate::api::{Client, Failure, exit};
use crate::profiles::{Profile, Profiles};
use crate::{Approvals, Audit, Cli, Command, Decide, Inbox, Lanes, RunLane, Tokens, Workspace};

/// The server and token: flags or environment first, then the profile.
fn client(cli: &Cli) -> Result<Client, Failure> {
    let stored = Profiles::load().map_err(Failure::Usage)?.profiles.remove(&cli.profile);
    let url = cli.url.clone().or_else(|| stored.as_ref().map(|p| p.url.clone()));
    let token = cli.token.clone().or_else(|| stored.as_ref().map(|p| p.token.clone()));
    match (url, token) {
        (Some(url), Some(token)) => Client::new(&url, &token),
        _ => Err(Failure::Usage(format!(
            "no server for profile `{}`: run `switchyard login --url <server> --with-token -`, or give --url and --token",
            cli.profile
        ))),
    }
}

fn print(cli: &Cli, value: &Value, text: impl FnOnce(&Value) -> String) {
    if cli.json {
        println!("{value}");
    } else {
        let text = text(value);
        if !text.is_empty() {
            println!("{text}");
        }
    }
}

fn s<'v>(v: &'v Value, key: &str) -> &'v str {
    v[key].as_str().unwrap_or("-")
}

/// Runs a command that needs the server; the exit code on success.
pub async fn run(cli: Cli) -> Result<u8, Failure> {
    match &cli.command {
        Command::Login { with_token } => login(&cli, with_token.as_deref()).await,
        Command::Logout => {
            let mut all = Profiles::load().map_err(Failure::Usage)?;
            let had = all.profiles.remove(&cli.profile).is_some();
            all.save().map_err(Failure::Usage)?;
            print(&cli, &json!({"profile": cli.profile, "removed": had}), |_| {
                if had { format!("forgot profile `{}`", cli.profile) } else { format!("no profile `{}`", cli.profile) }
            });
            Ok(0)
        }
        Command::Lanes(lanes) => self::lanes(&cli, lanes).await,
        Command::Inbox(Inbox::List) => {
            let page = client(&cli)?.call("inbox-list", &json!({"resolved": false})).await?;
            print(&cli, &page, |p| {
                rows(p, |i| {
                    format!("{}  {}  {}  {}", s(i, "item_id"), s(i, "run_id"), s(i, "priority"), s(i, "question"))
                })
            });
            Ok(0)
        }
        Command::Inbox(Inbox::Answer { item_id, answer }) => {
            let done = client(&cli)?.call("inbox-resolve", &json!({"item_id": item_id, "answer": answer})).await?;
            print(&cli, &done, |d| {
                format!("answered {item_id}; lane {} is {}", s(&d["lane"], "run_id"), s(&d["lane"], "state"))
            });
            Ok(0)
        }
        Command::Approvals(Approvals::List) => {
            let page = client(&cli)?.call("approval-list", &json!({"state": "pending"})).await?;
            print(&cli, &page, |p| {
                rows(p, |a| {
                    format!(
                        "{}  {}  {}  {}",
                        s(a, "approval_id"),
                        s(a, "run_id"),
                        a["action"]["kind"].as_str().unwrap_or("-"),
                        s(a, "reason")
                    )
                })
            });
            Ok(0)
        }
        Command::Approve(d) => decide(&cli, "lane-approve", d).await,
        Command::Reject(d) => decide(&cli, "lane-reject", d).await,
        Command::Tokens(Tokens::Issue { name, scopes }) => {
            let issued = client(&cli)?.call("api-token-issue", &json!({"name": name, "scopes": scopes})).await?;
            print(&cli, &issued, |t| format!("{}\n(token {}; shown once — store it now)", s(t, "token"), s(t, "id")));
            Ok(0)
        }
        Command::Tokens(Tokens::Revoke { token_id }) => {
            let revoked = client(&cli)?.call("api-token-revoke", &json!({"token_id": token_id})).await?;
            print(&cli, &revoked, |_| format!("revoked {token_id}"));
            Ok(0)
        }
        Command::Tokens(Tokens::List { all }) => {
            let page = client(&cli)?.call("api-token-list", &json!({"include_inactive": all, "limit": 100})).await?;
            print(&cli, &page, |p| {
                rows(p, |t| {
                    let scopes: Vec<&str> =
                        t["scopes"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
                    let used = t["last_used_at"].as_str().unwrap_or("never used");
                    format!("{}  {:8}  {}  [{}]  {}", s(t, "id"), s(t, "state"), s(t, "name"), scopes.join(" "), used)
                })
            });
            Ok(0)
        }
        Command::Audit(Audit::Export { out }) => {
            download(&cli, "audit-export", &json!({"format": "ndjson"}), out.as_deref()).await
        }
        Command::Workspace(Workspace::Export { out }) => {
            download(&cli, "workspace-export", &json!({}), out.as_deref()).await
        }
        Command::Audit(Audit::Verify(_))
        | Command::Workspace(Workspace::Verify(_))
        | Command::VerifyExport(_)
        | Command::Completions { .. }
        | Command::Man => Err(Failure::Usage("handled before the server is needed".into())),
    }
}

/// One line per item of a page (or "none").
fn rows(page: &Value, line: impl Fn(&Value) -> String) -> String {
    let items = page["data"].as_array().cloned().unwrap_or_default();
    if items.is_empty() {
        return "none".into();
    }
    items.iter().map(line).collect::<Vec<_>>().join("\n")
}

async fn login(cli: &Cli, with_token: Option<&str>) -> Result<u8, Failure> {
    let url = cli.url.clone().ok_or_else(|| Failure::Usage("login needs --url <server>".into()))?;
    let token = match with_token {
        Some("-") => {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).map_err(|e| Failure::Usage(e.to_string()))?;
            line.trim().to_owned()
        }
        Some(t) => t.to_owned(),
        None => {
            cli.token.clone().ok_or_else(|| Failure::Usage("give --with-token <token> (or `-` for stdin)".into()))?
        }
    };
    if token.is_empty() {
        return Err(Failure::Usage("the token is empty".into()));
    }
    // A token the server does not know is refused now, not at the first command.
    let client = Client::new(&url, &token)?;
    match client.call("lane-list", &json!({"limit": 1})).await {
        Ok(_) | Err(Failure::Api { status: 403, .. }) => {}
        Err(e) => return Err(e),
    }
    let mut all = Profiles::load().map_err(Failure::Usage)?;
    all.profiles.insert(cli.profile.clone(), Profile { url: url.clone(), token });
    let path = all.save().map_err(Failure::Usage)?;
    print(cli, &json!({"profile": cli.profile, "url": url, "path": path}), |_| {
        format!("signed in to {url} as profile `{}` (stored in {}, mode 0600)", cli.profile, path.display())
    });
    Ok(0)
}

async fn decide(cli: &Cli, endpoint: &str, d: &Decide) -> Result<u8, Failure> {
    let mut body = json!({"run_id": d.run_id});
    if let Some(a) = &d.approval {
        body["approval_id"] = json!(a);
    }
    if let Some(n) = &d.note {
        body["note"] = json!(n);
    }
    let decided = client(cli)?.call(endpoint, &body).await?;
    print(cli, &decided, |v| {
        format!(
            "{} is {}; lane {} is {}",
            s(&v["approval"], "approval_id"),
            s(&v["approval"], "state"),
            d.run_id,
            s(&v["lane"], "state")
        )
    });
    Ok(0)
}

/// An NDJSON download (an audit export, a workspace archive): not one JSON value, so fetched raw.
async fn download(cli: &Cli, endpoint: &str, body: &Value, out: Option<&std::path::Path>) -> Result<u8, Failure> {
    let client = client(cli)?;
    let text = client.raw(endpoint, body).await?;
    match out {
        Some(path) => {
            std::fs::write(path, &text).map_err(|e| Failure::Usage(format!("{}: {e}", path.display())))?;
            let lines = text.lines().count();
            print(cli, &json!({"path": path, "lines": lines}), |_| {
                format!("wrote {lines} lines to {}", path.display())
            });
        }
        None => print!("{text}"),
    }
    Ok(0)
}

async fn lanes(cli: &Cli, command: &Lanes) -> Result<u8, Failure> {
    let client = client(cli)?;
    match command {
        Lanes::Run(run) => {
            let lane = client.call("agent-run", &run_body(run)?).await?;
            let run_id = s(&lane, "run_id").to_owned();
            if run.watch {
                if !cli.json {
                    println!("dispatched {run_id} ({})", s(&lane, "state"));
                }
                return watch(cli, &client, &run_id).await;
            }
            print(cli, &lane, |l| format!("{run_id}  {}", s(l, "state")));
            Ok(0)
        }
        Lanes::List { state, repository, limit } => {
            let mut body = json!({"limit": limit});
            if let Some(st) = state {
                body["state"] = json!(st);
            }
            if let Some(r) = repository {
                body["repository"] = json!(r);
            }
            let page = client.call("lane-list", &body).await?;
            print(cli, &page, |p| {
                rows(p, |l| {
                    format!(
                        "{}  {:<17} {:<12} {:<20} {}",
                        s(l, "run_id"),
                        s(l, "state"),
                        s(l, "harness_kind"),
                        s(l, "repository"),
                        budget(l)
                    )
                })
            });
            Ok(0)
        }
        Lanes::Get { run_id } => {
            let lane = client.call("lane-get", &json!({"run_id": run_id})).await?;
            print(cli, &lane, describe);
            Ok(0)
        }
        Lanes::Watch { run_id } => watch(cli, &client, run_id).await,
        Lanes::Pause { run_id } => act(cli, &client, "agent-pause", run_id).await,
        Lanes::Resume { run_id } => act(cli, &client, "agent-resume", run_id).await,
        Lanes::Cancel { run_id } => act(cli, &client, "agent-cancel", run_id).await,
        Lanes::Interrupt { run_id, message, kind } => {
            let queued =
                client.call("agent-interrupt", &json!({"run_id": run_id, "kind": kind, "message": message})).await?;
            print(cli, &queued, |q| format!("queued interrupt {} for {run_id}", q["interrupt_id"]));
            Ok(0)
        }
    }
}

fn run_body(run: &RunLane) -> Result<Value, Failure> {
    let brief = match (&run.brief, &run.brief_file) {
        (Some(b), _) if b == "-" => {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
                .map_err(|e| Failure::Usage(e.to_string()))?;
            text
        }
        (Some(b), _) => b.clone(),
        (None, Some(path)) => {
            std::fs::read_to_string(path).map_err(|e| Failure::Usage(format!("{}: {e}", path.display())))?
        }
        (None, None) => return Err(Failure::Usage("give --brief or --brief-file".into())),
    };
    let mut body = json!({"harness_kind": run.harness_kind, "repository": run.repository, "claim": run.claim, "brief": brief, "labels": run.labels});
    if let Some(b) = run.token_budget {
        body["token_budget"] = json!(b);
    }
    Ok(body)
}

async fn act(cli: &Cli, client: &Client, endpoint: &str, run_id: &str) -> Result<u8, Failure> {
    let lane = client.call(endpoint, &json!({"run_id": run_id})).await?;
    print(cli, &lane, |l| format!("{run_id}  {}", s(l, "state")));
    Ok(0)
}

/// `used/budget tokens` (or just used).
fn budget(lane: &Value) -> String {
    let used = lane["tokens_used"].as_u64().unwrap_or(0);
    match lane["token_budget"].as_u64() {
        Some(b) => format!("{used}/{b} tokens"),
        None => format!("{used} tokens"),
    }
}

fn describe(lane: &Value) -> String {
    let mut lines = vec![
        format!("lane        {}", s(lane, "run_id")),
        format!("state       {}", s(lane, "state")),
        format!("repository  {} ({} harness)", s(lane, "repository"), s(lane, "harness_kind")),
        format!(
            "claim       {}",
            lane["claim"]
                .as_array()
                .map(|c| c.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", "))
                .unwrap_or_default()
        ),
        format!("budget      {}", budget(lane)),
        format!("attempt     {}/{}", lane["attempt"], lane["max_attempts"]),
    ];
    if let Some(summary) = lane["summary"].as_str() {
        lines.push(format!("summary     {summary}"));
    }
    if let Some(branch) = lane["branch"].as_str() {
        lines.push(format!("branch      {branch}"));
    }
    let context = lane["context"].as_array().map_or(0, Vec::len);
    if context > 0 {
        lines.push(format!("context     {context} entries given with the brief"));
    }
    lines.push(format!("brief       {}", s(lane, "brief").lines().next().unwrap_or("")));
    lines.join("\n")
}

/// Prints one event as a line of progress.
fn progress(event: &Value, budget: Option<u64>) -> Option<String> {
    let data = &event["data"];
    Some(match event["type"].as_str()? {
        "state" => format!(
            "[state] {} → {}{}",
            data["from"].as_str().unwrap_or("new"),
            s(data, "to"),
            data["reason"].as_str().map(|r| format!(" ({r})")).unwrap_or_default()
        ),
        "output" => format!("[{}] {}", s(data, "stream"), s(data, "line")),
        "tokens" => {
            let used = data["tokens_used"].as_u64().unwrap_or(0);
            match budget {
                Some(b) => format!(
                    "[tokens] {used}/{b} ({:.0}%), {} cents",
                    used as f64 * 100.0 / b.max(1) as f64,
                    data["cost_used_cents"]
                ),
                None => format!("[tokens] {used}, {} cents", data["cost_used_cents"]),
            }
        }
        "file_change" => format!("[file] {} {}", s(data, "change"), s(data, "path")),
        "question_asked" => {
            format!("[question] {} (answer: switchyard inbox answer {} …)", s(data, "question"), s(data, "item_id"))
        }
        "approval_requested" => {
            format!("[approval] {} (switchyard approve {})", s(data, "reason"), event["run_id"].as_str().unwrap_or(""))
        }
        "checkpoint" => format!("[checkpoint] {} files +{} -{}", data["files"], data["insertions"], data["deletions"]),
        "result" => match data["outcome"].as_str() {
            Some("completed") => {
                format!("[result] completed, exit {}: {}", data["exit_code"], data["summary"].as_str().unwrap_or(""))
            }
            _ => format!("[result] failed: {}", s(data, "error")),
        },
        _ => return None,
    })
}

/// Follows the lane until it ends; the exit code says how it ended.
async fn watch(cli: &Cli, client: &Client, run_id: &str) -> Result<u8, Failure> {
    let lane = client.call("lane-get", &json!({"run_id": run_id})).await?;
    let budget = lane["token_budget"].as_u64();
    let json_out = cli.json;
    client
        .follow(run_id, |event| {
            if json_out {
                println!("{event}");
            } else if let Some(line) = progress(event, budget) {
                println!("{line}");
            }
        })
        .await?;
    let lane = client.call("lane-get", &json!({"run_id": run_id})).await?;
    let state = s(&lane, "state").to_owned();
    if !json_out {
        println!("lane {run_id} ended: {state}");
    }
    Ok(match state.as_str() {
        "failed" => exit::LANE_FAILED,
        "cancelled" => exit::LANE_CANCELLED,
        _ => 0,
    })
}
