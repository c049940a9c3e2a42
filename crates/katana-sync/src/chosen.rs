//! The [chosen] rules of rules.md on the integration's side, one function each, so
//! that QA can find and change them when Katana's real behaviour is confirmed.
//!
//! The [chosen] rules on Katana's side (which MO statuses follow their row, packed
//! rows, an SO without rows, the relink quantity) are in `katana_rules::chosen`.

use crate::Settings;
use crate::shopify::{ShopifyLineItem, ShopifyOrder};

/// rules.md §2: scenarios sync order changes unless they say otherwise [chosen:
/// Katana's own default is opt-in and unverified]; payment-pending orders are not
/// imported by default [doc].
pub fn default_settings() -> Settings {
    Settings {
        sync_order_changes: true,
        import_payment_pending: false,
    }
}

/// rules.md §3: which financial statuses count as paid for import. `paid`,
/// `partially_paid` and `partially_refunded` count as paid [chosen: money was
/// captured]; `pending` and `authorized` only with `import_payment_pending` [doc];
/// `refunded` and `voided` never [chosen].
pub fn payment_allows_import(financial_status: Option<&str>, settings: &Settings) -> bool {
    match financial_status {
        Some("paid" | "partially_paid" | "partially_refunded") => true,
        Some(status) if payment_pending(status) => settings.import_payment_pending,
        _ => false,
    }
}

/// rules.md §2–§3b: the financial statuses that mean "payment pending": money not
/// captured yet, so the order imports only with `import_payment_pending`, or once
/// the payment is captured [doc for `pending`; `authorized` counted with it, chosen].
pub fn payment_pending(financial_status: &str) -> bool {
    matches!(financial_status, "pending" | "authorized")
}

/// rules.md §3: Katana considers an order for import when it is created in Shopify,
/// and never later: an order that did not qualify then, or that was imported and
/// deleted, or re-opened, is not imported afterwards [chosen, after the doc's "never
/// re-imported"].
pub const IMPORT_ONLY_ON_CREATE: bool = true;

/// rules.md §3b: an order skipped at its creation only because its payment was
/// pending is imported when the payment is captured (Shopify's `orders/paid`),
/// provided every other import condition still holds then [chosen].
pub const IMPORT_WHEN_PAID: bool = true;

/// rules.md §3b: the financial statuses that show a pending payment was captured
/// (`pay`: `paid`; or `partially_paid`). A refund of a pending order is no capture
/// [chosen].
pub fn payment_captured(financial_status: Option<&str>) -> bool {
    matches!(financial_status, Some("paid" | "partially_paid"))
}

/// rules.md §4b: whether the Shopify line changed since the sync last brought it
/// into the SO (`last_synced`, `None` for a line never brought). Only such a change
/// reaches the row, so a row edited or deleted by a user in Katana is overwritten
/// by the next Shopify change *of that line*, not by a change of another line
/// [chosen]. Without edits in Katana a row always holds what was synced last, so
/// this is the same as comparing the line with the row.
pub fn shopify_line_changed(now: u32, last_synced: Option<u32>) -> bool {
    last_synced != Some(now)
}

/// rules.md §4: the quantity an SO row should have for a line now. A cancelled order
/// has none (rules.md §1). Otherwise `current_quantity`, plus the units refunded
/// with restock type `return`, since returns are Katana's separate return-order flow
/// and must not shrink the SO [chosen, after Katana's returns article]. Refunds with
/// `cancel`, `no_restock` or `legacy_restock` have already lowered
/// `current_quantity`, which reduces the row [chosen]; an edit to 0 leaves 0, which
/// deletes the row [chosen]; money-only refunds change no quantity [chosen].
pub fn row_quantity(order: &ShopifyOrder, line: &ShopifyLineItem) -> u32 {
    if order.is_cancelled() {
        0
    } else {
        line.current_quantity
            .saturating_add(order.returned(line.id))
    }
}

/// rules.md §4: a cancelled order deletes its SO [chosen].
pub fn cancel_deletes_so(order: &ShopifyOrder) -> bool {
    order.is_cancelled()
}

/// rules.md §4: archiving deletes the SO only when nothing of the order was
/// fulfilled in Shopify (Katana's side, packed or delivered rows, is checked by
/// `katana_rules`); otherwise nothing [chosen].
pub fn archive_deletes_so(order: &ShopifyOrder) -> bool {
    order.is_closed()
        && order.fulfillment_status.is_none()
        && order
            .line_items
            .iter()
            .all(|l| l.fulfillment_status.is_none())
}

/// rules.md §4: while order changes are not synced, an SO is left as it is; the sync
/// always compares the order *now* with the SO *now*, so turning the setting back on
/// lets the next change of that order bring the whole difference [chosen].
pub fn sync_changes(settings: &Settings) -> bool {
    settings.sync_order_changes
}
