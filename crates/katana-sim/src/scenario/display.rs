//! Writing scenario values back as one line of flow YAML, as traces and failure
//! reports quote steps. Each step writes its own fields (in `steps/`) with these.

use std::fmt::{self, Display, Formatter, Write as _};

use shopify_model::{FinancialStatus, NewOrder};

use super::yaml::plain_is_safe;

/// A string as a YAML scalar: plain when that reads back the same, double-quoted otherwise.
pub struct Scalar<'a>(pub &'a str);

impl Display for Scalar<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let s = self.0;
        if plain_is_safe(s) {
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
pub fn flow_map(f: &mut Formatter<'_>, fields: &[(&str, Option<String>)]) -> fmt::Result {
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

/// A field that is always written.
pub fn some(v: impl Display) -> Option<String> {
    Some(v.to_string())
}

/// An order as written under `shopify.orders` or in `create_order`.
pub struct OrderYaml<'a>(pub &'a NewOrder);

impl Display for OrderYaml<'_> {
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
                ("archived", o.archived.then(|| "true".to_string())),
                ("cancelled", o.cancelled.then(|| "true".to_string())),
                ("lines", some(format!("[{}]", lines.join(", ")))),
            ],
        )
    }
}
