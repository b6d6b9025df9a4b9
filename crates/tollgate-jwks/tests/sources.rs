//! Where keys come from: OIDC discovery (issuer check, `jwks_uri` on another host, URL policy
//! of the discovered URL), static sets (JSON text and file), and the URL policy at build time.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::guard;
use futures_util::FutureExt as _;
use tollgate_jwks::{
    BuildError, CognitoPool, FetchError, JwksCache, JwksSource, LookupError, ManualClock, UrlError,
};
use tollgate_testkit::{DEFAULT_POOL_ID, JwksFault, TestIssuer, jwks_json};

fn discovery_cache(issuer: &str, clock: &ManualClock) -> JwksCache {
    JwksCache::builder(JwksSource::discovery(issuer).unwrap())
        .clock(clock.clone())
        .build()
        .unwrap()
}

/// Discovery: the document's `jwks_uri` is used, once; later refreshes go straight to it.
#[tokio::test]
async fn discovery_uses_the_jwks_uri() {
    let issuer = common::issuer().await;
    let kid = issuer.signing_key().kid().to_owned();
    let source = JwksSource::discovery(&issuer.issuer_url()).unwrap();
    assert_eq!(
        source.discovery_issuer(),
        Some(issuer.issuer_url().as_str())
    );
    let cache = discovery_cache(&issuer.issuer_url(), &ManualClock::new());
    assert_eq!(cache.status().jwks_url, None, "not known before discovery");

    let key = guard("lookup", cache.key(&kid)).await.unwrap();
    common::assert_verifies(&key, &issuer.signing_key());
    assert_eq!(
        cache.status().jwks_url.as_deref(),
        Some(issuer.jwks_url().as_str())
    );
    assert_eq!(
        (issuer.discovery_requests(), issuer.jwks_requests()),
        (1, 1)
    );

    guard("refresh", cache.refresh()).await.unwrap();
    assert_eq!(
        (issuer.discovery_requests(), issuer.jwks_requests()),
        (1, 2)
    );
}

/// Discovery: a document naming another issuer is refused before any key is fetched.
#[tokio::test]
async fn discovery_issuer_mismatch_is_refused() {
    let issuer = common::issuer().await;
    let kid = issuer.signing_key().kid().to_owned();
    for reported in [
        "https://attacker.example/us-east-1_TestPool1".to_owned(),
        format!("{}/", issuer.issuer_url()),
        issuer.issuer_url().to_uppercase(),
    ] {
        issuer.set_discovery_issuer(Some(&reported));
        let cache = discovery_cache(&issuer.issuer_url(), &ManualClock::new());
        let error = guard("prefetch", cache.prefetch()).await.unwrap_err();
        assert!(
            matches!(error, FetchError::IssuerMismatch),
            "{reported}: {error:?}"
        );
        assert!(matches!(
            cache.status().last_error,
            Some(FetchError::IssuerMismatch)
        ));
        assert_eq!(
            cache
                .key(&kid)
                .now_or_never()
                .expect("refused at once")
                .unwrap_err(),
            LookupError::KeysUnavailable
        );
    }
    assert_eq!(issuer.jwks_requests(), 0);
}

/// Discovery: a configured issuer with a trailing slash is not the same issuer.
#[tokio::test]
async fn discovery_issuer_is_compared_byte_for_byte() {
    let issuer = common::issuer().await;
    let cache = discovery_cache(&format!("{}/", issuer.issuer_url()), &ManualClock::new());
    let error = guard("prefetch", cache.prefetch()).await.unwrap_err();
    assert!(matches!(error, FetchError::IssuerMismatch), "{error:?}");
}

/// The JWKS may live on another host than the issuer: here the issuer is `localhost` (set
/// with `issuer_override`) and its discovery document points to `127.0.0.1`.
#[tokio::test]
async fn jwks_on_another_host_than_the_issuer_via_issuer_override() {
    let addr = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let issuer_url = format!("http://localhost:{}/{DEFAULT_POOL_ID}", addr.port());
    let issuer = TestIssuer::builder()
        .signing_key(common::key(0))
        .issuer_override(&issuer_url)
        .bind(addr)
        .start()
        .await
        .unwrap();
    assert!(issuer.jwks_url().starts_with("http://127.0.0.1:"));
    let cache = discovery_cache(&issuer_url, &ManualClock::new());
    let key = guard("lookup", cache.key(common::key(0).kid()))
        .await
        .unwrap();
    common::assert_verifies(&key, &common::key(0));
    assert_eq!(
        cache.status().jwks_url.as_deref(),
        Some(issuer.jwks_url().as_str())
    );
}

