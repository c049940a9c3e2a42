//! The `query` argument of `orders`: Shopify's search syntax, for the fields the
//! mock has.
//!
//! Terms are joined by AND (juxtaposition, or the word `AND`); a term is
//! `field:value`, `field:>value`, `field:>=value`, `field:<value`, `field:<=value`,
//! negated by a leading `-` or `NOT `; values may be quoted (`"…"` or `'…'`).
//!
//! | field | values |
//! |---|---|
//! | `financial_status` | `pending`, `authorized`, `paid`, `partially_paid`, `partially_refunded`, `refunded`, `voided`, `unpaid` (pending or authorized), `any` |
//! | `fulfillment_status` | `shipped`/`fulfilled`, `partial`, `unshipped`, `unfulfilled` (not fully fulfilled), `any` |
//! | `status` | `open` (neither archived nor cancelled), `closed`, `cancelled`, `not_closed`, `any` |
//! | `id` | a number or an `Order` gid; comparisons |
//! | `created_at`, `updated_at`, `processed_at` | an ISO 8601 time or a date (`2026-01-01`, midnight UTC; `:` with a date matches that whole day); comparisons |
//! | `name` | the order's name, with or without `#` |
//! | `sku` | an order with a line item of that SKU |
//!
//! As Shopify does, a term the mock cannot read (an unknown field, a value it does
//! not know, a bare word) is ignored with a warning in `extensions.search`. `OR`
//! and parentheses are a top-level error: ignoring them would change the answer
//! too much.

use std::cmp::Ordering;

use jiff::Timestamp;
use shopify_model::{FinancialStatus, FulfillmentStatus, Order};

/// How a term compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Gt,
    Ge,
    Lt,
    Le,
}

impl Op {
    fn holds(self, ord: Ordering) -> bool {
        match self {
            Self::Eq => ord == Ordering::Equal,
            Self::Gt => ord == Ordering::Greater,
            Self::Ge => ord != Ordering::Less,
            Self::Lt => ord == Ordering::Less,
            Self::Le => ord != Ordering::Greater,
        }
    }
}

/// One term the mock can evaluate.
#[derive(Debug, Clone)]
enum Term {
    Financial(Vec<FinancialStatus>),
    Fulfillment(fn(Option<FulfillmentStatus>) -> bool),
    Status(fn(&Order) -> bool),
    Id(Op, u64),
    /// `created_at` (false) or `updated_at` (true), compared with an instant; a
    /// date with `:` matches the day from the instant on.
    Time {
        updated: bool,
        op: Op,
        at: Timestamp,
        day: bool,
    },
    Name(String),
    Sku(String),
    Any,
}

impl Term {
    fn matches(&self, o: &Order) -> bool {
        match self {
            Self::Financial(s) => s.contains(&o.financial_status),
            Self::Fulfillment(f) => f(o.fulfillment_status()),
            Self::Status(f) => f(o),
            Self::Id(op, id) => op.holds(o.id.cmp(id)),
            Self::Time {
                updated,
                op,
                at,
                day,
            } => {
                let t = if *updated { o.updated_at } else { o.created_at };
                if *day && *op == Op::Eq {
                    let end = at
                        .checked_add(jiff::SignedDuration::from_hours(24))
                        .unwrap_or(*at);
                    t >= *at && t < end
                } else {
                    op.holds(t.cmp(at))
                }
            }
            Self::Name(n) => {
                o.name.eq_ignore_ascii_case(n)
                    || o.name
                        .strip_prefix('#')
                        .is_some_and(|x| x.eq_ignore_ascii_case(n))
            }
            Self::Sku(s) => o.line_items.iter().any(|l| &l.sku == s),
            Self::Any => true,
        }
    }
}

/// A term ignored, as Shopify reports it (`extensions.search[].warnings`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Warning {
    /// The field (or the word) ignored.
    pub field: String,
    /// Why.
    pub message: String,
}

/// A parsed `query`: every term must hold.
#[derive(Debug, Clone, Default)]
pub(super) struct Search {
    terms: Vec<(bool, Term)>,
    /// The terms ignored.
    pub warnings: Vec<Warning>,
}

impl Search {
    /// True when the order matches every term.
    pub(super) fn matches(&self, o: &Order) -> bool {
        self.terms
            .iter()
            .all(|(negated, t)| t.matches(o) != *negated)
    }
}

/// Splits a query into words, keeping quoted values whole (quotes removed).
fn words(query: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut started = false;
    for c in query.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                started = true;
            }
            (None, c) if c.is_whitespace() => {
                if started || !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                started = false;
            }
            (None, '(' | ')') => {
                return Err(format!(
                    "query {query:?}: parentheses are not supported by the mock's search; join terms with spaces (AND)"
                ));
            }
            (None, c) => cur.push(c),
        }
    }
    if quote.is_some() {
        return Err(format!("query {query:?}: a quote is not closed"));
    }
    if started || !cur.is_empty() {
        out.push(cur);
    }
    Ok(out)
}

/// An instant: an ISO 8601 time with an offset, one without (UTC), or a date
/// (midnight UTC; the flag says it was a date).
fn instant(v: &str) -> Option<(Timestamp, bool)> {
    if let Ok(t) = v.parse::<Timestamp>() {
        return Some((t, false));
    }
    // (jiff reads the date of a date and time as a date: a date has no time part.)
    if !v.contains(['T', 't', ' ']) {
        let d = v.parse::<jiff::civil::Date>().ok()?;
        return format!("{d}T00:00:00Z").parse().ok().map(|t| (t, true));
    }
    let dt = v.parse::<jiff::civil::DateTime>().ok()?;
    format!("{dt}Z").parse().ok().map(|t| (t, false))
}

