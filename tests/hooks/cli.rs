//! The `hooks` commands (hooks.md §12, §14 #8, #14, #17).
