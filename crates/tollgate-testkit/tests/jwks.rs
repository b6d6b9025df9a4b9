//! The JWKS endpoint: content, ETags and conditional requests, key controls,
//! headers and every injected fault.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::{
    CACHE_CONTROL, CONTENT_TYPE, ETAG, EXPIRES, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED,
    LOCATION, RETRY_AFTER,
};
use serde_json::Value;
use tollgate_testkit::{JwksFault, SigningKey, TestIssuer, jwks_json};

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn kids(set: &Value) -> Vec<String> {
    set["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

async fn fetch_set(issuer: &TestIssuer) -> Value {
    let response = http().get(issuer.jwks_url()).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

#[tokio::test]
async fn serves_the_published_keys_as_json_with_a_strong_etag() {
    let issuer = common::issuer().await;
    let response = http().get(issuer.jwks_url()).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[CONTENT_TYPE], "application/json");
    assert!(response.headers().get(CACHE_CONTROL).is_none());
    let etag = response.headers()[ETAG].to_str().unwrap().to_owned();
    assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
    let body = response.text().await.unwrap();
    assert_eq!(body, jwks_json(&[&issuer.signing_key()]));
    let set: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(set["keys"][0], issuer.signing_key().public_jwk());

    // Same body, same ETag.
    let again = http().get(issuer.jwks_url()).send().await.unwrap();
    assert_eq!(again.headers()[ETAG], etag.as_str());
    assert_eq!(issuer.jwks_requests(), 2);
    assert_eq!(issuer.conditional_jwks_requests(), 0);
}

#[tokio::test]
async fn if_none_match_gets_304_and_counters_track_it() {
    let issuer = common::issuer().await;
    let first = http().get(issuer.jwks_url()).send().await.unwrap();
    let etag = first.headers()[ETAG].to_str().unwrap().to_owned();

    let not_modified = http()
        .get(issuer.jwks_url())
        .header(IF_NONE_MATCH, &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(not_modified.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(not_modified.headers()[ETAG], etag.as_str());
    assert!(not_modified.bytes().await.unwrap().is_empty());

    let weak = http()
        .get(issuer.jwks_url())
        .header(IF_NONE_MATCH, format!("\"other\", W/{etag}"))
        .send()
        .await
        .unwrap();
    assert_eq!(weak.status(), StatusCode::NOT_MODIFIED);

    let stale = http()
        .get(issuer.jwks_url())
        .header(IF_NONE_MATCH, "\"not-the-etag\"")
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), StatusCode::OK);

    // After a rotation the old ETag no longer matches.
    issuer.rotate_to(SigningKey::fixture(1).unwrap());
    let rotated = http()
        .get(issuer.jwks_url())
        .header(IF_NONE_MATCH, &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(rotated.status(), StatusCode::OK);
    assert_ne!(rotated.headers()[ETAG], etag.as_str());

    assert_eq!(issuer.jwks_requests(), 5);
    assert_eq!(issuer.conditional_jwks_requests(), 4);
    assert_eq!(issuer.not_modified_responses(), 2);
}

#[tokio::test]
async fn if_modified_since_is_honoured_only_with_a_configured_last_modified() {
    let issuer = common::issuer().await;
    let date = "Wed, 21 Oct 2015 07:28:00 GMT";
    let ims = |value: &'static str| {
        http()
            .get(issuer.jwks_url())
            .header(IF_MODIFIED_SINCE, value)
    };

    assert_eq!(ims(date).send().await.unwrap().status(), StatusCode::OK);

    issuer.set_jwks_header("Last-Modified", Some(date));
    let response = ims(date).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(response.headers()[LAST_MODIFIED], date);
    let later = ims("Thu, 22 Oct 2015 07:28:00 GMT").send().await.unwrap();
    assert_eq!(later.status(), StatusCode::NOT_MODIFIED);
    let earlier = ims("Tue, 20 Oct 2015 07:28:00 GMT").send().await.unwrap();
    assert_eq!(earlier.status(), StatusCode::OK);
    assert_eq!(earlier.headers()[LAST_MODIFIED], date);

    // If-None-Match takes precedence over If-Modified-Since.
    let both = http()
        .get(issuer.jwks_url())
        .header(IF_MODIFIED_SINCE, date)
        .header(IF_NONE_MATCH, "\"nope\"")
        .send()
        .await
        .unwrap();
    assert_eq!(both.status(), StatusCode::OK);

    assert_eq!(issuer.conditional_jwks_requests(), 5);
    assert_eq!(issuer.not_modified_responses(), 2);
}

#[tokio::test]
async fn rotation_publishing_and_removal_change_the_set() {
    let first = SigningKey::fixture(0).unwrap();
    let issuer = TestIssuer::builder()
        .signing_key(first.clone())
        .start()
        .await
        .unwrap();
    assert_eq!(kids(&fetch_set(&issuer).await), [first.kid()]);

    // A freshly generated key signs from now on; the old one stays published.
    let second = issuer.rotate_key().unwrap();
    assert_eq!(issuer.signing_key().kid(), second.kid());
    assert_eq!(kids(&fetch_set(&issuer).await), [first.kid(), second.kid()]);
    let token = issuer.access_token("c", &[]).unwrap();
    assert_eq!(common::header_of(&token)["kid"], second.kid());
    common::verify(&token, &second, Some(&issuer.issuer_url()));

    // Published but never signing.
    let third = SigningKey::fixture(2).unwrap();
    issuer.publish_key(third.clone());
    assert_eq!(
        kids(&fetch_set(&issuer).await),
        [first.kid(), second.kid(), third.kid()]
    );
    assert_eq!(issuer.signing_key().kid(), second.kid());

    // Removal.
    assert!(issuer.remove_key(first.kid()));
    assert!(!issuer.remove_key(first.kid()));
    assert_eq!(kids(&fetch_set(&issuer).await), [second.kid(), third.kid()]);

    // Removing the signing key stops publishing it but it keeps signing.
    assert!(issuer.remove_key(second.kid()));
    let token = issuer.access_token("c", &[]).unwrap();
    assert_eq!(common::header_of(&token)["kid"], second.kid());
    assert_eq!(kids(&fetch_set(&issuer).await), [third.kid()]);

    // Duplicate kids are possible on purpose.
    issuer.publish_key(SigningKey::fixture(3).unwrap().with_kid(third.kid()));
    assert_eq!(kids(&fetch_set(&issuer).await), [third.kid(), third.kid()]);
    assert_eq!(issuer.published_keys().len(), 2);

    // rotate_to an already published kid does not duplicate it.
    issuer.rotate_to(third.clone());
    assert_eq!(issuer.published_keys().len(), 2);
    assert_eq!(issuer.signing_key().kid(), third.kid());
}

#[tokio::test]
async fn set_jwks_body_serves_exactly_that_body_until_cleared() {
    let issuer = common::issuer().await;
    let body = r#"{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}"#;
    issuer.set_jwks_body(Some(body.to_owned()));
    for _ in 0..2 {
        let response = http().get(issuer.jwks_url()).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[CONTENT_TYPE], "application/json");
        let etag = response.headers()[ETAG].to_str().unwrap().to_owned();
        assert_eq!(response.text().await.unwrap(), body);
        let cached = http()
            .get(issuer.jwks_url())
            .header(IF_NONE_MATCH, etag)
            .send()
            .await
            .unwrap();
        assert_eq!(cached.status(), StatusCode::NOT_MODIFIED);
    }
    issuer.set_jwks_body(None);
    assert_eq!(
        kids(&fetch_set(&issuer).await),
        [issuer.signing_key().kid()]
    );
}

#[tokio::test]
async fn cache_control_and_extra_headers_are_sent_and_removable() {
    let issuer = common::issuer().await;
    issuer.set_jwks_cache_control(Some("public, max-age=300"));
    issuer.set_jwks_header("Expires", Some("Wed, 21 Oct 2099 07:28:00 GMT"));
    issuer.set_jwks_header("Content-Type", Some("text/plain"));
    issuer.set_jwks_header("x-custom", Some("1"));
    issuer.set_jwks_header("bad header name", Some("ignored"));
    issuer.set_jwks_header("x-bad-value", Some("line\nbreak"));

    let response = http().get(issuer.jwks_url()).send().await.unwrap();
    let headers = response.headers();
    assert_eq!(headers[CACHE_CONTROL], "public, max-age=300");
    assert_eq!(headers[EXPIRES], "Wed, 21 Oct 2099 07:28:00 GMT");
    assert_eq!(headers[CONTENT_TYPE], "text/plain");
    assert_eq!(headers["x-custom"], "1");
    assert!(headers.get("x-bad-value").is_none());

    // Also on 304s.
    let etag = headers[ETAG].clone();
    let cached = http()
        .get(issuer.jwks_url())
        .header(IF_NONE_MATCH, etag)
        .send()
        .await
        .unwrap();
    assert_eq!(cached.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(cached.headers()[CACHE_CONTROL], "public, max-age=300");

    issuer.set_jwks_cache_control(None);
    issuer.set_jwks_header("Content-Type", None);
    issuer.set_jwks_header("x-custom", None);
    let response = http().get(issuer.jwks_url()).send().await.unwrap();
    assert!(response.headers().get(CACHE_CONTROL).is_none());
    assert!(response.headers().get("x-custom").is_none());
    assert_eq!(response.headers()[CONTENT_TYPE], "application/json");
    assert!(response.headers().get(EXPIRES).is_some());
}

#[tokio::test]
async fn status_faults_are_consumed_one_per_request_then_normal_again() {
    let issuer = common::issuer().await;
    issuer.fail_next_jwks(2, JwksFault::Status(503));
    issuer.fail_next_jwks(1, JwksFault::Status(404));
    issuer.fail_next_jwks(1, JwksFault::Status(1000));
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(
            http()
                .get(issuer.jwks_url())
                .send()
                .await
                .unwrap()
                .status()
                .as_u16(),
        );
    }
    assert_eq!(statuses, [503, 503, 404, 500, 200]);
    assert_eq!(issuer.jwks_requests(), 5);

    issuer.fail_next_jwks(3, JwksFault::Status(500));
    issuer.clear_jwks_faults();
    assert_eq!(
        http().get(issuer.jwks_url()).send().await.unwrap().status(),
        200
    );
}

#[tokio::test]
async fn status_with_retry_after_sends_the_header() {
    let issuer = common::issuer().await;
    issuer.fail_next_jwks(1, JwksFault::StatusWithRetryAfter(429, 7));
    let response = http().get(issuer.jwks_url()).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers()[RETRY_AFTER], "7");
}

