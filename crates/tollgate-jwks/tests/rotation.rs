//! Key rotation through the real endpoint (security catalogue, `docs/security-catalogue.md`:
//! K11, K12, K13).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::guard;
use futures_util::FutureExt as _;
use tollgate_jwks::{LookupError, ManualClock};
use tollgate_testkit::JwksFault;

const COOLDOWN: Duration = Duration::from_secs(30);

/// K11: a new `kid` appears; the first lookup after the cooldown refetches once and gets a key
/// that verifies the new key's signatures; lookups after that are cache hits.
#[tokio::test]
async fn new_kid_verifies_right_after_the_refetch() {
    let issuer = common::issuer().await;
    let clock = ManualClock::new();
    let cache = common::url_cache(&issuer, &clock)
        .cooldown(COOLDOWN)
        .build()
        .unwrap();
    guard("prefetch", cache.prefetch()).await.unwrap();
    let old = cache.key(issuer.signing_key().kid()).await.unwrap();

    let new_signer = common::key(1);
    issuer.rotate_to(new_signer.clone());
    clock.advance(COOLDOWN);
    let new = guard("refetch", cache.key(new_signer.kid())).await.unwrap();
    common::assert_verifies(&new, &new_signer);
    assert_eq!(issuer.jwks_requests(), 2);
    assert_eq!(cache.status().unknown_kid_refetches, 1);

    // The old key is still published: same object, not revoked.
    let old_again = cache
        .key(common::key(0).kid())
        .now_or_never()
        .unwrap()
        .unwrap();
    assert!(Arc::ptr_eq(&old, &old_again));
    assert!(!old.is_revoked());
    for _ in 0..100 {
        assert!(cache.key(new_signer.kid()).now_or_never().unwrap().is_ok());
    }
    assert_eq!(issuer.jwks_requests(), 2);
}

/// K12: rotation inside the cooldown window: the new `kid` is refused at once, without a
/// request, until the window ends; then one refetch finds it.
#[tokio::test]
async fn rotation_inside_the_cooldown_is_refused_until_it_ends() {
    let issuer = common::issuer().await;
    let clock = ManualClock::new();
    let cache = common::url_cache(&issuer, &clock)
        .cooldown(COOLDOWN)
        .build()
        .unwrap();
    guard("prefetch", cache.prefetch()).await.unwrap();
    let new_signer = common::key(1);
    issuer.rotate_to(new_signer.clone());

    for step in [1, 10, 18] {
        clock.advance(Duration::from_secs(step));
        let refused = cache
            .key(new_signer.kid())
            .now_or_never()
            .expect("refused at once");
        assert_eq!(refused.unwrap_err(), LookupError::UnknownKid);
    }
    // 29 s elapsed: still inside.
    assert_eq!(issuer.jwks_requests(), 1);
    assert_eq!(cache.status().cooldown_rejections, 3);

    clock.advance(Duration::from_secs(1));
    let new = guard("refetch", cache.key(new_signer.kid())).await.unwrap();
    common::assert_verifies(&new, &new_signer);
    assert_eq!(issuer.jwks_requests(), 2);
}

/// K12: the cooldown counts from the last attempt of any kind, including a refetch that did
/// not find the key; the key published just after that refetch waits one more window.
#[tokio::test]
async fn key_published_just_after_a_refetch_waits_one_window() {
    let issuer = common::issuer().await;
    let clock = ManualClock::new();
    let cache = common::url_cache(&issuer, &clock)
        .cooldown(COOLDOWN)
        .build()
        .unwrap();
    guard("prefetch", cache.prefetch()).await.unwrap();
    let new_signer = common::key(2);
    clock.advance(COOLDOWN);
    // A token with the new kid arrives before the issuer publishes it.
    assert_eq!(
        guard("early refetch", cache.key(new_signer.kid()))
            .await
            .unwrap_err(),
        LookupError::UnknownKid
    );
    issuer.rotate_to(new_signer.clone());
    clock.advance(COOLDOWN - Duration::from_secs(1));
    assert_eq!(
        cache
            .key(new_signer.kid())
            .now_or_never()
            .unwrap()
            .unwrap_err(),
        LookupError::UnknownKid
    );
    clock.advance(Duration::from_secs(1));
    assert!(guard("refetch", cache.key(new_signer.kid())).await.is_ok());
    assert_eq!(issuer.jwks_requests(), 3);
}

