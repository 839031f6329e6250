//! Process supervision: the agent runs in its own process group; its output
//! is read line by line, file changes are polled, signals from the server are
//! applied to the whole group, and a stopped agent's group is drained and killed.

use super::*;

/// Starts the agent and watches it until it exits or is cancelled.
pub(super) async fn supervise(
    cfg: &LaneConfig,
    shared: &LaneShared,
    lane: &DispatchedLane,
    p: &Prepared,
    outbox: &Outbox,
) -> (Outcome, String) {
    let id = &lane.lane_id;
    if shared.is_cancelled() {
        log!("lane {id}: cancelled before its agent started");
        return (Outcome::Cancelled, String::new());
    }
    let mut child = match agent_command(cfg, lane, p).spawn() {
        Ok(child) => child,
        Err(e) => {
            let error = format!("cannot start the agent command: {e}");
            outbox.push(Event::Failed { exit_code: None, error: error.clone() });
            return (Outcome::Failed, format!("lane {id} failed: {error}"));
        }
    };
    let Some(pid) = child.id().and_then(|pid| i32::try_from(pid).ok()) else {
        // It exited (and was reaped) already; there is no group to signal.
        return finish_exited(lane, p, child.wait().await, Summary::default(), outbox).await;
    };
    // process_group(0): the agent leads a new group whose id is its pid.
    let group = Pid::from_raw(pid);
    log!("lane {id}: agent started (pid {pid}, process group {pid})");

    let mut readers = Vec::new();
    let (line_tx, mut lines) = mpsc::channel(1024);
    if let Some(out) = child.stdout.take() {
        readers.push(tokio::spawn(read_lines(out, Stream::Stdout, line_tx.clone())));
    }
    if let Some(err) = child.stderr.take() {
        readers.push(tokio::spawn(read_lines(err, Stream::Stderr, line_tx.clone())));
    }
    drop(line_tx);
    if let Some(mut stdin) = child.stdin.take() {
        let brief = lane.brief.clone();
        // A task, so an agent that never reads stdin cannot block the lane;
        // dropping stdin at the end closes it.
        readers.push(tokio::spawn(async move {
            let _ = stdin.write_all(brief.as_bytes()).await;
        }));
    }

    let mut signals = shared.subscribe();
    signals.mark_changed(); // act on a signal that arrived before the agent started
    let mut status_tick = tokio::time::interval(STATUS_EVERY);
    status_tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut tracker = StatusTracker::default();
    let mut snapshots = match &p.base {
        Some(base) => {
            match git::Snapshots::new(&p.worktree, base, p.snapshot_index.clone(), &worktree_name(id, lane.attempt))
                .await
            {
                Ok(s) => Some(s),
                Err(e) => {
                    log!("lane {id}: no snapshots: {e:#}");
                    None
                }
            }
        }
        None => None,
    };
    let mut summary = Summary::default();
    let mut ticks = 0u64;
    let mut stopped = false;
    let mut lines_open = true;

    let status = loop {
        tokio::select! {
            status = child.wait() => break status,
            Ok(()) = signals.changed() => {
                let wanted = *signals.borrow_and_update();
                match wanted {
                    Signal::Pause if !stopped => {
                        send_group(group, Sig::SIGSTOP);
                        stopped = true;
                        log!("lane {id}: signal pause: agent stopped (SIGSTOP)");
                    }
                    Signal::Run if stopped => {
                        send_group(group, Sig::SIGCONT);
                        stopped = false;
                        log!("lane {id}: signal run: agent continued (SIGCONT)");
                    }
                    Signal::Cancel => {
                        log!("lane {id}: signal cancel: terminating agent (SIGTERM)");
                        terminate(&mut child, group, id).await;
                        readers.iter().for_each(JoinHandle::abort);
                        return (Outcome::Cancelled, String::new());
                    }
                    _ => {}
                }
            }
            line = lines.recv(), if lines_open => match line {
                Some((stream, line)) => {
                    summary.see(stream, &line);
                    outbox.push(Event::Output { stream, line });
                }
                None => lines_open = false,
            },
            _ = status_tick.tick() => {
                // A file changed again keeps its status code: look for new
                // content every few ticks too (a snapshot of an unchanged tree is nothing).
                ticks += 1;
                let changed = report_changes(&p.worktree, &mut tracker, outbox, id).await;
                if changed || ticks.is_multiple_of(CHECKPOINT_EVERY_TICKS) {
                    checkpoint(&p.worktree, snapshots.as_mut(), outbox, id).await;
                }
            }
        }
    };

    // Processes the agent left behind in its group would keep changing the
    // worktree after the diff is taken.
    if group_alive(group) {
        log!("lane {id}: terminating processes left in the agent's process group");
        terminate_group(group, id).await;
    }
    // Whatever is still in the pipes, for a little while.
    let deadline = Instant::now() + DRAIN_FOR;
    while lines_open {
        match timeout_at(deadline, lines.recv()).await {
            Ok(Some((stream, line))) => {
                summary.see(stream, &line);
                outbox.push(Event::Output { stream, line });
            }
            Ok(None) | Err(_) => lines_open = false,
        }
    }
    readers.iter().for_each(JoinHandle::abort);
    report_changes(&p.worktree, &mut tracker, outbox, id).await;
    checkpoint(&p.worktree, snapshots.as_mut(), outbox, id).await;
    finish_exited(lane, p, status, summary, outbox).await
}

