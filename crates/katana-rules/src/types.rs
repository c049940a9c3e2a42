//! Value types: ids, statuses and references shared by every part of Katana's side.

use std::fmt;

/// A Shopify order id, as Katana keeps it hidden on the SO.
pub type OrderId = u64;
/// A Shopify line item id, which identifies an SO row.
pub type LineId = u64;

/// A manufacturing order id such as `MO-7`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MoId(pub String);

impl MoId {
    /// Wraps an id.
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    /// The id as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MoId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialOrd for MoId {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for MoId {
    /// Natural order, as the Schedule lists MOs: `MO-2` before `MO-10`.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        natural_cmp(self.0.as_bytes(), other.0.as_bytes())
    }
}

/// Compares two ids run by run, text and number in turn, so that numbers compare by
/// value. As keys, a number run is `("", value, digits, digits as written)` (a
/// value past `u128` counts as `u128::MAX`; the digits as written only part two
/// such runs, so that ids compare equal only when they are equal) and a text run
/// is `(text, 0, 0, "")`: a number run comes before a text run, text runs compare
/// as strings, and an id that is a prefix of the other's runs comes first.
///
/// One pass over the bytes, without allocating: the Schedule and every look-up of
/// an MO compare ids. ASCII digits never occur inside a multi-byte character, so
/// byte runs are character runs.
fn natural_cmp(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let run_end = |s: &[u8], from: usize, digit: bool| {
        s[from..]
            .iter()
            .position(|c| c.is_ascii_digit() != digit)
            .map_or(s.len(), |n| from + n)
    };
    let (mut i, mut j) = (0, 0);
    loop {
        let (x, y) = match (a.get(i), b.get(j)) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => (*x, *y),
        };
        let digit = x.is_ascii_digit();
        if digit != y.is_ascii_digit() {
            // ("", …) against (text, …): the number run first.
            return if digit {
                Ordering::Less
            } else {
                Ordering::Greater
            };
        }
        let (ei, ej) = (run_end(a, i, digit), run_end(b, j, digit));
        let (ra, rb) = (&a[i..ei], &b[j..ej]);
        let order = if digit {
            let value = |r: &[u8]| {
                r.iter()
                    .try_fold(0u128, |n, c| {
                        n.checked_mul(10)?.checked_add(u128::from(c - b'0'))
                    })
                    .unwrap_or(u128::MAX)
            };
            value(ra)
                .cmp(&value(rb))
                .then(ra.len().cmp(&rb.len()))
                .then_with(|| ra.cmp(rb))
        } else {
            ra.cmp(rb)
        };
        if order != Ordering::Equal {
            return order;
        }
        (i, j) = (ei, ej);
    }
}

/// An SO row: the Shopify order and line item it was imported from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RowRef {
    /// The Shopify order id.
    pub order: OrderId,
    /// The Shopify line item id.
    pub line: LineId,
}

impl fmt::Display for RowRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "order {} line {}", self.order, self.line)
    }
}

/// An MO's status (rules.md §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MoStatus {
    /// Not started: still follows its SO row.
    NotStarted,
    /// Blocked (missing materials).
    Blocked,
    /// Work in progress.
    InProgress,
    /// Partially complete; treated like `in_progress` [chosen].
    PartiallyComplete,
    /// Done.
    Done,
}

impl MoStatus {
    /// Every status, in production order.
    pub const ALL: [MoStatus; 5] = [
        Self::NotStarted,
        Self::Blocked,
        Self::InProgress,
        Self::PartiallyComplete,
        Self::Done,
    ];

    /// The name used in scenario files and snapshots.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotStarted => "not_started",
            Self::Blocked => "blocked",
            Self::InProgress => "in_progress",
            Self::PartiallyComplete => "partially_complete",
            Self::Done => "done",
        }
    }

    /// The label Katana's Schedule shows.
    pub fn label(self) -> &'static str {
        match self {
            Self::NotStarted => "Not started",
            Self::Blocked => "Blocked",
            Self::InProgress => "Work in progress",
            Self::PartiallyComplete => "Partially complete",
            Self::Done => "Done",
        }
    }
}

