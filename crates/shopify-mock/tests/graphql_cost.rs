//! GraphQL cost and safety: Shopify's requested cost over the query as executed
//! (fragments and aliases expanded), `MAX_COST_EXCEEDED` over the single query max,
//! `THROTTLED` only for a query that fits the max but not the bucket now, the full
//! `extensions.cost`, and the structural limits that refuse a fragment bomb at once.

mod common;

use std::time::{Duration, Instant};

use common::{Answer, Harness, harness, harness_with, order};
use serde_json::{Value, json};
use shopify_mock::BucketConfig;

/// A loose bound for a refusal over HTTP on a noisy shared machine (the release
/// figures are in the report and the README: well under a millisecond).
const QUICK: Duration = Duration::from_secs(1);

const ORDER: &str = "gid://shopify/Order/1";

async fn seeded() -> Harness {
    let h = harness().await;
    h.mock
        .seed_orders(&[order(1, &[(11, "CHAIR", 5, 0), (12, "TABLE", 1, 0)])])
        .unwrap();
    h
}

/// The fragment bomb of the issue: `f0` holds two scalars and every `f{i}` spreads
/// `f{i-1}` twice, 18 times: 2^19 fields for about 800 bytes.
fn bomb() -> String {
    let mut q = format!(
        "query {{ order(id: \"{ORDER}\") {{ ...f18 }} }}\nfragment f0 on Order {{ id name }}\n"
    );
    for i in 1..=18 {
        q.push_str(&format!(
            "fragment f{i} on Order {{ ...f{p} ...f{p} }}\n",
            p = i - 1
        ));
    }
    q
}

/// `lookups × 2^doublings` lookups of the order: `lookups` aliased ones in
/// fragment `l0`, each `l{i}` spreading `l{i-1}` twice.
fn doubled_lookups(lookups: usize, doublings: usize) -> String {
    let mut q = format!("query($id: ID!) {{ ...l{doublings} }}\nfragment l0 on QueryRoot {{");
    for i in 0..lookups {
        q.push_str(&format!(" o{i}: order(id: $id) {{ id }}"));
    }
    q.push_str(" }\n");
    for i in 1..=doublings {
        q.push_str(&format!(
            "fragment l{i} on QueryRoot {{ ...l{p} ...l{p} }}\n",
            p = i - 1
        ));
    }
    q
}

/// `n` lookups of the order, aliased, inside one fragment spread once.
fn lookups_in_a_fragment(n: usize) -> String {
    let mut q = String::from("query($id: ID!) { ...lookups }\nfragment lookups on QueryRoot {");
    for i in 0..n {
        q.push_str(&format!(" l{i}: order(id: $id) {{ id }}"));
    }
    q.push_str(" }");
    q
}

/// A query costing `cost` (at least 3): the order (1) and a page of line items
/// (2 + first × 1).
const PAGE: &str =
    "query($id: ID!, $n: Int!) { order(id: $id) { lineItems(first: $n) { nodes { id } } } }";

async fn costing(h: &Harness, cost: u64) -> Answer {
    h.graphql(PAGE, json!({"id": ORDER, "n": cost - 3})).await
}

async fn timed(h: &Harness, query: &str, variables: Value) -> (Answer, Duration) {
    let t = Instant::now();
    let a = h.graphql(query, variables).await;
    (a, t.elapsed())
}

/// The first error's `extensions.code`.
fn code(a: &Answer) -> &str {
    a.body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code: {}", a.body))
}

/// A refusal before running: one error, no data, nothing taken from the bucket.
fn assert_refused_whole(a: &Answer, available: f64) {
    assert_eq!(a.status, 200);
    assert_eq!(a.body["data"], Value::Null, "{}", a.body);
    assert_eq!(
        a.body["errors"].as_array().map(Vec::len),
        Some(1),
        "{}",
        a.body
    );
    let cost = &a.body["extensions"]["cost"];
    assert_eq!(cost["actualQueryCost"], Value::Null);
    assert_eq!(
        cost["throttleStatus"]["currentlyAvailable"], available,
        "{}",
        a.body
    );
}

