//! Acceptance tests: mount.
