//! Security stamps kept in memory for a short while, so that most requests authenticate
//! without a query.

use std::time::Duration;

/// Security stamps recently read, so that authenticating a request need not ask the database
/// each time. Changes made through this process drop the entry at once; changes made
/// elsewhere (another server, the admin CLI) are seen once the entry is older than the TTL.
pub(super) struct StampCache {
    pub(super) ttl: Duration,
    /// Accounts by account id, admins by username: looked up by the token's claim as it is.
    pub(super) entries: std::sync::Mutex<[StampMap; 2]>,
}

pub(super) type StampMap =
    std::collections::HashMap<Box<str>, CachedStamp, foldhash::fast::RandomState>;

/// Which map of the [`StampCache`] a key belongs to.
#[derive(Clone, Copy)]
pub(super) enum StampOf {
    Account = 0,
    Admin = 1,
}

/// A principal's id and stamp (None: no such principal), and when that was read.
pub(super) type CachedStamp = (Option<(String, String)>, std::time::Instant);

/// Past this many cached principals the cache starts over (bounded memory).
pub(super) const STAMP_CACHE_MAX: usize = 100_000;

impl StampCache {
    pub(super) fn get(&self, kind: StampOf, key: &str) -> Option<Option<(String, String)>> {
        if self.ttl.is_zero() {
            return None;
        }
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries[kind as usize]
            .get(key)
            .filter(|(_, at)| at.elapsed() < self.ttl)
            .map(|(value, _)| value.clone())
    }

    pub(super) fn put(&self, kind: StampOf, key: &str, value: Option<(String, String)>) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let map = &mut entries[kind as usize];
        if map.len() >= STAMP_CACHE_MAX {
            map.clear();
        }
        map.insert(key.into(), (value, std::time::Instant::now()));
    }

    pub(super) fn forget(&self, kind: StampOf, key: &str) {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())[kind as usize].remove(key);
    }
}
