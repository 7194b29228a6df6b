//! Local state kept between runs, in the state directory (FINOPS_STATE_DIR,
//! else the XDG data directory): the sync outbox and the watch history.

pub mod history;
pub mod outbox;
