//! Katana's side as pure logic: sales orders, manufacturing orders, the rules that
//! link them (rules.md §1, §5–§8), and what the user sees.
//!
//! No I/O, no async, no clock, no randomness: every input is an argument, and the
//! simulated time of a change is passed in by the caller.
//!
//! - [`Katana`] holds the state; [`Katana::apply`] takes an [`SoChange`] from the sync;
//!   the user actions are [`Katana::update_mo_quantity`], [`Katana::keep_mo_quantity`]
//!   and [`Katana::dismiss`].
//! - Every change returns its [`Effect`]s, the trace a snapshot shows.
//! - The [chosen] rules of rules.md on Katana's side are in [`chosen`].

pub mod chosen;
mod effect;
mod error;
mod katana;
mod model;
mod types;
mod views;

pub use effect::Effect;
pub use error::KatanaError;
pub use katana::{Katana, NewMo, NewMoKind, SoChange};
pub use model::{Message, MessageState, Mo, NewRow, Resolution, SalesOrder, SoRow, UnlinkReason};
pub use types::*;
pub use views::{Action, Banner, MoDetail, ScheduleLine, actions_for, history_line};
