//! When to send a request again: a pure decision from the attempt number, the kind of request and what
//! happened. The random part of the delay is passed in, so every decision can be tested.
//!
//! - A GET changes nothing: it is retried on timeouts, transport errors, 5xx and 429.
//! - A POST with an idempotence key is retried only with that same key (the transport guarantees it), on
//!   timeouts, transport errors, 5xx and the 409 "still in progress".
//! - A POST without a key is never retried blindly: only when the connection could not even be opened, so the
//!   request cannot have reached the platform.

use std::time::Duration;

/// What kind of request it is, for retrying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKind {
    /// A read.
    Get,
    /// A POST carrying an `X-GCS-Idempotence-Key` that every attempt repeats.
    KeyedPost,
    /// A POST without a key: a repeat could do the thing twice.
    UnkeyedPost,
}

/// What an attempt ended with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The connection could not be opened: nothing was sent.
    ConnectFailed,
    /// The connection broke after the request may have been sent.
    Transport,
    /// No answer in time.
    Timeout,
    /// An HTTP answer with this status.
    Status(u16),
    /// HTTP 409: the first request with the same key is still running.
    InProgress,
}

/// The decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Send it again after this delay.
    RetryAfter(Duration),
    /// Stop and report the outcome.
    GiveUp,
}

/// Bounds of the retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0 = never retry).
    pub max_retries: u32,
    /// Delay before the first retry, before jitter.
    pub base_delay: Duration,
    /// No delay is longer than this.
    pub max_delay: Duration,
    /// The shortest wait after a 409 "in progress": the platform needs time to finish the first request.
    pub in_progress_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(4),
            in_progress_delay: Duration::from_secs(1),
        }
    }
}

/// Whether `outcome` is worth another attempt for this kind of request, ignoring the attempt count.
pub fn is_retryable(kind: RequestKind, outcome: Outcome) -> bool {
    match (kind, outcome) {
        (_, Outcome::ConnectFailed) => true,
        (RequestKind::UnkeyedPost, _) => false,
        (_, Outcome::Transport | Outcome::Timeout) => true,
        (_, Outcome::Status(s)) if (500..=599).contains(&s) => true,
        (RequestKind::Get, Outcome::Status(429)) => true,
        (RequestKind::KeyedPost, Outcome::InProgress) => true,
        _ => false,
    }
}

/// Decides after attempt number `attempt` (1 for the first) ended with `outcome`. `jitter` is a random number
/// in `[0, 1)`; the delay is the exponential step `base × 2^(attempt−1)` capped at `max_delay`, then scaled
/// into `[½, 1]` of itself by the jitter, so that clients do not retry in step.
pub fn decide(
    policy: &RetryPolicy,
    attempt: u32,
    kind: RequestKind,
    outcome: Outcome,
    jitter: f64,
) -> Decision {
    if attempt == 0 || attempt > policy.max_retries || !is_retryable(kind, outcome) {
        return Decision::GiveUp;
    }
    let exponent = (attempt - 1).min(20);
    let step = policy
        .base_delay
        .saturating_mul(1u32 << exponent)
        .min(policy.max_delay);
    let jitter = if jitter.is_finite() {
        jitter.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let delay = step.mul_f64(0.5 + 0.5 * jitter);
    let delay = if outcome == Outcome::InProgress {
        delay.max(policy.in_progress_delay)
    } else {
        delay
    };
    Decision::RetryAfter(delay.min(policy.max_delay.max(policy.in_progress_delay)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_retries: 3,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(300),
            in_progress_delay: Duration::from_millis(500),
        }
    }

    fn check(
        attempt: u32,
        kind: RequestKind,
        outcome: Outcome,
        jitter: f64,
        expected: Option<u64>,
    ) {
        let got = decide(&policy(), attempt, kind, outcome, jitter);
        let expected = match expected {
            Some(ms) => Decision::RetryAfter(Duration::from_millis(ms)),
            None => Decision::GiveUp,
        };
        assert_eq!(got, expected, "{attempt} {kind:?} {outcome:?} {jitter}");
    }

    #[test]
    fn gets_retry_on_failures_and_5xx_with_bounded_jittered_backoff() {
        use Outcome::*;
        use RequestKind::Get;
        check(1, Get, Timeout, 0.0, Some(50));
        check(1, Get, Timeout, 1.0, Some(100));
        check(2, Get, Transport, 0.0, Some(100));
        check(3, Get, Status(503), 1.0, Some(300)); // 400 capped at 300
        check(3, Get, Status(500), 0.5, Some(225));
        check(4, Get, Status(500), 0.5, None); // out of retries
        check(1, Get, Status(429), 0.0, Some(50));
        check(1, Get, Status(404), 0.0, None);
        check(1, Get, Status(400), 0.0, None);
        check(1, Get, Status(403), 0.0, None);
    }

    #[test]
    fn keyed_posts_retry_with_the_same_key_on_unknown_outcomes() {
        use Outcome::*;
        use RequestKind::KeyedPost;
        check(1, KeyedPost, Timeout, 0.0, Some(50));
        check(1, KeyedPost, Transport, 0.0, Some(50));
        check(2, KeyedPost, Status(502), 0.0, Some(100));
        check(1, KeyedPost, InProgress, 0.0, Some(500)); // at least the in-progress wait
        check(1, KeyedPost, Status(400), 0.0, None);
        check(1, KeyedPost, Status(409), 0.0, None);
        check(1, KeyedPost, Status(429), 0.0, None);
    }

    #[test]
    fn unkeyed_posts_never_retry_blindly() {
        use Outcome::*;
        use RequestKind::UnkeyedPost;
        check(1, UnkeyedPost, Timeout, 0.0, None);
        check(1, UnkeyedPost, Transport, 0.0, None);
        check(1, UnkeyedPost, Status(500), 0.0, None);
        check(1, UnkeyedPost, InProgress, 0.0, None);
        // Nothing left the machine: sending it is not a repeat.
        check(1, UnkeyedPost, ConnectFailed, 0.0, Some(50));
    }

    #[test]
    fn delays_stay_bounded_for_any_jitter_and_attempt() {
        let p = RetryPolicy {
            max_retries: 1000,
            ..policy()
        };
        for attempt in 1..=64 {
            for jitter in [-1.0, 0.0, 0.3, 0.999, 2.0, f64::NAN] {
                match decide(&p, attempt, RequestKind::Get, Outcome::Timeout, jitter) {
                    Decision::RetryAfter(d) => {
                        assert!(d <= p.max_delay, "{attempt} {jitter} {d:?}")
                    }
                    Decision::GiveUp => panic!("gave up at {attempt}"),
                }
            }
        }
        let none = RetryPolicy {
            max_retries: 0,
            ..policy()
        };
        assert_eq!(
            decide(&none, 1, RequestKind::Get, Outcome::Timeout, 0.0),
            Decision::GiveUp
        );
    }
}
