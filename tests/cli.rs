//! Acceptance tests: the CLI surface (help, usage errors, exit statuses), in-process.

use crate::support::sifter;

#[test]
fn unknown_flag_is_a_usage_error_with_status_255() {
    let out = sifter(["oci", "kill", "--bogus", "x"]);
    assert_eq!(out.status, 255, "{out:?}");
    assert!(out.stderr.starts_with("FATAL:   "), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("Run 'sifter oci kill --help' for usage."),
        "{}",
        out.stderr
    );
}
