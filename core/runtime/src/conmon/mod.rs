//! conmon: the argv ([`args`]), the sync protocol ([`sync`]), the attach socket and ctl FIFO
//! ([`attach`]), the exit file ([`exit`]) and the `ConmonSpawner` seam ([`spawn`]).

pub mod args;
pub mod attach;
pub mod exit;
pub mod spawn;
pub mod sync;