#[tokio::test]
async fn the_fragment_bomb_is_refused_at_once_and_the_server_keeps_answering() {
    let h = seeded().await;
    let q = bomb();
    assert!(q.len() < 1_000, "{} bytes", q.len());
    let (a, took) = timed(&h, &q, json!({})).await;
    eprintln!("fragment bomb ({} bytes) refused in {took:?}", q.len());
    assert!(took < QUICK, "{took:?}");
    assert_eq!(code(&a), "MAX_COST_EXCEEDED");
    let message = a.body["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.starts_with("Query has ")
            && message.contains(
                " selections once fragments are expanded, which exceeds the max of 5000."
            ),
        "{message}"
    );
    assert_eq!(a.body["errors"][0]["extensions"]["maxSelections"], 5000);
    // Its cost is 1 (the order; scalars are free): the limits, not the cost, refuse it.
    assert_eq!(a.body["extensions"]["cost"]["requestedQueryCost"], 1);
    assert_refused_whole(&a, 1000.0);
    // The server answers the next request at once.
    let (next, took) = timed(
        &h,
        "query($id: ID!) { order(id: $id) { name } }",
        json!({"id": ORDER}),
    )
    .await;
    assert!(took < QUICK, "{took:?}");
    assert_eq!(next.body["data"]["order"]["name"], "#1", "{}", next.body);
}

#[tokio::test]
async fn a_bomb_is_refused_even_in_an_operation_not_run_or_an_unused_fragment() {
    let h = seeded().await;
    let bomb = bomb();
    // The bomb's operation is named; another one is asked for.
    let named = bomb.replacen("query {", "query Bomb {", 1) + "query Cheap { __typename }";
    let a = h
        .post(
            "graphql.json",
            json!({"query": named, "operationName": "Cheap"}),
        )
        .await;
    assert_eq!(code(&a), "MAX_COST_EXCEEDED", "{}", a.body);
    // The fragments defined and never spread.
    let unused = bomb.replacen("{ ...f18 }", "{ id }", 1);
    let (a, took) = timed(&h, &unused, json!({})).await;
    assert!(took < QUICK, "{took:?}");
    assert_eq!(code(&a), "MAX_COST_EXCEEDED", "{}", a.body);
}

#[tokio::test]
async fn lookups_inside_a_fragment_are_charged_one_each() {
    let h = seeded().await;
    // 3,000 lookups through fragments (375 doubled 3 times): 3,000 points, refused
    // whole.
    let q = doubled_lookups(375, 3);
    let (a, took) = timed(&h, &q, json!({"id": ORDER})).await;
    eprintln!(
        "3,000 lookups through fragments ({} bytes) refused in {took:?}",
        q.len()
    );
    assert!(took < QUICK, "{took:?}");
    assert_eq!(code(&a), "MAX_COST_EXCEEDED");
    assert_eq!(a.body["errors"][0]["extensions"]["cost"], 3000);
    assert_eq!(a.body["errors"][0]["extensions"]["maxCost"], 1000);
    assert_eq!(a.body["extensions"]["cost"]["requestedQueryCost"], 3000);
    assert_refused_whole(&a, 1000.0);
    // 3,000 lookups written out in one fragment (86 KB): refused before parsing,
    // for its tokens (the parser alone would take longer than the limits allow).
    let q = lookups_in_a_fragment(3000);
    assert!(q.len() < 100_000);
    let (a, took) = timed(&h, &q, json!({"id": ORDER})).await;
    eprintln!(
        "3,000 lookups in one fragment ({} bytes) refused in {took:?}",
        q.len()
    );
    assert!(took < QUICK, "{took:?}");
    assert_eq!(code(&a), "MAX_COST_EXCEEDED");
    assert_eq!(a.body["errors"][0]["extensions"]["maxTokens"], 5000);
    assert_refused_whole(&a, 1000.0);
    // 100 lookups: 100 points, run and charged.
    let a = h
        .graphql(&lookups_in_a_fragment(100), json!({"id": ORDER}))
        .await;
    assert!(a.body.get("errors").is_none(), "{}", a.body);
    assert_eq!(a.body["data"]["l99"]["id"], ORDER);
    let cost = &a.body["extensions"]["cost"];
    assert_eq!(cost["requestedQueryCost"], 100);
    assert_eq!(cost["actualQueryCost"], 100);
    assert_eq!(cost["throttleStatus"]["currentlyAvailable"], 900.0);
}

