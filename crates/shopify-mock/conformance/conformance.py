"""Drives the mock Shopify with Shopify's official Python library (ShopifyAPI).

The library is used as it would be against a real store; only the host it talks
to is pointed at the mock. Every call must behave as Shopify documents it, and
every webhook the calls cause must arrive signed with the app's secret (checked
with Python's own hmac). Plain urllib is used only where the library has no
resource: HEAD requests and the mock's own test-control API under /__mock/.
Prints one line per check and a closing "N passed, N failed"; exits non-zero on
any failure.

Sections, in order:
  1. the seeded store (orders.yaml): list, get, close/open, refund, cancel, delete,
     GraphQL, and the webhooks they cause;
  2. the control API: reset, replace the orders (the store every later section
     starts from), read them back;
  3. REST: create an order, capture its payment, fulfilment orders, fulfilments;
  4. webhooks.json through shopify.Webhook, and an API-made subscription's
     deliveries;
  5. HEAD;
  6. GraphQL: the orders connection, fulfillmentCreate, webhook subscriptions,
     MAX_COST_EXCEEDED and the fragment bomb;
  7. faults, settle and the delivery log;
  8. a delivery after a receiver outage (the mock clock advanced), and redeliver.

Usage: conformance.py --base-url http://127.0.0.1:PORT --token TOKEN
                      --webhook-port PORT --webhook-secret SECRET
"""

import argparse
import base64
import hashlib
import hmac
import http.server
import json
import sys
import threading
import time
import traceback
import urllib.error
import urllib.request
from collections import namedtuple
from datetime import datetime, timedelta

import shopify
from pyactiveresource.connection import (ClientError, ResourceInvalid, ResourceNotFound,
                                         ServerError, UnauthorizedAccess)

API_VERSION = "2025-01"
SEED_IDS = [5001, 5002, 5003, 5004, 5005, 5006, 5007]

results = {"passed": 0, "failed": 0}


def check(name, ok, detail=""):
    if ok:
        results["passed"] += 1
        print(f"ok    {name}")
    else:
        results["failed"] += 1
        print(f"FAIL  {name} {detail}")


# ----- webhook receiver ------------------------------------------------------

# One request the receiver got: its path, headers (names lower-case) and raw body.
Hook = namedtuple("Hook", "path headers body")

received = []  # answered 200
refused = []  # answered 503 while the receiver was "down"
receiver = {"down": False}
received_cond = threading.Condition()


