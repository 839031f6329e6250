//! A sprint's way through the SDLC: which moves are allowed, and the guard
//! each forward step must pass, decided from what its issues and lanes are.

use switchyard_api::{ItemDispatch, LaneState, SprintState};

/// The kind of move `sdlc-transition` asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    /// One step along the SDLC.
    Forward,
    /// Back to `plan`, `build` or `review` (or out of `cancelled`).
    Retry,
    Cancel,
}

/// Decides the move from `from` to `to`, or says why it is not allowed.
pub fn classify(from: SprintState, to: SprintState, retry: bool) -> Result<Move, String> {
    use SprintState::*;
    if from == Complete {
        return Err("the sprint is complete; plan a new one".into());
    }
    if to == Cancelled {
        return if from == Cancelled { Err("the sprint is already cancelled".into()) } else { Ok(Move::Cancel) };
    }
    if retry {
        let back = matches!(to, Plan | Build | Review) && (from == Cancelled || to <= from);
        return if back {
            Ok(Move::Retry)
        } else {
            Err(format!("a retry goes back to plan, build or review, at or before {}", from.as_str()))
        };
    }
    if from == Cancelled {
        return Err("the sprint is cancelled; retry it from plan, build or review".into());
    }
    match next(from) {
        Some(n) if n == to => Ok(Move::Forward),
        Some(n) => Err(format!(
            "a sprint in {} moves to {} next (or is cancelled, or retried with \"retry\": true)",
            from.as_str(),
            n.as_str()
        )),
        None => Err(format!("a sprint in {} does not move on", from.as_str())),
    }
}

/// The state after `state` along the SDLC.
pub fn next(state: SprintState) -> Option<SprintState> {
    let phases = SprintState::PHASES;
    phases.iter().position(|s| *s == state).and_then(|i| phases.get(i + 1)).copied()
}

/// What a guard needs to know about one issue of the sprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemView {
    pub number: u64,
    pub dispatch: ItemDispatch,
    pub lane_state: Option<LaneState>,
    pub verified: Option<bool>,
}

/// What stands in the way of entering `to`: empty when its guard holds.
/// - `plan`, `review`, `ship`: at least one issue;
/// - `review`: no issue waits to be dispatched, and every lane has ended;
/// - `ship`: every issue's lane merged and verified;
/// - others: nothing.
pub fn blockers(to: SprintState, items: &[ItemView]) -> Vec<String> {
    let mut out = Vec::new();
    if items.is_empty() && matches!(to, SprintState::Plan | SprintState::Review | SprintState::Ship) {
        out.push("the sprint has no issues".to_owned());
    }
    match to {
        SprintState::Review => {
            for item in items {
                match (item.dispatch, item.lane_state) {
                    (ItemDispatch::Planned, _) => out.push(format!("#{} is not dispatched yet", item.number)),
                    (ItemDispatch::Dispatched, Some(state)) if state.is_active() => {
                        out.push(format!("#{}'s lane is {}", item.number, state.as_str()));
                    }
                    _ => {}
                }
            }
        }
        SprintState::Ship => {
            for item in items {
                match (item.lane_state, item.verified) {
                    (Some(LaneState::Merged), Some(true)) => {}
                    (Some(LaneState::Merged), _) => {
                        out.push(format!("#{}'s lane is merged but not verified", item.number))
                    }
                    (Some(state), _) => out.push(format!("#{}'s lane is {}, not merged", item.number, state.as_str())),
                    (None, _) => out.push(format!("#{} has no lane", item.number)),
                }
            }
        }
        _ => {}
    }
    out
}

/// Whether a retry to `build` dispatches the item again: its lane failed or
/// was cancelled, or its dispatch was refused.
pub fn redispatch(item: &ItemView) -> bool {
    item.dispatch == ItemDispatch::Refused || matches!(item.lane_state, Some(LaneState::Failed | LaneState::Cancelled))
}

#[cfg(test)]
mod tests {
    use super::*;
    use SprintState::*;

    fn item(number: u64, dispatch: ItemDispatch, lane: Option<LaneState>, verified: Option<bool>) -> ItemView {
        ItemView { number, dispatch, lane_state: lane, verified }
    }

    #[test]
    fn sprints_move_one_step_forward_cancel_from_anywhere_and_retry_backwards() {
        assert_eq!(classify(Intake, Plan, false), Ok(Move::Forward));
        assert_eq!(classify(Review, Ship, false), Ok(Move::Forward));
        assert_eq!(classify(Ship, Complete, false), Ok(Move::Forward));
        assert!(classify(Plan, Ship, false).unwrap_err().contains("moves to build next"));
        assert!(classify(Build, Plan, false).is_err());
        assert_eq!(classify(Build, Cancelled, false), Ok(Move::Cancel));
        assert!(classify(Cancelled, Cancelled, false).is_err());
        assert!(classify(Complete, Cancelled, false).unwrap_err().contains("complete"));
        assert_eq!(classify(Ship, Build, true), Ok(Move::Retry));
        assert_eq!(classify(Build, Build, true), Ok(Move::Retry));
        assert_eq!(classify(Cancelled, Plan, true), Ok(Move::Retry));
        assert!(classify(Plan, Build, true).is_err(), "a retry does not go forward");
        assert!(classify(Ship, Ship, true).is_err(), "ship is not a retry target");
        assert!(classify(Cancelled, Build, false).unwrap_err().contains("retry"));
        assert_eq!(next(Ship), Some(Complete));
        assert_eq!(next(Complete), None);
    }

    #[test]
    fn guards_name_each_issue_in_the_way() {
        assert_eq!(blockers(Plan, &[]), ["the sprint has no issues"]);
        assert_eq!(blockers(Ship, &[]), ["the sprint has no issues"], "an empty sprint ships nothing");
        let building = [
            item(1, ItemDispatch::Dispatched, Some(LaneState::Running), None),
            item(2, ItemDispatch::Planned, None, None),
            item(3, ItemDispatch::Dispatched, Some(LaneState::Completed), None),
            item(4, ItemDispatch::Refused, None, None),
        ];
        assert_eq!(blockers(Review, &building), ["#1's lane is running", "#2 is not dispatched yet"]);
        let reviewed = [
            item(1, ItemDispatch::Dispatched, Some(LaneState::Merged), Some(true)),
            item(2, ItemDispatch::Dispatched, Some(LaneState::Merged), Some(false)),
            item(3, ItemDispatch::Dispatched, Some(LaneState::Completed), Some(true)),
            item(4, ItemDispatch::Refused, None, None),
        ];
        assert_eq!(
            blockers(Ship, &reviewed),
            ["#2's lane is merged but not verified", "#3's lane is completed, not merged", "#4 has no lane"]
        );
        assert!(blockers(Ship, &reviewed[..1]).is_empty());
        assert!(blockers(Complete, &reviewed).is_empty());
        assert!(redispatch(&item(1, ItemDispatch::Dispatched, Some(LaneState::Failed), None)));
        assert!(redispatch(&reviewed[3]));
        assert!(!redispatch(&reviewed[0]));
    }
}
