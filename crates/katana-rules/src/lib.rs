//! Katana's side as pure logic: sales orders, manufacturing orders, the rules that
//! link them (rules.md §1, §5–§8), and what the user sees.
//!
//! No I/O, no async, no clock, no randomness: every input is an argument.

mod types;

pub use types::*;
