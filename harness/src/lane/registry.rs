//! The harness's registry of running lanes, shared with the heartbeat loop:
//! per lane, the signal the server wants applied and its interrupts file.

use super::*;

/// The part of a running lane the heartbeat loop talks to: the signal the
/// server wants applied and the interrupts file.
#[derive(Debug)]
pub struct LaneShared {
    pub lane_id: String,
    signal: watch::Sender<Signal>,
    interrupts: Mutex<InterruptSink>,
}

impl LaneShared {
    pub fn new(lane_id: &str) -> Arc<Self> {
        Arc::new(Self {
            lane_id: lane_id.to_owned(),
            signal: watch::Sender::new(Signal::Run),
            interrupts: Mutex::new(InterruptSink::new()),
        })
    }

    /// Records the signal the server wants; the lane acts on changes. Cancel
    /// is final, and signals this harness does not know are ignored.
    pub fn apply(&self, wanted: Signal) {
        self.signal.send_if_modified(|current| {
            let next = match (wanted, *current) {
                (_, Signal::Cancel) | (Signal::Unknown, _) => *current,
                (wanted, _) => wanted,
            };
            let changed = next != *current;
            *current = next;
            changed
        });
    }

    pub fn is_cancelled(&self) -> bool {
        *self.signal.borrow() == Signal::Cancel
    }

    pub(super) fn subscribe(&self) -> watch::Receiver<Signal> {
        self.signal.subscribe()
    }

    pub(super) fn sink(&self) -> std::sync::MutexGuard<'_, InterruptSink> {
        self.interrupts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Hands new interrupts to the agent (see [`InterruptSink::deliver`]).
    pub fn deliver(&self, incoming: &[Interrupt]) {
        if incoming.is_empty() {
            return;
        }
        let mut sink = self.sink();
        match sink.deliver(incoming) {
            Ok(written) => {
                for i in written {
                    log!("lane {}: interrupt {} ({}) delivered", self.lane_id, i.id, i.kind);
                }
            }
            Err(e) => log!(
                "lane {}: cannot append to {}: {e} (will retry with the next heartbeat)",
                self.lane_id,
                sink.path().map(|p| p.display().to_string()).unwrap_or_default()
            ),
        }
    }

    /// The highest interrupt id handed to the agent, to ack.
    pub fn ack(&self) -> Option<u64> {
        self.sink().ack()
    }
}

/// The lanes this harness runs, by id.
#[derive(Debug, Clone, Default)]
pub struct Lanes(Arc<Mutex<HashMap<String, Arc<LaneShared>>>>);

impl Lanes {
    pub(super) fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<LaneShared>>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds a lane; one already running under the same id (the server
    /// dispatched it again, so that run is stale) is told to cancel.
    pub fn insert(&self, shared: Arc<LaneShared>) {
        if let Some(old) = self.map().insert(shared.lane_id.clone(), shared) {
            log!("lane {}: dispatched again; cancelling the earlier run", old.lane_id);
            old.apply(Signal::Cancel);
        }
    }

    /// Removes this lane's entry (not a newer one with the same id).
    pub fn remove(&self, shared: &Arc<LaneShared>) {
        let mut map = self.map();
        if map.get(&shared.lane_id).is_some_and(|cur| Arc::ptr_eq(cur, shared)) {
            map.remove(&shared.lane_id);
        }
    }

    pub fn get(&self, lane_id: &str) -> Option<Arc<LaneShared>> {
        self.map().get(lane_id).cloned()
    }

    pub fn all(&self) -> Vec<Arc<LaneShared>> {
        self.map().values().cloned().collect()
    }

    /// `acks` for the next heartbeat.
    pub fn acks(&self) -> BTreeMap<String, u64> {
        self.all().into_iter().filter_map(|l| l.ack().map(|id| (l.lane_id.clone(), id))).collect()
    }
}
