//! Steps written back as one line of flow YAML, as failure reports quote them.

use std::fmt::{self, Display, Formatter, Write as _};

use shopify_model::{FinancialStatus, NewOrder};

use super::ast::{Expectation, MoExpect, SettingsPatch, SoExpect, Step};

/// A string as a YAML scalar: plain when that reads back the same, double-quoted otherwise.
struct Scalar<'a>(&'a str);

impl Display for Scalar<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let s = self.0;
        let reserved = matches!(
            s.to_ascii_lowercase().as_str(),
            "" | "~" | "null" | "true" | "false" | "yes" | "no" | "on" | "off"
        );
        let safe_start = s
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
        let safe_rest = s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/'));
        if !reserved && safe_start && safe_rest {
            return f.write_str(s);
        }
        f.write_char('"')?;
        for c in s.chars() {
            match c {
                '"' => f.write_str("\\\"")?,
                '\\' => f.write_str("\\\\")?,
                '\n' => f.write_str("\\n")?,
                '\t' => f.write_str("\\t")?,
                c if c.is_control() => write!(f, "\\u{:04x}", u32::from(c))?,
                c => f.write_char(c)?,
            }
        }
        f.write_char('"')
    }
}

/// Writes `{ k: v, ... }` from the fields that are present.
fn flow_map(f: &mut Formatter<'_>, fields: &[(&str, Option<String>)]) -> fmt::Result {
    let present: Vec<String> = fields
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}: {v}")))
        .collect();
    if present.is_empty() {
        f.write_str("{}")
    } else {
        write!(f, "{{ {} }}", present.join(", "))
    }
}

fn some(v: impl Display) -> Option<String> {
    Some(v.to_string())
}

struct Settings<'a>(&'a SettingsPatch);

impl Display for Settings<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        flow_map(
            f,
            &[
                (
                    "sync_order_changes",
                    self.0.sync_order_changes.map(|b| b.to_string()),
                ),
                (
                    "import_payment_pending",
                    self.0.import_payment_pending.map(|b| b.to_string()),
                ),
            ],
        )
    }
}

struct Order<'a>(&'a NewOrder);

impl Display for Order<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let o = self.0;
        let lines: Vec<String> = o
            .lines
            .iter()
            .map(|l| {
                let mut s = format!(
                    "{{ id: {}, sku: {}, quantity: {}",
                    l.id,
                    Scalar(&l.sku),
                    l.quantity
                );
                if l.fulfilled != 0 {
                    let _ = write!(s, ", fulfilled: {}", l.fulfilled);
                }
                s.push_str(" }");
                s
            })
            .collect();
        flow_map(
            f,
            &[
                ("id", some(o.id)),
                ("name", o.name.as_deref().map(|n| Scalar(n).to_string())),
                (
                    "financial_status",
                    (o.financial_status != FinancialStatus::Paid)
                        .then(|| o.financial_status.as_str().to_string()),
                ),
                ("lines", some(format!("[{}]", lines.join(", ")))),
            ],
        )
    }
}

struct Expect<'a>(&'a Expectation);

impl Display for Expect<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let mut fields: Vec<(String, Option<String>)> = self
            .0
            .mos
            .iter()
            .map(|(id, x)| (Scalar(id.as_str()).to_string(), some(MoExpectFmt(x))))
            .collect();
        if !self.0.sales_orders.is_empty() {
            let sos: Vec<String> = self
                .0
                .sales_orders
                .iter()
                .map(|(order, so)| format!("{order}: {}", SoExpectFmt(so)))
                .collect();
            fields.push((
                "sales_orders".into(),
                some(format!("{{ {} }}", sos.join(", "))),
            ));
        }
        let borrowed: Vec<(&str, Option<String>)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        flow_map(f, &borrowed)
    }
}

struct MoExpectFmt<'a>(&'a MoExpect);

