//! The JSON Schema of the scenario format (`docs/scenario.schema.json`), built from
//! the list of steps: each step's file gives the schema of its value
//! (`StepDef::schema`), this module the rest of the file and the pieces steps share.
//!
//! The schema is for editors (completion and hover docs through the
//! yaml-language-server modeline) and for tools; the check (`katana-sim check`) stays
//! the authority: it also checks references, duplicates and limits across the file.

use serde_json::{Map, Value, json};
use shopify_model::{CancelReason, FinancialStatus, MAX_LINE_QUANTITY, MAX_SKU_LEN, RestockType};

use crate::steps::STEPS;

/// An object with exactly these properties, the `required` ones required.
pub fn object(properties: &[(&str, Value)], required: &[&str]) -> Value {
    let props: Map<String, Value> = properties
        .iter()
        .map(|(k, v)| ((*k).to_string(), v.clone()))
        .collect();
    json!({
        "type": "object",
        "properties": props,
        "required": required,
        "additionalProperties": false,
    })
}

/// One of these words.
pub fn one_of(words: &[&str]) -> Value {
    json!({ "type": "string", "enum": words })
}

/// A value with a description (shown on hover in editors).
pub fn described(mut schema: Value, description: &str) -> Value {
    if let Some(map) = schema.as_object_mut() {
        map.insert("description".into(), json!(description));
    }
    schema
}

/// A Shopify order or line item id.
pub fn id() -> Value {
    json!({ "type": "integer", "minimum": 0, "maximum": u64::MAX })
}

/// A Shopify quantity: `min` (0 or 1) to 2,147,483,647.
pub fn units(min: u32) -> Value {
    json!({ "type": "integer", "minimum": min, "maximum": MAX_LINE_QUANTITY })
}

/// A count or quantity Katana holds (not limited by Shopify).
pub fn count(min: u32) -> Value {
    json!({ "type": "integer", "minimum": min, "maximum": u32::MAX })
}

/// An MO id such as `MO-1`.
pub fn mo_id() -> Value {
    described(
        json!({ "type": ["string", "integer"], "minLength": 1 }),
        "an MO id, e.g. MO-1",
    )
}

/// A SKU (at most 255 characters).
pub fn sku() -> Value {
    json!({ "type": ["string", "integer"], "minLength": 1, "maxLength": MAX_SKU_LEN })
}

/// A non-empty string.
pub fn text() -> Value {
    json!({ "type": ["string", "integer", "number", "boolean"], "minLength": 1 })
}

/// A map that may also be written empty (`key:`), which YAML reads as null.
pub fn or_null(schema: Value) -> Value {
    json!({ "anyOf": [schema, { "type": "null" }] })
}

/// `{ order }`.
pub fn order_ref() -> Value {
    object(&[("order", id())], &["order"])
}

/// `{ order, line }`.
pub fn row_ref() -> Value {
    object(&[("order", id()), ("line", id())], &["order", "line"])
}

/// The MO statuses.
pub fn status() -> Value {
    let names: Vec<&str> = katana_rules::MoStatus::ALL
        .iter()
        .map(|s| s.as_str())
        .collect();
    one_of(&names)
}

/// The delivery statuses of a row.
pub fn delivery() -> Value {
    let names: Vec<&str> = katana_rules::Delivery::ALL
        .iter()
        .map(|d| d.as_str())
        .collect();
    one_of(&names)
}

/// The restock types of a refund line.
pub fn restock() -> Value {
    let names: Vec<&str> = RestockType::ALL.iter().map(|r| r.as_str()).collect();
    one_of(&names)
}

/// The cancel reasons.
pub fn cancel_reason() -> Value {
    let names: Vec<&str> = CancelReason::ALL.iter().map(|r| r.as_str()).collect();
    one_of(&names)
}

/// An order as under `shopify.orders` or in `create_order`.
pub fn order() -> Value {
    json!({ "$ref": "#/$defs/order" })
}

/// Any step (for `expect_error`'s `step`).
pub fn step() -> Value {
    json!({ "$ref": "#/$defs/step" })
}

fn order_def() -> Value {
    let statuses: Vec<&str> = FinancialStatus::ALL.iter().map(|f| f.as_str()).collect();
    let line = object(
        &[
            (
                "id",
                described(id(), "the line item id, unique in the store"),
            ),
            ("sku", sku()),
            ("quantity", described(units(1), "units ordered")),
            (
                "fulfilled",
                described(units(0), "units already fulfilled (default 0)"),
            ),
        ],
        &["id", "sku", "quantity"],
    );
    object(
        &[
            ("id", described(id(), "the Shopify order id")),
            ("name", described(text(), "the order name; default #<id>")),
            (
                "financial_status",
                described(one_of(&statuses), "default paid"),
            ),
            (
                "archived",
                described(json!({ "type": "boolean" }), "created archived (closed)"),
            ),
            (
                "cancelled",
                described(json!({ "type": "boolean" }), "created cancelled"),
            ),
            (
                "lines",
                json!({ "type": "array", "items": line, "minItems": 1 }),
            ),
        ],
        &["id", "lines"],
    )
}