class Hooks(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        # Header names are case-insensitive: keep them lower-case.
        hook = Hook(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
        with received_cond:
            down = receiver["down"]
            (refused if down else received).append(hook)
            received_cond.notify_all()
        self.send_response(503 if down else 200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def start_receiver(port):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Hooks)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def signed(hook, secret):
    """True when the hook's X-Shopify-Hmac-Sha256 is the body's HMAC with the secret."""
    digest = base64.b64encode(hmac.new(secret.encode(), hook.body, hashlib.sha256).digest()).decode()
    return hmac.compare_digest(digest, hook.headers.get("x-shopify-hmac-sha256", ""))


def topic(hook):
    return hook.headers.get("x-shopify-topic")


# ----- plain HTTP: HEAD and the control API ------------------------------------


class Http:
    """urllib against the mock, for what the library has no resource for."""

    def __init__(self, base_url, token):
        self.base = base_url.rstrip("/")
        self.token = token

    def request(self, method, url, body=None, token=True, content_type="application/json"):
        """(status, JSON body or None, headers); HTTP errors are answers too."""
        data = None
        if body is not None:
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        headers = {"Content-Type": content_type} if data is not None else {}
        if token:
            headers["X-Shopify-Access-Token"] = self.token
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                status, raw, got = r.status, r.read(), r.headers
        except urllib.error.HTTPError as e:
            status, raw, got = e.code, e.read(), e.headers
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw
        return status, parsed, got

    def control(self, method, path, body=None, **kw):
        return self.request(method, f"{self.base}/__mock{path}", body, **kw)

    def admin(self, method, path, body=None, **kw):
        return self.request(method, f"{self.base}/admin/api/{API_VERSION}/{path}", body, **kw)


def graphql(query, variables=None):
    return json.loads(shopify.GraphQL().execute(query, variables=variables))


# ----- the checks ------------------------------------------------------------


def activate(base_url, token):
    host = base_url.split("://", 1)[1].rstrip("/")
    shopify.Session.protocol = base_url.split("://", 1)[0]
    session = shopify.Session("mock-shop.myshopify.com", API_VERSION, token)
    # The one change from a real setup: the shop's host is the mock's.
    session.url = host
    shopify.ShopifyResource.activate_session(session)
    return session


def seeded_store(args):
    """Section 1: the store seeded from orders.yaml, through the library."""
    # List across pages, following Link headers.
    page = shopify.Order.find(limit=2, status="any")
    pages = [[o.id for o in page]]
    for _ in range(20):
        if not page.has_next_page():
            break
        page = page.next_page()
        pages.append([o.id for o in page])
    seen = [i for p in pages for i in p]
    check("list: four pages of at most 2", [len(p) for p in pages] == [2, 2, 2, 1], pages)
    check("list: every order once, by id", seen == SEED_IDS, seen)
    check("list: last page has a previous page", page.has_previous_page())
    back = page.previous_page()
    check("list: previous page", [o.id for o in back] == [5005, 5006], [o.id for o in back])
    check("count", shopify.Order.count(status="any") == 7)
    check("count: filter", shopify.Order.count(financial_status="pending") == 1)
    open_ids = [o.id for o in shopify.Order.find(ids="5001,5004,5006")]
    check("list: ids filter", open_ids == [5001, 5004, 5006], open_ids)

    # Get.
    order = shopify.Order.find(5001)
    check("get: name", order.name == "#5001", order.name)
    check("get: gid", order.admin_graphql_api_id == "gid://shopify/Order/5001")
    check("get: line items", [(l.id, l.sku, l.current_quantity) for l in order.line_items]
          == [(501, "CHAIR", 4), (502, "TABLE", 1)])
    try:
        shopify.Order.find(999999)
        check("get: unknown order raises ResourceNotFound", False)
    except ResourceNotFound:
        check("get: unknown order raises ResourceNotFound", True)

    # Close and open.
    order.close()
    check("close: closed_at set", order.closed_at is not None)
    check("close: listed as closed", [o.id for o in shopify.Order.find(status="closed")] == [5001])
    order.open()
    check("open: closed_at cleared", order.closed_at is None)

    # Delete is refused for an open order (422).
    try:
        order.destroy()
        check("delete open order: 422", False)
    except ResourceInvalid as e:
        body = json.loads(e.response.body)
        check("delete open order: 422 with errors.base", "base" in body.get("errors", {}), body)

    # Refund two chairs.
    refund = shopify.Refund.create({
        "order_id": 5001,
        "note": "conformance",
        "refund_line_items": [{"line_item_id": 501, "quantity": 2, "restock_type": "cancel"}],
    })
    check("refund: created", refund.id is not None and not refund.errors.full_messages(),
          refund.errors.full_messages())
    check("refund: lines", [(r.line_item_id, r.quantity, r.restock_type) for r in refund.refund_line_items]
          == [(501, 2, "cancel")])
    again = shopify.Refund.find(refund.id, order_id=5001)
    check("refund: get", again.note == "conformance")
    check("refund: list", [r.id for r in shopify.Refund.find(order_id=5001)] == [refund.id])
    after = shopify.Order.find(5001)
    check("refund: current_quantity", after.line_items[0].current_quantity == 2)
    check("refund: financial status", after.financial_status == "partially_refunded")

    # A refund Shopify's rules forbid: more unfulfilled units than there are.
    bad = shopify.Refund.create({
        "order_id": 5002,
        "refund_line_items": [{"line_item_id": 511, "quantity": 2, "restock_type": "cancel"}],
    })
    check("refund: refusal reported as errors", bool(bad.errors.full_messages()))

    # Cancel (Shopify answers {"order": …, "notice": …}).
    order = shopify.Order.find(5001)
    order.cancel(reason="customer")
    check("cancel: notice", getattr(order, "notice", None) == "Order has been canceled")
    cancelled = shopify.Order.find(5001)
    check("cancel: cancelled_at", cancelled.cancelled_at is not None)
    check("cancel: reason", cancelled.cancel_reason == "customer")
    check("cancel: listed as cancelled", [o.id for o in shopify.Order.find(status="cancelled")] == [5001])

    # An order with fulfilled units cannot be cancelled.
    try:
        shopify.Order.find(5002).cancel()
        check("cancel fulfilled order: 422", False)
    except ResourceInvalid:
        check("cancel fulfilled order: 422", True)

    # Delete the cancelled order.
    cancelled.destroy()
    try:
        shopify.Order.find(5001)
        check("delete: gone", False)
    except ResourceNotFound:
        check("delete: gone", True)

    # GraphQL through the library.
    result = json.loads(shopify.GraphQL().execute(
        '{ order(id: "gid://shopify/Order/5003") { name lineItems(first: 5) { nodes { sku currentQuantity } } } }'))
    check("graphql: order", result["data"]["order"]["name"] == "#5003", result)
    check("graphql: cost", "throttleStatus" in result["extensions"]["cost"], result)

    # Capture the pending payment of 5004 (GraphQL orderMarkAsPaid).
    paid = json.loads(shopify.GraphQL().execute(
        'mutation($input: OrderMarkAsPaidInput!) { orderMarkAsPaid(input: $input) {'
        ' order { id displayFinancialStatus } userErrors { field message } } }',
        variables={"input": {"id": "gid://shopify/Order/5004"}}))
    payload = paid["data"]["orderMarkAsPaid"]
    check("graphql: orderMarkAsPaid", payload["userErrors"] == []
          and payload["order"]["displayFinancialStatus"] == "PAID", paid)
    check("mark as paid: REST shows paid", shopify.Order.find(5004).financial_status == "paid")
    again = json.loads(shopify.GraphQL().execute(
        'mutation { orderMarkAsPaid(input: {id: "gid://shopify/Order/5004"}) { userErrors { message } } }'))
    check("mark as paid twice: userErrors", again["data"]["orderMarkAsPaid"]["userErrors"][0]["message"]
          == "order #5004 has no pending payment to capture: its financial status is paid", again)

    # Without a token: 401.
    shopify.ShopifyResource.headers.pop("X-Shopify-Access-Token", None)
    try:
        shopify.Order.find(5003)
        check("no token: 401", False)
    except UnauthorizedAccess:
        check("no token: 401", True)

    # Webhooks: close, open, refund (2), cancel (2), delete, payment (2) = 9, all signed.
    expected = 9
    with received_cond:
        received_cond.wait_for(lambda: len(received) >= expected, timeout=30)
        hooks = list(received)
    topics = [topic(h) for h in hooks]
    check("webhooks: all arrived", len(hooks) == expected, topics)
    check("webhooks: topics", sorted(topics) == sorted([
        "orders/updated", "orders/updated", "refunds/create", "orders/updated",
        "orders/cancelled", "orders/updated", "orders/delete", "orders/paid",
        "orders/updated"]), topics)
    paid_hooks = [json.loads(h.body) for h in hooks if topic(h) == "orders/paid"]
    check("webhook orders/paid body", [(o["id"], o["financial_status"]) for o in paid_hooks]
          == [(5004, "paid")], paid_hooks)
    for hook in hooks:
        check(f"webhook {topic(hook)}: signature", signed(hook, args.webhook_secret))
        for name in ["X-Shopify-Shop-Domain", "X-Shopify-API-Version", "X-Shopify-Webhook-Id",
                     "X-Shopify-Event-Id", "X-Shopify-Triggered-At"]:
            if not hook.headers.get(name.lower()):
                check(f"webhook header {name}", False)
    deleted = [json.loads(h.body) for h in hooks if topic(h) == "orders/delete"]
    check("webhook orders/delete body", deleted == [{"id": 5001}], deleted)


# ----- section 2: the control API ----------------------------------------------

# Every topic the mock sends; `serve --webhook-url` subscribes the receiver to all.
ALL_TOPICS = ["orders/create", "orders/updated", "orders/edited", "orders/cancelled",
              "orders/fulfilled", "orders/partially_fulfilled", "orders/paid",
              "orders/delete", "refunds/create"]

# The store the sections after the first start from (PUT /__mock/orders).
STORE = [
    {"id": 6001, "name": "#6001", "lines": [{"id": 601, "sku": "CHAIR", "quantity": 3},
                                            {"id": 602, "sku": "LAMP", "quantity": 2}]},
    {"id": 6002, "financial_status": "pending", "lines": [{"id": 611, "sku": "DESK", "quantity": 1}]},
    {"id": 6003, "lines": [{"id": 621, "sku": "SOFA", "quantity": 1}]},
    {"id": 6004, "lines": [{"id": 631, "sku": "STOOL", "quantity": 2}]},
    {"id": 6005, "lines": [{"id": 641, "sku": "SHELF", "quantity": 1}]},
]
STORE_IDS = [o["id"] for o in STORE]


def header(headers, name):
    """A header's value from a dict or message, whatever the case of its name."""
    for k, v in dict(headers).items():
        if k.lower() == name.lower():
            return v
    return None


def settle(http, what):
    """POST /__mock/webhooks/settle: a check that every delivery is settled."""
    status, body, _ = http.control("POST", "/webhooks/settle?timeout_ms=30000")
    check(f"{what}: settle answers 200, nothing pending",
          status == 200 and isinstance(body, dict) and body.get("settled") is True
          and body.get("pending") == 0, (status, body))
    return body if isinstance(body, dict) else {}


def since(mark):
    with received_cond:
        return list(received[mark:])


def control_api(args, http):
    """Section 2: the control API, and the store every later section starts from.
    Returns where the receiver's list stood at the reset."""
    status, body, _ = http.control("GET", "", token=False)
    check("control: needs the access token (401)", status == 401 and "hint" in body, (status, body))
    status, body, _ = http.control("GET", "")
    endpoints = [e.get("endpoint") for e in body.get("endpoints", [])] if status == 200 else []
    check("control: lists its endpoints", status == 200 and "POST /__mock/clock/advance" in endpoints
          and "POST /__mock/webhooks/{webhook_id}/redeliver" in endpoints, (status, endpoints))
    status, body, _ = http.control("GET", "/nothing")
    check("control: an unknown path is a 404 listing the endpoints",
          status == 404 and bool(body.get("endpoints")), (status, body))

    # The seeded section's webhooks have all arrived: the reset loses none of them.
    status, body, _ = http.control("POST", "/reset")
    with received_cond:
        mark = len(received)
    check("control: reset", status == 200, (status, body))
    check("reset: the store is empty", shopify.Order.count(status="any") == 0)
    status, body, _ = http.control("PUT", "/orders", STORE)
    check("control: PUT orders (201, replaced)", status == 201
          and body == {"replaced": len(STORE), "orders": len(STORE)}, (status, body))
    status, body, _ = http.control("GET", "/orders/6001")
    order = body.get("order", {}) if status == 200 else {}
    lines = [(line.get("id"), line.get("sku"), line.get("quantity"), line.get("current_quantity"),
              line.get("fulfilled_quantity")) for line in order.get("line_items", [])]
    check("control: GET order, as the store holds it", order.get("id") == 6001
          and order.get("name") == "#6001"
          and lines == [(601, "CHAIR", 3, 3, 0), (602, "LAMP", 2, 2, 0)], (status, body))
    status, body, _ = http.control("GET", "/orders")
    check("control: GET orders", status == 200
          and [o.get("id") for o in body.get("orders", [])] == STORE_IDS, (status, body))
    status, body, _ = http.control("GET", "/orders/999999")
    check("control: an unknown order is a 404", status == 404, (status, body))
    ids = [o.id for o in shopify.Order.find(status="any")]
    check("PUT orders: the Admin API serves them", ids == STORE_IDS, ids)
    # All or nothing: one order of the two has an id in use.
    status, body, _ = http.control("POST", "/orders", [
        {"id": 6100, "lines": [{"id": 700, "sku": "CHAIR", "quantity": 1}]},
        {"id": 6001, "lines": [{"id": 701, "sku": "CHAIR", "quantity": 1}]}])
    check("control: POST orders with an id in use is a 422 that adds nothing",
          status == 422 and shopify.Order.count(status="any") == len(STORE), (status, body))
    body = settle(http, "reset and PUT orders")
    check("reset and PUT orders send no webhooks", body.get("deliveries") == 0 and not since(mark), body)
    return mark


# ----- section 3: REST orders, payments and fulfilments --------------------------


def rest_orders(args, http):
    mark = len(since(0))
    order = shopify.Order.create({
        "line_items": [{"sku": "CHAIR", "quantity": 2}, {"sku": "TABLE", "quantity": 1}],
        "financial_status": "pending",
    })
    check("create: no errors", not order.errors.full_messages(), order.errors.full_messages())
    check("create: the next free id", order.id == 6006, order.id)
    check("create: name and gid", (order.name, order.admin_graphql_api_id)
          == ("#6006", "gid://shopify/Order/6006"), (order.name, order.admin_graphql_api_id))
    lines = [(line.id, line.sku, line.quantity, line.current_quantity) for line in order.line_items]
    check("create: fresh line item ids", lines == [(642, "CHAIR", 2, 2), (643, "TABLE", 1, 1)], lines)
    check("create: financial status", order.financial_status == "pending", order.financial_status)
    again = shopify.Order.find(order.id)
    check("create: reads back", (again.name, [line.id for line in again.line_items])
          == ("#6006", [642, 643]))
    bad = shopify.Order.create({"line_items": [{"quantity": 1}]})
    check("create: a line without sku or variant_id is refused", bad.id is None, bad.attributes)
    check("create: the refusal's words", any("needs a sku or a variant_id" in m
                                                for m in bad.errors.full_messages()),
          bad.errors.full_messages())

    # The library's Order.capture: a capture transaction.
    transaction = order.capture()
    check("capture: transaction", not transaction.errors.full_messages()
          and (transaction.kind, transaction.status, transaction.order_id)
          == ("capture", "success", order.id), transaction.attributes)
    check("capture: order paid", shopify.Order.find(order.id).financial_status == "paid")
    twice = order.capture()
    check("capture twice: errors", bool(twice.errors.full_messages()), twice.attributes)

    # Fulfilment orders, then a partial and a full fulfilment.
    fos = shopify.FulfillmentOrders.find(order_id=order.id)
    check("fulfillment orders: one, open", len(fos) == 1 and fos[0].status == "open"
          and fos[0].order_id == order.id, [f.attributes for f in fos])
    fo = fos[0]
    fo_lines = {line.line_item_id: line for line in fo.line_items}
    check("fulfillment orders: a line per line item", sorted(fo_lines) == [642, 643]
          and (fo_lines[642].quantity, fo_lines[642].fulfillable_quantity) == (2, 2),
          [line.attributes for line in fo.line_items])
    partial = shopify.FulfillmentV2.create({
        "line_items_by_fulfillment_order": [{
            "fulfillment_order_id": fo.id,
            "fulfillment_order_line_items": [{"id": fo_lines[642].id, "quantity": 1}],
        }],
        "tracking_info": {"number": "1Z999", "company": "UPS"},
        "notify_customer": False,
    })
    check("fulfillment: created", not partial.errors.full_messages()
          and (partial.status, partial.order_id) == ("success", order.id), partial.attributes)
    check("fulfillment: lines", [(line.id, line.quantity) for line in partial.line_items] == [(642, 1)])
    check("fulfillment: tracking", partial.tracking_number == "1Z999", partial.attributes)
    check("fulfillment: order partially fulfilled",
          shopify.Order.find(order.id).fulfillment_status == "partial")
    check("fulfillment order: in progress",
          shopify.FulfillmentOrders.find(order_id=order.id)[0].status == "in_progress")
    rest = {"line_items_by_fulfillment_order": [{"fulfillment_order_id": fo.id}]}
    full = shopify.FulfillmentV2.create(rest)
    check("fulfillment: no line items fulfils the rest",
          [(line.id, line.quantity) for line in full.line_items] == [(642, 1), (643, 1)],
          full.attributes)
    check("fulfillment: order fulfilled", shopify.Order.find(order.id).fulfillment_status == "fulfilled")
    check("fulfillment order: closed",
          shopify.FulfillmentOrders.find(order_id=order.id)[0].status == "closed")
    nothing = shopify.FulfillmentV2.create(rest)
    check("fulfillment: nothing left: errors", bool(nothing.errors.full_messages()), nothing.attributes)
    try:
        shopify.FulfillmentV2.create({"line_items_by_fulfillment_order": [{"fulfillment_order_id": 42}]})
        check("fulfillment: an unknown fulfillment order is a 404", False)
    except ResourceNotFound:
        check("fulfillment: an unknown fulfillment order is a 404", True)

    settle(http, "REST orders")
    hooks = since(mark)
    topics = [topic(h) for h in hooks]
    check("REST webhooks: topics", sorted(topics) == sorted([
        "orders/create", "orders/paid", "orders/updated", "orders/partially_fulfilled",
        "orders/updated", "orders/fulfilled", "orders/updated"]), topics)
    created = [json.loads(h.body) for h in hooks if topic(h) == "orders/create"]
    check("webhook orders/create: the order", [(o["id"], [line["id"] for line in o["line_items"]])
                                               for o in created] == [(6006, [642, 643])], created)
    check("REST webhooks: all about the order", all(json.loads(h.body).get("id") == 6006 for h in hooks))
    check("REST webhooks: all signed", bool(hooks) and all(signed(h, args.webhook_secret) for h in hooks))


# ----- section 4: webhooks.json -------------------------------------------------


def webhooks_api(args, http):
    hook_base = f"http://127.0.0.1:{args.webhook_port}"
    serve_url, first, second = hook_base + "/webhooks", hook_base + "/api-hooks", hook_base + "/api-hooks-2"
    rows = shopify.Webhook.find()
    check("webhooks.json: serve's subscription, a row per topic",
          sorted(w.topic for w in rows) == sorted(ALL_TOPICS)
          and {w.address for w in rows} == {serve_url}, [(w.topic, w.address) for w in rows])
    check("webhooks.json: count", shopify.Webhook.count() == len(ALL_TOPICS))

    hook = shopify.Webhook.create({"topic": "orders/create", "address": first, "format": "json"})
    check("webhook create: an id, no errors", hook.id is not None and not hook.errors.full_messages(),
          hook.errors.full_messages())
    check("webhook create: fields", (hook.topic, hook.address, hook.format, hook.api_version)
          == ("orders/create", first, "json", API_VERSION), hook.attributes)
    found = shopify.Webhook.find(hook.id)
    check("webhook find", (found.id, found.address, found.created_at)
          == (hook.id, first, hook.created_at), found.attributes)
    by_topic = shopify.Webhook.find(topic="orders/create")
    check("webhook list: topic filter", sorted(w.address for w in by_topic) == sorted([serve_url, first]))
    check("webhook count: one more", shopify.Webhook.count() == len(ALL_TOPICS) + 1)
    dup = shopify.Webhook.create({"topic": "orders/create", "address": first})
    check("webhook duplicate: errors", dup.errors.full_messages()
          == ["address for this topic has already been taken"], dup.errors.full_messages())
    bad = shopify.Webhook.create({"topic": "products/create", "address": first})
    check("webhook unknown topic: errors", any(m.startswith("topic Invalid topic specified")
                                              for m in bad.errors.full_messages()),
          bad.errors.full_messages())

    # The API-made subscription gets signed webhooks (serve --webhook-secret).
    mark = len(since(0))
    one = shopify.Order.create({"line_items": [{"sku": "CHAIR", "quantity": 1}]})
    settle(http, "API subscription")
    api_hooks = [h for h in since(mark) if h.path == "/api-hooks"]
    check("API subscription: orders/create delivered", [(topic(h), json.loads(h.body)["id"])
                                                        for h in api_hooks] == [("orders/create", one.id)])
    check("API subscription: signed with the app's secret (serve --webhook-secret)",
          bool(api_hooks) and all(signed(h, args.webhook_secret) for h in api_hooks),
          "signed with the default mock-webhook-secret instead"
          if api_hooks and all(signed(h, "mock-webhook-secret") for h in api_hooks) else api_hooks)

    found.address = second
    saved = found.save()
    check("webhook update: saved, same id, new address", saved and (found.id, found.address)
          == (hook.id, second), found.errors.full_messages())
    check("webhook update: reads back", shopify.Webhook.find(hook.id).address == second)
    mark = len(since(0))
    shopify.Order.create({"line_items": [{"sku": "LAMP", "quantity": 1}]})
    settle(http, "updated subscription")
    paths = sorted(h.path for h in since(mark) if topic(h) == "orders/create")
    check("webhook update: the next webhook goes to the new address",
          paths == ["/api-hooks-2", "/webhooks"], paths)

    found.destroy()
    try:
        shopify.Webhook.find(hook.id)
        check("webhook delete: gone", False)
    except ResourceNotFound:
        check("webhook delete: gone", True)
    check("webhook delete: count back", shopify.Webhook.count() == len(ALL_TOPICS))


# ----- section 5: HEAD ------------------------------------------------------------


def head(args, http):
    status, body, headers = http.admin("HEAD", "orders/6001.json")
    check("HEAD order: 200, no body", status == 200 and body is None, (status, body))
    check("HEAD order: the GET's headers", (header(headers, "Content-Type") or "").startswith(
        "application/json") and header(headers, "X-Shopify-Shop-Api-Call-Limit") is not None,
          dict(headers))
    status, _, _ = http.admin("HEAD", "orders/999999.json")
    check("HEAD unknown order: 404", status == 404, status)
    status, _, _ = http.admin("HEAD", "orders/6001.json", token=False)
    check("HEAD without a token: 401", status == 401, status)
    shopify.Order.find(limit=2, status="any")
    get_link = header(shopify.ShopifyResource.connection.response.headers, "Link")
    status, body, headers = http.admin("HEAD", "orders.json?limit=2&status=any")
    check("HEAD list: the GET's Link header", status == 200 and get_link is not None
          and header(headers, "Link") == get_link, (get_link, header(headers, "Link")))


# ----- section 6: GraphQL ---------------------------------------------------------

ORDERS = """query($first: Int, $after: String, $last: Int, $before: String, $query: String,
               $reverse: Boolean) {
  orders(first: $first, after: $after, last: $last, before: $before, query: $query,
         reverse: $reverse) {
    edges { cursor node { id name } }
    nodes { legacyResourceId }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""


def orders_page(variables):
    """(ids, pageInfo, cursors consistent, the whole answer) of one orders page."""
    answer = graphql(ORDERS, variables)
    c = (answer.get("data") or {}).get("orders") or {}
    ids = [int(n["legacyResourceId"]) for n in c.get("nodes", [])]
    edges = c.get("edges", [])
    info = c.get("pageInfo", {})
    consistent = bool(edges) and info.get("startCursor") == edges[0]["cursor"] \
        and info.get("endCursor") == edges[-1]["cursor"] \
        and [e["node"]["id"] for e in edges] == [f"gid://shopify/Order/{i}" for i in ids]
    return ids, info, consistent, answer


def graphql_orders():
    all_ids = sorted(o.id for o in shopify.Order.find(status="any", limit=250))
    pages, infos, cursors_ok, after = [], [], True, None
    for _ in range(20):
        ids, info, ok, answer = orders_page({"first": 2, "after": after})
        pages.append(ids)
        infos.append(info)
        cursors_ok = cursors_ok and ok
        if not info.get("hasNextPage"):
            break
        after = info["endCursor"]
    sizes = [2] * (len(all_ids) // 2) + ([len(all_ids) % 2] if len(all_ids) % 2 else [])
    check("graphql orders: forward, pages of 2", [len(p) for p in pages] == sizes, pages)
    check("graphql orders: forward, every order once, by id", sum(pages, []) == all_ids,
          (sum(pages, []), all_ids))
    check("graphql orders: edges' cursors are pageInfo's", cursors_ok)
    check("graphql orders: hasPreviousPage", [i.get("hasPreviousPage") for i in infos]
          == [False] + [True] * (len(infos) - 1), infos)
    back, before = [], infos[-1].get("startCursor")
    for _ in range(20):
        ids, info, _, _ = orders_page({"last": 2, "before": before})
        back.insert(0, ids)
        if not info.get("hasPreviousPage"):
            break
        before = info["startCursor"]
    check("graphql orders: backward from the last page", sum(back, []) + pages[-1] == all_ids,
          (back, pages[-1]))
    check("graphql orders: last 2", orders_page({"last": 2})[0] == all_ids[-2:])
    check("graphql orders: reverse", orders_page({"first": 3, "reverse": True})[0]
          == all_ids[::-1][:3])
    ids = orders_page({"first": 10, "query": "financial_status:pending"})[0]
    check("graphql orders: query financial_status:pending", ids == [6002], ids)
    ids = orders_page({"first": 10, "query": "id:>=6003 id:<=6004"})[0]
    check("graphql orders: query id range", ids == [6003, 6004], ids)
    ids, _, _, answer = orders_page({"first": 10, "query": "tag:vip id:6001"})
    check("graphql orders: an unknown field is ignored with a warning", ids == [6001]
          and answer.get("extensions", {}).get("search") == [{
              "path": ["orders"], "query": "tag:vip id:6001",
              "warnings": [{"field": "tag", "message": "Invalid search field for this query."}]}],
          answer)


FULFILLMENT_ORDERS = """{ order(id: "gid://shopify/Order/6003") { fulfillmentOrders(first: 5) {
  nodes { id status lineItems(first: 5) { nodes { id totalQuantity remainingQuantity lineItem { id } } } }
} } }"""

FULFILLMENT_CREATE = """mutation($f: FulfillmentInput!) { fulfillmentCreate(fulfillment: $f) {
  fulfillment { id status trackingInfo { number } fulfillmentLineItems { quantity lineItem { id } } }
  userErrors { field message }
} }"""


def graphql_fulfillment():
    answer = graphql(FULFILLMENT_ORDERS)
    fo = answer["data"]["order"]["fulfillmentOrders"]["nodes"][0]
    line = fo["lineItems"]["nodes"][0]
    check("graphql fulfillmentOrders", (fo["status"], line["lineItem"]["id"], line["totalQuantity"],
                                        line["remainingQuantity"])
          == ("OPEN", "gid://shopify/LineItem/621", 1, 1), answer)
    variables = {"f": {"lineItemsByFulfillmentOrder": [{
        "fulfillmentOrderId": fo["id"],
        "fulfillmentOrderLineItems": [{"id": line["id"], "quantity": 1}]}],
        "trackingInfo": {"number": "T1"}}}
    answer = graphql(FULFILLMENT_CREATE, variables)
    payload = answer["data"]["fulfillmentCreate"]
    check("graphql fulfillmentCreate", payload["userErrors"] == []
          and payload["fulfillment"]["status"] == "SUCCESS"
          and payload["fulfillment"]["trackingInfo"] == [{"number": "T1"}]
          and payload["fulfillment"]["fulfillmentLineItems"]
          == [{"quantity": 1, "lineItem": {"id": "gid://shopify/LineItem/621"}}], answer)
    check("graphql fulfillmentCreate: REST shows it fulfilled",
          shopify.Order.find(6003).fulfillment_status == "fulfilled")
    answer = graphql(FULFILLMENT_CREATE, variables)
    payload = answer["data"]["fulfillmentCreate"]
    check("graphql fulfillmentCreate: nothing left: userErrors", payload["fulfillment"] is None
          and len(payload["userErrors"]) == 1, answer)


SUBSCRIPTION = "webhookSubscription { id legacyResourceId topic format callbackUrl" \
               " endpoint { __typename ... on WebhookHttpEndpoint { callbackUrl } } }"


def graphql_subscriptions(args, http):
    url = f"http://127.0.0.1:{args.webhook_port}/gql-hooks"
    create = ('mutation { webhookSubscriptionCreate(topic: ORDERS_CANCELLED, webhookSubscription: '
              '{callbackUrl: "%s", format: JSON}) { %s userErrors { field message } } }') % (url, SUBSCRIPTION)
    answer = graphql(create)
    payload = answer["data"]["webhookSubscriptionCreate"]
    sub = payload["webhookSubscription"] or {}
    check("graphql webhookSubscriptionCreate", payload["userErrors"] == []
          and (sub.get("topic"), sub.get("format"), sub.get("callbackUrl"), sub.get("endpoint"))
          == ("ORDERS_CANCELLED", "JSON", url,
              {"__typename": "WebhookHttpEndpoint", "callbackUrl": url}), answer)
    answer = graphql(create)
    check("graphql webhookSubscriptionCreate twice: userErrors",
          answer["data"]["webhookSubscriptionCreate"]["userErrors"]
          == [{"field": ["webhookSubscription", "callbackUrl"],
               "message": "Address for this topic has already been taken"}], answer)
    answer = graphql("{ webhookSubscriptions(first: 20, topics: [ORDERS_CANCELLED]) {"
                     " nodes { id topic callbackUrl } } }")
    nodes = answer["data"]["webhookSubscriptions"]["nodes"]
    check("graphql webhookSubscriptions: topics filter",
          sorted(n["callbackUrl"] for n in nodes)
          == sorted([url, f"http://127.0.0.1:{args.webhook_port}/webhooks"])
          and {n["topic"] for n in nodes} == {"ORDERS_CANCELLED"}, answer)
    rest = shopify.Webhook.find(int(sub.get("legacyResourceId", 0)))
    check("graphql subscription: REST shows it", (rest.topic, rest.address)
          == ("orders/cancelled", url), rest.attributes)

    # As apps write it: the callback URL a variable of Shopify's `URL` scalar.
    typed = ("mutation($topic: WebhookSubscriptionTopic!, $url: URL!) { webhookSubscriptionCreate("
             "topic: $topic, webhookSubscription: {callbackUrl: $url, format: JSON}) {"
             " webhookSubscription { id } userErrors { field message } } }")
    answer = graphql(typed, {"topic": "ORDERS_PAID", "url": url})
    typed_id = (((answer.get("data") or {}).get("webhookSubscriptionCreate") or {})
                .get("webhookSubscription") or {}).get("id")
    check("graphql webhookSubscriptionCreate: $url typed URL, as in Shopify's schema",
          "errors" not in answer and typed_id is not None, answer)

    mark = len(since(0))
    cancelled = shopify.Order.find(6004)
    cancelled.cancel(reason="customer")
    settle(http, "GraphQL subscription")
    gql_hooks = [h for h in since(mark) if h.path == "/gql-hooks"]
    check("graphql subscription: orders/cancelled delivered",
          [(topic(h), json.loads(h.body)["id"]) for h in gql_hooks] == [("orders/cancelled", 6004)],
          [topic(h) for h in gql_hooks])
    check("graphql subscription: signed with the app's secret (serve --webhook-secret)",
          bool(gql_hooks) and all(signed(h, args.webhook_secret) for h in gql_hooks),
          "signed with the default mock-webhook-secret instead"
          if gql_hooks and all(signed(h, "mock-webhook-secret") for h in gql_hooks) else gql_hooks)

    delete = ("mutation($id: ID!) { webhookSubscriptionDelete(id: $id) {"
              " deletedWebhookSubscriptionId userErrors { field message } } }")
    if typed_id:
        graphql(delete, {"id": typed_id})
    answer = graphql(delete, {"id": sub.get("id")})
    check("graphql webhookSubscriptionDelete", answer["data"]["webhookSubscriptionDelete"]
          == {"deletedWebhookSubscriptionId": sub.get("id"), "userErrors": []}, answer)
    answer = graphql(delete, {"id": sub.get("id")})
    check("graphql webhookSubscriptionDelete twice: userErrors",
          [e["message"] for e in answer["data"]["webhookSubscriptionDelete"]["userErrors"]]
          == ["Webhook subscription does not exist"], answer)
    check("graphql subscriptions deleted: REST count back", shopify.Webhook.count() == len(ALL_TOPICS))


def fragment_bomb(order):
    """f0 holds two scalars and every f{i} spreads f{i-1} twice, 18 times: 2^19
    fields for about 800 bytes (the query of tests/graphql_cost.rs)."""
    q = f'query {{ order(id: "{order}") {{ ...f18 }} }}\nfragment f0 on Order {{ id name }}\n'
    for i in range(1, 19):
        q += f"fragment f{i} on Order {{ ...f{i - 1} ...f{i - 1} }}\n"
    return q


def graphql_cost():
    # On a full bucket (drained before the section): 2 + 250 x (1 + 2 + 250 x 1).
    answer = graphql("{ orders(first: 250) { nodes { id lineItems(first: 250) { nodes { id } } } } }")
    error = (answer.get("errors") or [{}])[0]
    cost = answer.get("extensions", {}).get("cost", {})
    check("graphql cost over 1000: MAX_COST_EXCEEDED, no data",
          error.get("extensions", {}).get("code") == "MAX_COST_EXCEEDED"
          and answer.get("data") is None, answer)
    check("MAX_COST_EXCEEDED: the requested cost", cost.get("requestedQueryCost") == 63252
          and error.get("extensions", {}).get("cost") == 63252
          and error.get("extensions", {}).get("maxCost") == 1000, answer)
    check("MAX_COST_EXCEEDED: nothing charged", cost.get("actualQueryCost") is None
          and cost.get("throttleStatus", {}).get("currentlyAvailable")
          == cost.get("throttleStatus", {}).get("maximumAvailable"), cost)

    answer = graphql("{ orders(first: 10) { nodes { id } } }")
    check("graphql cost: a connection is 2 + first x a node",
          answer["extensions"]["cost"]["requestedQueryCost"] == 12, answer.get("extensions"))

    bomb = fragment_bomb("gid://shopify/Order/6001")
    started = time.monotonic()
    answer = graphql(bomb)
    took = time.monotonic() - started
    print(f"      fragment bomb ({len(bomb)} bytes) refused in {took * 1000:.1f} ms")
    error = (answer.get("errors") or [{}])[0]
    check("fragment bomb: refused in under a second", took < 1.0, f"{took:.3f} s")
    check("fragment bomb: MAX_COST_EXCEEDED, Shopify's shape", answer.get("data") is None
          and error.get("extensions", {}).get("code") == "MAX_COST_EXCEEDED"
          and error.get("message", "").startswith("Query has ")
          and error.get("extensions", {}).get("maxSelections") == 5000, answer)
    started = time.monotonic()
    answer = graphql('{ order(id: "gid://shopify/Order/6001") { name } }')
    took = time.monotonic() - started
    check("fragment bomb: the next query is answered at once",
          answer.get("data", {}).get("order", {}).get("name") == "#6001" and took < 1.0,
          (answer, f"{took:.3f} s"))


# ----- section 7: faults, settle, the delivery log --------------------------------


def faults_and_log(args, http, since_reset):
    status, body, _ = http.control("POST", "/faults", {"faults": [{"fault": "rest_429", "count": 1}]})
    check("faults: a rest_429 plan armed", (status, body) == (200, {"armed": 1}), (status, body))
    try:
        shopify.Order.find(6001)
        check("fault rest_429: the library's read sees 429", False, "answered")
    except ClientError as e:
        r = e.response
        check("fault rest_429: the library's read sees 429", r.code == 429, r.code)
        check("429: Retry-After", header(r.headers, "Retry-After") is not None, r.headers)
        check("429: Shopify's body", json.loads(r.body) == {"errors": "Exceeded 2 calls per second for"
                                                            " api client. Reduce request rates to"
                                                            " resume uninterrupted service."}, r.body)
    check("fault rest_429: the next read is answered", shopify.Order.find(6001).id == 6001)
    status, body, _ = http.control("GET", "/faults")
    injected = body.get("injected", []) if status == 200 else []
    check("faults: the injected 429 is listed", len(injected) == 1 and "429" in injected[0], body)
    # A YAML plan, as the docs' curl example sends it.
    status, body, _ = http.control("POST", "/faults", "faults:\n  - { fault: rest_5xx, status: 502 }\n",
                                   content_type="application/yaml")
    check("faults: a YAML plan armed", (status, body) == (200, {"armed": 1}), (status, body))
    try:
        shopify.Order.count()
        check("fault rest_5xx: the library sees 502", False, "answered")
    except ServerError as e:
        check("fault rest_5xx: the library sees 502", e.code == 502, e.code)
    status, body, _ = http.control("DELETE", "/faults")
    check("faults: plan ended", (status, body) == (200, {"armed": 0}), (status, body))
    check("faults ended: reads answered", shopify.Order.count(status="any") == 8)

    body = settle(http, "delivery log")
    hooks = since(since_reset)
    check("settle: its delivery count is what the receiver got since the reset",
          body.get("deliveries") == len(hooks), (body, len(hooks)))
    status, body, _ = http.control("GET", "/webhooks/attempts")
    attempts = body.get("attempts", []) if status == 200 else []
    by_id = {h.headers.get("x-shopify-webhook-id"): h for h in hooks}
    check("attempts: one per delivery received",
          sorted(a.get("webhook_id") for a in attempts) == sorted(by_id), (attempts, sorted(by_id)))
    check("attempts: each delivered at the first attempt, 200",
          bool(attempts) and all(a.get("attempt") == 1 and a.get("outcome")
                                 == {"result": "delivered", "status": 200} for a in attempts), attempts)
    check("attempts: topic and event id of the delivery", all(
        a.get("webhook_id") in by_id
        and a.get("topic") == topic(by_id[a["webhook_id"]])
        and a.get("event_id") == by_id[a["webhook_id"]].headers.get("x-shopify-event-id")
        for a in attempts), attempts[:3])
    missing = sorted({"at", "latency_ms", "next_retry"} - set(attempts[0] if attempts else {}))
    check("attempts: when, latency and next retry are given", not missing, f"missing {missing}")
    status, body, _ = http.control("GET", "/webhooks")
    deliveries = body.get("deliveries", []) if status == 200 else []
    check("control webhooks: every delivery delivered, none pending", body.get("pending") == 0
          and len(deliveries) == len(hooks)
          and all(d.get("status") == "delivered" and d.get("attempts") == 1 for d in deliveries), body)


# ----- section 8: a delivery after a receiver outage ------------------------------


def instant(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def outage(args, http):
    with received_cond:
        receiver["down"] = True
        refused_mark = len(refused)
        mark = len(received)
    _, clock_before, _ = http.control("GET", "/clock")
    _, log, _ = http.control("GET", "/webhooks/attempts")
    logged = len(log.get("attempts", []))
    order = shopify.Order.find(6005)
    order.close()  # orders/updated, to serve's subscription only
    with received_cond:
        arrived = received_cond.wait_for(lambda: len(refused) > refused_mark, timeout=30)
        failed = refused[refused_mark] if arrived else None
    check("outage: the first attempt reached the receiver, answered 503",
          arrived and topic(failed) == "orders/updated", failed and topic(failed))
    if not failed:
        return
    webhook_id = failed.headers.get("x-shopify-webhook-id")
    # The log holds the failed attempt once the mock has read the 503: a long poll.
    status, body, _ = http.control("GET", f"/webhooks/attempts?at_least={logged + 1}&timeout_ms=30000")
    mine = [a for a in body.get("attempts", []) if a.get("webhook_id") == webhook_id]
    check("outage: the attempts log shows the failed attempt",
          status == 200 and [(a.get("attempt"), a.get("outcome")) for a in mine]
          == [(1, {"result": "rejected", "status": 503})], (status, mine))
    check("outage: the failed attempt's event id", [a.get("event_id") for a in mine]
          == [failed.headers.get("x-shopify-event-id")], mine)
    first_retry = instant(mine[0].get("next_retry")) if mine and mine[0].get("next_retry") else None
    check("outage: the failed attempt gives its next retry", first_retry is not None, mine)
    started = instant(mine[0].get("at")) if mine and mine[0].get("at") else None
    if first_retry and started:
        wait = (first_retry - started).total_seconds()
        print(f"      first retry due {wait:.3f} s after the first attempt")
        check("outage: the first retry is due 4 h / 255 (56.5 s) after the attempt",
              56 < wait < 57, wait)
    status, body, _ = http.control("GET", "/webhooks")
    mine = [d for d in body.get("deliveries", []) if d.get("webhook_id") == webhook_id]
    check("outage: the delivery is pending", len(mine) == 1 and mine[0].get("status") == "pending"
          and mine[0].get("attempts") == 1 and body.get("pending") == 1, mine)

    with received_cond:
        receiver["down"] = False
    status, body, _ = http.control("POST", "/clock/advance", {"by": "15m"})
    moved = instant(body.get("now")) - instant(clock_before.get("now")) \
        if status == 200 and body.get("now") and clock_before.get("now") else None
    check("clock advance: 15 minutes", moved is not None
          and timedelta(minutes=15) <= moved < timedelta(minutes=16), (status, body, clock_before))

    def retried():
        return next((h for h in received[mark:]
                     if h.headers.get("x-shopify-webhook-id") == webhook_id), None)

    with received_cond:
        received_cond.wait_for(lambda: retried() is not None, timeout=60)
        retry = retried()
    check("outage: delivered once the clock moved past the retry", retry is not None)
    if not retry:
        return
    for name in ["x-shopify-event-id", "x-shopify-triggered-at", "x-shopify-topic"]:
        check(f"outage retry: the failed attempt's {name}",
              retry.headers.get(name) == failed.headers.get(name),
              (retry.headers.get(name), failed.headers.get(name)))
    check("outage retry: the same body", retry.body == failed.body)
    check("outage retry: signed", signed(retry, args.webhook_secret))

    # The retry's attempt is logged once the mock has read the receiver's answer.
    status, body, _ = http.control("GET", f"/webhooks/attempts?at_least={logged + 2}&timeout_ms=30000")
    mine = [a for a in body.get("attempts", []) if a.get("webhook_id") == webhook_id]
    check("attempts: the outage's two attempts", [(a.get("attempt"), a.get("outcome")) for a in mine]
          == [(1, {"result": "rejected", "status": 503}), (2, {"result": "delivered", "status": 200})],
          mine)
    check("attempts: nothing more after the delivery", bool(mine) and mine[-1].get("next_retry") is None,
          mine[-1:])
    status, body, _ = http.control("GET", "/webhooks")
    mine = [d for d in body.get("deliveries", []) if d.get("webhook_id") == webhook_id]
    check("outage: the delivery delivered at its second attempt",
          [(d.get("status"), d.get("attempts")) for d in mine] == [("delivered", 2)]
          and body.get("pending") == 0, mine)

    # Redeliver it: the same ids, a third attempt.
    mark = len(since(0))
    _, log, _ = http.control("GET", "/webhooks/attempts")
    logged = len(log.get("attempts", []))
    status, body, _ = http.control("POST", f"/webhooks/{webhook_id}/redeliver")
    check("redeliver: 202", status == 202, (status, body))
    with received_cond:
        received_cond.wait_for(lambda: retried() is not None, timeout=30)
        again = retried()
    check("redeliver: delivered again with the same ids", again is not None
          and again.headers.get("x-shopify-event-id") == failed.headers.get("x-shopify-event-id")
          and again.body == failed.body and signed(again, args.webhook_secret))
    status, body, _ = http.control("GET", f"/webhooks/attempts?at_least={logged + 1}&timeout_ms=30000")
    numbers = [a.get("attempt") for a in body.get("attempts", []) if a.get("webhook_id") == webhook_id]
    check("redeliver: the next attempt number", numbers == [1, 2, 3], numbers)
    status, body, _ = http.control("POST", "/webhooks/00000000-0000-4000-8000-000000000000/redeliver")
    check("redeliver: an unknown webhook id is a 404", status == 404, (status, body))
    settle(http, "the end")


# ----- the run ----------------------------------------------------------------------


def section(name, f, *a):
    """Runs one section; an exception fails it without stopping the others."""
    print(f"-- {name}")
    try:
        return f(*a)
    except Exception:
        traceback.print_exc()
        check(f"{name}: finished without an exception", False)
        return None


def drain(http):
    """Lets the rate-limit buckets drain (40 calls at 2/s, 1,000 points at 100/s)
    by moving the mock clock 20 s instead of waiting: the library does not retry a
    429, and each section stays under 40 calls."""
    status, body, _ = http.control("POST", "/clock/advance", {"seconds": 20})
    if status != 200:
        check("clock advance between sections", False, (status, body))


def run(args):
    http = Http(args.base_url, args.token)
    activate(args.base_url, args.token)
    section("seeded store", seeded_store, args)
    # The seeded section ends without the token (its 401 check): the app's session again.
    activate(args.base_url, args.token)
    since_reset = section("control API", control_api, args, http)
    if since_reset is None:
        return
    for name, f, *a in [
        ("REST orders", rest_orders, args, http),
        ("webhooks.json", webhooks_api, args, http),
        ("HEAD", head, args, http),
        ("GraphQL orders", graphql_orders),
        ("GraphQL fulfillmentCreate", graphql_fulfillment),
        ("GraphQL webhook subscriptions", graphql_subscriptions, args, http),
        ("GraphQL cost", graphql_cost),
        ("faults and the delivery log", faults_and_log, args, http, since_reset),
        ("receiver outage", outage, args, http),
    ]:
        drain(http)
        section(name, f, *a)

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--webhook-port", type=int, required=True)
    parser.add_argument("--webhook-secret", required=True)
    args = parser.parse_args()
    server = start_receiver(args.webhook_port)
    try:
        run(args)
    except Exception:
        traceback.print_exc()
        check("conformance run finished without an exception", False)
    finally:
        server.shutdown()
    print(f"{results['passed']} passed, {results['failed']} failed")
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
