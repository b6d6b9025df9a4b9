//! The route table: method and path pattern → requirement and upstream.
//!
//! Patterns are matchit's (`/orders/{id}`, `/static/{*rest}`), matched against the decoded
//! path ([`crate::path`]); the most specific pattern wins, then the method: a method the
//! matching pattern does not list is unmatched (it never falls through to a less specific
//! pattern). Unmatched requests get the `unmatched` requirement (`deny` unless configured).

use std::collections::HashMap;

use http::Method;

use crate::config::raw::RawRoute;
use crate::config::{ConfigError, Source, UpstreamConfig};
use crate::requirement::RouteRequirement;

/// A route of the table.
#[derive(Debug, Clone)]
pub(crate) struct Route {
    /// The pattern as written (metrics and logs).
    pub(crate) pattern: String,
    pub(crate) requirement: RouteRequirement,
    /// Index into the configuration's upstreams; `None` when none is configured.
    pub(crate) upstream: Option<usize>,
}

/// Which route a request took.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RouteId {
    Route(usize),
    Unmatched,
}

#[derive(Debug, Default)]
struct Pattern {
    by_method: Vec<(Method, usize)>,
    any: Option<usize>,
}

/// Routes by pattern and method.
#[derive(Debug)]
pub(crate) struct RouteTable {
    router: matchit::Router<usize>,
    patterns: Vec<Pattern>,
    routes: Vec<Route>,
    unmatched: Route,
}

fn method(
    source: &Source<'_>,
    name: &toml::Spanned<String>,
    key: &str,
) -> Result<Method, ConfigError> {
    let text = name.get_ref();
    let valid = !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b == b'-' || b == b'_');
    let invalid = || ConfigError::InvalidMethod {
        at: source.at(name.span(), key),
        method: text.clone(),
    };
    if !valid {
        return Err(invalid());
    }
    Method::from_bytes(text.as_bytes()).map_err(|_| invalid())
}

impl RouteTable {
    pub(crate) fn from_config(
        source: &Source<'_>,
        raw: &[RawRoute],
        upstreams: &[UpstreamConfig],
        unmatched: RouteRequirement,
    ) -> Result<Self, ConfigError> {
        let default_upstream = upstreams.iter().position(|u| u.name == "default");
        let mut table = Self {
            router: matchit::Router::new(),
            patterns: Vec::new(),
            routes: Vec::with_capacity(raw.len()),
            unmatched: Route {
                pattern: "(unmatched)".to_owned(),
                requirement: unmatched,
                upstream: default_upstream,
            },
        };
        let mut by_pattern: HashMap<String, usize> = HashMap::new();
        let mut lines: Vec<usize> = Vec::new();
        for (index, route) in raw.iter().enumerate() {
            let key = format!("route[{index}]");
            let pattern = route.path.get_ref();
            let path_at = || source.at(route.path.span(), format!("{key}.path"));
            if !pattern.starts_with('/') {
                return Err(ConfigError::InvalidRoutePath {
                    at: path_at(),
                    problem: "a path pattern starts with `/`".to_owned(),
                });
            }
            let requirement =
                RouteRequirement::from_config(source, &route.require, &format!("{key}.require"))?;
            let upstream = match (&route.upstream, upstreams.is_empty()) {
                (Some(name), _) => Some(
                    upstreams
                        .iter()
                        .position(|u| u.name == *name.get_ref())
                        .ok_or_else(|| ConfigError::UnknownUpstream {
                            at: source.at(name.span(), format!("{key}.upstream")),
                            name: name.get_ref().clone(),
                        })?,
                ),
                (None, true) => None,
                (None, false) => Some(
                    default_upstream
                        .ok_or_else(|| ConfigError::NoDefaultUpstream { at: path_at() })?,
                ),
            };
            let methods = match &route.methods {
                Some(methods) => {
                    if methods.is_empty() {
                        return Err(ConfigError::EmptyList { at: path_at() });
                    }
                    let mut list = Vec::with_capacity(methods.len());
                    for name in methods {
                        list.push(method(source, name, &format!("{key}.methods"))?);
                    }
                    Some(list)
                }
                None => None,
            };
            let pattern_index = match by_pattern.get(pattern) {
                Some(&i) => i,
                None => {
                    table
                        .router
                        .insert(pattern.clone(), table.patterns.len())
                        .map_err(|error| ConfigError::InvalidRoutePath {
                            at: path_at(),
                            problem: error.to_string(),
                        })?;
                    table.patterns.push(Pattern::default());
                    by_pattern.insert(pattern.clone(), table.patterns.len() - 1);
                    table.patterns.len() - 1
                }
            };
            let route_index = table.routes.len();
            let line = source.line(route.path.span());
            let entry = &mut table.patterns[pattern_index];
            let duplicate = |method: &str, first: usize| ConfigError::DuplicateRoute {
                at: path_at(),
                path: pattern.clone(),
                method: method.to_owned(),
                first_line: lines[first],
            };
            match methods {
                None => {
                    if let Some(first) = entry.any {
                        return Err(duplicate("*", first));
                    }
                    entry.any = Some(route_index);
                }
                Some(list) => {
                    for method in list {
                        if let Some(&(_, first)) =
                            entry.by_method.iter().find(|(m, _)| *m == method)
                        {
                            return Err(duplicate(method.as_str(), first));
                        }
                        entry.by_method.push((method, route_index));
                    }
                }
            }
            lines.push(line);
            table.routes.push(Route {
                pattern: pattern.clone(),
                requirement,
                upstream,
            });
        }
        Ok(table)
    }

    /// The route for `method` and the decoded `path`.
    pub(crate) fn lookup(&self, method: &Method, path: &str) -> RouteId {
        let Ok(found) = self.router.at(path) else {
            return RouteId::Unmatched;
        };
        let Some(pattern) = self.patterns.get(*found.value) else {
            return RouteId::Unmatched;
        };
        pattern
            .by_method
            .iter()
            .find(|(m, _)| m == method)
            .map(|&(_, i)| i)
            .or(pattern.any)
            .map_or(RouteId::Unmatched, RouteId::Route)
    }

    /// Whether some pattern matches `path`.
    pub(crate) fn has_route_for(&self, path: &str) -> bool {
        self.router.at(path).is_ok()
    }

    /// Every route, then the unmatched one last.
    pub(crate) fn all(&self) -> impl Iterator<Item = &Route> {
        self.routes.iter().chain(std::iter::once(&self.unmatched))
    }

    /// The index of `id` in [`RouteTable::all`].
    pub(crate) fn index(&self, id: RouteId) -> usize {
        match id {
            RouteId::Route(i) if i < self.routes.len() => i,
            _ => self.routes.len(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.routes.len()
    }
}
