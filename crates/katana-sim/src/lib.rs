//! The scenario harness: scenario files, the runner, snapshots and reports behind
//! the `katana-sim` binary.

pub mod scenario;
