//! The fault switchboard's rules and their random draws, for reliability tests. The routes that edit them are in
//! `handlers::control`; the module documentation of [`crate::sandbox`] describes the API.

use serde::{Deserialize, Serialize};

/// Operation names a rule can target.
pub(crate) const OPERATIONS: &[&str] = &[
    "any",
    "create_checkout",
    "get_checkout",
    "get_payment",
    "get_details",
    "refund",
    "get_refunds",
    "capture",
    "get_captures",
    "cancel",
    "test_connection",
    "validate_credentials",
    "send_test_webhook",
];

/// One fault rule.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Rule {
    #[serde(default = "any")]
    pub operation: String,
    #[serde(default)]
    pub latency_ms: u64,
    #[serde(default)]
    pub error_rate: f64,
    #[serde(default)]
    pub drop_after_commit: f64,
    #[serde(default, rename = "inProgress409")]
    pub in_progress_409: f64,
    #[serde(default)]
    pub store_error: f64,
    /// Holds the operation (inside the idempotence window, after any latency) until the rules are cleared with
    /// `DELETE /sandbox/faults`: a test decides when it goes on, instead of guessing a latency.
    #[serde(default)]
    pub hold: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
}

fn any() -> String {
    "any".into()
}

/// What to do to one request.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Plan {
    pub latency_ms: u64,
    pub error: bool,
    pub drop_after_commit: bool,
    pub conflict: bool,
    pub store_error: bool,
    /// Wait for the release that follows this generation of the switchboard.
    pub hold_from: Option<u64>,
}

/// The rules and the random source they draw from.
#[derive(Debug)]
pub(crate) struct Switchboard {
    pub rules: Vec<Rule>,
    rng: u64,
    /// How many times the rules were cleared; held operations wait for the next clear.
    released: u64,
    release: tokio::sync::watch::Sender<u64>,
}

impl Default for Switchboard {
    fn default() -> Self {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0x5eed);
        Switchboard {
            rules: Vec::new(),
            rng: seed,
            released: 0,
            release: tokio::sync::watch::Sender::new(0),
        }
    }
}

impl Switchboard {
    /// splitmix64: small, and the same sequence for the same seed.
    fn next_f64(&mut self) -> f64 {
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }

    fn roll(&mut self, p: f64) -> bool {
        p > 0.0 && (p >= 1.0 || self.next_f64() < p)
    }

    /// Removes every rule and lets every held operation go on.
    pub(crate) fn clear(&mut self) {
        self.rules.clear();
        self.released += 1;
        self.release.send_replace(self.released);
    }

    /// Waits until the rules are cleared after generation `from` (see [`Plan::hold_from`]).
    pub(crate) fn released_after(
        &self,
        from: u64,
    ) -> impl std::future::Future<Output = ()> + use<> {
        let mut rx = self.release.subscribe();
        async move {
            // The sender lives as long as the sandbox; if it is gone, the sandbox is stopping: go on.
            let _ = rx.wait_for(|g| *g > from).await;
        }
    }

    /// Adds a rule; a seed restarts the random sequence.
    pub(crate) fn add(&mut self, rule: Rule) {
        if let Some(seed) = rule.seed {
            self.rng = seed;
        }
        self.rules.push(rule);
    }

    /// Draws the plan for one request to `operation`, using up one of the matching rule's `count`.
    pub(crate) fn plan(&mut self, operation: &str) -> Plan {
        let Some(i) = self
            .rules
            .iter()
            .position(|r| r.operation == operation || r.operation == "any")
        else {
            return Plan::default();
        };
        let rule = self.rules[i].clone();
        if let Some(n) = rule.count {
            if n <= 1 {
                self.rules.remove(i);
            } else {
                self.rules[i].count = Some(n - 1);
            }
        }
        Plan {
            latency_ms: rule.latency_ms,
            conflict: self.roll(rule.in_progress_409),
            error: self.roll(rule.error_rate),
            drop_after_commit: self.roll(rule.drop_after_commit),
            store_error: self.roll(rule.store_error),
            hold_from: rule.hold.then_some(self.released),
        }
    }
}

/// Whether a rule names a known operation and its shares are between 0 and 1.
pub(crate) fn check(rule: &Rule) -> Result<(), String> {
    if !OPERATIONS.contains(&rule.operation.as_str()) {
        return Err(format!(
            "unknown operation {:?}; one of {}",
            rule.operation,
            OPERATIONS.join(", ")
        ));
    }
    for (name, p) in [
        ("errorRate", rule.error_rate),
        ("dropAfterCommit", rule.drop_after_commit),
        ("inProgress409", rule.in_progress_409),
        ("storeError", rule.store_error),
    ] {
        if !(0.0..=1.0).contains(&p) {
            return Err(format!("{name} must be between 0.0 and 1.0"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn rule(json: Value) -> Rule {
        serde_json::from_value(json).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn same_seed_same_draws() {
        let draws = |seed: u64| {
            let mut b = Switchboard::default();
            b.add(rule(
                json!({"operation": "refund", "errorRate": 0.5, "seed": seed}),
            ));
            (0..32).map(|_| b.plan("refund").error).collect::<Vec<_>>()
        };
        assert_eq!(draws(7), draws(7));
        assert_ne!(draws(7), draws(8));
        assert!(draws(7).contains(&true) && draws(7).contains(&false));
    }

    #[test]
    fn count_limits_a_rule() {
        let mut b = Switchboard::default();
        b.add(rule(
            json!({"operation": "any", "errorRate": 1.0, "count": 2}),
        ));
        assert!(b.plan("refund").error);
        assert!(b.plan("get_payment").error);
        assert!(!b.plan("refund").error);
    }
}
