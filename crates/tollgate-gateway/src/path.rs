//! The path a request is routed by: its percent-decoded path, and only when every reading of
//! it is the same (no dot segments, no encoded separators, no empty segments), so the route
//! the gateway picks is the resource the upstream serves.

use std::borrow::Cow;

/// Why a request path is refused (400) before any route is looked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PathProblem {
    /// Not `/...` (`*`, an authority, an absolute URI's missing path).
    NotOriginForm,
    /// `%2F`, `%5C` or a backslash: a separator the upstream may or may not see.
    EncodedSeparator,
    /// A `.` or `..` segment (also `%2e`, and `..;x` as servlet containers read it).
    DotSegment,
    /// `//` inside the path (upstreams differ on merging them).
    EmptySegment,
    /// Percent-encoded bytes that are not UTF-8, or encoded twice (`%252e`).
    BadEncoding,
    /// A control character.
    ControlCharacter,
}

impl PathProblem {
    /// A stable reason for logs.
    pub(crate) fn reason(self) -> &'static str {
        match self {
            Self::NotOriginForm => "path_not_origin_form",
            Self::EncodedSeparator => "path_encoded_separator",
            Self::DotSegment => "path_dot_segment",
            Self::EmptySegment => "path_empty_segment",
            Self::BadEncoding => "path_bad_encoding",
            Self::ControlCharacter => "path_control_character",
        }
    }
}

/// The decoded path to route `raw` (a request's path, without query) by.
pub(crate) fn routing_path(raw: &str) -> Result<Cow<'_, str>, PathProblem> {
    if !raw.starts_with('/') {
        return Err(PathProblem::NotOriginForm);
    }
    if raw.contains('\\') {
        return Err(PathProblem::EncodedSeparator);
    }
    let decoded: Cow<'_, str> = if raw.contains('%') {
        let lower = raw.to_ascii_lowercase();
        if lower.contains("%2f") || lower.contains("%5c") {
            return Err(PathProblem::EncodedSeparator);
        }
        let decoded = percent_encoding::percent_decode_str(raw)
            .decode_utf8()
            .map_err(|_| PathProblem::BadEncoding)?;
        let again = decoded.to_ascii_lowercase();
        if ["%2e", "%2f", "%5c", "%25"]
            .iter()
            .any(|twice| again.contains(twice))
        {
            return Err(PathProblem::BadEncoding);
        }
        Cow::Owned(decoded.into_owned())
    } else {
        Cow::Borrowed(raw)
    };
    if decoded.chars().any(char::is_control) {
        return Err(PathProblem::ControlCharacter);
    }
    if decoded.contains('\\') {
        return Err(PathProblem::EncodedSeparator);
    }
    let mut segments = decoded[1..].split('/').peekable();
    while let Some(segment) = segments.next() {
        let last = segments.peek().is_none();
        if segment.is_empty() && !last {
            return Err(PathProblem::EmptySegment);
        }
        let name = segment.split(';').next().unwrap_or_default();
        if name == "." || name == ".." {
            return Err(PathProblem::DotSegment);
        }
    }
    Ok(decoded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_paths_route_as_written() {
        for path in [
            "/",
            "/orders",
            "/orders/",
            "/orders/42",
            "/a;b=c/d",
            "/x.y/..z",
        ] {
            assert_eq!(routing_path(path).as_deref(), Ok(path), "{path}");
        }
        assert_eq!(routing_path("/caf%C3%A9").as_deref(), Ok("/café"));
        assert_eq!(routing_path("/%61dmin").as_deref(), Ok("/admin"));
    }

    #[test]
    fn ambiguous_paths_are_refused() {
        use PathProblem::*;
        let cases = [
            ("*", NotOriginForm),
            ("", NotOriginForm),
            ("orders", NotOriginForm),
            ("/a/../admin", DotSegment),
            ("/a/./b", DotSegment),
            ("/a/..", DotSegment),
            ("/a/%2e%2e/admin", DotSegment),
            ("/a/%2E./admin", DotSegment),
            ("/a/..;x=1/admin", DotSegment),
            ("/a/%2fadmin", EncodedSeparator),
            ("/a%2Fadmin", EncodedSeparator),
            ("/a%5cadmin", EncodedSeparator),
            ("/a\\admin", EncodedSeparator),
            ("//admin", EmptySegment),
            ("/a//b", EmptySegment),
            ("/%ff", BadEncoding),
            ("/%252e%252e/admin", BadEncoding),
            ("/a%00b", ControlCharacter),
            ("/a%0d%0ab", ControlCharacter),
        ];
        for (path, problem) in cases {
            assert_eq!(routing_path(path), Err(problem), "{path}");
        }
    }
}
