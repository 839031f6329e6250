//! What a forge webhook means for Switchyard: GitHub and GitLab payloads read
//! into one [`ForgeEvent`] (pull/merge requests, pushes, check results,
//! comments). Parsing is pure; the edge attaches the event to a lane.

use serde_json::Value;
use switchyard_api::{CiStatus, PullRequestState};

/// A forge delivery, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ForgeEvent {
    /// The forge checking that the hook works.
    Ping,
    PullRequest(PullRequest),
    Push {
        repository: String,
        branch: String,
        head_commit: Option<String>,
        commits: u32,
    },
    /// A check (GitHub check run, check suite or workflow run; GitLab pipeline) on a branch.
    Check {
        repository: String,
        branch: Option<String>,
        pull_requests: Vec<u64>,
        name: String,
        status: CiStatus,
        url: Option<String>,
        summary: Option<String>,
    },
    /// A new comment on an issue or pull/merge request.
    Comment {
        repository: String,
        author: String,
        body: String,
        number: Option<u64>,
        url: Option<String>,
    },
    /// Not an event Switchyard acts on; the reason is kept with the delivery.
    Ignored(String),
}

/// A pull (merge) request as a forge event describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRequest {
    pub repository: String,
    pub number: u64,
    pub state: PullRequestState,
    pub branch: String,
    pub url: Option<String>,
    pub title: String,
    pub body: Option<String>,
    pub labels: Vec<String>,
    pub author: Option<String>,
    pub merge_commit: Option<String>,
}

fn text(v: &Value, pointer: &str) -> Option<String> {
    v.pointer(pointer).and_then(Value::as_str).map(str::to_owned)
}

fn need(v: &Value, pointer: &str) -> Result<String, String> {
    text(v, pointer).ok_or_else(|| format!("the payload has no `{pointer}`"))
}

fn number(v: &Value, pointer: &str) -> Result<u64, String> {
    v.pointer(pointer).and_then(Value::as_u64).ok_or_else(|| format!("the payload has no number at `{pointer}`"))
}

fn ignored(what: impl Into<String>) -> Result<ForgeEvent, String> {
    Ok(ForgeEvent::Ignored(what.into()))
}

/// A GitHub delivery (`X-GitHub-Event` and its JSON body).
pub fn parse_github(event: &str, p: &Value) -> Result<ForgeEvent, String> {
    let repository = || need(p, "/repository/full_name");
    let action = text(p, "/action").unwrap_or_default();
    match event {
        "ping" => Ok(ForgeEvent::Ping),
        "pull_request" => {
            let state = match action.as_str() {
                "opened" | "reopened" => PullRequestState::Open,
                "closed" if p.pointer("/pull_request/merged").and_then(Value::as_bool) == Some(true) => {
                    PullRequestState::Merged
                }
                "closed" => PullRequestState::Closed,
                other => return ignored(format!("pull_request action `{other}`")),
            };
            Ok(ForgeEvent::PullRequest(PullRequest {
                repository: repository()?,
                number: number(p, "/pull_request/number")?,
                state,
                branch: need(p, "/pull_request/head/ref")?,
                url: text(p, "/pull_request/html_url"),
                title: need(p, "/pull_request/title")?,
                body: text(p, "/pull_request/body"),
                labels: names(p.pointer("/pull_request/labels"), "name"),
                author: text(p, "/pull_request/user/login"),
                merge_commit: text(p, "/pull_request/merge_commit_sha"),
            }))
        }
        "push" => {
            let reference = need(p, "/ref")?;
            let Some(branch) = reference.strip_prefix("refs/heads/") else {
                return ignored(format!("push to `{reference}` (not a branch)"));
            };
            if p.pointer("/deleted").and_then(Value::as_bool) == Some(true) {
                return ignored(format!("branch `{branch}` deleted"));
            }
            Ok(ForgeEvent::Push {
                repository: repository()?,
                branch: branch.to_owned(),
                head_commit: text(p, "/after"),
                commits: count(p.pointer("/commits")),
            })
        }
        "check_run" | "check_suite" | "workflow_run" => {
            let object = &p[event];
            let status = github_status(
                object.get("status").and_then(Value::as_str).unwrap_or(""),
                object.get("conclusion").and_then(Value::as_str),
            )?;
            let name = match event {
                "check_run" => need(object, "/name")?,
                "check_suite" => text(object, "/app/name").unwrap_or_else(|| "check suite".into()),
                _ => need(object, "/name")?,
            };
            let branch = match event {
                "check_run" => text(object, "/check_suite/head_branch"),
                _ => text(object, "/head_branch"),
            };
            let summary = text(object, "/output/summary")
                .or_else(|| text(object, "/output/title"))
                .or_else(|| text(object, "/display_title"));
            Ok(ForgeEvent::Check {
                repository: repository()?,
                branch,
                pull_requests: object
                    .get("pull_requests")
                    .and_then(Value::as_array)
                    .map(|prs| prs.iter().filter_map(|pr| pr.get("number").and_then(Value::as_u64)).collect())
                    .unwrap_or_default(),
                name,
                status,
                url: text(object, "/html_url").or_else(|| text(object, "/details_url")),
                summary,
            })
        }
        "issue_comment" => {
            if action != "created" {
                return ignored(format!("issue_comment action `{action}`"));
            }
            Ok(ForgeEvent::Comment {
                repository: repository()?,
                author: need(p, "/comment/user/login")?,
                body: need(p, "/comment/body")?,
                number: p.pointer("/issue/number").and_then(Value::as_u64),
                url: text(p, "/comment/html_url"),
            })
        }
        other => ignored(format!("event `{other}`")),
    }
}

