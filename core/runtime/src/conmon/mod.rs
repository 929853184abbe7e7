//! conmon: the argv ([`args`]), the sync protocol ([`sync`]), the attach socket and ctl FIFO
//! ([`attach`]), the exit file ([`exit`]) and the `ConmonSpawner` seam ([`spawn`], with the
//! working-directory file action of [`chdir`]).

pub mod args;
pub mod attach;
pub mod chdir;
pub mod exit;
pub mod spawn;
pub mod sync;
