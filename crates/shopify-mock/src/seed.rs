//! Seed files: a YAML or JSON list of orders, each written exactly like a
//! scenario's `shopify.orders` entry (shopify-model's `NewOrder`).

use std::path::{Path, PathBuf};

use shopify_model::NewOrder;

/// A seed file that could not be read or understood.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    /// The file could not be read.
    #[error("cannot read seed file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not a list of orders; the message says where and why.
    #[error(
        "{path}: {message}\nhint: a seed file is a list of orders like `- {{id: 1001, lines: [{{id: 1, sku: CHAIR, quantity: 2}}]}}`"
    )]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong, with line and column.
        message: String,
    },
}

/// Reads a seed file: JSON when the name ends in `.json`, YAML otherwise.
pub fn load_orders(path: &Path) -> Result<Vec<NewOrder>, SeedError> {
    let text = std::fs::read_to_string(path).map_err(|source| SeedError::Read {
        path: path.to_owned(),
        source,
    })?;
    let is_json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    parse_orders(&text, is_json).map_err(|message| SeedError::Parse {
        path: path.to_owned(),
        message,
    })
}

/// Parses a list of orders from JSON (`is_json`) or YAML text; the error names the
/// line and column.
pub fn parse_orders(text: &str, is_json: bool) -> Result<Vec<NewOrder>, String> {
    if is_json {
        serde_json::from_str(text).map_err(|e| e.to_string())
    } else {
        serde_saphyr::from_str(text)
            .map_err(|e| e.to_string().trim_start_matches("error: ").to_owned())
    }
}

#[cfg(test)]
mod tests {
    use shopify_model::FinancialStatus;

    use super::*;

    #[test]
    fn an_order_may_start_archived_or_cancelled_in_yaml_and_json() {
        let yaml = "\
- id: 1001
  archived: true
  financial_status: refunded
  lines:
    - {id: 11, sku: CHAIR, quantity: 2, fulfilled: 2}
- id: 1002
  cancelled: true
  archived: true
  lines:
    - {id: 21, sku: LAMP, quantity: 1}
- id: 1003
  lines:
    - {id: 31, sku: DESK, quantity: 1}
";
        let orders = parse_orders(yaml, false).unwrap();
        let flags: Vec<(bool, bool)> = orders.iter().map(|o| (o.archived, o.cancelled)).collect();
        assert_eq!(flags, [(true, false), (true, true), (false, false)]);
        assert_eq!(orders[0].financial_status, FinancialStatus::Refunded);
        let json = serde_json::to_string(&orders).unwrap();
        assert_eq!(parse_orders(&json, true).unwrap(), orders);
        // A key not in the format is still refused, with its place.
        let err = parse_orders("- {id: 1, closed: true, lines: []}", false).unwrap_err();
        assert!(err.contains("closed"), "{err}");
    }
}