/// GitHub's `status` and `conclusion` as one status.
fn github_status(status: &str, conclusion: Option<&str>) -> Result<CiStatus, String> {
    Ok(match (status, conclusion) {
        ("completed", Some("success" | "neutral")) => CiStatus::Success,
        ("completed", Some("failure" | "timed_out" | "action_required" | "startup_failure")) => CiStatus::Failure,
        ("completed", Some("cancelled" | "stale")) => CiStatus::Cancelled,
        ("completed", Some("skipped")) => CiStatus::Skipped,
        ("in_progress", _) => CiStatus::Running,
        ("queued" | "requested" | "waiting" | "pending", _) => CiStatus::Queued,
        (s, c) => return Err(format!("unknown check status `{s}` / conclusion `{}`", c.unwrap_or("none"))),
    })
}

/// A GitLab delivery (`X-Gitlab-Event` and its JSON body).
pub fn parse_gitlab(event: &str, p: &Value) -> Result<ForgeEvent, String> {
    let repository = || need(p, "/project/path_with_namespace");
    match event {
        "Merge Request Hook" => {
            let action = text(p, "/object_attributes/action").unwrap_or_default();
            let state = match action.as_str() {
                "open" | "reopen" => PullRequestState::Open,
                "merge" => PullRequestState::Merged,
                "close" => PullRequestState::Closed,
                other => return ignored(format!("merge request action `{other}`")),
            };
            Ok(ForgeEvent::PullRequest(PullRequest {
                repository: repository()?,
                number: number(p, "/object_attributes/iid")?,
                state,
                branch: need(p, "/object_attributes/source_branch")?,
                url: text(p, "/object_attributes/url"),
                title: need(p, "/object_attributes/title")?,
                body: text(p, "/object_attributes/description"),
                labels: names(p.pointer("/labels"), "title"),
                author: text(p, "/user/username"),
                merge_commit: text(p, "/object_attributes/merge_commit_sha"),
            }))
        }
        "Push Hook" => {
            let reference = need(p, "/ref")?;
            let Some(branch) = reference.strip_prefix("refs/heads/") else {
                return ignored(format!("push to `{reference}` (not a branch)"));
            };
            let after = text(p, "/after");
            if after.as_deref().is_some_and(|a| !a.is_empty() && a.bytes().all(|b| b == b'0')) {
                return ignored(format!("branch `{branch}` deleted"));
            }
            let commits = p
                .pointer("/total_commits_count")
                .and_then(Value::as_u64)
                .map_or_else(|| count(p.pointer("/commits")), |n| u32::try_from(n).unwrap_or(u32::MAX));
            Ok(ForgeEvent::Push { repository: repository()?, branch: branch.to_owned(), head_commit: after, commits })
        }
        "Pipeline Hook" => {
            let status = match need(p, "/object_attributes/status")?.as_str() {
                "success" => CiStatus::Success,
                "failed" => CiStatus::Failure,
                "canceled" | "canceling" => CiStatus::Cancelled,
                "skipped" => CiStatus::Skipped,
                "running" => CiStatus::Running,
                "created" | "pending" | "waiting_for_resource" | "preparing" | "scheduled" | "manual" => {
                    CiStatus::Queued
                }
                other => return Err(format!("unknown pipeline status `{other}`")),
            };
            // Which jobs failed, for the follow-up.
            let failed: Vec<String> = p
                .get("builds")
                .and_then(Value::as_array)
                .map(|builds| {
                    builds
                        .iter()
                        .filter(|b| b.get("status").and_then(Value::as_str) == Some("failed"))
                        .filter_map(|b| b.get("name").and_then(Value::as_str))
                        .map(|n| format!("job `{n}` failed"))
                        .collect()
                })
                .unwrap_or_default();
            Ok(ForgeEvent::Check {
                repository: repository()?,
                branch: text(p, "/object_attributes/ref"),
                pull_requests: p.pointer("/merge_request/iid").and_then(Value::as_u64).into_iter().collect(),
                name: text(p, "/object_attributes/name").unwrap_or_else(|| "pipeline".into()),
                status,
                url: text(p, "/object_attributes/url"),
                summary: (!failed.is_empty()).then(|| failed.join("; ")),
            })
        }
        "Note Hook" => Ok(ForgeEvent::Comment {
            repository: repository()?,
            author: need(p, "/user/username")?,
            body: need(p, "/object_attributes/note")?,
            number: p.pointer("/merge_request/iid").or_else(|| p.pointer("/issue/iid")).and_then(Value::as_u64),
            url: text(p, "/object_attributes/url"),
        }),
        other => ignored(format!("event `{other}`")),
    }
}

