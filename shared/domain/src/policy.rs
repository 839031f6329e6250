//! Deciding what an action meets under a workspace's policy (issue 11).
//!
//! Every rule whose match holds is *met*. The outcome is the most severe
//! effect met — `deny`, then `require_approval`, then the default — so two
//! rules can only make an action stricter, never looser (fail closed). The one
//! exception is the built-in default: `git commit` and `git push` need
//! approval unless a rule with effect `allow` matches them. `warn` never
//! changes the outcome; it is reported with it. Ties go to the rule listed
//! first, which is the rule a denial names.

use switchyard_api::{AgentActionKind, MetRule, PolicyEffect, PolicyMatch, PolicyRule, PolicySubject, PolicyVerdict};

use crate::glob;

/// An action to decide, as the endpoint that is about to perform it sees it.
#[derive(Debug, Clone)]
pub enum Action<'a> {
    Dispatch {
        repository: &'a str,
        claim: &'a [String],
        harness_kind: &'a str,
        labels: &'a [String],
        token_budget: Option<u64>,
    },
    ToolCall {
        tool: &'a str,
        arguments: &'a serde_json::Value,
    },
    Agent {
        kind: AgentActionKind,
        /// Paths the action touched (relative to the repository root).
        paths: &'a [String],
        /// The command line, for `Command` actions.
        command: Option<&'a str>,
    },
    /// Completing a lane despite a mandate; no rule governs it.
    Completion,
}

impl<'a> Action<'a> {
    /// The action a wire subject (a `policy-test` body, a stored approval) describes.
    pub fn of(subject: &'a PolicySubject, scratch: &'a mut Scratch) -> Self {
        match subject {
            PolicySubject::Dispatch { repository, claim, harness_kind, labels, token_budget } => {
                scratch.claim = claim.strings();
                scratch.labels = labels.strings();
                Action::Dispatch {
                    repository: repository.as_str(),
                    claim: &scratch.claim,
                    harness_kind: harness_kind.as_str(),
                    labels: &scratch.labels,
                    token_budget: *token_budget,
                }
            }
            PolicySubject::ToolCall { tool, arguments } => Action::ToolCall { tool: tool.as_str(), arguments },
            PolicySubject::Action(action) => {
                scratch.paths = action.paths.strings();
                Action::Agent {
                    kind: action.kind,
                    paths: &scratch.paths,
                    command: action.command.as_ref().map(|c| c.as_str()),
                }
            }
            PolicySubject::Completion { .. } => Action::Completion,
        }
    }
}

/// Owned lists an [`Action`] borrows when it is built from a wire subject.
#[derive(Debug, Default)]
pub struct Scratch {
    claim: Vec<String>,
    labels: Vec<String>,
    paths: Vec<String>,
}

/// The first duplicated rule name, as `(index, name)`: names identify rules in denials.
pub fn duplicate_name(rules: &[PolicyRule]) -> Option<(usize, &str)> {
    let mut seen = std::collections::BTreeSet::new();
    rules.iter().enumerate().find(|(_, r)| !seen.insert(r.name.as_str())).map(|(i, r)| (i, r.name.as_str()))
}

/// Why an action waits when no rule's message says: the built-in gate or the rule's name.
pub fn reason(verdict: &PolicyVerdict) -> String {
    let message =
        verdict.met.iter().find(|m| Some(&m.name) == verdict.decided_by.as_ref()).and_then(|m| m.message.clone());
    match (&verdict.decided_by, message) {
        (_, Some(message)) => message,
        (Some(rule), None) => format!("policy rule '{rule}' requires approval"),
        (None, None) => "commits and pushes need a member's approval".to_owned(),
    }
}

