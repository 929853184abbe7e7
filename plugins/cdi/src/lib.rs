//! Plugin crate cdi (see hooks.md §13).
