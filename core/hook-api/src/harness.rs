//! `HookHarness` (feature `test-util`).
