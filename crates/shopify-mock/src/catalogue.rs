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

    /// Makes `line` the id of the next line item that an order edit adds. Refused
    /// when the id is in use.
    pub fn reserve_line_id(&self, line: LineId) -> Result<(), ShopifyError> {
        self.core.lock().store_mut().reserve_line_id(line)
    }

    /// Makes the next `count` Admin API calls (REST or GraphQL, with a valid token)
    /// fail with `status` (e.g. 500, 502, 503) and `{"errors":"Internal Server
    /// Error"}`, changing nothing: the faults a client must retry through. A count of
    /// 0 clears them.
    pub fn fail_next_requests(&self, count: u32, status: u16) {
        self.core.lock().faults = (count > 0).then_some((count, status));
    }
}
