//! Plugin crate bind-policy (see hooks.md §13).
