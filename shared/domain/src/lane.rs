//! The lane state machine. Every state change in the product goes through
//! [`transition`]; anything it refuses is a 409 naming the current state.

pub use switchyard_api::LaneState;

/// What can happen to a lane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// A harness claimed it.
    Dispatch,
    /// A client paused it, or its token budget ran out.
    Pause,
    /// A client resumed it; `held` says whether a harness still holds it.
    Resume {
        held: bool,
    },
    Cancel,
    Complete,
    Fail,
    /// Its harness's lease expired; `retry` says whether attempts remain.
    LeaseExpired {
        retry: bool,
    },
    /// Something it does needs a member's decision.
    AwaitApproval,
    /// The request was approved (`held`: a harness holds the lane; if not, it
    /// was the dispatch itself, and the lane joins the queue).
    Approved {
        held: bool,
    },
    /// The request was rejected: a held lane's agent hears no and goes on; a
    /// dispatch that was refused never starts.
    Rejected {
        held: bool,
    },
    /// Its agent asked a question.
    AskInput,
    /// The question was answered.
    Answered,
    /// Its pull request merged.
    Merge,
}

/// A refused transition: the event is not allowed in `from`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Illegal {
    pub from: LaneState,
    pub event: Event,
}

impl std::fmt::Display for Illegal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the lane is {}; {:?} is not allowed", self.from.as_str(), self.event)
    }
}

pub fn transition(from: LaneState, event: Event) -> Result<LaneState, Illegal> {
    use LaneState::*;
    let to = match (from, event) {
        (Queued, Event::Dispatch) => Running,
        // A waiting lane may be paused too (its request is withdrawn, or it expired).
        (Running | AwaitingApproval | InputRequired, Event::Pause) => Paused,
        (Paused, Event::Resume { held: true }) => Running,
        (Paused, Event::Resume { held: false }) => Queued,
        (Queued | Running | Paused | AwaitingApproval | InputRequired, Event::Cancel) => Cancelled,
        // A harness may finish while a pause signal, a request or a question is in flight.
        (Running | Paused | AwaitingApproval | InputRequired, Event::Complete) => Completed,
        (Running | Paused | AwaitingApproval | InputRequired, Event::Fail) => Failed,
        (Running | Paused | AwaitingApproval | InputRequired, Event::LeaseExpired { retry: true }) => Queued,
        (Running | Paused | AwaitingApproval | InputRequired, Event::LeaseExpired { retry: false }) => Failed,
        (Running, Event::AskInput) => InputRequired,
        (InputRequired, Event::Answered) => Running,
        (Running, Event::AwaitApproval) => AwaitingApproval,
        (AwaitingApproval, Event::Approved { held: true } | Event::Rejected { held: true }) => Running,
        (AwaitingApproval, Event::Approved { held: false }) => Queued,
        (AwaitingApproval, Event::Rejected { held: false }) => Cancelled,
        (Completed, Event::Merge) => Merged,
        _ => return Err(Illegal { from, event }),
    };
    Ok(to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use LaneState::*;

    const EVENTS: [Event; 17] = [
        Event::Dispatch,
        Event::Pause,
        Event::Resume { held: true },
        Event::Resume { held: false },
        Event::Cancel,
        Event::Complete,
        Event::Fail,
        Event::LeaseExpired { retry: true },
        Event::LeaseExpired { retry: false },
        Event::AwaitApproval,
        Event::Approved { held: true },
        Event::Approved { held: false },
        Event::Rejected { held: true },
        Event::Rejected { held: false },
        Event::AskInput,
        Event::Answered,
        Event::Merge,
    ];

    /// The whole table, written out: every (state, event) pair.
    fn expected(from: LaneState, event: Event) -> Option<LaneState> {
        match event {
            Event::Dispatch => (from == Queued).then_some(Running),
            Event::Pause => matches!(from, Running | AwaitingApproval | InputRequired).then_some(Paused),
            Event::Resume { held } => (from == Paused).then_some(if held { Running } else { Queued }),
            Event::Cancel => from.is_active().then_some(Cancelled),
            Event::Complete => LaneState::HELD.contains(&from).then_some(Completed),
            Event::Fail => LaneState::HELD.contains(&from).then_some(Failed),
            Event::LeaseExpired { retry } => {
                LaneState::HELD.contains(&from).then_some(if retry { Queued } else { Failed })
            }
            Event::AwaitApproval => (from == Running).then_some(AwaitingApproval),
            Event::Approved { held } => (from == AwaitingApproval).then_some(if held { Running } else { Queued }),
            Event::Rejected { held } => (from == AwaitingApproval).then_some(if held { Running } else { Cancelled }),
            Event::AskInput => (from == Running).then_some(InputRequired),
            Event::Answered => (from == InputRequired).then_some(Running),
            Event::Merge => (from == Completed).then_some(Merged),
        }
    }

    #[test]
    fn every_pair_of_state_and_event() {
        for from in LaneState::ALL {
            for event in EVENTS {
                assert_eq!(transition(from, event).ok(), expected(from, event), "{from:?} + {event:?}");
            }
        }
    }

    #[test]
    fn terminal_states_never_move() {
        for from in [Merged, Failed, Cancelled] {
            assert!(EVENTS.iter().all(|e| transition(from, *e).is_err()));
            assert!(!from.is_active());
        }
        // A completed lane moves once more, when its pull request merges.
        assert!(EVENTS.iter().filter(|e| transition(Completed, **e).is_ok()).eq([Event::Merge].iter()));
    }

    #[test]
    fn states_round_trip_and_errors_name_the_state() {
        for s in LaneState::ALL {
            assert_eq!(LaneState::parse(s.as_str()), Some(s));
        }
        let e = transition(Completed, Event::Pause).unwrap_err();
        assert!(e.to_string().contains("completed"));
    }
}
