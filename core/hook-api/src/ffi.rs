//! C ABI v1 (hooks.md §8): filled in with `export_hook!`.
