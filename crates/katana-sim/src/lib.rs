//! The scenario harness: scenario files, the runner, snapshots and reports behind
//! the `katana-sim` binary.
//!
//! - [`scenario`]: the file format QA writes, parsed and validated with locations.
//! - [`runner`]: replays a scenario in process (Shopify world → order JSON →
//!   katana-sync → katana-rules) on a simulated clock.
//! - [`steps`]: every step, one file each, and the one list of them.
//! - [`invariants`]: what must hold after every step of every run.
//! - [`refusal`]: refusals with their stable kinds and canonical messages.
//! - [`snapshot`]: the deterministic document each scenario is snapshotted as.
//! - [`suite`]: finding scenario files and naming their snapshots.
//! - [`decision`]: the decision tables of rules.md, computed by running the rules.
//! - [`report`]: the HTML report of the suite (`katana-sim report`).

pub mod decision;
pub mod explore;
pub mod http;
pub mod invariants;
pub mod order_read;
pub mod progress;
pub mod refusal;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod snapshot;
pub mod steps;
pub mod suite;