#[tokio::test]
async fn three_hundred_aliased_mutations_cost_3000_and_none_runs() {
    let h = seeded().await;
    let mut q = String::from("mutation($in: OrderCloseInput!) {");
    for i in 0..300 {
        q.push_str(&format!(
            " c{i}: orderClose(input: $in) {{ userErrors {{ message }} }}"
        ));
    }
    q.push('}');
    let input = json!({"in": {"id": ORDER}});
    let (a, took) = timed(&h, &q, input.clone()).await;
    assert!(took < QUICK, "{took:?}");
    assert_eq!(code(&a), "MAX_COST_EXCEEDED");
    assert!(
        a.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with(
                "Query cost is 3000, which exceeds the single query max cost limit (1000)."
            )
    );
    assert_refused_whole(&a, 1000.0);
    assert!(!h.mock.order(1).unwrap().is_closed());
    // The same through a fragment on the mutation root.
    let f = q.replacen(
        "mutation($in: OrderCloseInput!) {",
        "mutation($in: OrderCloseInput!) { ...m }\nfragment m on MutationRoot {",
        1,
    );
    let a = h.graphql(&f, input).await;
    assert_eq!(
        a.body["errors"][0]["extensions"]["cost"], 3000,
        "{}",
        a.body
    );
    assert!(!h.mock.order(1).unwrap().is_closed());
}

#[tokio::test]
async fn a_query_of_1000_runs_on_a_full_bucket_and_1001_is_max_cost_exceeded() {
    let h = seeded().await;
    let a = costing(&h, 1000).await;
    assert!(a.body.get("errors").is_none(), "{}", a.body);
    assert_eq!(
        a.body["extensions"]["cost"],
        json!({
            "requestedQueryCost": 1000,
            "actualQueryCost": 1000,
            "throttleStatus": {"maximumAvailable": 1000.0, "currentlyAvailable": 0.0, "restoreRate": 100.0},
        })
    );
    // Over the max, with the bucket empty: MAX_COST_EXCEEDED, never THROTTLED.
    let a = costing(&h, 1001).await;
    assert_eq!(
        a.body,
        json!({
            "data": null,
            "errors": [{
                "message": "Query cost is 1001, which exceeds the single query max cost limit (1000).\n\n\
                    See https://shopify.dev/concepts/about-apis/rate-limits for more information on how the\n\
                    cost of a query is calculated.\n\n\
                    To query larger amounts of data with fewer limits, bulk operations should be used instead.\n\
                    See https://shopify.dev/tutorials/perform-bulk-operations-with-admin-api for usage details.\n",
                "extensions": {
                    "code": "MAX_COST_EXCEEDED",
                    "cost": 1001,
                    "maxCost": 1000,
                    "documentation": "https://shopify.dev/api/usage/rate-limits",
                },
            }],
            "extensions": {"cost": {
                "requestedQueryCost": 1001,
                "actualQueryCost": null,
                "throttleStatus": {"maximumAvailable": 1000.0, "currentlyAvailable": 0.0, "restoreRate": 100.0},
            }},
        })
    );
    // Ten seconds fill the bucket again; 1001 is still refused, not throttled.
    h.tick(10);
    let a = costing(&h, 1001).await;
    assert_eq!(code(&a), "MAX_COST_EXCEEDED");
    assert_refused_whole(&a, 1000.0);
    let a = costing(&h, 1000).await;
    assert!(a.body.get("errors").is_none(), "{}", a.body);
}

#[tokio::test]
async fn throttled_is_for_a_query_that_fits_the_max_but_not_the_bucket_now() {
    let h = seeded().await;
    assert!(costing(&h, 950).await.body.get("errors").is_none());
    let a = costing(&h, 60).await;
    assert_eq!(code(&a), "THROTTLED");
    assert_eq!(a.body["errors"][0]["message"], "Throttled");
    let cost = &a.body["extensions"]["cost"];
    assert_eq!(cost["requestedQueryCost"], 60);
    assert_eq!(cost["actualQueryCost"], Value::Null);
    assert_eq!(cost["throttleStatus"]["currentlyAvailable"], 50.0);
    // A second restores 100 points (Shopify's standard rate).
    h.tick(1);
    let a = costing(&h, 60).await;
    assert!(a.body.get("errors").is_none(), "{}", a.body);
    assert_eq!(
        a.body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"],
        90.0
    );
}