/// Decides `action` under `rules` (in the workspace's order).
pub fn evaluate(rules: &[PolicyRule], action: &Action<'_>) -> PolicyVerdict {
    let met: Vec<&PolicyRule> = rules.iter().filter(|r| matches(&r.when, action)).collect();
    let first = |effect: PolicyEffect| met.iter().find(|r| r.effect == effect).map(|r| r.name.as_str().to_owned());
    let gated = matches!(action, Action::Agent { kind: AgentActionKind::Commit | AgentActionKind::Push, .. });
    let (outcome, decided_by) = if let Some(rule) = first(PolicyEffect::Deny) {
        (PolicyEffect::Deny, Some(rule))
    } else if let Some(rule) = first(PolicyEffect::RequireApproval) {
        (PolicyEffect::RequireApproval, Some(rule))
    } else if gated {
        match first(PolicyEffect::Allow) {
            Some(rule) => (PolicyEffect::Allow, Some(rule)),
            // Commits and pushes wait for a person unless a rule waives it.
            None => (PolicyEffect::RequireApproval, None),
        }
    } else if let Some(rule) = first(PolicyEffect::Warn) {
        (PolicyEffect::Warn, Some(rule))
    } else {
        (PolicyEffect::Allow, None)
    };
    PolicyVerdict {
        outcome,
        decided_by,
        met: met
            .iter()
            .map(|r| MetRule {
                name: r.name.as_str().to_owned(),
                effect: r.effect,
                message: r.message.as_ref().map(|m| m.as_str().to_owned()),
            })
            .collect(),
    }
}

/// Whether `rule` governs `action` and every condition it lists holds.
fn matches(rule: &PolicyMatch, action: &Action<'_>) -> bool {
    match (rule, action) {
        (
            PolicyMatch::Dispatch { repositories, paths, harness_kinds, labels, token_budget_at_least },
            Action::Dispatch { repository, claim, harness_kind, labels: lane_labels, token_budget },
        ) => {
            (repositories.is_empty() || repositories.iter().any(|r| wildcard(r.as_str(), repository)))
                && (paths.is_empty() || paths.iter().any(|p| claim.iter().any(|c| glob::overlap(p.as_str(), c))))
                && (harness_kinds.is_empty() || harness_kinds.iter().any(|k| k.as_str() == *harness_kind))
                && (labels.is_empty() || labels.iter().any(|l| lane_labels.iter().any(|x| x == l.as_str())))
                && token_budget_at_least.is_none_or(|least| token_budget.is_none_or(|b| b >= least))
        }
        (PolicyMatch::ToolCall { tools, arguments }, Action::ToolCall { tool, arguments: input }) => {
            (tools.is_empty() || tools.iter().any(|t| t.as_str() == *tool))
                && arguments.iter().all(|(pointer, pattern)| {
                    input.pointer(pointer).and_then(|v| v.as_str()).is_some_and(|v| wildcard(pattern, v))
                })
        }
        (PolicyMatch::Action { kinds, paths, commands }, Action::Agent { kind, paths: touched, command }) => {
            (kinds.is_empty() || kinds.contains(kind))
                && (paths.is_empty() || paths.iter().any(|p| touched.iter().any(|t| glob::matches(p.as_str(), t))))
                && (commands.is_empty()
                    || command.is_some_and(|c| commands.iter().any(|pattern| wildcard(pattern.as_str(), c))))
        }
        _ => false,
    }
}

