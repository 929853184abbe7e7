//! Acceptance tests: sif.
