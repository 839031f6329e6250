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
        (Running, Event::Pause) => Paused,
        (Paused, Event::Resume { held: true }) => Running,
        (Paused, Event::Resume { held: false }) => Queued,
        (Queued | Running | Paused, Event::Cancel) => Cancelled,
        // A harness may finish while a pause signal is in flight.
        (Running | Paused, Event::Complete) => Completed,
        (Running | Paused, Event::Fail) => Failed,
        (Running | Paused, Event::LeaseExpired { retry: true }) => Queued,
        (Running | Paused, Event::LeaseExpired { retry: false }) => Failed,
        _ => return Err(Illegal { from, event }),
    };
    Ok(to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use LaneState::*;

    const EVENTS: [Event; 9] = [
        Event::Dispatch,
        Event::Pause,
        Event::Resume { held: true },
        Event::Resume { held: false },
        Event::Cancel,
        Event::Complete,
        Event::Fail,
        Event::LeaseExpired { retry: true },
        Event::LeaseExpired { retry: false },
    ];

    /// The whole table, written out: every (state, event) pair.
    fn expected(from: LaneState, event: Event) -> Option<LaneState> {
        match event {
            Event::Dispatch => (from == Queued).then_some(Running),
            Event::Pause => (from == Running).then_some(Paused),
            Event::Resume { held } => (from == Paused).then_some(if held { Running } else { Queued }),
            Event::Cancel => from.is_active().then_some(Cancelled),
            Event::Complete => matches!(from, Running | Paused).then_some(Completed),
            Event::Fail => matches!(from, Running | Paused).then_some(Failed),
            Event::LeaseExpired { retry } => {
                matches!(from, Running | Paused).then_some(if retry { Queued } else { Failed })
            }
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
        for from in [Completed, Failed, Cancelled] {
            assert!(EVENTS.iter().all(|e| transition(from, *e).is_err()));
            assert!(!from.is_active());
        }
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
