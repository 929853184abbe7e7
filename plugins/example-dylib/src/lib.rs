//! Plugin crate example-dylib (see hooks.md §13).
