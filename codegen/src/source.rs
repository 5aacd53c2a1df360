//! Where each YAML node sits in its file, so that errors found after parsing can still point
//! at a line and column.
//!
//! serde gives positions only for syntax and shape errors. Semantic checks in
//! [`crate::lower`] name the node by its YAML path instead, and this index turns the path
//! back into a position.

use std::collections::HashMap;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

/// Positions of the nodes of one YAML document, keyed by path (`tables[0].columns[1].type`).
#[derive(Debug, Default, Clone)]
pub struct PositionIndex {
    positions: HashMap<String, (usize, usize)>,
}

impl PositionIndex {
    /// Builds the index; a document that does not scan yields an empty index (serde reports
    /// the syntax error itself).
    pub fn build(text: &str) -> PositionIndex {
        let mut recv = Receiver::default();
        let mut parser = Parser::new_from_str(text);
        let _ = parser.load(&mut recv, false);
        PositionIndex {
            positions: recv.positions,
        }
    }

    /// The 1-based line and column of the node at `path`, or of its nearest ancestor.
    pub fn locate(&self, path: &str) -> (usize, usize) {
        let mut p = path.to_string();
        loop {
            if let Some(pos) = self.positions.get(&p) {
                return *pos;
            }
            match p.rfind(['.', '[']) {
                Some(i) => p.truncate(i),
                None => return self.positions.get("").copied().unwrap_or((1, 1)),
            }
        }
    }
}

enum Frame {
    Map { key: Option<String> },
    Seq { index: usize },
}

#[derive(Default)]
struct Receiver {
    stack: Vec<Frame>,
    positions: HashMap<String, (usize, usize)>,
    /// A mapping just started: its position is that of its first key, which the parser
    /// reports more usefully than the mapping itself.
    pending_mapping: Option<String>,
}

impl Receiver {
    fn path(&self) -> String {
        let mut out = String::new();
        for frame in &self.stack {
            match frame {
                Frame::Map { key: Some(k) } => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(k);
                }
                Frame::Map { key: None } => {}
                Frame::Seq { index } => out.push_str(&format!("[{index}]")),
            }
        }
        out
    }

    fn record(&mut self, mark: Marker) {
        let path = self.path();
        self.positions
            .entry(path)
            .or_insert((mark.line(), mark.col() + 1));
    }

    /// Called after a complete value: the parent moves on to its next key or item.
    fn advance(&mut self) {
        match self.stack.last_mut() {
            Some(Frame::Map { key }) => *key = None,
            Some(Frame::Seq { index }) => *index += 1,
            None => {}
        }
    }

    fn expecting_key(&self) -> bool {
        matches!(self.stack.last(), Some(Frame::Map { key: None }))
    }
}

impl MarkedEventReceiver for Receiver {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        match ev {
            Event::Scalar(value, ..) => {
                if let Some(path) = self.pending_mapping.take() {
                    self.positions.insert(path, (mark.line(), mark.col() + 1));
                }
                if self.expecting_key() {
                    if let Some(Frame::Map { key }) = self.stack.last_mut() {
                        *key = Some(value);
                    }
                    // The key's own position stands for the node until its value is seen.
                    self.record(mark);
                } else {
                    self.record_value(mark);
                    self.advance();
                }
            }
            Event::MappingStart(..) => {
                self.record_value(mark);
                self.pending_mapping = Some(self.path());
                self.stack.push(Frame::Map { key: None });
            }
            Event::SequenceStart(..) => {
                self.record_value(mark);
                self.stack.push(Frame::Seq { index: 0 });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
                self.advance();
            }
            _ => {}
        }
    }
}

impl Receiver {
    /// A value's position replaces its key's: errors about a value point at the value.
    fn record_value(&mut self, mark: Marker) {
        let path = self.path();
        self.positions.insert(path, (mark.line(), mark.col() + 1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_nested_nodes() {
        let text = "schema: public\ntables:\n  - name: a\n    columns:\n      - name: id\n        type: uuidd\n";
        let idx = PositionIndex::build(text);
        assert_eq!(idx.locate("tables[0].columns[0].type"), (6, 15));
        assert_eq!(idx.locate("tables[0].name"), (3, 11));
        assert_eq!(idx.locate("schema"), (1, 9));
        // Unknown children fall back to the closest ancestor.
        assert_eq!(idx.locate("tables[0].columns[0].missing"), (5, 9));
    }
}