#[tokio::test]
async fn garbage_and_body_faults_answer_200_with_that_body_once() {
    let issuer = common::issuer().await;
    issuer.fail_next_jwks(1, JwksFault::Garbage);
    issuer.fail_next_jwks(1, JwksFault::Body(r#"{"keys":null}"#.to_owned()));

    let garbage = http().get(issuer.jwks_url()).send().await.unwrap();
    assert_eq!(garbage.status(), StatusCode::OK);
    assert_eq!(garbage.headers()[CONTENT_TYPE], "application/json");
    assert!(garbage.headers().get(ETAG).is_none());
    let text = garbage.text().await.unwrap();
    assert_eq!(text, "<html>not json");
    assert!(serde_json::from_str::<Value>(&text).is_err());

    let body = http().get(issuer.jwks_url()).send().await.unwrap();
    assert_eq!(body.status(), StatusCode::OK);
    assert_eq!(body.text().await.unwrap(), r#"{"keys":null}"#);

    assert_eq!(
        kids(&fetch_set(&issuer).await),
        [issuer.signing_key().kid()]
    );
}

#[tokio::test]
async fn oversized_fault_sends_a_valid_looking_body_of_the_exact_size() {
    let issuer = common::issuer().await;
    let size = 1024 * 1024;
    issuer.fail_next_jwks(1, JwksFault::Oversized(size));
    let response = http().get(issuer.jwks_url()).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.content_length(), Some(size as u64));
    let bytes = response.bytes().await.unwrap();
    assert_eq!(bytes.len(), size);
    let set: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(kids(&set), [issuer.signing_key().kid()]);
}

#[tokio::test]
async fn redirect_fault_answers_302_with_location() {
    let issuer = common::issuer().await;
    issuer.fail_next_jwks(
        1,
        JwksFault::Redirect("http://evil.example/jwks.json".to_owned()),
    );
    let response = http().get(issuer.jwks_url()).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(
        response.headers()[LOCATION],
        "http://evil.example/jwks.json"
    );
}

#[tokio::test]
async fn hang_fault_never_answers_and_does_not_block_shutdown() {
    let issuer = common::issuer().await;
    issuer.fail_next_jwks(1, JwksFault::Hang);
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let error = impatient.get(issuer.jwks_url()).send().await.unwrap_err();
    assert!(error.is_timeout(), "{error}");
    assert_eq!(issuer.jwks_requests(), 1);

    // The next request is normal again.
    assert_eq!(
        http().get(issuer.jwks_url()).send().await.unwrap().status(),
        200
    );

    // A hanging request is released by shutdown, which completes.
    issuer.fail_next_jwks(1, JwksFault::Hang);
    let url = issuer.jwks_url();
    let pending = tokio::spawn(async move { http().get(url).send().await });
    while issuer.jwks_requests() < 3 {
        tokio::task::yield_now().await;
    }
    tokio::time::timeout(Duration::from_secs(10), issuer.shutdown())
        .await
        .expect("shutdown completes despite a hanging request");
    let released = pending.await.unwrap().unwrap();
    assert_eq!(released.status(), StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn dropping_the_issuer_releases_hanging_requests() {
    let issuer = common::issuer().await;
    issuer.fail_next_jwks(1, JwksFault::Hang);
    let url = issuer.jwks_url();
    let pending = tokio::spawn(async move { http().get(url).send().await });
    while issuer.jwks_requests() < 1 {
        tokio::task::yield_now().await;
    }
    drop(issuer);
    let released = tokio::time::timeout(Duration::from_secs(10), pending)
        .await
        .expect("the hanging request is released")
        .unwrap()
        .unwrap();
    assert_eq!(released.status(), StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn latency_delays_answers_until_cleared() {
    let issuer = common::issuer().await;
    issuer.set_jwks_latency(Some(Duration::from_millis(150)));
    let started = Instant::now();
    assert_eq!(
        http().get(issuer.jwks_url()).send().await.unwrap().status(),
        200
    );
    assert!(started.elapsed() >= Duration::from_millis(150));

    issuer.set_jwks_latency(Some(Duration::from_secs(60)));
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    assert!(
        impatient
            .get(issuer.jwks_url())
            .send()
            .await
            .unwrap_err()
            .is_timeout()
    );

    issuer.set_jwks_latency(None);
    assert_eq!(
        http().get(issuer.jwks_url()).send().await.unwrap().status(),
        200
    );
    // The 60 s wait still pending on the server is cut short by shutdown.
    tokio::time::timeout(Duration::from_secs(10), issuer.shutdown())
        .await
        .expect("shutdown interrupts latency");
}

#[tokio::test]
async fn an_unknown_pool_is_404_and_not_counted() {
    let issuer = common::issuer().await;
    let url = format!(
        "{}/us-east-1_Other/.well-known/jwks.json",
        issuer.base_url()
    );
    assert_eq!(
        http().get(url).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    let url = format!("{}/{}/jwks.json", issuer.base_url(), issuer.pool_id());
    assert_eq!(
        http().get(url).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(issuer.jwks_requests(), 0);
}

#[tokio::test]
async fn shutdown_stops_serving() {
    let issuer = common::issuer().await;
    let url = issuer.jwks_url();
    issuer.shutdown().await;
    assert!(http().get(url).send().await.unwrap_err().is_connect());
}

#[tokio::test]
async fn stall_body_sends_headers_then_nothing() {
    let issuer = common::issuer().await;
    issuer.fail_next_jwks(1, JwksFault::StallBody);
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    let response = impatient.get(issuer.jwks_url()).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.content_length().is_none());
    let error = response.bytes().await.unwrap_err();
    assert!(error.is_timeout(), "{error}");

    // A stalled body does not block shutdown.
    issuer.fail_next_jwks(1, JwksFault::StallBody);
    let stalled = http().get(issuer.jwks_url()).send().await.unwrap();
    tokio::time::timeout(Duration::from_secs(10), issuer.shutdown())
        .await
        .expect("shutdown completes despite a stalled body");
    assert!(stalled.bytes().await.is_err());
}

#[tokio::test]
async fn drip_sends_the_set_one_byte_at_a_time() {
    let issuer = common::issuer().await;
    let body = r#"{"keys":[]}"#;
    issuer.set_jwks_body(Some(body.to_owned()));
    issuer.fail_next_jwks(1, JwksFault::Drip(Duration::from_millis(20)));
    let started = Instant::now();
    let response = http().get(issuer.jwks_url()).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), body);
    assert!(started.elapsed() >= Duration::from_millis(20 * body.len() as u64));
}

#[tokio::test]
async fn oversized_chunked_has_no_content_length() {
    let issuer = common::issuer().await;
    let size = 200_000;
    issuer.fail_next_jwks(1, JwksFault::OversizedChunked(size));
    let response = http().get(issuer.jwks_url()).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.content_length().is_none());
    let bytes = response.bytes().await.unwrap();
    assert_eq!(bytes.len(), size);
    let set: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(kids(&set), [issuer.signing_key().kid()]);
}

#[tokio::test]
async fn truncated_promises_the_full_length_then_closes() {
    let issuer = common::issuer().await;
    issuer.fail_next_jwks(1, JwksFault::Truncated);
    let full = jwks_json(&[&issuer.signing_key()]);
    let response = http().get(issuer.jwks_url()).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.content_length(), Some(full.len() as u64));
    assert!(response.bytes().await.is_err());
    // Then normal again.
    assert_eq!(
        kids(&fetch_set(&issuer).await),
        [issuer.signing_key().kid()]
    );
}

#[tokio::test]
async fn held_requests_are_counted_and_answer_only_when_released() {
    let issuer = common::issuer().await;
    issuer.hold_jwks();
    let pending = tokio::spawn(http().get(issuer.jwks_url()).send());
    tokio::time::timeout(Duration::from_secs(10), issuer.wait_for_jwks_requests(1))
        .await
        .expect("the held request is counted on arrival");
    assert_eq!(issuer.jwks_requests(), 1);
    assert!(!pending.is_finished());
    issuer.release_jwks();
    let response = tokio::time::timeout(Duration::from_secs(10), pending)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    // Released for good: later requests answer at once.
    assert_eq!(
        fetch_set(&issuer).await["keys"][0]["kid"],
        issuer.signing_key().kid()
    );
    // Counts already reached resolve at once.
    tokio::time::timeout(Duration::from_secs(10), issuer.wait_for_jwks_requests(2))
        .await
        .unwrap();
}

#[tokio::test]
async fn held_requests_are_released_by_shutdown() {
    let issuer = common::issuer().await;
    issuer.hold_jwks();
    let pending = tokio::spawn(http().get(issuer.jwks_url()).send());
    tokio::time::timeout(Duration::from_secs(10), issuer.wait_for_jwks_requests(1))
        .await
        .unwrap();
    tokio::time::timeout(Duration::from_secs(10), issuer.shutdown())
        .await
        .expect("shutdown completes despite a held request");
    let answer = tokio::time::timeout(Duration::from_secs(10), pending)
        .await
        .unwrap()
        .unwrap();
    if let Ok(response) = answer {
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    }
}
