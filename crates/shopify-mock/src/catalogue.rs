//! Test hooks for the catalogue and line item ids, so that the simulator can replay
//! a scenario's `add_line` through GraphQL's `orderEditAddVariant` and still get the
//! line item id the scenario names.

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
}
