//! The outbox: a lane's events batched and sent in order, retried while the
//! server is unreachable, and given up once the server says the lane is cancelled.

use super::*;

/// Queues a lane's events and sends them in order, batched, retrying
/// transient failures so nothing is lost. Runs as its own task so a slow or
/// unreachable server never blocks the agent's pipes.
pub(super) struct Outbox {
    tx: Option<mpsc::UnboundedSender<Event>>,
    task: JoinHandle<bool>,
}

impl Outbox {
    pub(super) fn spawn(client: Client, shared: Arc<LaneShared>) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(pump(client, shared, rx));
        Self { tx: Some(tx), task }
    }

    pub(super) fn push(&self, event: Event) {
        if let Some(tx) = &self.tx {
            // Fails only once the pump stopped (409 or cancel): then nothing is wanted.
            let _ = tx.send(event);
        }
    }

    /// Sends everything queued; false if the lane was cancelled (or taken
    /// away with a 409) first.
    pub(super) async fn finish(mut self) -> bool {
        self.tx = None;
        (&mut self.task).await.unwrap_or(false)
    }

    /// Drops whatever is queued: a cancelled lane is not reported on.
    pub(super) fn abandon(self) {
        self.task.abort();
    }
}

/// The outbox task: flush every [`FLUSH_EVERY`] or at [`FLUSH_AT`] events.
/// Returns true once the channel is closed and everything was sent.
pub(super) async fn pump(client: Client, shared: Arc<LaneShared>, mut rx: mpsc::UnboundedReceiver<Event>) -> bool {
    let mut queue = VecDeque::new();
    let mut tick = tokio::time::interval(FLUSH_EVERY);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut open = true;
    loop {
        tokio::select! {
            event = rx.recv(), if open => match event {
                Some(event) => {
                    queue.push_back(event);
                    if queue.len() < FLUSH_AT {
                        continue;
                    }
                }
                None => open = false,
            },
            _ = tick.tick() => {}
        }
        if !flush(&client, &shared, &mut queue).await {
            return false;
        }
        if !open && queue.is_empty() {
            return true;
        }
    }
}

/// Sends `queue` in calls of at most [`MAX_EVENTS_PER_CALL`]; keeps retrying
/// transient failures. False if the lane is cancelled or no longer ours.
pub(super) async fn flush(client: &Client, shared: &LaneShared, queue: &mut VecDeque<Event>) -> bool {
    let lane_id = &shared.lane_id;
    let mut backoff = Duration::from_millis(250);
    while !queue.is_empty() {
        if shared.is_cancelled() {
            return false;
        }
        let n = queue.len().min(MAX_EVENTS_PER_CALL);
        let batch: Vec<Event> = queue.iter().take(n).cloned().collect();
        match client.events(lane_id, &batch).await {
            Ok(answer) => {
                queue.drain(..n);
                backoff = Duration::from_millis(250);
                if let Some(signal) = protocol::effective_signal(&answer.state, answer.signal) {
                    shared.apply(signal);
                }
            }
            Err(e) if e.is_conflict() => {
                log!("lane {lane_id}: harness-event answered 409 ({e}); treating it as cancel");
                shared.apply(Signal::Cancel);
                return false;
            }
            Err(e) if e.is_retryable() => {
                log!("lane {lane_id}: sending {n} event(s) failed: {e}; retrying in {}ms", backoff.as_millis());
                sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
            Err(e) => {
                log!("lane {lane_id}: server refused {n} event(s): {e}; dropping them");
                queue.drain(..n);
            }
        }
    }
    true
}
