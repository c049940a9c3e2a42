//! The front door: every request the wiremock server receives comes through here.
//!
//! In order: an `X-Request-Id`; the Admin API path (`/admin/api/{version}/…`, else
//! 404); the access token (401); an injected fault ([`crate::ShopifyMock::fail_next_requests`]);
//! for a REST read, the fault plan's next read fault ([`crate::ReadFault`]: 429,
//! 5xx, slow); for REST, the leaky bucket (429 with `Retry-After`); then routing to
//! the REST handlers (`rest.rs`) or the GraphQL API (`graphql/`, which keeps its own
//! cost bucket and the plan's `THROTTLED` faults). Every answer carries
//! `X-Shopify-Shop-Api-Call-Limit` and the request id, and goes to the request log.
//!
//! A reset connection is no answer at all, which a wiremock responder cannot give:
//! [`ResetGate`] is a matcher tried before the front door, true only for the REST
//! read the plan resets, and its mock answers with an error ([`reset_error`]), on
//! which the server closes the connection without a response.
//!
//! Paths under `/__mock/` are the mock's own test-control API (`control.rs`): the
//! access token, then the control handlers, no bucket and no faults.
//!
//! Layers: this module calls `rest`, `graphql` and `control`, which call `state`;
//! nothing below calls back up. Handlers answer with a [`Reply`] (`reply.rs`, a leaf),
//! which only this module turns into a wiremock response.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use wiremock::http::{HeaderName, HeaderValue, Method};
use wiremock::{Match, Request, Respond, ResponseTemplate};

mod control;

use crate::config::{RequestLogLine, RequestLogger};
use crate::faults::{InjectedFault, ReadFault, retry_after_text};
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

    /// The answer to a request, its request id, and how long to hold it back (a
    /// slow read).
    fn handle(&self, req: &Request) -> (Reply, String, Option<Duration>) {
        let core = &self.core;
        let now = core.now();
        let path = admin_path(req.url.path());
        let token_ok = token_ok(core, req);
        let is_graphql = path == Some("graphql.json");
        let is_read = path.is_some() && token_ok && is_rest_read(req, path);
        // One lock for the request id, the fault plan and the bucket: GET is the
        // hot path.
        let (request_id, admitted, level, fault, read_fault) = {
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
            // The plan's next read fault (a reset is the gate's to take).
            let read_fault = (fault.is_none() && is_read && !s.armed.next_read_is_reset())
                .then(|| s.armed.take_read())
                .flatten();
            // A read answered 429 or 5xx by a fault changes nothing, the bucket
            // included.
            let failed_read = matches!(
                read_fault,
                Some(ReadFault::TooManyRequests { .. } | ReadFault::ServerError { .. })
            );
            let admitted = (path.is_some() && token_ok && !is_graphql && !failed_read)
                .then(|| s.rest_bucket.try_add(1.0, now));
            let level = s.rest_bucket.level(now);
            (id, admitted, level, fault, read_fault)
        };
        if let Some(kind) = &read_fault {
            core.faults.push(InjectedFault::RestRead {
                kind: kind.clone(),
                path: path_and_query(req),
            });
        }
        let size = core.config.rest_bucket.size;
        let mut delay = None;
        let reply = match (path, fault, admitted) {
            (None, _, _) => Reply::not_found(),
            (Some(_), _, _) if !token_ok => Reply::json(401, &json!({"errors": UNAUTHORIZED})),
            (Some(_), Some(status), _) => {
                Reply::json(status, &json!({"errors": "Internal Server Error"}))
            }
            (Some(_), None, _) if is_graphql => {
                if req.method == Method::POST {
                    self.graphql.handle(core, &req.body, now)
                } else {
                    Reply::not_found()
                }
            }
            (Some(path), None, admitted) => match (read_fault, admitted) {
                (Some(ReadFault::TooManyRequests { retry_after }), _) => {
                    let reply = Reply::json(429, &json!({"errors": THROTTLED}))
                        .header("retry-after", retry_after_text(retry_after));
                    return (call_limit(reply, size, size), request_id, None);
                }
                (Some(ReadFault::ServerError { status }), _) => Reply::json(
                    ReadFault::server_status(status),
                    &json!({"errors": "Internal Server Error"}),
                ),
                (_, Some(Err(wait))) => {
                    let retry_after = wait.max(2.0);
                    let reply = Reply::json(429, &json!({"errors": THROTTLED}))
                        .header("retry-after", format!("{retry_after:.1}"));
                    return (call_limit(reply, size, size), request_id, None);
                }
                (Some(ReadFault::Slow { delay: d }), _) => {
                    delay = Some(d);
                    rest::route(core, req, path)
                }
                (Some(ReadFault::Reset) | None, _) => rest::route(core, req, path),
            },
        };
        (call_limit(reply, level, size), request_id, delay)
    }
}

