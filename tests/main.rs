//! The acceptance test binary: one module per area, all against the real sif reader, real
//! hooks and, in the privileged modules, the real runtime, conmon and kernel.

mod support;

mod build;
mod cli;
mod hooks;
mod import;
mod lifecycle;
mod mount;
mod sif;
