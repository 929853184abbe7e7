//! Acceptance tests: lifecycle.
