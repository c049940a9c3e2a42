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
