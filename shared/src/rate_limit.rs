//! Token-bucket rate limits: the pure arithmetic. The buckets themselves live behind
//! `ports::RateLimitStore`, shared by every API instance.
//!
//! A bucket holds at most `burst` tokens and gains `per_second` tokens a second; each request
//! takes one. A full bucket lets `burst` requests through at once, then `per_second` a second.

use std::fmt;
use std::time::Duration;

/// One limit: the bucket's size and its refill rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    burst: u32,
    per_second: f64,
}

impl RateLimit {
    /// One request at once, one a second.
    pub const ONE_PER_SECOND: Self = Self { burst: 1, per_second: 1.0 };

    /// A limit of `burst` requests at once and `per_second` sustained; `None` unless both are
    /// positive and finite.
    pub fn new(burst: u32, per_second: f64) -> Option<Self> {
        (burst > 0 && per_second.is_finite() && per_second > 0.0)
            .then_some(Self { burst, per_second })
    }

    /// Reads `BURST:PER_SECOND`, e.g. `20:2`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let problem = || format!("{text:?} is not BURST:PER_SECOND with both positive, e.g. 20:2");
        let (burst, rate) = text.split_once(':').ok_or_else(problem)?;
        let burst = burst.trim().parse().map_err(|_| problem())?;
        let rate = rate.trim().parse().map_err(|_| problem())?;
        Self::new(burst, rate).ok_or_else(problem)
    }

    /// The bucket's size.
    pub fn burst(&self) -> u32 {
        self.burst
    }

    /// Tokens added per second.
    pub fn per_second(&self) -> f64 {
        self.per_second
    }

    /// How long an empty bucket takes to fill: after that, a bucket is as good as absent.
    pub fn time_to_fill(&self) -> Duration {
        Duration::from_secs_f64(f64::from(self.burst) / self.per_second)
    }

    /// Takes one token from `bucket` (absent: full) at `now_ms` (Unix milliseconds).
    pub fn take(&self, bucket: Option<Bucket>, now_ms: i64) -> Decision {
        let full = f64::from(self.burst);
        let (tokens, now_ms) = match bucket {
            None => (full, now_ms),
            // Another instance's clock may run ahead: time never runs backwards for a bucket.
            Some(b) => {
                let now_ms = now_ms.max(b.updated_ms);
                #[allow(clippy::cast_precision_loss)]
                let elapsed = (now_ms - b.updated_ms) as f64 / 1000.0;
                ((b.tokens + elapsed * self.per_second).min(full), now_ms)
            }
        };
        if tokens < 1.0 {
            let wait = Duration::from_secs_f64((1.0 - tokens) / self.per_second);
            return Decision::Limited { retry_after: wait, limit: *self };
        }
        let left = tokens - 1.0;
        Decision::Allowed { bucket: Bucket { tokens: left, updated_ms: now_ms }, limit: *self }
    }
}

impl fmt::Display for RateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.burst, self.per_second)
    }
}

/// A bucket's state as stored.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket {
    /// Tokens left (fractional: refill is continuous).
    pub tokens: f64,
    /// When `tokens` was computed, Unix milliseconds.
    pub updated_ms: i64,
}

/// The verdict on one request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Decision {
    /// Let it through; `bucket` is the state to store.
    Allowed {
        /// The bucket after taking the token.
        bucket: Bucket,
        /// The limit applied.
        limit: RateLimit,
    },
    /// Refuse it; a token will be there after `retry_after`.
    Limited {
        /// When to try again.
        retry_after: Duration,
        /// The limit applied.
        limit: RateLimit,
    },
}

impl Decision {
    /// Whole requests still allowed right now.
    pub fn remaining(&self) -> u32 {
        match self {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            Self::Allowed { bucket, .. } => bucket.tokens.floor().max(0.0) as u32,
            Self::Limited { .. } => 0,
        }
    }

    /// The limit applied.
    pub fn limit(&self) -> RateLimit {
        match self {
            Self::Allowed { limit, .. } | Self::Limited { limit, .. } => *limit,
        }
    }

    /// Whole seconds until the bucket is full again (`RateLimit-Reset`), or until one token is
    /// back when limited.
    pub fn reset_seconds(&self) -> u64 {
        let wait = match self {
            Self::Allowed { bucket, limit } => {
                (f64::from(limit.burst) - bucket.tokens).max(0.0) / limit.per_second
            }
            Self::Limited { retry_after, .. } => retry_after.as_secs_f64(),
        };
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let seconds = wait.ceil() as u64;
        seconds
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit() -> RateLimit {
        RateLimit::parse("20:2").unwrap()
    }

    fn drain(limit: RateLimit, mut bucket: Option<Bucket>, now_ms: i64) -> (u32, Option<Bucket>) {
        let mut allowed = 0;
        while let Decision::Allowed { bucket: next, .. } = limit.take(bucket, now_ms) {
            allowed += 1;
            bucket = Some(next);
        }
        (allowed, bucket)
    }

    #[test]
    fn a_full_bucket_allows_the_burst_then_refuses() {
        let (allowed, bucket) = drain(limit(), None, 1_000);
        assert_eq!(allowed, 20);
        let Decision::Limited { retry_after, .. } = limit().take(bucket, 1_000) else {
            panic!("the 21st request was let through");
        };
        assert_eq!(retry_after, Duration::from_millis(500));
    }

    #[test]
    fn tokens_come_back_at_the_sustained_rate_and_never_beyond_the_burst() {
        let (_, empty) = drain(limit(), None, 0);
        assert_eq!(drain(limit(), empty, 3_000).0, 6, "3 s at 2/s");
        assert_eq!(drain(limit(), empty, 3_600_000).0, 20, "an hour refills only to the burst");
    }

    #[test]
    fn a_clock_behind_the_bucket_gains_nothing() {
        let (_, empty) = drain(limit(), None, 10_000);
        assert!(matches!(limit().take(empty, 5_000), Decision::Limited { .. }));
    }

    #[test]
    fn headers_report_remaining_and_reset() {
        let first = limit().take(None, 0);
        assert_eq!(first.remaining(), 19);
        assert_eq!(first.reset_seconds(), 1, "one token at 2/s is back in 0.5 s");
        assert_eq!(first.limit().burst(), 20);
    }

    #[test]
    fn limits_parse_burst_and_rate_and_refuse_nonsense() {
        assert_eq!(RateLimit::parse("5:0.5").unwrap().per_second(), 0.5);
        for bad in ["", "20", "0:1", "20:0", "20:-1", "x:1", "20:inf", "20:NaN"] {
            assert!(RateLimit::parse(bad).is_err(), "{bad}");
        }
    }
}
