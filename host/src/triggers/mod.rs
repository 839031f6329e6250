//! Triggers: what makes a component run. [`http`] serves `[[trigger.http]]`
//! routes ([`routes`] is Spin's route matching); [`cron`] runs
//! `[[trigger.cron]]` components on their schedule.

pub mod cron;
pub mod http;
pub mod routes;