impl fmt::Display for MoStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An SO row's delivery status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Delivery {
    /// Not shipped yet: the row follows Shopify.
    #[default]
    NotShipped,
    /// Packed: Shopify changes no longer touch the row.
    Packed,
    /// Delivered: Shopify changes no longer touch the row.
    Delivered,
}

impl Delivery {
    /// Every delivery status.
    pub const ALL: [Delivery; 3] = [Self::NotShipped, Self::Packed, Self::Delivered];

    /// The name used in scenario files and snapshots.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotShipped => "not_shipped",
            Self::Packed => "packed",
            Self::Delivered => "delivered",
        }
    }

    /// True when the row is packed or delivered, so Shopify changes skip it.
    pub fn is_locked(self) -> bool {
        !matches!(self, Self::NotShipped)
    }
}

impl fmt::Display for Delivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Make-to-order (linked to one SO row) or make-to-stock (no link).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProductionType {
    /// Linked to exactly one SO row.
    MakeToOrder,
    /// No link.
    MakeToStock,
}

impl ProductionType {
    /// The name used in scenario files and snapshots.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MakeToOrder => "make_to_order",
            Self::MakeToStock => "make_to_stock",
        }
    }
}

/// What the amber indicator in the Schedule says, if anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Indicator {
    /// No open message.
    None,
    /// Open message: the SO row's quantity changed.
    SoQuantityChanged,
    /// Open message: the SO (or its row) was deleted.
    SoDeleted,
}

impl Indicator {
    /// Every indicator value.
    pub const ALL: [Indicator; 3] = [Self::None, Self::SoQuantityChanged, Self::SoDeleted];

    /// The name used in scenario files and snapshots.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::SoQuantityChanged => "so_quantity_changed",
            Self::SoDeleted => "so_deleted",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::MoId;

    /// The natural order's definition, written plainly: each id as a list of runs.
    fn key(s: &str) -> Vec<(String, u128, usize, String)> {
        let mut out = Vec::new();
        let mut rest = s;
        while let Some(c) = rest.chars().next() {
            let digit = c.is_ascii_digit();
            let len = rest
                .find(|c: char| c.is_ascii_digit() != digit)
                .unwrap_or(rest.len());
            let (run, tail) = rest.split_at(len);
            out.push(if digit {
                let value = run.parse().unwrap_or(u128::MAX);
                (String::new(), value, run.len(), run.to_string())
            } else {
                (run.to_string(), 0, 0, String::new())
            });
            rest = tail;
        }
        out
    }

    #[test]
    fn ids_compare_as_their_runs_do() {
        let ids = [
            "",
            "1",
            "01",
            "2",
            "10",
            "MO",
            "MO-",
            "MO-1",
            "MO-01",
            "MO-2",
            "MO-10",
            "MO-10a",
            "MO-10-2",
            "MO-9",
            "mo-1",
            "A-1",
            "Ø-3",
            "MØ-12",
            "MO-340282366920938463463374607431768211455",
            "MO-340282366920938463463374607431768211456",
            "MO-999999999999999999999999999999999999999999",
            "MO-999999999999999999999999999999999999999998",
            "MO-1x",
            "1MO",
        ];
        for a in ids {
            for b in ids {
                assert_eq!(
                    MoId::new(a).cmp(&MoId::new(b)),
                    key(a).cmp(&key(b)),
                    "{a:?} vs {b:?}"
                );
                assert_eq!(
                    MoId::new(a).partial_cmp(&MoId::new(b)),
                    Some(key(a).cmp(&key(b)))
                );
                // Consistent with `==`, as ordered maps need.
                assert_eq!(
                    MoId::new(a).cmp(&MoId::new(b)).is_eq(),
                    a == b,
                    "{a:?} vs {b:?}"
                );
            }
        }
    }
}
