//! The cron trigger: `[[trigger.cron]]` components run on their schedule
//! (UTC), as Spin's `trigger-cron` plugin runs them, or once on demand
//! (`switchyard-host cron-tick`).

use std::sync::Arc;
use std::time::Instant;

use crate::manifest;
use crate::runtime::Runtime;

/// Fires a cron trigger on its schedule (UTC), forever.
pub async fn run_schedule(runtime: Arc<Runtime>, trigger: manifest::CronTrigger) {
    for next in trigger.schedule.upcoming_owned(chrono::Utc) {
        let wait = (next - chrono::Utc::now()).to_std().unwrap_or_default();
        tokio::time::sleep(wait).await;
        tick(&runtime, &trigger.component).await;
    }
}

pub async fn tick(runtime: &Runtime, component: &str) -> bool {
    let started = Instant::now();
    let outcome = runtime.run_cron(component).await;
    let took = started.elapsed().as_secs_f64() * 1000.0;
    let time = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ");
    match outcome {
        Ok(()) => {
            println!("{time} cron {component} ok {took:.2}ms");
            true
        }
        Err(e) => {
            eprintln!("{time} cron {component} failed {took:.2}ms: {e:#}");
            false
        }
    }
}
