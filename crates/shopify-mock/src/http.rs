//! The front door: every request the wiremock server receives comes through here.
//!
//! In order: an `X-Request-Id`; the Admin API path (`/admin/api/{version}/…`, else
//! 404); the access token (401); an injected fault ([`crate::ShopifyMock::fail_next_requests`]);
//! for REST, the leaky bucket (429 with `Retry-After`); then routing to the REST
//! handlers (`rest.rs`) or the GraphQL API (`graphql/`, which keeps its own cost
//! bucket). Every answer carries `X-Shopify-Shop-Api-Call-Limit` and the request id,
//! and goes to the request log.
//!
//! Layers: this module calls `rest` and `graphql`, which call `state`; nothing
//! below calls back up. Handlers answer with a [`Reply`] (`reply.rs`, a leaf),
//! which only this module turns into a wiremock response.

use std::sync::Arc;

use serde_json::json;
use wiremock::{Request, Respond, ResponseTemplate};

use crate::config::{RequestLogLine, RequestLogger};
use crate::graphql;
use crate::reply::Reply;
use crate::rest;
use crate::state::Core;

/// Shopify's answer to a missing or wrong access token.
const UNAUTHORIZED: &str =
    "[API] Invalid API key or access token (unrecognized login or wrong password)";
/// Shopify's answer to a REST call over the limit.
const THROTTLED: &str = "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service.";

/// wiremock's responder: the front door of one mock.
pub(crate) struct FrontDoor {
    core: Arc<Core>,
    graphql: graphql::Api,
    log: Option<RequestLogger>,
}

impl FrontDoor {
    /// The front door of a mock's core.
    pub(crate) fn new(core: Arc<Core>) -> Self {
        Self {
            log: core.config.request_log.clone(),
            core,
            graphql: graphql::Api::new(),
        }
    }

    /// The answer to a request, and its request id.
    fn handle(&self, req: &Request) -> (Reply, String) {
        let core = &self.core;
        let now = core.now();
        let path = admin_path(req.url.path());
        let token_ok = req
            .headers
            .get("x-shopify-access-token")
            .is_some_and(|v| v.as_bytes() == core.config.access_token.as_bytes());
        let is_graphql = path == Some("graphql.json");
        // One lock for the request id, the fault plan and the bucket: GET is the
        // hot path.
        let (request_id, admitted, level, fault) = {
            let mut s = core.lock();
            s.last_request += 1;
            let id = format!("00000000-0000-4000-9000-{:012x}", s.last_request);
            // An injected fault hits an authorised Admin API call (REST or GraphQL)
            // before it touches anything.
            let fault = match s.faults {
                Some((left, status)) if path.is_some() && token_ok => {
                    s.faults = (left > 1).then_some((left - 1, status));
                    Some(status)
                }
                _ => None,
            };
            let admitted = (path.is_some() && token_ok && !is_graphql)
                .then(|| s.rest_bucket.try_add(1.0, now));
            let level = s.rest_bucket.level(now);
            (id, admitted, level, fault)
        };
        let size = core.config.rest_bucket.size;
        let reply = match (path, fault, admitted) {
            (None, _, _) => Reply::not_found(),
            (Some(_), _, _) if !token_ok => Reply::json(401, &json!({"errors": UNAUTHORIZED})),
            (Some(_), Some(status), _) => {
                Reply::json(status, &json!({"errors": "Internal Server Error"}))
            }
            (Some(_), None, _) if is_graphql => {
                if req.method == wiremock::http::Method::POST {
                    self.graphql.handle(core, &req.body, now)
                } else {
                    Reply::not_found()
                }
            }
            (Some(_), None, Some(Err(wait))) => {
                let retry_after = wait.max(2.0);
                let reply = Reply::json(429, &json!({"errors": THROTTLED}))
                    .header("retry-after", format!("{retry_after:.1}"));
                return (call_limit(reply, size, size), request_id);
            }
            (Some(path), None, _) => rest::route(core, req, path),
        };
        (call_limit(reply, level, size), request_id)
    }
}

impl Respond for FrontDoor {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let (reply, request_id) = self.handle(req);
        if let Some(log) = &self.log {
            let path = match req.url.query() {
                Some(q) => format!("{}?{q}", req.url.path()),
                None => req.url.path().to_owned(),
            };
            log(&RequestLogLine {
                method: req.method.to_string(),
                path,
                status: reply.status,
            });
        }
        template(reply.header("x-request-id", request_id))
    }
}

/// A reply as wiremock sends it.
fn template(reply: Reply) -> ResponseTemplate {
    let mut t = ResponseTemplate::new(reply.status)
        .set_body_raw(reply.body, "application/json; charset=utf-8");
    for (k, v) in reply.headers {
        t = t.insert_header(k, v.as_str());
    }
    t
}

/// Adds `X-Shopify-Shop-Api-Call-Limit: level/size`.
fn call_limit(reply: Reply, level: f64, size: f64) -> Reply {
    reply.header(
        "x-shopify-shop-api-call-limit",
        format!("{}/{}", level.ceil() as u64, size.ceil() as u64),
    )
}

/// The part of the path after `/admin/api/{version}/`, for a release version
/// (`YYYY-MM`) or `unstable`.
fn admin_path(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/admin/api/")?;
    let (version, rest) = rest.split_once('/')?;
    let is_release = version.len() == 7
        && version.as_bytes()[4] == b'-'
        && version
            .bytes()
            .enumerate()
            .all(|(i, b)| i == 4 || b.is_ascii_digit());
    (is_release || version == "unstable").then_some(rest)
}
