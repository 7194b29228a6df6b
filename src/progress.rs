//! How the layers below the commands report progress and notes without
//! knowing how they are shown: `output::Printer` implements [`Progress`]
//! (only the output layer knows indicatif and the terminal), and tests use
//! [`Silent`].

/// Where a long step reports how far it has got and what it noticed.
pub(crate) trait Progress: Sync {
    /// A status line on stderr (hidden by --quiet).
    fn note(&self, msg: &str);
    /// A warning on stderr (hidden by --quiet).
    fn warning(&self, msg: &str);
    /// Detail for -v (level 1) and -vv (level 2).
    fn verbose(&self, level: u8, msg: &str);
    /// How verbose the user asked the run to be (0, 1 or 2).
    fn verbosity(&self) -> u8;
    /// A counter of `len` steps labelled `what`; hidden (and free) where
    /// progress is not shown.
    fn counter(&self, len: u64, what: &str) -> Box<dyn Counter>;
    /// One counter per label, drawn together (e.g. one per backend endpoint);
    /// empty where progress is not shown.
    fn counters(&self, items: &[(String, u64)]) -> Vec<Box<dyn Counter>>;
}

/// One counter of a [`Progress`].
pub(crate) trait Counter: Send + Sync {
    fn inc(&self, n: u64);
    /// Remove it from the terminal.
    fn clear(&self);
}

/// Reports nothing: for tests and for callers that show no progress.
#[cfg(test)]
pub(crate) struct Silent;

#[cfg(test)]
impl Progress for Silent {
    fn note(&self, _: &str) {}
    fn warning(&self, _: &str) {}
    fn verbose(&self, _: u8, _: &str) {}
    fn verbosity(&self) -> u8 {
        0
    }
    fn counter(&self, _: u64, _: &str) -> Box<dyn Counter> {
        Box::new(NoCounter)
    }
    fn counters(&self, _: &[(String, u64)]) -> Vec<Box<dyn Counter>> {
        Vec::new()
    }
}

/// A field of /proc/self/status in KiB (Linux): VmHWM is the peak resident
/// set size (for `-v`), VmRSS the current one (for watch).
pub(crate) fn proc_status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// A counter that draws nothing.
/// A counter that shows nothing.
pub(crate) struct NoCounter;

impl Counter for NoCounter {
    fn inc(&self, _: u64) {}
    fn clear(&self) {}
}

/// Progress of one part of a run that runs beside others (one account of
/// an organization): its messages are prefixed with what it is, and its own
/// bars are not shown (the run shows one bar for all the parts).
pub(crate) struct Within<'a> {
    pub(crate) inner: &'a dyn Progress,
    pub(crate) prefix: String,
}

impl Progress for Within<'_> {
    fn note(&self, msg: &str) {
        self.inner.note(&format!("{}: {msg}", self.prefix));
    }
    fn warning(&self, msg: &str) {
        self.inner.warning(&format!("{}: {msg}", self.prefix));
    }
    fn verbose(&self, level: u8, msg: &str) {
        self.inner
            .verbose(level, &format!("{}: {msg}", self.prefix));
    }
    fn verbosity(&self) -> u8 {
        self.inner.verbosity()
    }
    fn counter(&self, _: u64, _: &str) -> Box<dyn Counter> {
        Box::new(NoCounter)
    }
    fn counters(&self, _: &[(String, u64)]) -> Vec<Box<dyn Counter>> {
        Vec::new()
    }
}
