//! The mock's sense of time: the wall clock by default, a hand-moved clock in tests
//! and in the simulator, so that timestamps and the rate limit are deterministic.
//!
//! The mock reads time through its own [`MockClock`]: the configured [`Clock`] plus
//! an offset, so the mock's time can be set and advanced whatever the configured
//! clock is (`ShopifyMock::set_clock`, `ShopifyMock::advance_clock`). Every move,
//! of the offset or of a [`ManualClock`] underneath, wakes whoever waits for an
//! instant of mock time (the webhook retries).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use tokio::sync::watch;

/// Where the mock reads "now" from: order timestamps, webhook `X-Shopify-Triggered-At`,
/// the leaky buckets and the webhook retry schedule all use it.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current instant.
    fn now(&self) -> Timestamp;

    /// A receiver told whenever the clock is moved by hand (not as real time
    /// passes), so that whoever waits for an instant wakes when it is reached.
    /// `None` (the default) for a clock nobody moves by hand, such as
    /// [`SystemClock`].
    fn moves(&self) -> Option<watch::Receiver<()>> {
        None
    }
}

/// The wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock that moves only when told to: tests fill and drain the bucket with it
/// without sleeping, and the simulator gives every step its own instant. Every move
/// wakes the mock's webhook retries that wait for the mock's time (see
/// [`Clock::moves`]).
///
/// Cloning shares the clock: every clone sees the same time.
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<Mutex<Timestamp>>,
    moved: Arc<watch::Sender<()>>,
}

impl ManualClock {
    /// A clock standing at `start`.
    pub fn new(start: Timestamp) -> Self {
        Self {
            now: Arc::new(Mutex::new(start)),
            moved: Arc::new(watch::Sender::new(())),
        }
    }

    /// Moves the clock to `t` (backwards too; the buckets never leak backwards).
    pub fn set(&self, t: Timestamp) {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner) = t;
        self.moved.send_replace(());
    }

    /// Moves the clock forward by `d`.
    pub fn advance(&self, d: Duration) {
        {
            let mut now = self.now.lock().unwrap_or_else(PoisonError::into_inner);
            *now = add(*now, signed(d));
        }
        self.moved.send_replace(());
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn moves(&self) -> Option<watch::Receiver<()>> {
        Some(self.moved.subscribe())
    }
}

fn signed(d: Duration) -> SignedDuration {
    SignedDuration::try_from(d).unwrap_or(SignedDuration::MAX)
}

/// `t + d`, saturating at the end of time.
pub(crate) fn after(t: Timestamp, d: Duration) -> Timestamp {
    add(t, signed(d))
}

/// `t + d`, saturating at the ends of time.
fn add(t: Timestamp, d: SignedDuration) -> Timestamp {
    t.checked_add(d).unwrap_or(if d.is_negative() {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    })
}

/// The mock's own clock: the configured clock plus an offset the mock can set and
/// advance. Over a [`SystemClock`] it follows real time (plus the offset); over a
/// [`ManualClock`] it stands still unless one of them is moved.
#[derive(Debug)]
pub(crate) struct MockClock {
    base: Arc<dyn Clock>,
    offset: Mutex<SignedDuration>,
    moved: watch::Sender<()>,
}

impl MockClock {
    pub(crate) fn new(base: Arc<dyn Clock>) -> Self {
        Self {
            base,
            offset: Mutex::new(SignedDuration::ZERO),
            moved: watch::Sender::new(()),
        }
    }

    fn offset(&self) -> std::sync::MutexGuard<'_, SignedDuration> {
        self.offset.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sets the mock's time to `t`: from now on it reads `t` plus whatever the
    /// configured clock moves.
    pub(crate) fn set(&self, t: Timestamp) {
        {
            let mut offset = self.offset();
            *offset = t.duration_since(self.base.now());
        }
        self.moved.send_replace(());
    }

    /// Moves the mock's time forward by `d`.
    pub(crate) fn advance(&self, d: Duration) {
        {
            let mut offset = self.offset();
            *offset = offset.saturating_add(signed(d));
        }
        self.moved.send_replace(());
    }

    /// Waits until the mock's time reaches `due`: a real-time sleep of what remains
    /// (for a clock that follows real time), raced against every move of the clock.
    pub(crate) async fn wait_until(&self, due: Timestamp) {
        loop {
            // Listen before reading the time, so no move is missed in between.
            let mut own = self.moved.subscribe();
            let mut base = self.base.moves();
            let now = self.now();
            if now >= due {
                return;
            }
            let left = Duration::try_from(due.duration_since(now)).unwrap_or(Duration::MAX);
            let base_moved = async {
                match &mut base {
                    // An error means the clock is gone: it will never move again.
                    Some(rx) => {
                        if rx.changed().await.is_err() {
                            std::future::pending::<()>().await;
                        }
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = tokio::time::sleep(left) => {}
                _ = own.changed() => {}
                () = base_moved => {}
            }
        }
    }
}

impl Clock for MockClock {
    fn now(&self) -> Timestamp {
        add(self.base.now(), *self.offset())
    }
}