/// K13: a key removed upstream is revoked at the next successful refresh and no longer
/// returned; the remaining keys keep their identity.
#[tokio::test]
async fn removed_key_is_revoked_after_the_next_successful_refresh() {
    let issuer = common::issuer().await;
    let kept = common::key(0);
    let removed = common::key(1);
    issuer.publish_key(removed.clone());
    let clock = ManualClock::new();
    let cache = common::url_cache(&issuer, &clock)
        .cooldown(COOLDOWN)
        .build()
        .unwrap();
    guard("prefetch", cache.prefetch()).await.unwrap();
    let kept_key = cache.key(kept.kid()).await.unwrap();
    let removed_key = cache.key(removed.kid()).await.unwrap();
    common::assert_verifies(&removed_key, &removed);

    assert!(issuer.remove_key(removed.kid()));
    // A failed refresh changes nothing.
    issuer.fail_next_jwks(1, JwksFault::Status(500));
    guard("failed refresh", cache.refresh()).await.unwrap_err();
    assert!(!removed_key.is_revoked());
    assert!(cache.is_trusted(&removed_key));

    guard("refresh", cache.refresh()).await.unwrap();
    assert!(removed_key.is_revoked());
    assert!(!cache.is_trusted(&removed_key));
    assert!(cache.cached_key(removed.kid()).is_none());
    assert!(cache.key_set().unwrap().get(removed.kid()).is_none());
    assert_eq!(
        cache
            .key(removed.kid())
            .now_or_never()
            .unwrap()
            .unwrap_err(),
        LookupError::UnknownKid
    );
    clock.advance(COOLDOWN);
    assert_eq!(
        guard("refetch", cache.key(removed.kid()))
            .await
            .unwrap_err(),
        LookupError::UnknownKid
    );

    assert!(!kept_key.is_revoked());
    let kept_again = cache.key(kept.kid()).now_or_never().unwrap().unwrap();
    assert!(Arc::ptr_eq(&kept_key, &kept_again));
    assert_eq!(cache.status().key_count, 1);
}

/// K13 variant: the same `kid` now carries other key material. The old key object is revoked;
/// the lookup returns the new material.
#[tokio::test]
async fn changed_material_under_the_same_kid_revokes_the_old_key() {
    let issuer = common::issuer().await;
    let kid = "stable-kid";
    issuer.set_jwks_body(Some(common::set(&[common::jwk(&common::key(0), kid)])));
    let cache = common::url_cache(&issuer, &ManualClock::new())
        .build()
        .unwrap();
    guard("prefetch", cache.prefetch()).await.unwrap();
    let before = cache.key(kid).await.unwrap();
    common::assert_verifies(&before, &common::key(0));

    issuer.set_jwks_body(Some(common::set(&[common::jwk(&common::key(3), kid)])));
    guard("refresh", cache.refresh()).await.unwrap();
    assert!(before.is_revoked());
    let after = cache.key(kid).now_or_never().unwrap().unwrap();
    assert!(!after.is_revoked());
    common::assert_verifies(&after, &common::key(3));
}

/// K13 through the background refresh: removal takes effect at the scheduled refresh, with no
/// lookup involved.
#[tokio::test]
async fn removal_takes_effect_at_the_background_refresh() {
    let issuer = common::issuer().await;
    let removed = common::key(1);
    issuer.publish_key(removed.clone());
    let clock = ManualClock::new();
    let cache = common::url_cache(&issuer, &clock)
        .default_ttl(Duration::from_secs(600))
        .build()
        .unwrap();
    guard("prefetch", cache.prefetch()).await.unwrap();
    let removed_key = cache.key(removed.kid()).await.unwrap();
    issuer.remove_key(removed.kid());
    let mut attempts = cache.subscribe();
    clock.advance(Duration::from_secs(450));
    guard("background refresh", attempts.changed())
        .await
        .unwrap();
    assert!(removed_key.is_revoked());
    assert!(cache.cached_key(removed.kid()).is_none());
}
