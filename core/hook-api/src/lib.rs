//! The crate plugin authors compile against: the `Hook` trait, its context and errors, the
//! registration macros and the C ABI v1 types (hooks.md §3–§8).

pub use oci_spec;
