//! The scenario harness: scenario files, the runner, snapshots and reports behind
//! the `katana-sim` binary.
//!
//! - [`scenario`]: the file format QA writes, parsed and validated with locations.
//! - [`runner`]: replays a scenario in process (Shopify world → order JSON →
//!   katana-sync → katana-rules) on a simulated clock.
//! - [`expect`]: the `expect` step's comparison.
//! - [`snapshot`]: the deterministic document each scenario is snapshotted as.
//! - [`suite`]: finding scenario files and naming their snapshots.

pub mod expect;
pub mod http;
pub mod runner;
pub mod scenario;
pub mod snapshot;
pub mod suite;
