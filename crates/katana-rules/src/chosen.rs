//! The [chosen] rules of rules.md that live on Katana's side, one function each, so
//! that QA can find and change them when Katana's real behaviour is confirmed.
//!
//! The [chosen] rules about reading Shopify (edit to 0, refunds, cancel, archive,
//! sync off then on) live in `katana-sync`'s `chosen` module.

use crate::types::{Delivery, MoStatus};

/// rules.md §1 and §5: only a not-started MTO MO follows its row (new quantity, or
/// deletion with the row). `partially_complete` is treated like `in_progress`
/// [chosen]: it is unlinked like every status past not started.
pub fn mo_follows_row(status: MoStatus) -> bool {
    matches!(status, MoStatus::NotStarted)
}

/// rules.md §4: a packed or delivered row is never changed or deleted by a Shopify
/// change, and an SO with such a row is never deleted by one [chosen].
pub fn shopify_may_change_row(delivery: Delivery) -> bool {
    !delivery.is_locked()
}

/// rules.md §4: an SO that loses its last row is deleted [chosen].
pub fn delete_so_without_rows() -> bool {
    true
}

/// rules.md §7: **Update MO quantity** sets the MO to the row's quantity *now*,
/// which may differ from the "to" of the message if the row changed again since
/// [chosen]. Returns the quantity the MO takes.
pub fn relink_quantity(row_quantity_now: u32, _message_to: u32) -> u32 {
    row_quantity_now
}
