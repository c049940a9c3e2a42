//! What the binary's tests share: the binary, a fresh folder of scenario files,
//! an output as text, and a scenario that passes.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `katana-sim` binary.
pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_katana-sim"))
}

/// A fresh folder `group/name` under cargo's per-target temp dir, holding `files`
/// (path, text).
pub fn folder(group: &str, name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(group)
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (file, text) in files {
        let path = dir.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

/// Stdout then stderr.
pub fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

/// A scenario that passes.
pub const PASSING: &str = "\
description: A not-started MTO MO follows the new quantity.
shopify:
  orders:
    - { id: 1001, lines: [ { id: 11, sku: OAK, quantity: 5 } ] }
katana:
  manufacturing_orders:
    - { id: MO-1, make_to_order: { order: 1001, line: 11 } }
steps:
  - edit: { order: 1001, line: 11, quantity: 3 }
  - expect: { MO-1: { quantity: 3, type: make_to_order } }
";