/// The agent exited on its own: stage and measure its work, then queue
/// `completed` (exit code 0) or `failed`. Returns the line to log once sent.
pub(super) async fn finish_exited(
    lane: &DispatchedLane,
    p: &Prepared,
    status: std::io::Result<ExitStatus>,
    summary: Summary,
    outbox: &Outbox,
) -> (Outcome, String) {
    let id = &lane.lane_id;
    let status = match status {
        Ok(status) => status,
        Err(e) => {
            let error = format!("lost track of the agent: {e}");
            outbox.push(Event::Failed { exit_code: None, error: error.clone() });
            return (Outcome::Failed, format!("lane {id} failed: {error}"));
        }
    };
    let code = exit_code(&status);
    log!("lane {id}: agent exited with code {code}");
    let base = p.base.as_deref().unwrap_or("HEAD");
    let diff_stat = match git::diff_stat(&p.worktree, base).await {
        Ok(stat) => Some(stat),
        Err(e) => {
            log!("lane {id}: cannot compute the diff summary: {e:#}");
            None
        }
    };
    let stat_text = diff_stat
        .map(|s| format!("{} file(s) changed, +{} -{}", s.files_changed, s.insertions, s.deletions))
        .unwrap_or_else(|| "no diff summary".into());
    if code == 0 {
        let changes = match git::added_lines(&p.worktree, base).await {
            Ok(files) => Some(files),
            Err(e) => {
                log!("lane {id}: cannot list the added lines for the mandates: {e:#}");
                None
            }
        };
        outbox.push(Event::Completed { exit_code: 0, summary: summary.text(), diff_stat, changes });
        (Outcome::Completed, format!("lane {id} completed exit code 0 ({stat_text})"))
    } else {
        let error = match std::os::unix::process::ExitStatusExt::signal(&status) {
            Some(sig) => format!("agent was killed by signal {sig}"),
            None => format!("agent exited with code {code}"),
        };
        outbox.push(Event::Failed { exit_code: Some(code), error: error.clone() });
        (Outcome::Failed, format!("lane {id} failed exit code {code} ({error}; {stat_text})"))
    }
}

/// Queues a `file_change` event for each path whose status appeared or
/// changed; true when there was one.
pub(super) async fn report_changes(
    worktree: &Path,
    tracker: &mut StatusTracker,
    outbox: &Outbox,
    lane_id: &str,
) -> bool {
    match git::status(worktree).await {
        Ok(now) => {
            let changes = tracker.update(now);
            let any = !changes.is_empty();
            for (path, change) in changes {
                outbox.push(Event::FileChange { path, change });
            }
            any
        }
        Err(e) => {
            log!("lane {lane_id}: git status failed: {e:#}");
            false
        }
    }
}

/// Takes a snapshot when the worktree changed and queues it as a `checkpoint`.
pub(super) async fn checkpoint(
    worktree: &Path,
    snapshots: Option<&mut git::Snapshots>,
    outbox: &Outbox,
    lane_id: &str,
) {
    let Some(snapshots) = snapshots else { return };
    match snapshots.take(worktree).await {
        Ok(Some(s)) => outbox.push(Event::Checkpoint { seq: s.seq, commit: s.commit, files: s.files, total: s.total }),
        Ok(None) => {}
        Err(e) => log!("lane {lane_id}: snapshot failed: {e:#}"),
    }
}

/// Forwards a pipe's lines to the lane loop.
pub(super) async fn read_lines<R: AsyncRead + Unpin>(mut pipe: R, stream: Stream, tx: mpsc::Sender<(Stream, String)>) {
    let mut splitter = LineSplitter::new(MAX_LINE_BYTES);
    let mut chunk = vec![0u8; 8192];
    loop {
        let n = match pipe.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        for line in splitter.push(&chunk[..n]) {
            if tx.send((stream, line)).await.is_err() {
                return;
            }
        }
    }
    if let Some(line) = splitter.finish() {
        let _ = tx.send((stream, line)).await;
    }
}

/// The exit code to report: the process's, or 128 + the signal that killed it
/// (as a shell would say).
pub fn exit_code(status: &ExitStatus) -> i64 {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => i64::from(code),
        (None, Some(sig)) => 128 + i64::from(sig),
        (None, None) => -1,
    }
}

/// Signals the whole process group; it may be gone already, which is fine.
pub(super) fn send_group(group: Pid, sig: Sig) {
    let _ = killpg(group, sig);
}

/// Whether any process is left in the group.
pub(super) fn group_alive(group: Pid) -> bool {
    killpg(group, None).is_ok()
}

/// SIGTERM (and SIGCONT, in case it is paused) to the group; SIGKILL if
/// anything in it is still alive after [`KILL_AFTER`]. Reaps the agent.
pub(super) async fn terminate(child: &mut Child, group: Pid, lane_id: &str) {
    send_group(group, Sig::SIGTERM);
    send_group(group, Sig::SIGCONT);
    let deadline = Instant::now() + KILL_AFTER;
    if timeout_at(deadline, child.wait()).await.is_err() || !wait_group(group, deadline).await {
        log!("lane {lane_id}: agent still alive after {}s: SIGKILL", KILL_AFTER.as_secs());
        send_group(group, Sig::SIGKILL);
    }
    let _ = child.wait().await;
}

/// [`terminate`] for a group whose leader has exited already.
pub(super) async fn terminate_group(group: Pid, lane_id: &str) {
    send_group(group, Sig::SIGTERM);
    send_group(group, Sig::SIGCONT);
    if !wait_group(group, Instant::now() + KILL_AFTER).await {
        log!("lane {lane_id}: processes still alive after {}s: SIGKILL", KILL_AFTER.as_secs());
        send_group(group, Sig::SIGKILL);
    }
}

/// Waits until the group is empty; false if it is not by `deadline`.
pub(super) async fn wait_group(group: Pid, deadline: Instant) -> bool {
    while group_alive(group) {
        if Instant::now() >= deadline {
            return false;
        }
        sleep(Duration::from_millis(50)).await;
    }
    true
}
