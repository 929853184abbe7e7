//! Acceptance tests: build.
