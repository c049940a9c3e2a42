//! Shopify's leaky bucket: every call adds to the bucket, the bucket leaks at a
//! steady rate, and a call that would overflow it is refused (REST: 429; GraphQL:
//! `THROTTLED`). Pure: the instant is an argument.

use jiff::Timestamp;

/// The size and leak rate of a bucket.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BucketConfig {
    /// How much the bucket holds (REST: calls, 40 by default; GraphQL: cost points, 1000).
    pub size: f64,
    /// How much leaks out per second (REST: 2 calls; GraphQL: 100 points).
    pub leak_per_second: f64,
}

impl BucketConfig {
    /// Shopify's REST bucket for a standard plan: 40 calls, leaking 2 per second.
    pub const REST: BucketConfig = BucketConfig {
        size: 40.0,
        leak_per_second: 2.0,
    };
    /// Shopify's GraphQL bucket for a standard plan: 1000 points, restoring 100 per
    /// second (Shopify's documented standard rate).
    pub const GRAPHQL: BucketConfig = BucketConfig {
        size: 1000.0,
        leak_per_second: 100.0,
    };
}

/// A leaky bucket: its level and when it was last brought up to date.
#[derive(Debug, Clone)]
pub struct LeakyBucket {
    config: BucketConfig,
    level: f64,
    at: Option<Timestamp>,
}

impl LeakyBucket {
    /// An empty bucket.
    pub fn new(config: BucketConfig) -> Self {
        Self {
            config,
            level: 0.0,
            at: None,
        }
    }

    /// The bucket's size and leak rate.
    pub fn config(&self) -> BucketConfig {
        self.config
    }

    /// Lets the bucket leak up to `now`. Time that goes backwards leaks nothing.
    fn leak(&mut self, now: Timestamp) {
        if let Some(at) = self.at {
            let secs = now.duration_since(at).as_secs_f64();
            if secs > 0.0 {
                self.level = (self.level - secs * self.config.leak_per_second).max(0.0);
                self.at = Some(now);
            }
        } else {
            self.at = Some(now);
        }
    }

    /// The level at `now`.
    pub fn level(&mut self, now: Timestamp) -> f64 {
        self.leak(now);
        self.level
    }

    /// Adds `cost` if it fits and returns `Ok(level after)`; otherwise changes nothing
    /// and returns `Err(seconds until it would fit)`.
    pub fn try_add(&mut self, cost: f64, now: Timestamp) -> Result<f64, f64> {
        self.leak(now);
        if self.level + cost <= self.config.size + 1e-9 {
            self.level += cost;
            Ok(self.level)
        } else {
            let over = self.level + cost - self.config.size;
            Err(if self.config.leak_per_second > 0.0 {
                over / self.config.leak_per_second
            } else {
                f64::INFINITY
            })
        }
    }

    /// Room left at `now` (GraphQL's `currentlyAvailable`).
    pub fn available(&mut self, now: Timestamp) -> f64 {
        self.config.size - self.level(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(secs: i64) -> Timestamp {
        Timestamp::from_second(1_700_000_000 + secs).unwrap()
    }

    #[test]
    fn fills_refuses_and_drains() {
        let mut b = LeakyBucket::new(BucketConfig::REST);
        for i in 1..=40 {
            assert_eq!(b.try_add(1.0, t(0)), Ok(f64::from(i)));
        }
        assert_eq!(b.try_add(1.0, t(0)), Err(0.5));
        // One second leaks two calls.
        assert_eq!(b.level(t(1)), 38.0);
        assert_eq!(b.try_add(1.0, t(1)), Ok(39.0));
        // Twenty seconds empty it, and it never goes below zero.
        assert_eq!(b.level(t(100)), 0.0);
    }

    #[test]
    fn time_going_backwards_leaks_nothing() {
        let mut b = LeakyBucket::new(BucketConfig::REST);
        b.try_add(10.0, t(10)).unwrap();
        assert_eq!(b.level(t(5)), 10.0);
        assert_eq!(b.level(t(11)), 8.0);
    }
}
