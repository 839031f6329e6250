//! Triggers: what makes a component run. [`http`] serves `[[trigger.http]]`
//! routes ([`routes`] is Spin's route matching, [`admission`] the limits a
//! request passes before it may take an instance); [`cron`] runs
//! `[[trigger.cron]]` components on their schedule.

pub mod admission;
pub mod cron;
pub mod http;
pub mod routes;
