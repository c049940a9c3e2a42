//! The patched wiremock in `vendor/wiremock` (see its PATCH.md) keeps the requests
//! a mounted mock matches only while the server records requests: 0.6.5 kept every
//! one forever, so a long-running server with recording off grew by about 5 KB
//! per request. The mock turns recording off; with it on, nothing changes.

use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Sends `n` GETs to `server` and checks each is answered by its mock.
async fn get(server: &MockServer, n: usize) {
    let client = reqwest::Client::new();
    for _ in 0..n {
        let resp = client.get(server.uri()).send().await.unwrap();
        assert_eq!(resp.status(), 200);
    }
}

#[tokio::test]
async fn with_recording_off_a_mounted_mock_keeps_no_request() {
    let server = MockServer::builder()
        .disable_request_recording()
        .start()
        .await;
    let guard = Mock::given(any())
        .respond_with(ResponseTemplate::new(200))
        .expect(3)
        .mount_as_scoped(&server)
        .await;
    get(&server, 3).await;
    assert!(guard.received_requests().await.is_empty());
    assert!(server.received_requests().await.is_none());
    // Counting goes on: the expectation of 3 is met (checked when the guard drops).
    drop(guard);
}

#[tokio::test]
async fn with_recording_on_a_mounted_mock_keeps_every_request() {
    let server = MockServer::start().await;
    let guard = Mock::given(any())
        .respond_with(ResponseTemplate::new(200))
        .mount_as_scoped(&server)
        .await;
    get(&server, 3).await;
    assert_eq!(guard.received_requests().await.len(), 3);
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}
