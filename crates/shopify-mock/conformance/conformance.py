"""Drives the mock Shopify with Shopify's official Python library (ShopifyAPI).

The library is used as it would be against a real store; only the host it talks
to is pointed at the mock. Every call must behave as Shopify documents it, and
every webhook the calls cause must arrive signed with the app's secret (checked
with Python's own hmac). Prints one line per check and a closing
"N passed, N failed"; exits non-zero on any failure.

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
import traceback

import shopify
from pyactiveresource.connection import ResourceInvalid, ResourceNotFound, UnauthorizedAccess

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

received = []
received_cond = threading.Condition()


class Hooks(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        with received_cond:
            # Header names are case-insensitive: keep them lower-case.
            received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            received_cond.notify_all()
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def start_receiver(port):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Hooks)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


# ----- the checks ------------------------------------------------------------


def activate(base_url, token):
    host = base_url.split("://", 1)[1].rstrip("/")
    shopify.Session.protocol = base_url.split("://", 1)[0]
    session = shopify.Session("mock-shop.myshopify.com", API_VERSION, token)
    # The one change from a real setup: the shop's host is the mock's.
    session.url = host
    shopify.ShopifyResource.activate_session(session)
    return session


def run(args):
    activate(args.base_url, args.token)

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
    topics = [h.get("x-shopify-topic") for h, _ in hooks]
    check("webhooks: all arrived", len(hooks) == expected, topics)
    check("webhooks: topics", sorted(topics) == sorted([
        "orders/updated", "orders/updated", "refunds/create", "orders/updated",
        "orders/cancelled", "orders/updated", "orders/delete", "orders/paid",
        "orders/updated"]), topics)
    paid_hooks = [json.loads(b) for h, b in hooks if h.get("x-shopify-topic") == "orders/paid"]
    check("webhook orders/paid body", [(o["id"], o["financial_status"]) for o in paid_hooks]
          == [(5004, "paid")], paid_hooks)
    secret = args.webhook_secret.encode()
    for headers, body in hooks:
        digest = base64.b64encode(hmac.new(secret, body, hashlib.sha256).digest()).decode()
        check(f"webhook {headers.get('x-shopify-topic')}: signature",
              hmac.compare_digest(digest, headers.get("x-shopify-hmac-sha256", "")))
        for name in ["X-Shopify-Shop-Domain", "X-Shopify-API-Version", "X-Shopify-Webhook-Id",
                     "X-Shopify-Event-Id", "X-Shopify-Triggered-At"]:
            if not headers.get(name.lower()):
                check(f"webhook header {name}", False)
    deleted = [json.loads(b) for h, b in hooks if h.get("x-shopify-topic") == "orders/delete"]
    check("webhook orders/delete body", deleted == [{"id": 5001}], deleted)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--webhook-port", type=int, required=True)
    parser.add_argument("--webhook-secret", required=True)
    args = parser.parse_args()
    receiver = start_receiver(args.webhook_port)
    try:
        run(args)
    except Exception:
        traceback.print_exc()
        check("conformance run finished without an exception", False)
    finally:
        receiver.shutdown()
    print(f"{results['passed']} passed, {results['failed']} failed")
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