impl Display for MoExpectFmt<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let x = self.0;
        flow_map(
            f,
            &[
                ("type", x.production_type.map(|t| t.as_str().to_string())),
                ("status", x.status.map(|s| s.to_string())),
                ("quantity", x.quantity.map(|q| q.to_string())),
                (
                    "linked_to",
                    x.linked_to.map(|l| match l {
                        Some(r) => format!("{{ order: {}, line: {} }}", r.order, r.line),
                        None => "null".to_string(),
                    }),
                ),
                ("indicator", x.indicator.map(|i| i.as_str().to_string())),
                ("messages", x.messages.map(|m| m.to_string())),
                ("exists", x.exists.map(|e| e.to_string())),
            ],
        )
    }
}

struct SoExpectFmt<'a>(&'a SoExpect);

impl Display for SoExpectFmt<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let rows = self.0.rows.as_ref().map(|rows| {
            if rows.is_empty() {
                "{}".to_string()
            } else {
                let rows: Vec<String> = rows.iter().map(|(l, q)| format!("{l}: {q}")).collect();
                format!("{{ {} }}", rows.join(", "))
            }
        });
        flow_map(
            f,
            &[
                ("exists", self.0.exists.map(|e| e.to_string())),
                ("rows", rows),
            ],
        )
    }
}

impl Display for Step {
    /// One line of flow YAML, e.g. `edit: { order: 1001, line: 11, quantity: 3 }`.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.name())?;
        match self {
            Self::Edit {
                order,
                line,
                quantity,
            }
            | Self::Fulfill {
                order,
                line,
                quantity,
            } => flow_map(
                f,
                &[
                    ("order", some(order)),
                    ("line", some(line)),
                    ("quantity", some(quantity)),
                ],
            ),
            Self::AddLine {
                order,
                line,
                sku,
                quantity,
            } => flow_map(
                f,
                &[
                    ("order", some(order)),
                    ("line", some(line)),
                    ("sku", some(Scalar(sku))),
                    ("quantity", some(quantity)),
                ],
            ),
            Self::Refund { order, lines } => {
                let lines = (!lines.is_empty()).then(|| {
                    let items: Vec<String> = lines
                        .iter()
                        .map(|l| {
                            format!(
                                "{{ line: {}, quantity: {}, restock: {} }}",
                                l.line,
                                l.quantity,
                                l.restock.as_str()
                            )
                        })
                        .collect();
                    format!("[{}]", items.join(", "))
                });
                flow_map(f, &[("order", some(order)), ("lines", lines)])
            }
            Self::Cancel {
                order,
                reason,
                restock,
            } => flow_map(
                f,
                &[
                    ("order", some(order)),
                    ("reason", reason.map(|r| r.as_str().to_string())),
                    ("restock", restock.then(|| "true".to_string())),
                ],
            ),
            Self::Archive { order } | Self::Unarchive { order } | Self::Delete { order } => {
                flow_map(f, &[("order", some(order))])
            }
            Self::CreateOrder(order) => Order(order).fmt(f),
            Self::SetStatus { mo, status } => flow_map(
                f,
                &[("mo", some(Scalar(mo.as_str()))), ("status", some(status))],
            ),
            Self::MakeToOrder {
                mo,
                order,
                line,
                status,
            } => flow_map(
                f,
                &[
                    ("mo", some(Scalar(mo.as_str()))),
                    ("order", some(order)),
                    ("line", some(line)),
                    ("status", status.map(|s| s.to_string())),
                ],
            ),
            Self::SetDelivery {
                order,
                line,
                delivery,
            } => flow_map(
                f,
                &[
                    ("order", some(order)),
                    ("line", some(line)),
                    ("delivery", some(delivery)),
                ],
            ),
            Self::UpdateMoQuantity(mo) | Self::KeepMoQuantity(mo) | Self::Dismiss(mo) => {
                Scalar(mo.as_str()).fmt(f)
            }
            Self::Settings(patch) => Settings(patch).fmt(f),
            Self::Expect(x) => Expect(x).fmt(f),
            Self::ExpectError { step, contains } => flow_map(
                f,
                &[
                    ("step", some(format!("{{ {step} }}"))),
                    (
                        "contains",
                        contains.as_deref().map(|c| Scalar(c).to_string()),
                    ),
                ],
            ),
        }
    }
}
