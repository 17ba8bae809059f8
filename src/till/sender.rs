//! Who may send a refund right now: the send claim each request takes in the ledger (see
//! [`crate::ledger::Ledger::claim_send`]), named after the process that holds it, so that a claim left by a
//! process that died is taken over at once on the same machine, and elsewhere when its time runs out.

use std::sync::OnceLock;

use chrono::Duration;

/// How long a send claim lasts: longer than one send with all its retries (4 attempts of at most 20 s and their
/// backoff) followed by one reading of the platform's refunds (the same again), about 3 minutes at worst.
pub const SEND_CLAIM: Duration = Duration::minutes(5);

/// This process, as `boot:pid:start`: the boot id tells machines (and boots) apart, the start time tells a pid
/// reused by another process. Empty parts where the system does not tell (then a claim only ends with its time).
fn this_process() -> &'static str {
    static ME: OnceLock<String> = OnceLock::new();
    ME.get_or_init(|| {
        let pid = std::process::id();
        format!(
            "{}:{pid}:{}",
            boot_id().unwrap_or_default(),
            start_time(pid).unwrap_or_default()
        )
    })
}

/// A fresh holder name for one claim: this process and a random tag.
pub fn holder() -> String {
    format!("{}:{}", this_process(), uuid::Uuid::new_v4().simple())
}

/// True when `holder` names a process on this machine, in this boot, that no longer runs. Unknown means alive:
/// a claim whose holder cannot be judged ends only with its time.
pub fn is_dead(holder: &str) -> bool {
    let mut parts = holder.split(':');
    let (Some(boot), Some(pid), Some(start)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let Some(my_boot) = boot_id() else {
        return false;
    };
    if boot.is_empty() || boot != my_boot || start.is_empty() {
        return false;
    }
    let Ok(pid) = pid.parse::<u32>() else {
        return false;
    };
    match start_time(pid) {
        None => true,
        Some(now) => now != start,
    }
}

fn boot_id() -> Option<String> {
    let s = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
    let s = s.trim().replace('-', "");
    (!s.is_empty()).then_some(s)
}

/// The process's start time in clock ticks since boot (field 22 of `/proc/<pid>/stat`), or `None` when it does
/// not exist.
fn start_time(pid: u32) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: count from the last ')'.
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().nth(19).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_living_holder_is_not_dead_and_a_gone_one_is() {
        let me = holder();
        assert!(!is_dead(&me), "this process runs");
        assert_ne!(holder(), me, "each claim has its own tag");
        if boot_id().is_some() {
            // A pid above the kernel's limit never runs.
            let mut parts: Vec<&str> = me.split(':').collect();
            parts[1] = "99999999";
            assert!(is_dead(&parts.join(":")));
            // The same pid started at another time is another process: the claim's holder is gone.
            let mut parts: Vec<&str> = me.split(':').collect();
            parts[2] = "1";
            assert!(is_dead(&parts.join(":")));
        }
        // Another machine, or a name this till did not write: only time ends the claim.
        assert!(!is_dead("otherboot:1:1:tag"));
        assert!(!is_dead("garbage"));
    }
}
