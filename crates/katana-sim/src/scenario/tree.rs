//! A located YAML tree, built from granit-parser's events under depth, size and alias limits.
//!
//! The tree is untyped on purpose: turning it into a [`super::Scenario`] is done by hand in
//! `convert`, so that every problem in the file can be reported, not only the first one.
//! Aliases share the anchored subtree (`Rc`), and every alias is charged the full size of
//! what it expands to, so a "billion laughs" file is refused after a few thousand events
//! instead of exhausting memory later.

use std::collections::HashMap;
use std::rc::Rc;

use serde_saphyr::granit_parser::{ErrorKind, Event, Marker, Options, Parser, ScalarStyle, Span};

use super::diag::Loc;
use super::{MAX_DEPTH, MAX_NODES};

/// A YAML node and where it starts.
#[derive(Debug)]
pub(crate) struct Node {
    /// Where the node starts (for an alias: where its anchored node starts).
    pub loc: Loc,
    /// What the node is.
    pub kind: Kind,
    /// Number of nodes in this subtree, aliases expanded.
    size: usize,
    /// Nesting depth of this subtree (1 for a scalar).
    height: usize,
}

/// The three kinds of YAML node.
#[derive(Debug)]
pub(crate) enum Kind {
    /// A scalar, with its text after escape processing; `plain` when written without quotes.
    Scalar { text: String, plain: bool },
    /// A sequence.
    Seq(Vec<Rc<Node>>),
    /// A mapping, entries in file order (duplicates kept: `convert` reports them).
    Map(Vec<(Rc<Node>, Rc<Node>)>),
}

/// A problem that stops tree building: where, what and a hint.
#[derive(Debug)]
pub(crate) struct TreeError {
    /// Where the problem is.
    pub loc: Option<Loc>,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: Option<String>,
}

impl TreeError {
    fn at(loc: Loc, message: impl Into<String>, hint: Option<String>) -> Self {
        Self {
            loc: Some(loc),
            message: message.into(),
            hint,
        }
    }
}

/// Converts granit's marker (1-based line, 0-based column) to a [`Loc`].
pub(crate) fn loc_of(marker: &Marker) -> Loc {
    Loc::new(marker.line(), marker.col().saturating_add(1))
}

/// A collection being read.
struct Frame {
    loc: Loc,
    anchor: usize,
    kind: FrameKind,
}

enum FrameKind {
    Seq(Vec<Rc<Node>>),
    Map {
        entries: Vec<(Rc<Node>, Rc<Node>)>,
        key: Option<Rc<Node>>,
    },
}

/// Parses `text` into a located tree; `Ok(None)` when the file holds no document at all.
pub(crate) fn build(text: &str) -> Result<Option<Rc<Node>>, TreeError> {
    let mut options = Options::default();
    options.emit_comments = false;
    // The scanner may read far ahead of the events (flow collections), so its own nesting
    // limits are set to ours and its error is reported with our message.
    options.block_nesting_limit = MAX_DEPTH;
    options.flow_nesting_limit = MAX_DEPTH;
    let parser = Parser::new_from_str_with_options(text, options);

    let mut builder = Builder::default();
    for item in parser {
        let (event, span) = item.map_err(|e| match e.kind() {
            ErrorKind::RecursionLimitExceeded => depth_error(loc_of(e.marker())),
            _ => TreeError::at(
                loc_of(e.marker()),
                format!("invalid YAML: {}", e.info()),
                None,
            ),
        })?;
        builder.event(event, &span, text)?;
    }
    if let Some(frame) = builder.stack.first() {
        // granit always closes what it opens; keep a clear error rather than a panic if not.
        return Err(TreeError::at(
            frame.loc,
            "invalid YAML: unclosed collection",
            None,
        ));
    }
    Ok(builder.root)
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    anchors: HashMap<usize, Rc<Node>>,
    nodes: usize,
    documents: usize,
    root: Option<Rc<Node>>,
}

