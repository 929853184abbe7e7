//! Acceptance tests: hooks.