/// The JWKS on another server altogether: the issuer's discovery names a `jwks_uri` served by a
/// different process on another host name; keys come from there only.
#[tokio::test]
async fn jwks_on_another_server() {
    let issuer = common::issuer_with(common::key(0)).await;
    let keys_host = common::issuer_with(common::key(1)).await;
    let jwks_uri = keys_host.jwks_url().replace("127.0.0.1", "localhost");
    issuer.set_discovery_jwks_uri(Some(&jwks_uri));
    let cache = discovery_cache(&issuer.issuer_url(), &ManualClock::new());
    let key = guard("lookup", cache.key(common::key(1).kid()))
        .await
        .unwrap();
    common::assert_verifies(&key, &common::key(1));
    assert_eq!(issuer.jwks_requests(), 0);
    assert_eq!(keys_host.jwks_requests(), 1);
    assert_eq!(cache.status().jwks_url.as_deref(), Some(jwks_uri.as_str()));
}

/// A discovered `jwks_uri` must pass the same URL policy: plain http to a non-loopback host,
/// other schemes and user info are refused without any request to it.
#[tokio::test]
async fn discovered_jwks_uri_obeys_the_url_policy() {
    let issuer = common::issuer().await;
    for (uri, expected) in [
        ("http://keys.example.com/jwks.json", UrlError::Insecure),
        ("ftp://127.0.0.1/jwks.json", UrlError::Unsupported),
        (
            "https://user:secret@keys.example.com/jwks.json",
            UrlError::Unsupported,
        ),
        ("not a url", UrlError::Invalid),
    ] {
        issuer.set_discovery_jwks_uri(Some(uri));
        let cache = discovery_cache(&issuer.issuer_url(), &ManualClock::new());
        let error = guard("prefetch", cache.prefetch()).await.unwrap_err();
        assert!(
            matches!(&error, FetchError::Url(e) if *e == expected),
            "{uri}: {error:?}"
        );
    }
}

/// After a failed fetch the issuer is asked again where its keys are: a moved `jwks_uri` is
/// followed on the next attempt.
#[tokio::test]
async fn discovery_is_repeated_after_a_failure() {
    let issuer = common::issuer().await;
    let moved_to = common::issuer_with(common::key(2)).await;
    let cache = discovery_cache(&issuer.issuer_url(), &ManualClock::new());
    guard("prefetch", cache.prefetch()).await.unwrap();

    issuer.fail_next_jwks(1, JwksFault::Status(404));
    issuer.set_discovery_jwks_uri(Some(&moved_to.jwks_url()));
    guard("refresh", cache.refresh()).await.unwrap_err();
    guard("refresh", cache.refresh()).await.unwrap();
    assert_eq!(issuer.discovery_requests(), 2);
    assert_eq!(moved_to.jwks_requests(), 1);
    assert!(cache.cached_key(common::key(2).kid()).is_some());
}

/// Static JSON: no fetching ever, unknown `kid` refused at once, never stale.
#[tokio::test]
async fn static_json_set_never_fetches() {
    let (a, b) = (common::key(0), common::key(1));
    let clock = ManualClock::new();
    let source = JwksSource::static_json(jwks_json(&[&a, &b]));
    assert!(source.is_static());
    let cache = JwksCache::builder(source)
        .clock(clock.clone())
        .build()
        .unwrap();
    assert_static_cache(&cache, &clock, &a, &b).await;
}

/// Static file: the same, read from a file.
#[tokio::test]
async fn static_file_set_never_fetches() {
    let (a, b) = (common::key(2), common::key(3));
    let path = std::env::temp_dir().join(format!(
        "tollgate-jwks-static-{}-{}.json",
        std::process::id(),
        fastrand::u64(..)
    ));
    std::fs::write(&path, jwks_json(&[&a, &b])).unwrap();
    let clock = ManualClock::new();
    let source = JwksSource::static_file(&path).unwrap();
    std::fs::remove_file(&path).unwrap(); // read once, at construction
    let cache = JwksCache::builder(source)
        .clock(clock.clone())
        .build()
        .unwrap();
    assert_static_cache(&cache, &clock, &a, &b).await;
}

async fn assert_static_cache(
    cache: &JwksCache,
    clock: &ManualClock,
    a: &tollgate_testkit::SigningKey,
    b: &tollgate_testkit::SigningKey,
) {
    let mut attempts = cache.subscribe();
    for signer in [a, b] {
        let key = cache
            .key(signer.kid())
            .now_or_never()
            .expect("no wait")
            .unwrap();
        common::assert_verifies(&key, signer);
    }
    assert_eq!(
        cache
            .key("unknown")
            .now_or_never()
            .expect("no wait")
            .unwrap_err(),
        LookupError::UnknownKid
    );
    guard("prefetch", cache.prefetch()).await.unwrap();
    guard("refresh", cache.refresh()).await.unwrap();
    clock.advance(Duration::from_secs(10 * 365 * 24 * 3600));
    assert!(cache.key(a.kid()).now_or_never().expect("no wait").is_ok());
    assert_eq!(
        cache
            .key("other")
            .now_or_never()
            .expect("no wait")
            .unwrap_err(),
        LookupError::UnknownKid
    );
    let status = cache.status();
    assert_eq!(status.key_count, 2);
    assert!(status.is_fresh && status.is_usable);
    assert_eq!((status.fetches, status.failures), (0, 0));
    assert_eq!(status.unknown_kid_refetches, 0);
    assert_eq!(status.jwks_url, None);
    assert_eq!(status.next_refresh_in, None);
    assert!(!attempts.has_changed().unwrap());
    assert_eq!(*attempts.borrow_and_update(), 0);
}

