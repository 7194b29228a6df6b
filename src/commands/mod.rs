//! One module per subcommand, each with one entry point.

pub mod completions;
pub mod config;
pub mod pricing;
pub mod recommend;
pub mod resize;
pub mod savings;
pub mod scan;
pub mod sync;
pub mod watch;

#[cfg(test)]
mod schema;
