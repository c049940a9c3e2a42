//! Locations and the problems found in a scenario file, rendered as `path:line:column: message`.

use std::fmt;
use std::path::PathBuf;

/// A position in a scenario file, 1-based line and column (columns count characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Loc {
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1, in characters.
    pub column: usize,
}

impl Loc {
    /// A location from its 1-based line and column.
    pub fn new(line: usize, column: usize) -> Self {
        Self { line, column }
    }
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// One problem in a scenario file: where, what, and how to fix it when we can tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The scenario file.
    pub path: PathBuf,
    /// Where in the file; `None` for problems with the file as a whole (too large, empty).
    pub loc: Option<Loc>,
    /// What is wrong, in one line.
    pub message: String,
    /// How to fix it, e.g. the closest valid key.
    pub hint: Option<String>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.loc {
            Some(loc) => write!(f, "{}:{loc}: {}", self.path.display(), self.message)?,
            None => write!(f, "{}: {}", self.path.display(), self.message)?,
        }
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostic {}

/// Every problem found in a scenario file, in file order; the file is rejected when any exists.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", render(.0))]
pub struct Diagnostics(pub Vec<Diagnostic>);

/// One diagnostic per line (`path:line:column: message`), each followed by its `  hint:` line.
fn render(diags: &[Diagnostic]) -> String {
    diags
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

impl Diagnostics {
    /// A single problem with the file as a whole.
    pub(crate) fn file(path: &std::path::Path, message: String, hint: Option<String>) -> Self {
        Self(vec![Diagnostic {
            path: path.to_path_buf(),
            loc: None,
            message,
            hint,
        }])
    }

    /// The number of problems.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there is no problem (never the case for an error returned by the parser).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The problems, in file order.
    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }
}
