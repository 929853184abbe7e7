//! The container lifecycle engine: state store, status table, runc/crun and conmon drivers,
//! one module per operation (oci-reference.md §5). The CLI builds one [`Engine`] and makes one
//! call per command; nothing here prints.

mod cgroups;
mod cmd;
pub mod conmon;
pub mod driver;
mod engine;
mod error;
mod exe;
pub mod foreground;
mod hookpoints;
pub mod id;
pub mod ops;
mod prime;
pub mod proc;
pub mod signal;
pub mod status;
pub mod store;
pub mod time;
pub mod tty;

pub use engine::{Engine, EngineConfig};
pub use error::{Result, RuntimeError};
pub use id::ContainerId;
pub use status::{Op, Status};