impl Respond for FrontDoor {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        if is_control(req.url.path()) {
            return self.control(req);
        }
        let (reply, request_id, delay) = self.handle(req);
        if let Some(log) = &self.log {
            log(&RequestLogLine {
                method: req.method.to_string(),
                path: path_and_query(req),
                status: reply.status,
            });
        }
        let t = template(reply.header("x-request-id", request_id));
        match delay {
            Some(d) => t.set_delay(d),
            None => t,
        }
    }
}

impl FrontDoor {
    /// A test-control call (`/__mock/…`): answered now, or later by a long poll.
    fn control(&self, req: &Request) -> ResponseTemplate {
        let request_id = {
            let mut s = self.core.lock();
            s.last_request += 1;
            format!("00000000-0000-4000-9000-{:012x}", s.last_request)
        };
        let log = self.log.clone();
        let line = move |status: u16| {
            if let Some(log) = &log {
                log(&RequestLogLine {
                    method: req.method.to_string(),
                    path: path_and_query(req),
                    status,
                });
            }
        };
        match control::handle(&self.core, req, token_ok(&self.core, req)) {
            control::Answer::Now(reply) => {
                line(reply.status);
                template(reply.header("x-request-id", request_id))
            }
            control::Answer::Later(future) => {
                let log = self.log.clone();
                let (method, path) = (req.method.to_string(), path_and_query(req));
                ResponseTemplate::deferred(async move {
                    let reply = future.await;
                    if let Some(log) = &log {
                        log(&RequestLogLine {
                            method,
                            path,
                            status: reply.status,
                        });
                    }
                    template(reply.header("x-request-id", request_id))
                })
            }
        }
    }
}

/// True for the test-control API's paths: `/__mock` and below.
fn is_control(path: &str) -> bool {
    path == "/__mock" || path.starts_with("/__mock/")
}

/// The matcher of the reset mock: true (and the fault used up) only for an
/// authorised REST read when the plan's next read fault is a reset. Tried before
/// the front door; wiremock handles one request at a time, so the two never race
/// for a fault.
pub(crate) struct ResetGate {
    core: Arc<Core>,
}

impl ResetGate {
    pub(crate) fn new(core: Arc<Core>) -> Self {
        Self { core }
    }
}

impl Match for ResetGate {
    fn matches(&self, req: &Request) -> bool {
        // The hot path: no read fault armed, nothing to reset, no lock taken.
        if !self
            .core
            .reads_armed
            .load(std::sync::atomic::Ordering::SeqCst)
        {
            return false;
        }
        let path = admin_path(req.url.path());
        if path.is_none() || !is_rest_read(req, path) || !token_ok(&self.core, req) {
            return false;
        }
        let reset = {
            let mut s = self.core.lock();
            // `fail_next_requests` comes first, as in the front door.
            let reset = s.faults.is_none() && s.armed.next_read_is_reset();
            if reset {
                s.armed.take_read();
            }
            reset
        };
        if reset {
            self.core.faults.push(InjectedFault::RestRead {
                kind: ReadFault::Reset,
                path: path_and_query(req),
            });
            if let Some(log) = &self.core.config.request_log {
                log(&RequestLogLine {
                    method: req.method.to_string(),
                    path: path_and_query(req),
                    status: 0,
                });
            }
        }
        reset
    }
}

/// The reset mock's "answer": an error, on which the server closes the connection
/// without a response.
pub(crate) fn reset_error(_: &Request) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::ConnectionReset,
        "connection reset by an injected fault",
    )
}

/// True when the request carries the mock's access token.
fn token_ok(core: &Core, req: &Request) -> bool {
    req.headers
        .get("x-shopify-access-token")
        .is_some_and(|v| v.as_bytes() == core.config.access_token.as_bytes())
}

/// A REST read: `GET` (or `HEAD`) on an Admin API path other than GraphQL's.
fn is_rest_read(req: &Request, path: Option<&str>) -> bool {
    (req.method == Method::GET || req.method == Method::HEAD)
        && path.is_some_and(|p| p != "graphql.json")
}

/// The request's path and query, as the logs write it.
fn path_and_query(req: &Request) -> String {
    match req.url.query() {
        Some(q) => format!("{}?{q}", req.url.path()),
        None => req.url.path().to_owned(),
    }
}

/// A reply as wiremock sends it. wiremock panics on a status or header value it
/// cannot send, so both are checked here: a status outside 100–999 is sent as 500,
/// and a header whose value is not a valid header value is left out.
///
/// Every answer goes through here, so it builds the headers without a copy: the
/// content type is static, a name is a static lowercase literal ([`Reply::header`]),
/// and a value's `String` becomes the header value's buffer.
fn template(reply: Reply) -> ResponseTemplate {
    let status = if (100..=999).contains(&reply.status) {
        reply.status
    } else {
        500
    };
    let mut t = ResponseTemplate::new(status)
        .insert_header(
            HeaderName::from_static("content-type"),
            HeaderValue::from_static("application/json; charset=utf-8"),
        )
        .set_body_bytes(reply.body);
    for (k, v) in reply.headers {
        if let Ok(v) = HeaderValue::try_from(v) {
            t = t.insert_header(HeaderName::from_static(k), v);
        }
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