/// Invalid static sets fail the build, with the same reasons a fetch would give.
#[tokio::test]
async fn invalid_static_sets_fail_the_build() {
    let rs512 = {
        let mut jwk = common::key(0).public_jwk();
        jwk["alg"] = "RS512".into();
        common::set(&[jwk])
    };
    type Expect = fn(&FetchError) -> bool;
    let cases: [(String, Expect); 6] = [
        ("not json".to_owned(), |e| {
            matches!(e, FetchError::InvalidJson)
        }),
        ("[]".to_owned(), |e| matches!(e, FetchError::InvalidJson)),
        (r#"{"keys":null}"#.to_owned(), |e| {
            matches!(e, FetchError::InvalidJson)
        }),
        (r#"{"keys":[]}"#.to_owned(), |e| {
            matches!(e, FetchError::NoUsableKeys { skipped: 0 })
        }),
        (
            r#"{"keys":[{"kty":"EC","kid":"a","crv":"P-256","x":"AA","y":"AA"}]}"#.to_owned(),
            |e| matches!(e, FetchError::NoUsableKeys { skipped: 1 }),
        ),
        (rs512, |e| {
            matches!(e, FetchError::NoUsableKeys { skipped: 1 })
        }),
    ];
    for (json, expected) in cases {
        let error = JwksCache::builder(JwksSource::static_json(json.clone()))
            .build()
            .unwrap_err();
        assert!(
            matches!(&error, BuildError::StaticSet(e) if expected(e)),
            "{json}: {error:?}"
        );
    }
    let missing = std::env::temp_dir().join("tollgate-jwks-no-such-file.json");
    let error = JwksSource::static_file(&missing).unwrap_err();
    assert!(
        matches!(error, BuildError::StaticSet(FetchError::Io(_))),
        "{error:?}"
    );
}

/// URL policy: plain http to a non-loopback host is refused when the source is built; loopback
/// and https are fine; the explicit opt-in allows http anywhere.
#[test]
fn url_policy_at_build_time() {
    for url in [
        "http://example.com/jwks.json",
        "http://10.0.0.1/jwks.json",
        "http://localhost.example.com/jwks.json",
        "http://cognito-idp.us-east-1.amazonaws.com/us-east-1_X/.well-known/jwks.json",
    ] {
        assert!(
            matches!(
                JwksSource::url(url),
                Err(BuildError::Url(UrlError::Insecure))
            ),
            "{url}"
        );
        assert!(JwksSource::insecure_http_url(url).is_ok(), "{url}");
    }
    assert!(matches!(
        JwksSource::discovery("http://issuer.example.com/pool"),
        Err(BuildError::Url(UrlError::Insecure))
    ));
    assert!(JwksSource::insecure_http_discovery("http://issuer.example.com/pool").is_ok());
    for url in [
        "http://127.0.0.1:8080/jwks.json",
        "http://127.1.2.3/jwks.json",
        "http://localhost:8080/jwks.json",
        "http://LOCALHOST/jwks.json",
        "http://[::1]:8080/jwks.json",
        "https://example.com/jwks.json",
    ] {
        let source = JwksSource::url(url).unwrap_or_else(|e| panic!("{url}: {e}"));
        assert!(JwksCache::builder(source).build().is_ok(), "{url}");
    }
    assert!(JwksSource::discovery("http://localhost:9000/pool").is_ok());
    for (url, expected) in [
        (
            "https://user:pw@example.com/jwks.json",
            UrlError::Unsupported,
        ),
        ("file:///etc/jwks.json", UrlError::Unsupported),
        ("ftp://example.com/jwks.json", UrlError::Unsupported),
        ("jwks.json", UrlError::Invalid),
        ("", UrlError::Invalid),
    ] {
        assert!(
            matches!(JwksSource::url(url), Err(BuildError::Url(e)) if e == expected),
            "{url}"
        );
    }
    let pool = CognitoPool::new("eu-west-1", "eu-west-1_AbCdEf123").unwrap();
    assert!(JwksSource::cognito(&pool).is_ok());
}

/// Plain http to loopback is actually fetched (every other test relies on it, this one says so).
#[tokio::test]
async fn loopback_http_is_fetched() {
    let issuer = common::issuer().await;
    assert!(issuer.jwks_url().starts_with("http://127.0.0.1:"));
    let cache = JwksCache::builder(JwksSource::url(&issuer.jwks_url()).unwrap())
        .build()
        .unwrap();
    guard("prefetch", cache.prefetch()).await.unwrap();
    assert_eq!(issuer.jwks_requests(), 1);
}
