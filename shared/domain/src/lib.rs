//! Domain rules with no Spin dependency, unit-tested natively. The edge crate
//! and the functions call these; they never do I/O themselves (callers pass
//! in the time and the random bytes).

#![forbid(unsafe_code)]

pub mod access;
pub mod allow_list;
pub mod archive;
pub mod audit;
pub mod badge;
pub mod changelog;
pub mod context;
pub mod export;
pub mod forge;
pub mod glob;
pub mod input;
pub mod insight;
pub mod lane;
pub mod mandate;
pub mod merkle;
pub mod planning;
pub mod policy;
pub mod projection;
pub mod rate;
pub mod sprint;
pub mod sse;
pub mod token;
pub mod webhook;

/// Which addresses an outbound request may reach (its own crate, so the host shares it).
pub use switchyard_net as net;

/// SHA-256 as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}