#[tokio::test]
async fn the_bucket_and_the_max_are_configurable() {
    // A bucket smaller than the max: a query it can never hold is refused, with the
    // bucket's size as the max, rather than throttled forever.
    let h = harness_with(|c| {
        c.graphql_bucket = BucketConfig {
            size: 25.0,
            leak_per_second: 5.0,
        }
    })
    .await;
    h.mock.seed_orders(&[order(1, &[(11, "A", 1, 0)])]).unwrap();
    let a = costing(&h, 26).await;
    assert_eq!(code(&a), "MAX_COST_EXCEEDED");
    assert_eq!(a.body["errors"][0]["extensions"]["maxCost"], 25);
    assert_eq!(
        a.body["extensions"]["cost"]["throttleStatus"],
        json!({"maximumAvailable": 25.0, "currentlyAvailable": 25.0, "restoreRate": 5.0})
    );
    assert!(costing(&h, 25).await.body.get("errors").is_none());
    // A lower single query max.
    let h = harness_with(|c| c.graphql_max_cost = 50.0).await;
    h.mock.seed_orders(&[order(1, &[(11, "A", 1, 0)])]).unwrap();
    let a = costing(&h, 51).await;
    assert!(
        a.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("Query cost is 51, which exceeds the single query max cost limit (50).")
    );
    assert!(costing(&h, 50).await.body.get("errors").is_none());
}

#[tokio::test]
async fn extensions_cost_has_every_field_on_every_answer() {
    let h = seeded().await;
    let keys = |a: &Answer| {
        let cost = &a.body["extensions"]["cost"];
        let mut k: Vec<&str> = cost
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        k.extend(
            cost["throttleStatus"]
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str),
        );
        k.sort_unstable();
        k.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>()
    };
    let all = vec![
        "actualQueryCost",
        "currentlyAvailable",
        "maximumAvailable",
        "requestedQueryCost",
        "restoreRate",
        "throttleStatus",
    ];
    let ran = costing(&h, 10).await;
    let over = costing(&h, 2000).await;
    let bomb = h.graphql(&bomb(), json!({})).await;
    let deep = h
        .graphql(
            &format!("{{ {} id {} }}", "a {".repeat(20), "}".repeat(20)),
            json!({}),
        )
        .await;
    let bad = h.graphql("{ order(", json!({})).await;
    for a in [&ran, &over, &bomb, &deep, &bad] {
        assert_eq!(keys(a), all, "{}", a.body);
    }
    // A refusal that stops before knowing the cost says so with `null`.
    assert_eq!(
        deep.body["extensions"]["cost"]["requestedQueryCost"],
        Value::Null
    );
    assert_eq!(bad.body["extensions"]["cost"]["requestedQueryCost"], 1);
}