/// Whether `text` matches `pattern`, where `*` stands for any run of characters
/// (greedy placement of the pieces between stars: linear, no backtracking).
pub fn wildcard(pattern: &str, text: &str) -> bool {
    let pieces: Vec<&str> = pattern.split('*').collect();
    if pieces.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (pieces[0], pieces[pieces.len() - 1]);
    if first.len() + last.len() > text.len() || !text.starts_with(first) || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for piece in &pieces[1..pieces.len() - 1] {
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rules(value: serde_json::Value) -> Vec<PolicyRule> {
        serde_json::from_value(value).expect("valid rules")
    }

    fn dispatch<'a>(repository: &'a str, claim: &'a [String], kind: &'a str, budget: Option<u64>) -> Action<'a> {
        Action::Dispatch { repository, claim, harness_kind: kind, labels: &[], token_budget: budget }
    }

    #[test]
    fn a_deny_rule_names_itself_and_beats_everything_else() {
        let rules = rules(json!([
            {"name": "warn-on-src", "effect": "warn", "when": {"on": "dispatch", "paths": ["src/**"]}},
            {"name": "no-direct-billing-edits", "effect": "deny", "when": {"on": "dispatch", "paths": ["billing/**"]},
             "message": "Billing changes go through the payments team"},
            {"name": "review-billing", "effect": "require_approval", "when": {"on": "dispatch", "paths": ["billing/**"]}},
        ]));
        let claim = vec!["billing/invoice.rs".to_owned(), "src/lib.rs".to_owned()];
        let verdict = evaluate(&rules, &dispatch("shop", &claim, "codex", None));
        assert_eq!(verdict.outcome, PolicyEffect::Deny);
        assert_eq!(verdict.decided_by.as_deref(), Some("no-direct-billing-edits"));
        assert_eq!(verdict.met.len(), 3, "every rule met is reported");
        assert_eq!(verdict.met[1].message.as_deref(), Some("Billing changes go through the payments team"));

        let elsewhere = vec!["docs/**".to_owned()];
        let verdict = evaluate(&rules, &dispatch("shop", &elsewhere, "codex", None));
        assert_eq!((verdict.outcome, verdict.decided_by), (PolicyEffect::Allow, None));
        assert!(verdict.met.is_empty());
    }

    #[test]
    fn claims_match_by_overlap_not_by_equal_strings() {
        let rules = rules(
            json!([{"name": "protect-ci", "effect": "deny", "when": {"on": "dispatch", "paths": [".github/**"]}}]),
        );
        for (claim, denied) in [("**", true), (".github/workflows/*.yml", true), ("docs/*", false), ("src/**", false)] {
            let claim = vec![claim.to_owned()];
            assert_eq!(
                evaluate(&rules, &dispatch("r", &claim, "k", None)).outcome == PolicyEffect::Deny,
                denied,
                "{claim:?}"
            );
        }
    }

    #[test]
    fn every_listed_condition_must_hold() {
        let rules = rules(json!([{"name": "big-codex-runs", "effect": "require_approval", "when": {"on": "dispatch",
            "repositories": ["payments-*"], "harness_kinds": ["codex"], "token_budget_at_least": 1000000}}]));
        let claim = vec!["src/**".to_owned()];
        let cases = [
            (dispatch("payments-api", &claim, "codex", Some(2_000_000)), PolicyEffect::RequireApproval),
            (dispatch("payments-api", &claim, "codex", None), PolicyEffect::RequireApproval),
            (dispatch("payments-api", &claim, "codex", Some(10)), PolicyEffect::Allow),
            (dispatch("payments-api", &claim, "claude-code", None), PolicyEffect::Allow),
            (dispatch("shop", &claim, "codex", None), PolicyEffect::Allow),
        ];
        for (action, outcome) in cases {
            assert_eq!(evaluate(&rules, &action).outcome, outcome, "{action:?}");
        }
    }

    #[test]
    fn commits_and_pushes_wait_for_approval_unless_waived() {
        let push = Action::Agent { kind: AgentActionKind::Push, paths: &[], command: None };
        let verdict = evaluate(&[], &push);
        assert_eq!((verdict.outcome, verdict.decided_by), (PolicyEffect::RequireApproval, None));

        let waive = rules(
            json!([{"name": "trusted-commits", "effect": "allow", "when": {"on": "action", "kinds": ["commit"]}}]),
        );
        let commit = Action::Agent { kind: AgentActionKind::Commit, paths: &[], command: None };
        assert_eq!(evaluate(&waive, &commit).outcome, PolicyEffect::Allow);
        assert_eq!(evaluate(&waive, &push).outcome, PolicyEffect::RequireApproval, "the waiver names commits only");

        // A stricter rule still wins over a waiver.
        let both = rules(json!([
            {"name": "trusted-commits", "effect": "allow", "when": {"on": "action", "kinds": ["commit"]}},
            {"name": "no-commits-to-main-config", "effect": "deny", "when": {"on": "action", "kinds": ["commit"], "paths": ["config/prod/**"]}},
        ]));
        let touched = vec!["config/prod/db.toml".to_owned()];
        let risky = Action::Agent { kind: AgentActionKind::Commit, paths: &touched, command: None };
        assert_eq!(evaluate(&both, &risky).decided_by.as_deref(), Some("no-commits-to-main-config"));
        // Writing files is not gated by default.
        let write = Action::Agent { kind: AgentActionKind::Write, paths: &touched, command: None };
        assert_eq!(evaluate(&[], &write).outcome, PolicyEffect::Allow);
    }

    #[test]
    fn tool_calls_and_commands_match_by_name_and_wildcard() {
        let rules = rules(json!([
            {"name": "no-prod-sql", "effect": "deny", "when": {"on": "tool_call", "tools": ["sql.query"],
             "arguments": {"/database": "prod-*"}}},
            {"name": "no-force-push", "effect": "deny", "when": {"on": "action", "kinds": ["command"], "commands": ["git push*--force*"]}},
        ]));
        let prod = json!({"database": "prod-eu", "sql": "select 1"});
        let staging = json!({"database": "staging", "sql": "select 1"});
        let call = |arguments| Action::ToolCall { tool: "sql.query", arguments };
        assert_eq!(evaluate(&rules, &call(&prod)).outcome, PolicyEffect::Deny);
        assert_eq!(evaluate(&rules, &call(&staging)).outcome, PolicyEffect::Allow);
        let missing = json!({});
        assert_eq!(evaluate(&rules, &call(&missing)).outcome, PolicyEffect::Allow, "an absent argument does not match");

        let command = |c| Action::Agent { kind: AgentActionKind::Command, paths: &[], command: Some(c) };
        assert_eq!(evaluate(&rules, &command("git push origin main --force")).outcome, PolicyEffect::Deny);
        assert_eq!(evaluate(&rules, &command("git push origin main")).outcome, PolicyEffect::Allow);
        // A dispatch rule never matches a tool call, and the other way round.
        assert!(evaluate(&rules, &dispatch("r", &["x".to_owned()], "k", None)).met.is_empty());
    }

    #[test]
    fn wildcards_place_pieces_without_backtracking() {
        assert!(wildcard("payments-*", "payments-api"));
        assert!(wildcard("*", ""));
        assert!(wildcard("a*b*c", "a-b-b-c"));
        assert!(!wildcard("a*b*c", "a-c-b"));
        assert!(!wildcard("ab*ba", "aba"), "the start and end may not share characters");
        assert!(wildcard("exact", "exact") && !wildcard("exact", "exactly"));
        let long = "a".repeat(10_000);
        assert!(!wildcard(&"*a".repeat(50).replace("**", "*"), &format!("{long}b")[..9_999].replace('a', "b")));
    }

    #[test]
    fn unknown_fields_and_effects_are_refused() {
        for bad in [
            json!([{"name": "x", "effect": "maybe", "when": {"on": "dispatch"}}]),
            json!([{"name": "x", "effect": "deny", "when": {"on": "dispatch", "tools": ["t"]}}]),
            json!([{"name": "x", "effect": "deny", "when": {"on": "everything"}}]),
            json!([{"name": "Not A Word", "effect": "deny", "when": {"on": "dispatch"}}]),
        ] {
            assert!(serde_json::from_value::<Vec<PolicyRule>>(bad.clone()).is_err(), "{bad}");
        }
    }
}