fn names(list: Option<&Value>, field: &str) -> Vec<String> {
    list.and_then(Value::as_array)
        .map(|items| items.iter().filter_map(|l| l.get(field).and_then(Value::as_str)).map(str::to_owned).collect())
        .unwrap_or_default()
}

fn count(list: Option<&Value>) -> u32 {
    list.and_then(Value::as_array).map_or(0, |a| u32::try_from(a.len()).unwrap_or(u32::MAX))
}

/// The request in a comment that mentions `@handle` (case-insensitive, a whole
/// handle): the comment without the mention, trimmed; none when it does not
/// mention the handle or asks nothing.
pub fn mention(body: &str, handle: &str) -> Option<String> {
    let needle = format!("@{}", handle.to_ascii_lowercase());
    let lower = body.to_ascii_lowercase();
    let mut from = 0;
    while let Some(found) = lower[from..].find(&needle) {
        let start = from + found;
        let end = start + needle.len();
        let before_ok = start == 0 || !is_handle_char(lower.as_bytes()[start - 1]);
        let after_ok = end == lower.len() || !is_handle_char(lower.as_bytes()[end]);
        if before_ok && after_ok {
            let after = body[end..].trim_start().trim_start_matches([',', ':']);
            let request = format!("{} {}", body[..start].trim(), after.trim()).trim().to_owned();
            return (!request.is_empty()).then_some(request);
        }
        from = end;
    }
    None
}

