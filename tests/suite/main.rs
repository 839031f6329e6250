//! One test binary, one module per area (see `tests/src/lib.rs` for the harness).

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod admission;
mod audit;
mod auth;
mod cli;
mod console;
mod context;
mod edge;
mod governance;
mod harness;
mod host;
mod insight;
mod integrations;
mod lanes;
mod live;
mod mcp;
mod openapi;
mod planning;
mod product;
mod protocols;
mod public;
mod sprints;
mod tenancy;
mod tidy;
