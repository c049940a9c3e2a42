//! Test hooks: the catalogue and line item ids, so that the simulator can replay a
//! scenario's `add_line` through GraphQL's `orderEditAddVariant` and still get the
//! line item id the scenario names; and injected server faults.

use shopify_model::{LineId, ShopifyError, VariantId};

use crate::ShopifyMock;

impl ShopifyMock {
    /// The product variant of a SKU, added to the catalogue on first sight (the
    /// merchant creates the product before adding it to an order).
    pub fn catalogue_variant(&self, sku: &str) -> VariantId {
        self.core.lock().store_mut().ensure_variant(sku)
    }

    /// Makes `line` the id of the next line item an `orderEditAddVariant` stages,
    /// as if it were added in process with `Store::add_line(order, Some(line), …)`.
    ///
    /// Reserving never refuses (the `Result` is kept for callers; it is always
    /// `Ok`): an id already in use is refused by the edit itself, `line_exists` in
    /// its place in shopify-model's validation order, so an edit of an archived
    /// order is still `order_archived`. The reservation is used by the next staged
    /// line that the store accepts; a later reservation replaces it.
    pub fn reserve_line_id(&self, line: LineId) -> Result<(), ShopifyError> {
        self.core.lock().reserve_line(line);
        Ok(())
    }

    /// Makes the next `count` Admin API calls (REST or GraphQL, with a valid token)
    /// fail with `status` (e.g. 500, 502, 503) and `{"errors":"Internal Server
    /// Error"}`, changing nothing: the faults a client must retry through. A count of
    /// 0 clears them.
    pub fn fail_next_requests(&self, count: u32, status: u16) {
        self.core.lock().faults = (count > 0).then_some((count, status));
    }
}