impl Builder {
    fn event(&mut self, event: Event<'_>, span: &Span, source: &str) -> Result<(), TreeError> {
        let loc = loc_of(&span.start);
        let is_seq = matches!(event, Event::SequenceStart(..));
        match event {
            Event::DocumentStart(..) => {
                self.documents += 1;
                if self.documents > 1 {
                    return Err(TreeError::at(
                        loc,
                        "a scenario file holds one YAML document, found a second one",
                        Some("put each scenario in its own file".into()),
                    ));
                }
            }
            Event::Scalar(text, style, anchor, tag) => {
                if let Some(tag) = tag {
                    return Err(tag_error(span, source, &tag.to_string()));
                }
                self.charge(1, loc)?;
                let node = Rc::new(Node {
                    loc,
                    kind: Kind::Scalar {
                        text: text.into_owned(),
                        plain: style == ScalarStyle::Plain,
                    },
                    size: 1,
                    height: 1,
                });
                if anchor != 0 {
                    self.anchors.insert(anchor, Rc::clone(&node));
                }
                self.push(node);
            }
            Event::SequenceStart(_, anchor, tag) | Event::MappingStart(_, anchor, tag) => {
                if let Some(tag) = tag {
                    return Err(tag_error(span, source, &tag.to_string()));
                }
                self.charge(1, loc)?;
                if self.stack.len() >= MAX_DEPTH {
                    return Err(depth_error(loc));
                }
                let kind = if is_seq {
                    FrameKind::Seq(Vec::new())
                } else {
                    FrameKind::Map {
                        entries: Vec::new(),
                        key: None,
                    }
                };
                self.stack.push(Frame { loc, anchor, kind });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = self.stack.pop() else {
                    return Err(TreeError::at(
                        loc,
                        "invalid YAML: unbalanced collection",
                        None,
                    ));
                };
                let kind = match frame.kind {
                    FrameKind::Seq(items) => Kind::Seq(items),
                    FrameKind::Map { entries, key } => {
                        if let Some(key) = key {
                            return Err(TreeError::at(
                                key.loc,
                                "invalid YAML: a key without a value",
                                None,
                            ));
                        }
                        Kind::Map(entries)
                    }
                };
                let (size, height) = measure(&kind);
                let node = Rc::new(Node {
                    loc: frame.loc,
                    kind,
                    size,
                    height,
                });
                if frame.anchor != 0 {
                    self.anchors.insert(frame.anchor, Rc::clone(&node));
                }
                self.push(node);
            }
            Event::Alias(id) => {
                let Some(node) = self.anchors.get(&id).map(Rc::clone) else {
                    return Err(TreeError::at(
                        loc,
                        "an alias refers to a node that contains it",
                        Some("an anchored node cannot include itself".into()),
                    ));
                };
                self.charge(node.size, loc)?;
                if self.stack.len().saturating_add(node.height) > MAX_DEPTH {
                    return Err(depth_error(loc));
                }
                self.push(node);
            }
            Event::UnresolvedAlias(name) => {
                return Err(TreeError::at(
                    loc,
                    format!("unknown alias `*{name}`"),
                    Some("define the anchor `&name` before using it".into()),
                ));
            }
            _ => {}
        }
        Ok(())
    }

    /// Counts `n` more nodes against [`MAX_NODES`].
    fn charge(&mut self, n: usize, loc: Loc) -> Result<(), TreeError> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > MAX_NODES {
            return Err(TreeError::at(
                loc,
                format!(
                    "the document is too large: more than {MAX_NODES} YAML nodes \
                     (aliases counted as expanded)"
                ),
                Some("scenario files are small; look for aliases that expand to huge trees".into()),
            ));
        }
        Ok(())
    }

    /// Adds a finished node to the collection being read, or makes it the document's root.
    fn push(&mut self, node: Rc<Node>) {
        match self.stack.last_mut() {
            Some(Frame {
                kind: FrameKind::Seq(items),
                ..
            }) => items.push(node),
            Some(Frame {
                kind: FrameKind::Map { entries, key },
                ..
            }) => match key.take() {
                Some(k) => entries.push((k, node)),
                None => *key = Some(node),
            },
            None => self.root = Some(node),
        }
    }
}

/// The size (nodes, aliases expanded) and height of a collection with these children.
fn measure(kind: &Kind) -> (usize, usize) {
    let children: Box<dyn Iterator<Item = &Rc<Node>>> = match kind {
        Kind::Scalar { .. } => Box::new(std::iter::empty()),
        Kind::Seq(items) => Box::new(items.iter()),
        Kind::Map(entries) => Box::new(entries.iter().flat_map(|(k, v)| [k, v])),
    };
    children.fold((1, 1), |(size, height), child| {
        (
            size.saturating_add(child.size),
            height.max(child.height.saturating_add(1)),
        )
    })
}

fn depth_error(loc: Loc) -> TreeError {
    TreeError::at(
        loc,
        format!("the document is nested too deeply (more than {MAX_DEPTH} levels)"),
        Some("a scenario needs about 10 levels; look for runaway nesting or aliases".into()),
    )
}

fn tag_error(span: &Span, text: &str, resolved: &str) -> TreeError {
    let marker = span.tag_start().unwrap_or(span.start);
    let tag = span
        .tag_span()
        .and_then(|s| s.slice(text))
        .unwrap_or(resolved);
    TreeError::at(
        loc_of(&marker),
        format!("YAML tags are not supported in scenario files (found `{tag}`)"),
        Some("remove the tag; values are read as the scenario format expects".into()),
    )
}
