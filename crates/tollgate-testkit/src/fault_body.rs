//! Misbehaving response bodies for JWKS faults: stalled, dripping, chunked
//! without a length, or cut short.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use tokio::time::Sleep;

type Signal = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Why a fault body stopped early; hyper then closes the connection mid-body.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FaultBodyError {
    /// The body was deliberately cut short.
    #[error("response body deliberately truncated")]
    Truncated,
    /// The issuer shut down while the body was still being sent.
    #[error("test issuer shutting down")]
    ShuttingDown,
}

/// A body sent in chunks, optionally one chunk per `interval`, that afterwards
/// either ends, stalls until shutdown, or fails (truncation).
pub(crate) struct FaultBody {
    chunks: VecDeque<Bytes>,
    interval: Option<Duration>,
    sleep: Option<Pin<Box<Sleep>>>,
    after: After,
    shutdown: Signal,
    declared_len: Option<u64>,
    yielded: bool,
    done: bool,
}

/// What happens once every chunk is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum After {
    End,
    Stall,
    Fail,
}

impl FaultBody {
    pub(crate) fn new(chunks: Vec<Bytes>, after: After, shutdown: Signal) -> Self {
        Self {
            chunks: chunks.into(),
            interval: None,
            sleep: None,
            after,
            shutdown,
            declared_len: None,
            yielded: false,
            done: false,
        }
    }

    /// Wait `interval` before each chunk.
    pub(crate) fn every(mut self, interval: Duration) -> Self {
        self.interval = Some(interval);
        self
    }

    /// Announce this length (`Content-Length`) whatever is actually sent.
    pub(crate) fn declare_len(mut self, len: u64) -> Self {
        self.declared_len = Some(len);
        self
    }
}

impl http_body::Body for FaultBody {
    type Data = Bytes;
    type Error = FaultBodyError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, FaultBodyError>>> {
        let this = &mut *self;
        if this.done {
            return Poll::Ready(None);
        }
        if this.shutdown.as_mut().poll(cx).is_ready() {
            this.done = true;
            return Poll::Ready(Some(Err(FaultBodyError::ShuttingDown)));
        }
        if let (Some(interval), false) = (this.interval, this.chunks.is_empty()) {
            let sleep = this
                .sleep
                .get_or_insert_with(|| Box::pin(tokio::time::sleep(interval)));
            ready!(sleep.as_mut().poll(cx));
            this.sleep = None;
        }
        if let Some(chunk) = this.chunks.pop_front() {
            return Poll::Ready(Some(Ok(Frame::data(chunk))));
        }
        match this.after {
            After::End => {
                this.done = true;
                Poll::Ready(None)
            }
            // Yield once first so hyper flushes what was sent (headers included)
            // before the error makes it drop the connection.
            After::Fail if !this.yielded => {
                this.yielded = true;
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            After::Fail => {
                this.done = true;
                Poll::Ready(Some(Err(FaultBodyError::Truncated)))
            }
            // The shutdown signal registered the waker above.
            After::Stall => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.done
    }

    fn size_hint(&self) -> SizeHint {
        self.declared_len
            .map_or_else(SizeHint::default, SizeHint::with_exact)
    }
}

/// `body` cut into chunks of at most `size` bytes.
pub(crate) fn chunked(body: &[u8], size: usize) -> Vec<Bytes> {
    body.chunks(size.max(1))
        .map(Bytes::copy_from_slice)
        .collect()
}