fn is_handle_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn github_pull_requests_open_merge_and_close() {
        let pr = |action: &str, merged: bool| {
            json!({"action": action, "repository": {"full_name": "octo/app"}, "pull_request": {
                "number": 7, "merged": merged, "head": {"ref": "switchyard/lane_1"}, "title": "Fix it",
                "html_url": "https://github.com/octo/app/pull/7", "body": "Body", "user": {"login": "ana"},
                "labels": [{"name": "bug"}], "merge_commit_sha": "abc123"}})
        };
        let ForgeEvent::PullRequest(opened) = parse_github("pull_request", &pr("opened", false)).unwrap() else {
            panic!()
        };
        assert_eq!(
            (opened.number, opened.state, opened.branch.as_str()),
            (7, PullRequestState::Open, "switchyard/lane_1")
        );
        assert_eq!(opened.labels, ["bug"]);
        let ForgeEvent::PullRequest(merged) = parse_github("pull_request", &pr("closed", true)).unwrap() else {
            panic!()
        };
        assert_eq!(merged.state, PullRequestState::Merged);
        let ForgeEvent::PullRequest(closed) = parse_github("pull_request", &pr("closed", false)).unwrap() else {
            panic!()
        };
        assert_eq!(closed.state, PullRequestState::Closed);
        assert!(matches!(parse_github("pull_request", &pr("labeled", false)), Ok(ForgeEvent::Ignored(_))));
        assert!(parse_github("pull_request", &json!({"action": "opened"})).is_err(), "no repository");
    }

    #[test]
    fn github_checks_map_status_and_conclusion() {
        let run = json!({"action": "completed", "repository": {"full_name": "octo/app"}, "check_run": {
            "name": "test", "status": "completed", "conclusion": "failure", "html_url": "https://ci/1",
            "check_suite": {"head_branch": "feature"}, "pull_requests": [{"number": 7}],
            "output": {"title": "1 failed", "summary": "test_x failed"}}});
        let ForgeEvent::Check { status, branch, pull_requests, summary, .. } = parse_github("check_run", &run).unwrap()
        else {
            panic!()
        };
        assert_eq!(
            (status, branch.as_deref(), pull_requests, summary.as_deref()),
            (CiStatus::Failure, Some("feature"), vec![7], Some("test_x failed"))
        );
        let wf = json!({"repository": {"full_name": "o/a"}, "workflow_run": {"name": "CI", "status": "in_progress",
            "conclusion": null, "head_branch": "main", "pull_requests": []}});
        assert!(matches!(parse_github("workflow_run", &wf), Ok(ForgeEvent::Check { status: CiStatus::Running, .. })));
        assert_eq!(github_status("completed", Some("neutral")), Ok(CiStatus::Success));
        assert!(github_status("weird", None).is_err());
    }

    #[test]
    fn github_push_comment_ping_and_unknown() {
        let push = json!({"ref": "refs/heads/feature", "after": "def", "repository": {"full_name": "o/a"},
            "commits": [{}, {}]});
        assert_eq!(
            parse_github("push", &push).unwrap(),
            ForgeEvent::Push {
                repository: "o/a".into(),
                branch: "feature".into(),
                head_commit: Some("def".into()),
                commits: 2
            }
        );
        let tag = json!({"ref": "refs/tags/v1", "repository": {"full_name": "o/a"}});
        assert!(matches!(parse_github("push", &tag), Ok(ForgeEvent::Ignored(_))));
        let comment = json!({"action": "created", "repository": {"full_name": "o/a"}, "issue": {"number": 3},
            "comment": {"body": "@bot fix the flaky test", "user": {"login": "ana"}}});
        assert!(matches!(parse_github("issue_comment", &comment), Ok(ForgeEvent::Comment { number: Some(3), .. })));
        assert_eq!(parse_github("ping", &json!({})), Ok(ForgeEvent::Ping));
        assert!(matches!(parse_github("star", &json!({})), Ok(ForgeEvent::Ignored(_))));
    }

    #[test]
    fn gitlab_merge_requests_pipelines_and_notes() {
        let mr = json!({"object_kind": "merge_request", "project": {"path_with_namespace": "grp/app"},
            "user": {"username": "bo"}, "labels": [{"title": "feature"}],
            "object_attributes": {"iid": 4, "action": "merge", "source_branch": "b", "title": "Add",
                "url": "https://gitlab.example.com/grp/app/-/merge_requests/4", "merge_commit_sha": "f00"}});
        let ForgeEvent::PullRequest(pr) = parse_gitlab("Merge Request Hook", &mr).unwrap() else { panic!() };
        assert_eq!((pr.number, pr.state, pr.labels.clone()), (4, PullRequestState::Merged, vec!["feature".into()]));
        let pipeline = json!({"project": {"path_with_namespace": "grp/app"},
            "object_attributes": {"status": "failed", "ref": "b"},
            "builds": [{"name": "lint", "status": "success"}, {"name": "test", "status": "failed"}]});
        let ForgeEvent::Check { status, summary, .. } = parse_gitlab("Pipeline Hook", &pipeline).unwrap() else {
            panic!()
        };
        assert_eq!((status, summary.as_deref()), (CiStatus::Failure, Some("job `test` failed")));
        let deleted = json!({"ref": "refs/heads/b", "after": "0000000000000000000000000000000000000000",
            "project": {"path_with_namespace": "grp/app"}});
        assert!(matches!(parse_gitlab("Push Hook", &deleted), Ok(ForgeEvent::Ignored(_))));
        let note = json!({"project": {"path_with_namespace": "grp/app"}, "user": {"username": "bo"},
            "object_attributes": {"note": "@bot please"}, "merge_request": {"iid": 4}});
        assert!(matches!(parse_gitlab("Note Hook", &note), Ok(ForgeEvent::Comment { number: Some(4), .. })));
        assert!(matches!(parse_gitlab("Wiki Page Hook", &json!({})), Ok(ForgeEvent::Ignored(_))));
    }

    #[test]
    fn mentions_are_whole_handles() {
        assert_eq!(mention("@Switchyard fix the login bug", "switchyard").as_deref(), Some("fix the login bug"));
        assert_eq!(mention("hey @switchyard: add tests", "switchyard").as_deref(), Some("hey add tests"));
        assert_eq!(mention("@switchyard-bot do it", "switchyard"), None, "a longer handle is someone else");
        assert_eq!(mention("mail me@switchyard.dev", "switchyard"), None);
        assert_eq!(mention("@switchyard", "switchyard"), None, "asks nothing");
        assert_eq!(mention("no mention", "switchyard"), None);
    }
}
