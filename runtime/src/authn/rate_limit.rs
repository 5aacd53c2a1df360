//! Failed sign-ins per key (client address, email) in fixed windows, in memory.
//!
//! An attempt is counted when it starts, not when it fails: [`Limiter::begin`] checks and
//! counts under one lock, so a burst of parallel guesses cannot all pass the check before
//! the first failure is recorded. An attempt that turns out to hold the right password is
//! taken back ([`Attempt::succeeded`]); any other ending leaves it counted.
//!
//! Each server process counts on its own: N replicas allow N times the limit. Deployments
//! that need one shared count put a limiter in front of the replicas.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Entries are swept once the map holds this many keys, so it cannot grow without bound.
const SWEEP_AT: usize = 10_000;

/// Counts per key in the current window of each key.
#[derive(Debug)]
pub(crate) struct Limiter {
    window: Duration,
    entries: Mutex<HashMap<String, Entry>>,
}

#[derive(Debug)]
struct Entry {
    count: u32,
    started: Instant,
}

/// A counted attempt; see [`Attempt::succeeded`].
#[derive(Debug)]
pub(crate) struct Attempt<'a> {
    limiter: &'a Limiter,
    keys: Vec<String>,
}

impl Limiter {
    pub(crate) fn new(window: Duration) -> Limiter {
        Limiter {
            window,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// Counts an attempt against every `(key, limit)`, or refuses it with how long to wait
    /// when one key has used up its limit (then nothing is counted).
    pub(crate) fn begin(&self, keys: &[(String, u32)]) -> Result<Attempt<'_>, Duration> {
        let now = Instant::now();
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= SWEEP_AT {
            entries.retain(|_, e| now.duration_since(e.started) < self.window);
        }
        let mut wait = None::<Duration>;
        for (key, limit) in keys {
            if let Some(e) = entries.get(key) {
                let elapsed = now.duration_since(e.started);
                if elapsed < self.window && e.count >= *limit {
                    let left = self.window - elapsed;
                    wait = Some(wait.map_or(left, |w| w.max(left)));
                }
            }
        }
        if let Some(wait) = wait {
            return Err(wait);
        }
        for (key, _) in keys {
            let e = entries.entry(key.clone()).or_insert(Entry {
                count: 0,
                started: now,
            });
            if now.duration_since(e.started) >= self.window {
                *e = Entry {
                    count: 0,
                    started: now,
                };
            }
            e.count += 1;
        }
        Ok(Attempt {
            limiter: self,
            keys: keys.iter().map(|(k, _)| k.clone()).collect(),
        })
    }
}

impl Attempt<'_> {
    /// The attempt held the right password: it no longer counts.
    pub(crate) fn succeeded(self) {
        let mut entries = self
            .limiter
            .entries
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        for key in &self.keys {
            if let Some(e) = entries.get_mut(key) {
                e.count = e.count.saturating_sub(1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(email: &str) -> Vec<(String, u32)> {
        vec![("ip:1".to_string(), 5), (format!("email:{email}"), 2)]
    }

    #[test]
    fn counts_each_key_until_its_limit() {
        let l = Limiter::new(Duration::from_secs(60));
        l.begin(&keys("a")).unwrap();
        l.begin(&keys("a")).unwrap();
        let wait = l.begin(&keys("a")).unwrap_err();
        assert!(wait > Duration::from_secs(58) && wait <= Duration::from_secs(60));
        // Another email from the same address still has room, until the address runs out.
        l.begin(&keys("b")).unwrap();
        l.begin(&keys("b")).unwrap();
        l.begin(&keys("c")).unwrap();
        assert!(l.begin(&keys("d")).is_err(), "five from one address");
    }

    #[test]
    fn success_is_taken_back_and_refusals_are_not_counted() {
        let l = Limiter::new(Duration::from_secs(60));
        for _ in 0..10 {
            l.begin(&keys("a")).unwrap().succeeded();
        }
        l.begin(&keys("a")).unwrap();
        l.begin(&keys("a")).unwrap();
        for _ in 0..10 {
            assert!(l.begin(&keys("a")).is_err());
        }
        // The refusals did not use up the address's allowance.
        l.begin(&keys("b")).unwrap();
    }

    #[test]
    fn windows_end() {
        let l = Limiter::new(Duration::from_millis(50));
        l.begin(&keys("a")).unwrap();
        l.begin(&keys("a")).unwrap();
        assert!(l.begin(&keys("a")).is_err());
        std::thread::sleep(Duration::from_millis(60));
        l.begin(&keys("a")).unwrap();
    }
}
