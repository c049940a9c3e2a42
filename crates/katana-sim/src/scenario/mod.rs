//! Scenario files: the format QA writes, parsed and validated with locations.
//!
//! The contract is `scenarios.md`. A file goes through two stages, and nothing runs
//! unless both succeed:
//!
//! 1. `tree`: granit-parser (the YAML parser under serde-saphyr) turns the text into a
//!    located, untyped tree, under hard limits ([`MAX_FILE_BYTES`], [`MAX_DEPTH`],
//!    [`MAX_NODES`]) so that no input can make us panic, hang or exhaust memory.
//! 2. `convert`: the tree becomes a typed [`Scenario`] by hand rather than through serde,
//!    because serde stops at the first error and QA wants every problem in the file at
//!    once, each as `path:line:column: message` with a hint where one helps.

mod ast;
pub(crate) mod convert;
mod diag;
pub(crate) mod display;
pub mod faults;
pub mod schema;
pub(crate) mod tree;
pub(crate) mod yaml;

use std::io::Read as _;
use std::path::Path;

pub use ast::{
    DeliverySetup, MoKind, MoSetup, OrderSetup, Scenario, SettingChange, SettingsPatch, StepEntry,
};
pub use diag::{Diagnostic, Diagnostics, Loc};
pub use display::{Scalar, flow_map, some};
pub use faults::FaultEntry;

/// Largest scenario file accepted (1 MiB), checked before parsing.
pub const MAX_FILE_BYTES: usize = 1 << 20;
/// Deepest nesting of maps and lists accepted; a real scenario needs about 10.
pub const MAX_DEPTH: usize = 32;
/// Most YAML nodes a file may hold, aliases counted as expanded (stops "billion laughs").
pub const MAX_NODES: usize = 100_000;
/// Most problems listed for one file; the rest are counted in a last line.
pub const MAX_DIAGNOSTICS: usize = 100;

/// Parses and validates the scenario `text`, read from `path` (used in messages only).
pub fn parse_scenario(path: &Path, text: &str) -> Result<Scenario, Diagnostics> {
    let empty = "a scenario needs at least `description:`, and `steps:` to do something";
    let root = document(path, text, empty)?;
    convert_with(path, "the scenario is invalid", |cx| cx.scenario(&root))
}

/// The YAML document of `text` as a tree; the problem, located, when it is too
/// large, not YAML, or empty (`empty` is the hint then).
fn document(path: &Path, text: &str, empty: &str) -> Result<std::rc::Rc<tree::Node>, Diagnostics> {
    if text.len() > MAX_FILE_BYTES {
        return Err(too_large(path, text.len()));
    }
    match tree::build(text) {
        Ok(Some(root)) if !yaml::is_null(&root) => Ok(root),
        Ok(_) => Err(Diagnostics::file(
            path,
            "the file is empty".into(),
            Some(empty.into()),
        )),
        Err(e) => Err(Diagnostics(vec![Diagnostic {
            path: path.to_path_buf(),
            loc: e.loc,
            message: e.message,
            hint: e.hint,
        }])),
    }
}

/// Runs a conversion and returns its value, or every problem it recorded.
fn convert_with<T>(
    path: &Path,
    invalid: &str,
    convert: impl FnOnce(&mut convert::Cx<'_>) -> Option<T>,
) -> Result<T, Diagnostics> {
    let mut cx = convert::Cx::new(path);
    let value = convert(&mut cx);
    let diags = cx.into_diagnostics();
    match value {
        Some(v) if diags.is_empty() => Ok(v),
        // Every failed conversion records why; keep a message rather than a panic if not.
        _ if diags.is_empty() => Err(Diagnostics::file(path, invalid.into(), None)),
        _ => Err(Diagnostics(diags)),
    }
}

/// Reads the scenario file at `path` (refusing files over [`MAX_FILE_BYTES`] before
/// reading them whole), then parses and validates it.
pub fn load_scenario(path: &Path) -> Result<Scenario, Diagnostics> {
    parse_scenario(path, &read_text(path)?)
}

/// Parses a fault plan file: a `faults:` list as in a scenario (`explore --faults
/// FILE` gives it to every case). Steps may go up to 1,000,000; a case leaves out
/// the faults of steps it does not have.
pub fn parse_fault_plan(path: &Path, text: &str) -> Result<Vec<FaultEntry>, Diagnostics> {
    let empty = "write `faults:` and a list of `{ step: N, fault: KIND }`";
    let root = document(path, text, empty)?;
    convert_with(path, "the fault plan is invalid", |cx| cx.fault_plan(&root))
}

/// Reads and parses the fault plan file at `path` ([`parse_fault_plan`]).
pub fn load_fault_plan(path: &Path) -> Result<Vec<FaultEntry>, Diagnostics> {
    parse_fault_plan(path, &read_text(path)?)
}

/// Reads a UTF-8 file of at most [`MAX_FILE_BYTES`], refusing a larger one before
/// reading it whole.
fn read_text(path: &Path) -> Result<String, Diagnostics> {
    let cannot_read =
        |e: std::io::Error| Diagnostics::file(path, format!("cannot read the file: {e}"), None);
    let file = std::fs::File::open(path).map_err(cannot_read)?;
    if let Ok(meta) = file.metadata()
        && meta.len() > MAX_FILE_BYTES as u64
    {
        return Err(too_large(
            path,
            usize::try_from(meta.len()).unwrap_or(usize::MAX),
        ));
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot_read)?;
    if bytes.len() > MAX_FILE_BYTES {
        return Err(too_large(path, bytes.len()));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let prefix = String::from_utf8_lossy(valid);
        let line = prefix.matches('\n').count() + 1;
        let column = prefix.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Diagnostics(vec![Diagnostic {
            path: path.to_path_buf(),
            loc: Some(Loc::new(line, column)),
            message: "the file is not valid UTF-8".into(),
            hint: Some("save the file as UTF-8".into()),
        }])
    })?;
    Ok(text)
}

fn too_large(path: &Path, len: usize) -> Diagnostics {
    let message =
        format!("the file is too large: {len} bytes, the limit is {MAX_FILE_BYTES} bytes (1 MiB)");
    Diagnostics::file(
        path,
        message,
        Some("split it into smaller scenarios".into()),
    )
}
