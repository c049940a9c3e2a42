//! What a Shopify webhook delivery is, and whether to trust it: the headers the sync
//! needs, the HMAC-SHA256 signature of the raw body checked in constant time, and
//! the order the delivery is about.

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use katana_rules::OrderId;

/// Why a delivery is refused (answered 401, nothing changes).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejected {
    /// A header the sync needs is absent.
    #[error("missing header {0}")]
    MissingHeader(&'static str),
    /// The signature is not base64, or does not match the body and the app's secret.
    #[error("the X-Shopify-Hmac-Sha256 signature does not match the body")]
    BadSignature,
}

/// A delivery's headers, as the sync reads them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// `X-Shopify-Topic`, e.g. `orders/updated`.
    pub topic: String,
    /// `X-Shopify-Webhook-Id`: the same on every retry of one delivery.
    pub webhook_id: String,
    /// `X-Shopify-Event-Id`: the same on a duplicate delivery of one event, when sent.
    pub event_id: Option<String>,
    /// `X-Shopify-Shop-Domain`.
    pub shop: String,
}

/// Reads a header by name (case-insensitive), as a closure so this module needs no
/// HTTP types.
pub fn read_delivery<'a>(
    header: impl Fn(&str) -> Option<&'a str>,
    body: &[u8],
    secret: &[u8],
) -> Result<Delivery, Rejected> {
    let need = |name: &'static str| {
        header(name)
            .filter(|v| !v.is_empty())
            .ok_or(Rejected::MissingHeader(name))
    };
    let signature = need("x-shopify-hmac-sha256")?;
    let topic = need("x-shopify-topic")?;
    let shop = need("x-shopify-shop-domain")?;
    let webhook_id = need("x-shopify-webhook-id")?;
    verify_signature(body, signature, secret)?;
    Ok(Delivery {
        topic: topic.to_string(),
        webhook_id: webhook_id.to_string(),
        event_id: header("x-shopify-event-id")
            .filter(|v| !v.is_empty())
            .map(str::to_string),
        shop: shop.to_string(),
    })
}

/// Checks `X-Shopify-Hmac-Sha256` (base64 of HMAC-SHA256 of the raw body) in constant time.
pub fn verify_signature(body: &[u8], signature_b64: &str, secret: &[u8]) -> Result<(), Rejected> {
    let expected = base64::engine::general_purpose::STANDARD
        .decode(signature_b64.trim())
        .map_err(|_| Rejected::BadSignature)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).map_err(|_| Rejected::BadSignature)?;
    mac.update(body);
    // `verify_slice` compares in constant time.
    mac.verify_slice(&expected)
        .map_err(|_| Rejected::BadSignature)
}

/// The signature Shopify would send for `body` (for tests and the simulator's checks).
pub fn sign(body: &[u8], secret: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(body);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The topics the sync subscribes to at start ([`crate::service::SyncService::register_webhooks`]):
/// every topic Shopify sends when something the sync reads can change. Each one is
/// handled by [`order_event`] (none is [`OrderEvent::Ignored`]):
///
/// - `orders/create`: the import decision (rules.md §3) is made on creation;
/// - `orders/paid`: a pending order's payment captured (`financial_status`), which
///   imports an order that waited for it (rules.md §3b);
/// - `orders/edited`, `refunds/create`: the lines' `current_quantity` and returns;
/// - `orders/cancelled`, `orders/fulfilled`, `orders/partially_fulfilled`:
///   `cancelled_at`, `fulfillment_status` and the lines' fulfilment;
/// - `orders/updated`: archiving (`closed_at`) and whatever the other topics do not
///   name;
/// - `orders/delete`: the only word that an order is gone (no `orders/updated`
///   follows a deletion).
///
/// Several topics may announce one change (Shopify commonly sends `orders/updated`
/// alongside the others); that is harmless, since every delivery reads the order as it is now and applies
/// only the difference. Subscribing to `orders/updated` alone would leave deletion
/// to reconciliation, and would rest on Shopify sending `orders/updated` for every
/// change, which its docs do not promise.
pub const WEBHOOK_TOPICS: [&str; 9] = [
    "orders/create",
    "orders/updated",
    "orders/edited",
    "orders/cancelled",
    "orders/delete",
    "orders/paid",
    "orders/fulfilled",
    "orders/partially_fulfilled",
    "refunds/create",
];

/// What a delivery asks of the sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderEvent {
    /// Something happened to this order: read it as it is now and apply the difference.
    Changed(OrderId),
    /// The order was deleted in Shopify.
    Deleted(OrderId),
    /// A topic the sync does not act on.
    Ignored,
}

