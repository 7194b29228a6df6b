//! The process's stop signals (SIGINT, SIGTERM, SIGHUP), counted, for the
//! commands that must finish what they started before they stop: `resize`
//! rolls back or records the change in flight, `watch` ends its cycle.

use anyhow::Context as _;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::watch;

/// A signal the handlers listen for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sig {
    Int,
    Term,
    Hup,
}

impl Sig {
    fn kind(self) -> SignalKind {
        match self {
            Sig::Int => SignalKind::interrupt(),
            Sig::Term => SignalKind::terminate(),
            Sig::Hup => SignalKind::hangup(),
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Sig::Int => "SIGINT",
            Sig::Term => "SIGTERM",
            Sig::Hup => "SIGHUP",
        }
    }

    fn what(self) -> &'static str {
        match self {
            Sig::Int => "installing the Ctrl-C handler",
            Sig::Term => "installing the SIGTERM handler",
            Sig::Hup => "installing the SIGHUP handler",
        }
    }
}

/// The signals received so far: how many, and the last one's name. Once
/// installed, tokio keeps the handlers for the life of the process, so every
/// later signal lands here and the run checks for it at its safe points.
#[derive(Clone)]
pub(crate) struct Interrupts {
    rx: watch::Receiver<(u64, &'static str)>,
}

/// Raises interrupts by hand: what a test uses instead of a real signal.
#[derive(Clone)]
pub(crate) struct Raise {
    tx: std::sync::Arc<watch::Sender<(u64, &'static str)>>,
}

impl Raise {
    /// Count one more interrupt, named `name`.
    pub(crate) fn raise(&self, name: &'static str) {
        self.tx.send_modify(|v| {
            v.0 += 1;
            v.1 = name;
        });
    }
}

impl Interrupts {
    /// Catch `sigs` from now on and count them.
    pub(crate) fn install(sigs: &[Sig]) -> anyhow::Result<Interrupts> {
        let mut streams = Vec::new();
        for s in sigs {
            streams.push((*s, signal(s.kind()).context(s.what())?));
        }
        let (raise, interrupts) = Interrupts::manual();
        tokio::spawn(async move {
            loop {
                let recv = streams.iter_mut().map(|(s, st)| {
                    Box::pin(async move {
                        st.recv().await;
                        *s
                    })
                });
                let (sig, _, _) = futures::future::select_all(recv).await;
                raise.raise(sig.name());
            }
        });
        Ok(interrupts)
    }

    /// Interrupts raised only through the returned [`Raise`].
    pub(crate) fn manual() -> (Raise, Interrupts) {
        let (tx, rx) = watch::channel((0u64, ""));
        (
            Raise {
                tx: std::sync::Arc::new(tx),
            },
            Interrupts { rx },
        )
    }

    /// How many signals have arrived.
    pub(crate) fn count(&self) -> u64 {
        self.rx.borrow().0
    }

    /// The last signal's name ("" before any).
    pub(crate) fn last(&self) -> &'static str {
        self.rx.borrow().1
    }

    /// Wait for a signal after the `since`-th one; its name.
    pub(crate) async fn after(&self, since: u64) -> &'static str {
        let mut rx = self.rx.clone();
        loop {
            let (n, name) = *rx.borrow_and_update();
            if n > since {
                return name;
            }
            if rx.changed().await.is_err() {
                // Nothing can raise one any more.
                std::future::pending::<()>().await;
            }
        }
    }

    /// From the `n`-th signal on, print `message` and exit at once with `code`.
    pub(crate) fn exit_at(&self, n: u64, message: &'static str, code: i32) {
        let me = self.clone();
        tokio::spawn(async move {
            me.after(n - 1).await;
            eprintln!("{message}");
            std::process::exit(code);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn interrupts_are_counted_and_waited_for() {
        let (raise, i) = Interrupts::manual();
        assert_eq!((i.count(), i.last()), (0, ""));
        raise.raise("SIGTERM");
        assert_eq!(i.after(0).await, "SIGTERM");
        raise.raise("SIGINT");
        assert_eq!((i.count(), i.last()), (2, "SIGINT"));
        let later = i.clone();
        let waiting = tokio::spawn(async move { later.after(2).await });
        raise.raise("SIGHUP");
        assert_eq!(waiting.await.unwrap(), "SIGHUP");
    }
}