fn settings() -> Value {
    let mut s = object(
        &[
            (
                "sync_order_changes",
                described(
                    json!({ "type": "boolean" }),
                    "bring order changes from Shopify (default true)",
                ),
            ),
            (
                "import_payment_pending",
                described(
                    json!({ "type": "boolean" }),
                    "also import orders whose payment is pending (default false)",
                ),
            ),
        ],
        &[],
    );
    s["minProperties"] = json!(1);
    s
}

/// The schema of the settings patch (top level and the `settings` step).
pub fn settings_patch() -> Value {
    settings()
}

fn step_def() -> Value {
    let steps: Vec<Value> = STEPS
        .iter()
        .map(|s| {
            let mut wrapper = object(&[(s.name, (s.schema)())], &[s.name]);
            wrapper["description"] = json!(format!("{}: {}", s.name, s.doc.summary));
            wrapper
        })
        .collect();
    json!({ "oneOf": steps })
}

/// A `faults:` entry.
fn fault() -> Value {
    let kinds: Vec<&str> = crate::scenario::faults::FAULT_KINDS.to_vec();
    described(
        object(
            &[
                (
                    "step",
                    described(
                        count(0),
                        "the step it is armed for, from 1; 0 for the set-up",
                    ),
                ),
                ("fault", one_of(&kinds)),
                (
                    "index",
                    described(
                        json!({ "type": "integer", "minimum": 0, "maximum": 100 }),
                        "which webhook of the step, from 0",
                    ),
                ),
                (
                    "order",
                    json!({ "anyOf": [{ "const": "reverse" }, { "type": "array", "items": { "type": "integer", "minimum": 0 } }] }),
                ),
                (
                    "attempts",
                    json!({ "type": "integer", "minimum": 1, "maximum": 8 }),
                ),
                ("timeout", json!({ "type": "boolean" })),
                (
                    "count",
                    json!({ "type": "integer", "minimum": 1, "maximum": crate::scenario::faults::MAX_FAULT_COUNT }),
                ),
                (
                    "retry_after_ms",
                    json!({ "type": "integer", "minimum": 0, "maximum": 1000 }),
                ),
                (
                    "status",
                    json!({ "type": "integer", "minimum": 500, "maximum": 599 }),
                ),
                (
                    "delay_ms",
                    json!({ "type": "integer", "minimum": 0, "maximum": 1000 }),
                ),
            ],
            &["step", "fault"],
        ),
        "what goes wrong on the wire before a step, over HTTP; never changes the outcome",
    )
}

/// The whole schema, deterministic (keys in a fixed order).
pub fn scenario_schema() -> Value {
    let mo = json!({
        "anyOf": [
            object(
                &[
                    ("id", mo_id()),
                    ("make_to_order", described(row_ref(), "the SO row it is made for; sku and quantity come from the row")),
                    ("status", status()),
                ],
                &["id", "make_to_order"],
            ),
            object(
                &[
                    ("id", mo_id()),
                    ("sku", sku()),
                    ("quantity", count(1)),
                    ("status", status()),
                ],
                &["id", "sku", "quantity"],
            ),
        ]
    });
    let delivery_entry = object(
        &[("order", id()), ("line", id()), ("delivery", delivery())],
        &["order", "line", "delivery"],
    );
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "katana-sim scenario",
        "description": "A scenario: Shopify orders, Katana MOs, and steps replayed against them. Reference: docs/scenarios.md.",
        "type": "object",
        "additionalProperties": false,
        "required": ["description"],
        "properties": {
            "description": described(text(), "what the scenario shows, in one sentence"),
            "settings": or_null(settings()),
            "start": described(json!({ "type": "string" }), "the simulated clock's start, RFC 3339 (default 2026-01-01T09:00:00Z)"),
            "shopify": or_null(object(&[("orders", or_null(json!({ "type": "array", "items": order() })))], &[])),
            "katana": or_null(object(
                &[
                    ("sales_orders", or_null(json!({ "type": "array", "items": delivery_entry }))),
                    ("manufacturing_orders", or_null(json!({ "type": "array", "items": mo }))),
                ],
                &[],
            )),
            "steps": or_null(json!({ "type": "array", "items": step() })),
            "faults": or_null(json!({ "type": "array", "items": fault() })),
        },
        "$defs": {
            "order": order_def(),
            "step": step_def(),
        },
    })
}

/// The schema as the pretty JSON of `docs/scenario.schema.json`.
pub fn scenario_schema_json() -> String {
    let mut text = serde_json::to_string_pretty(&scenario_schema())
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}