#[tokio::test]
async fn depth_nesting_and_cycles_are_refused_in_shopify_shape() {
    let h = seeded().await;
    // Fields 16 deep (depth counts fields, not fragments).
    let deep = format!(
        "{{ order(id: \"{ORDER}\") {{ ...F }} }} fragment F on Order {{ {} id {} }}",
        "lineItems { nodes { variant {".repeat(5),
        "} } }".repeat(5)
    );
    let a = h.graphql(&deep, json!({})).await;
    assert_eq!(code(&a), "MAX_COST_EXCEEDED");
    assert_eq!(
        a.body["errors"][0]["message"],
        "Query has depth of more than 15, which exceeds max depth of 15."
    );
    assert_refused_whole(&a, 1000.0);
    // 100 KB of brackets: refused before the parser sees them.
    let brackets = format!("{{{}", "a { ".repeat(25_000));
    let (a, took) = timed(&h, &brackets, json!({})).await;
    eprintln!("100 KB of nested brackets refused in {took:?}");
    assert!(took < QUICK, "{took:?}");
    assert_eq!(code(&a), "MAX_COST_EXCEEDED");
    let lists = format!("{{ order(id: {}) {{ id }} }}", "[".repeat(50_000));
    let a = h.graphql(&lists, json!({})).await;
    assert_eq!(code(&a), "MAX_COST_EXCEEDED");
    // A fragment that spreads itself.
    let a = h
        .graphql(
            &format!("{{ order(id: \"{ORDER}\") {{ ...A }} }} fragment A on Order {{ id ...B }} fragment B on Order {{ ...A }}"),
            json!({}),
        )
        .await;
    assert_eq!(code(&a), "infiniteLoop", "{}", a.body);
    assert!(
        a.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("contains an infinite loop")
    );
    assert_refused_whole(&a, 1000.0);
    // Many scalars on each node of a large page: cheap in points, refused by size.
    let fields: String = (0..50).map(|i| format!(" a{i}: id")).collect();
    let q = format!(
        "{{ order(id: \"{ORDER}\") {{ lineItems(first: 250) {{ nodes {{ {fields} }} }} }} }}"
    );
    let a = h.graphql(&q, json!({})).await;
    assert_eq!(code(&a), "MAX_COST_EXCEEDED");
    assert_eq!(a.body["extensions"]["cost"]["requestedQueryCost"], 253);
    assert_refused_whole(&a, 1000.0);
}

#[tokio::test]
async fn ordinary_queries_cost_what_shopify_charges() {
    let h = seeded().await;
    let q = r#"query($id: ID!) { order(id: $id) {
        id name displayFinancialStatus
        lineItems(first: 10) { edges { cursor node { id sku variant { id } } } pageInfo { hasNextPage } }
        refunds { id refundLineItems(first: 5) { nodes { quantity lineItem { id } } } }
    } }"#;
    let a = h.graphql(q, json!({"id": ORDER})).await;
    assert!(a.body.get("errors").is_none(), "{}", a.body);
    // order 1 + lineItems (2 + 10 × (node 1 + variant 1)) + refunds (1 + 2 + 5 × 2).
    assert_eq!(
        a.body["extensions"]["cost"]["requestedQueryCost"],
        1 + 22 + 13
    );
    let m = h
        .graphql(
            "mutation($id: ID!) { orderClose(input: {id: $id}) { order { id lineItems(first: 50) { nodes { id } } } userErrors { message } } }",
            json!({"id": ORDER}),
        )
        .await;
    assert_eq!(m.body["extensions"]["cost"]["requestedQueryCost"], 10);
}

/// The worst queries the limits let through still run quickly, on an order with
/// 250 lines (printed with `--nocapture`; the release figures are in the README).
#[tokio::test]
async fn the_largest_accepted_queries_stay_quick() {
    let h = harness().await;
    let skus: Vec<String> = (0..250).map(|i| format!("SKU-{i}")).collect();
    let lines: Vec<(u64, &str, u32, u32)> = skus
        .iter()
        .enumerate()
        .map(|(i, s)| (i as u64 + 1, s.as_str(), 1, 0))
        .collect();
    h.mock.seed_orders(&[order(1, &lines)]).unwrap();
    let fields: String = (0..18).map(|i| format!(" a{i}: sku")).collect();
    let page = format!(
        "{{ order(id: \"{ORDER}\") {{ lineItems(first: 250) {{ nodes {{ {fields} }} }} }} }}"
    );
    let wide: String = (0..1600).map(|i| format!(" n{i}: name")).collect();
    let wide = format!("{{ order(id: \"{ORDER}\") {{ {wide} }} }}");
    let lookups = doubled_lookups(124, 3);
    for (what, q, vars) in [
        ("4,752 values on a page of 250 lines", page, json!({})),
        ("1,600 aliased scalars", wide, json!({})),
        (
            "992 lookups of a 250-line order",
            lookups,
            json!({"id": ORDER}),
        ),
    ] {
        h.tick(10);
        let (a, took) = timed(&h, &q, vars).await;
        assert!(a.body.get("errors").is_none(), "{what}: {}", a.body);
        eprintln!("{what}: answered in {took:?}");
        assert!(took < Duration::from_secs(5), "{what}: {took:?}");
    }
}
