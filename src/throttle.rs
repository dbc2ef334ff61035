//! Login throttling: repeated failed logins for one username, or from one client address, are
//! answered 429 for the rest of a time window. Memory is bounded; state is per process.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use ipnet::IpNet;

/// Most entries tracked at once; past that, expired entries and then the oldest are dropped.
const MAX_ENTRIES: usize = 100_000;
/// An address may fail this many times as often as one username (it may serve many people).
const ADDRESS_FACTOR: u32 = 4;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    User(String),
    Address(IpAddr),
}

#[derive(Debug, Clone, Copy)]
struct Window {
    started: Instant,
    failures: u32,
}

pub struct LoginThrottle {
    windows: Mutex<HashMap<Key, Window>>,
    max_failures: u32,
    window: Duration,
}

impl LoginThrottle {
    pub fn new(max_failures: u32, window: Duration) -> Self {
        LoginThrottle {
            windows: Mutex::new(HashMap::new()),
            max_failures: max_failures.max(1),
            window,
        }
    }

    fn keys(username: &str, address: Option<IpAddr>) -> impl Iterator<Item = (Key, u32)> {
        let user = Key::User(username.trim().to_lowercase());
        std::iter::once((user, 1)).chain(address.map(|a| (Key::Address(a), ADDRESS_FACTOR)))
    }

    /// `Err(seconds)` to wait when this username or address has failed too often.
    pub fn check(&self, username: &str, address: Option<IpAddr>) -> Result<(), u64> {
        let now = Instant::now();
        let windows = self.lock();
        let mut wait = 0u64;
        for (key, factor) in Self::keys(username, address) {
            if let Some(w) = windows.get(&key) {
                let elapsed = now.duration_since(w.started);
                if elapsed < self.window && w.failures >= self.max_failures * factor {
                    wait = wait.max((self.window - elapsed).as_secs().max(1));
                }
            }
        }
        if wait > 0 {
            Err(wait)
        } else {
            Ok(())
        }
    }

    pub fn failed(&self, username: &str, address: Option<IpAddr>) {
        let now = Instant::now();
        let mut windows = self.lock();
        for (key, _) in Self::keys(username, address) {
            if !windows.contains_key(&key) && windows.len() >= MAX_ENTRIES {
                self.make_room(&mut windows, now);
            }
            let w = windows.entry(key).or_insert(Window {
                started: now,
                failures: 0,
            });
            if now.duration_since(w.started) >= self.window {
                *w = Window {
                    started: now,
                    failures: 0,
                };
            }
            w.failures += 1;
        }
    }

    /// A successful login clears the username's failures (not the address's).
    pub fn succeeded(&self, username: &str) {
        self.lock()
            .remove(&Key::User(username.trim().to_lowercase()));
    }

    fn make_room(&self, windows: &mut HashMap<Key, Window>, now: Instant) {
        windows.retain(|_, w| now.duration_since(w.started) < self.window);
        if windows.len() >= MAX_ENTRIES {
            if let Some(oldest) = windows
                .iter()
                .min_by_key(|(_, w)| w.started)
                .map(|(k, _)| k.clone())
            {
                windows.remove(&oldest);
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Window>> {
        // A poisoned lock only means another request panicked mid-update of plain counters.
        self.windows.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The client's address: the socket's peer, or — only when that peer is a trusted proxy — the
/// nearest address in `X-Forwarded-For` that is not itself a trusted proxy.
pub fn client_address(
    peer: Option<IpAddr>,
    headers: &HeaderMap,
    trusted: &[IpNet],
) -> Option<IpAddr> {
    let peer = peer?;
    if !trusted.iter().any(|net| net.contains(&peer)) {
        return Some(peer);
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    forwarded
        .into_iter()
        .rev()
        .find(|ip| !trusted.iter().any(|net| net.contains(ip)))
        .or(Some(peer))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_username_is_blocked_after_its_failures_and_others_are_not() {
        let t = LoginThrottle::new(3, Duration::from_secs(60));
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        for _ in 0..3 {
            assert!(t.check("Alice", Some(ip)).is_ok());
            t.failed("alice", Some(ip));
        }
        let wait = t.check("ALICE", None).unwrap_err();
        assert!((1..=60).contains(&wait));
        assert!(t.check("bob", Some(ip)).is_ok());
        t.succeeded("alice");
        assert!(t.check("alice", None).is_ok());
    }

    #[test]
    fn an_address_is_blocked_after_failures_across_usernames() {
        let t = LoginThrottle::new(2, Duration::from_secs(60));
        let ip: IpAddr = "10.0.0.2".parse().unwrap();
        for i in 0..8 {
            t.failed(&format!("user{i}"), Some(ip));
        }
        assert!(t.check("someone-new", Some(ip)).is_err());
        assert!(t
            .check("someone-new", Some("10.0.0.3".parse().unwrap()))
            .is_ok());
    }

    #[test]
    fn forwarded_for_counts_only_behind_a_trusted_proxy() {
        let trusted: Vec<IpNet> = vec!["127.0.0.0/8".parse().unwrap()];
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", "203.0.113.9, 127.0.0.2".parse().unwrap());
        let proxy: IpAddr = "127.0.0.1".parse().unwrap();
        let stranger: IpAddr = "198.51.100.1".parse().unwrap();
        assert_eq!(
            client_address(Some(proxy), &headers, &trusted),
            Some("203.0.113.9".parse().unwrap())
        );
        assert_eq!(
            client_address(Some(stranger), &headers, &trusted),
            Some(stranger)
        );
        assert_eq!(
            client_address(Some(proxy), &HeaderMap::new(), &trusted),
            Some(proxy)
        );
    }
}