/// The order a delivery is about, by topic: order topics carry the order (`id`),
/// `orders/edited` carries `order_edit.order_id`, `refunds/create` carries
/// `order_id`, `orders/delete` carries only `id`.
pub fn order_event(topic: &str, body: &[u8]) -> Result<OrderEvent, serde_json::Error> {
    let v: serde_json::Value = serde_json::from_slice(body)?;
    let id = |value: Option<&serde_json::Value>| value.and_then(serde_json::Value::as_u64);
    let missing = || {
        <serde_json::Error as serde::de::Error>::custom(format!("no order id in the {topic} body"))
    };
    Ok(match topic {
        "orders/delete" => OrderEvent::Deleted(id(v.get("id")).ok_or_else(missing)?),
        "orders/edited" => OrderEvent::Changed(
            id(v.get("order_edit").and_then(|e| e.get("order_id"))).ok_or_else(missing)?,
        ),
        "refunds/create" => OrderEvent::Changed(id(v.get("order_id")).ok_or_else(missing)?),
        t if t.starts_with("orders/") => OrderEvent::Changed(id(v.get("id")).ok_or_else(missing)?),
        _ => OrderEvent::Ignored,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<&'a str> {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| *v)
        }
    }

    #[test]
    fn a_signed_delivery_is_read() {
        let body = br#"{"id":1001}"#;
        let sig = sign(body, b"secret");
        let h = [
            ("X-Shopify-Hmac-Sha256", sig.as_str()),
            ("X-Shopify-Topic", "orders/updated"),
            ("X-Shopify-Shop-Domain", "shop.myshopify.com"),
            ("X-Shopify-Webhook-Id", "w1"),
            ("X-Shopify-Event-Id", "e1"),
        ];
        let d = read_delivery(headers(&h), body, b"secret").unwrap();
        assert_eq!(
            (
                d.topic.as_str(),
                d.webhook_id.as_str(),
                d.event_id.as_deref()
            ),
            ("orders/updated", "w1", Some("e1"))
        );
    }

    #[test]
    fn wrong_secret_forged_body_and_garbage_are_refused() {
        let body = br#"{"id":1001}"#;
        assert_eq!(
            verify_signature(body, &sign(body, b"other"), b"secret"),
            Err(Rejected::BadSignature)
        );
        assert_eq!(
            verify_signature(br#"{"id":1002}"#, &sign(body, b"secret"), b"secret"),
            Err(Rejected::BadSignature)
        );
        assert_eq!(
            verify_signature(body, "not base64!", b"secret"),
            Err(Rejected::BadSignature)
        );
        assert_eq!(
            verify_signature(body, "", b"secret"),
            Err(Rejected::BadSignature)
        );
    }

    #[test]
    fn each_missing_header_is_named() {
        let body = b"{}";
        let sig = sign(body, b"s");
        let all = [
            ("X-Shopify-Hmac-Sha256", sig.as_str()),
            ("X-Shopify-Topic", "orders/updated"),
            ("X-Shopify-Shop-Domain", "shop"),
            ("X-Shopify-Webhook-Id", "w1"),
        ];
        for skip in 0..all.len() {
            let some: Vec<_> = all
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != skip)
                .map(|(_, p)| *p)
                .collect();
            let err = read_delivery(headers(&some), body, b"s").unwrap_err();
            assert!(matches!(err, Rejected::MissingHeader(_)), "{err}");
        }
    }

    #[test]
    fn the_order_comes_from_the_right_field_per_topic() {
        assert_eq!(
            order_event("orders/updated", br#"{"id":7}"#).unwrap(),
            OrderEvent::Changed(7)
        );
        assert_eq!(
            order_event("orders/delete", br#"{"id":7}"#).unwrap(),
            OrderEvent::Deleted(7)
        );
        assert_eq!(
            order_event("orders/edited", br#"{"order_edit":{"id":1,"order_id":7}}"#).unwrap(),
            OrderEvent::Changed(7)
        );
        assert_eq!(
            order_event("refunds/create", br#"{"id":3,"order_id":7}"#).unwrap(),
            OrderEvent::Changed(7)
        );
        assert_eq!(
            order_event("products/update", br#"{"id":7}"#).unwrap(),
            OrderEvent::Ignored
        );
        assert!(order_event("orders/updated", br#"{"name":"x"}"#).is_err());
    }

    /// Every topic the sync subscribes to is one it acts on.
    #[test]
    fn every_subscribed_topic_is_acted_on() {
        let body = br#"{"id":7,"order_id":7,"order_edit":{"id":1,"order_id":7}}"#;
        for topic in WEBHOOK_TOPICS {
            let event = order_event(topic, body).unwrap();
            assert_ne!(event, OrderEvent::Ignored, "{topic}");
        }
    }
}
