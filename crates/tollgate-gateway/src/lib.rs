//! The `tollgate` binary's library: a reverse proxy and a forward-auth endpoint that verify
//! OAuth 2.0 access tokens with tollgate's own layer, and the command line (`serve`,
//! `check-config`, `token`, `verify`, `decode`).
//!
//! Built on the workspace's library crates and the same stack (hyper 1, hyper-util's server
//! and pooled client, tower): the requests pass the library's
//! [`AuthLayer`](tollgate_tower::AuthLayer), then a route table whose requirements are the
//! library's ([`Requirement`](tollgate_tower::Requirement): scopes, claims and their
//! combinations, behind [`RequireLayer`](tollgate_tower::RequireLayer)), so rejections are
//! exactly the library's: RFC 6750 for HTTP, trailers-only for gRPC.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use tollgate_gateway::{Config, Gateway, shutdown_signal};
//!
//! let gateway = Gateway::bind(Config::load("tollgate.toml")?).await?;
//! gateway.run(shutdown_signal()).await;
//! # Ok(()) }
//! ```
//!
//! The configuration file, the forward-auth endpoint and the commands are described in the
//! crate's README. Nothing else in the workspace depends on this crate.

#![cfg_attr(docsrs, feature(doc_cfg))]

mod admin;
mod claim_headers;
mod claims_json;
pub mod cli;
pub mod config;
mod dispatch;
mod forward_auth;
mod gateway;
mod issuers;
mod path;
mod proxy;
mod request_metrics;
mod requirement;
mod routes;
mod server;

pub use config::{Config, ConfigError, Location};
pub use server::{Gateway, ServeError, shutdown_signal};

/// The README's code blocks, compiled as doctests so they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
