//! The allocation model: what a [`Claims`] costs on the heap, allocator rounding included,
//! for the verified-token cache's byte bound.

use serde_json::Value;

use super::{Claims, Raw, Span, Spans};

impl Claims {
    /// Estimated heap bytes, allocator rounding included (for the token cache's byte bound).
    pub(crate) fn heap_size(&self) -> usize {
        fn value(v: &Value) -> usize {
            match v {
                Value::String(s) => alloc(s.len()),
                Value::Array(a) => alloc(a.len() * 32) + a.iter().map(value).sum::<usize>(),
                Value::Object(o) => o
                    .iter()
                    .map(|(k, v)| alloc(k.len()) + 64 + value(v))
                    .sum::<usize>()
                    .max(alloc(11 * 56)),
                _ => 0,
            }
        }
        let spans = |v: &Option<Spans>| {
            v.as_ref()
                .filter(|s| s.spilled())
                .map_or(0, |s| alloc(s.capacity() * 8))
        };
        alloc(self.text.capacity())
            + spans(&self.aud)
            + spans(&self.groups)
            + [self.scope.as_ref(), self.scp.as_ref()]
                .into_iter()
                .flatten()
                .chain(self.extra.iter().map(|(_, raw)| raw))
                .map(|raw| match raw {
                    Raw::Json(json) => alloc(32) + value(json),
                    _ => 0,
                })
                .sum::<usize>()
            + alloc(self.extra.len() * std::mem::size_of::<(Span, Raw)>())
    }
}

/// What one allocation of `len` bytes costs with glibc malloc: a header, rounded to 16 bytes,
/// at least 32.
pub(crate) fn alloc(len: usize) -> usize {
    if len == 0 {
        0
    } else {
        (len + 8).div_ceil(16).max(2) * 16
    }
}