/// Parses a `query`; `Err` for syntax the mock does not evaluate (`OR`,
/// parentheses, an open quote).
pub(super) fn parse(query: &str) -> Result<Search, String> {
    let mut search = Search::default();
    let mut negate_next = false;
    for word in words(query)? {
        if word == "AND" {
            continue;
        }
        if word == "OR" {
            return Err(format!(
                "query {query:?}: OR is not supported by the mock's search; run one query per alternative"
            ));
        }
        if word == "NOT" {
            negate_next = true;
            continue;
        }
        let (negated, word) = match word.strip_prefix('-') {
            Some(w) if !w.is_empty() => (true, w.to_owned()),
            _ => (false, word),
        };
        let negated = negated != std::mem::take(&mut negate_next);
        let Some((field, value)) = word.split_once(':') else {
            search.warnings.push(Warning {
                field: word.clone(),
                message: "Free-text search is not supported by the mock; use field:value"
                    .to_owned(),
            });
            continue;
        };
        let field = field.to_ascii_lowercase();
        let (op, value) = if let Some(v) = value.strip_prefix(">=") {
            (Op::Ge, v)
        } else if let Some(v) = value.strip_prefix("<=") {
            (Op::Le, v)
        } else if let Some(v) = value.strip_prefix('>') {
            (Op::Gt, v)
        } else if let Some(v) = value.strip_prefix('<') {
            (Op::Lt, v)
        } else {
            (Op::Eq, value)
        };
        match term(&field, op, value) {
            Ok(t) => search.terms.push((negated, t)),
            Err(message) => search.warnings.push(Warning { field, message }),
        }
    }
    Ok(search)
}

/// One term, or why it is ignored.
fn term(field: &str, op: Op, value: &str) -> Result<Term, String> {
    let lower = value.to_ascii_lowercase();
    let equality = |t: Term| {
        if op == Op::Eq {
            Ok(t)
        } else {
            Err(format!(
                "{field} can only be matched with ':', not compared"
            ))
        }
    };
    let unknown_value = || format!("Invalid value {value:?} for {field}");
    match field {
        "financial_status" => {
            let statuses = match lower.as_str() {
                "any" => return equality(Term::Any),
                "unpaid" => vec![FinancialStatus::Pending, FinancialStatus::Authorized],
                v => vec![
                    FinancialStatus::ALL
                        .into_iter()
                        .find(|s| s.as_str() == v)
                        .ok_or_else(unknown_value)?,
                ],
            };
            equality(Term::Financial(statuses))
        }
        "fulfillment_status" => {
            let f: fn(Option<FulfillmentStatus>) -> bool = match lower.as_str() {
                "any" => |_| true,
                "shipped" | "fulfilled" => |s| s == Some(FulfillmentStatus::Fulfilled),
                "partial" => |s| s == Some(FulfillmentStatus::Partial),
                "unshipped" => |s| s.is_none(),
                "unfulfilled" => |s| s != Some(FulfillmentStatus::Fulfilled),
                _ => return Err(unknown_value()),
            };
            equality(Term::Fulfillment(f))
        }
        "status" => {
            let f: fn(&Order) -> bool = match lower.as_str() {
                "any" => |_| true,
                "open" => |o| !o.is_closed() && !o.is_cancelled(),
                "closed" => |o| o.is_closed(),
                "cancelled" | "canceled" => |o| o.is_cancelled(),
                "not_closed" => |o| !o.is_closed(),
                _ => return Err(unknown_value()),
            };
            equality(Term::Status(f))
        }
        "id" => {
            let n = value
                .strip_prefix("gid://shopify/Order/")
                .unwrap_or(value)
                .parse::<u64>()
                .map_err(|_| unknown_value())?;
            Ok(Term::Id(op, n))
        }
        "created_at" | "updated_at" | "processed_at" => {
            let (at, day) = instant(value).ok_or_else(|| {
                format!("Invalid value {value:?} for {field}: use an ISO 8601 time or a date such as 2026-01-01")
            })?;
            Ok(Term::Time {
                updated: field == "updated_at",
                op,
                at,
                day,
            })
        }
        "name" => equality(Term::Name(value.to_owned())),
        "sku" => equality(Term::Sku(value.to_owned())),
        _ => Err("Invalid search field for this query.".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_keep_quotes_and_refuse_or() {
        assert_eq!(
            words("a:1  b:\"x y\" c:'' ").unwrap(),
            ["a:1", "b:x y", "c:"]
        );
        assert!(
            parse("a:1 OR b:2")
                .unwrap_err()
                .contains("OR is not supported")
        );
        assert!(parse("(a:1)").unwrap_err().contains("parentheses"));
        assert!(parse("a:\"x").unwrap_err().contains("not closed"));
    }

    #[test]
    fn unknown_fields_and_values_are_warnings() {
        let s = parse("tag:x financial_status:nope hello status:open").unwrap();
        let fields: Vec<&str> = s.warnings.iter().map(|w| w.field.as_str()).collect();
        assert_eq!(fields, ["tag", "financial_status", "hello"]);
        assert_eq!(s.terms.len(), 1);
        let s = parse("status:>open").unwrap();
        assert_eq!(s.warnings.len(), 1);
    }

    #[test]
    fn instants_and_dates() {
        assert_eq!(
            instant("2026-01-02").unwrap(),
            ("2026-01-02T00:00:00Z".parse().unwrap(), true)
        );
        assert_eq!(
            instant("2026-01-02T10:00:00").unwrap(),
            ("2026-01-02T10:00:00Z".parse().unwrap(), false)
        );
        assert_eq!(
            instant("2026-01-02T10:00:00-05:00").unwrap().0,
            "2026-01-02T15:00:00Z".parse::<Timestamp>().unwrap()
        );
        assert!(instant("yesterday").is_none());
    }
}
