//! Acceptance tests: the CLI surface (help, usage errors, privileges, exit statuses), in-process
//! through `sifter_cli::main_with`, and as another user through the real binary.

use crate::support::{self, sifter};

/// The 14 `oci` subcommands with the reference's short help (oci-reference.md §2.3) and a
/// syntactically valid argument list.
const SUBCOMMANDS: &[(&str, &str, &[&str])] = &[
    (
        "mount",
        "Mount create an OCI bundle from SIF image (root user only)",
        &["a.sif", "b"],
    ),
    ("umount", "Umount delete bundle (root user only)", &["b"]),
    (
        "create",
        "Create a container from a bundle directory (root user only)",
        &["-b", "b", "c1"],
    ),
    ("start", "Start container process (root user only)", &["c1"]),
    (
        "state",
        "Query state of a container (root user only)",
        &["c1"],
    ),
    (
        "attach",
        "Attach console to a running container process (root user only)",
        &["c1"],
    ),
    ("kill", "Kill a container (root user only)", &["c1", "KILL"]),
    ("delete", "Delete container (root user only)", &["c1"]),
    (
        "run",
        "Create/start/attach/delete a container from a bundle directory (root user only)",
        &["-b", "b", "c1"],
    ),
    (
        "exec",
        "Execute a command within container (root user only)",
        &["c1", "true"],
    ),
    (
        "pause",
        "Suspends all processes inside the container (root user only)",
        &["c1"],
    ),
    (
        "resume",
        "Resumes all processes previously paused inside the container (root user only)",
        &["c1"],
    ),
    (
        "update",
        "Update container cgroups resources (root user only)",
        &["--from-file", "-", "c1"],
    ),
    ("list", "List containers (root user only)", &[]),
];

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

#[test]
fn wrong_argument_counts_are_usage_errors() {
    for args in [
        vec!["oci", "start"],
        vec!["oci", "start", "a", "b"],
        vec!["oci", "mount", "only-one"],
        vec!["oci", "create", "id-without-bundle"],
        vec!["oci", "exec", "id-without-command"],
    ] {
        let out = sifter(&args);
        assert_eq!(out.status, 255, "{args:?}: {out:?}");
        let sub = format!("Run 'sifter oci {} --help' for usage.\n", args[1]);
        assert!(
            out.stderr.starts_with("FATAL:   ") && out.stderr.ends_with(&sub),
            "{args:?}: {}",
            out.stderr
        );
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn debug_and_quiet_together_are_a_usage_error() {
    let out = sifter(["-d", "-q", "oci", "list"]);
    assert_eq!(out.status, 255);
    assert!(
        out.stderr
            .contains("--debug and --quiet cannot be used together"),
        "{}",
        out.stderr
    );
}

#[test]
fn help_of_every_oci_subcommand_starts_with_the_reference_text() {
    let _fx = support::Fixture::new("cli");
    let mut all = String::new();
    for (sub, short, _) in SUBCOMMANDS {
        for flag in ["--help", "-h"] {
            let out = sifter(["oci", sub, flag]);
            assert_eq!(out.status, 0, "{sub} {flag}: {out:?}");
            assert_eq!(out.stdout.lines().next(), Some(*short), "{sub} {flag}");
            assert!(out.stderr.is_empty(), "{sub}: {}", out.stderr);
        }
        all.push_str(&sifter(["oci", sub, "--help"]).transcript(&format!("oci {sub} --help")));
        all.push('\n');
    }
    insta::assert_snapshot!("oci_help", all);
    let group = sifter(["oci", "--help"]);
    assert_eq!(group.status, 0);
    for (sub, _, _) in SUBCOMMANDS {
        assert!(
            group.stdout.contains(&format!("  {sub} ")),
            "group help lacks {sub}"
        );
    }
    assert!(
        !group.stdout.contains("log-relay"),
        "the internal log-relay is hidden"
    );
}

#[test]
fn every_oci_subcommand_requires_root() {
    if !support::privileged() {
        return;
    }
    let fx = support::Fixture::new("cli");
    for (sub, _, args) in SUBCOMMANDS {
        let argv = ["--root", "/nonexistent-sifter-root", "oci", sub]
            .into_iter()
            .chain(args.iter().copied());
        let out = support::sifter_as_nobody(fx.path(), argv);
        assert_eq!(out.status.code(), Some(255), "{sub}");
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            format!("FATAL:   \"sifter oci {sub}\" command requires root privileges\n"),
            "{sub}"
        );
        assert!(out.stdout.is_empty(), "{sub}");
        // --help needs no root
        let help = support::sifter_as_nobody(fx.path(), ["oci", sub, "--help"]);
        assert_eq!(help.status.code(), Some(0), "{sub} --help as nobody");
    }
    assert!(!std::path::Path::new("/nonexistent-sifter-root").exists());
}

/// A scratch fixture and a state root in it that does not exist yet; `None` when privileged
/// tests are skipped.
fn privileged_root() -> Option<(support::Fixture, std::path::PathBuf)> {
    if !support::privileged() {
        return None;
    }
    let fx = support::Fixture::new("cli");
    let root = fx.path().join("root");
    Some((fx, root))
}

#[test]
fn invalid_container_ids_are_refused_before_anything_happens() {
    let Some((_fx, root)) = privileged_root() else {
        return;
    };
    for id in ["../x", "a/b", ".", "..", "-x", &"a".repeat(129)] {
        let out = sifter(["--root", root.to_str().unwrap(), "oci", "state", "--", id]);
        let out = if out.stderr.contains("Run '") {
            sifter(["--root", root.to_str().unwrap(), "oci", "state", id])
        } else {
            out
        };
        assert_eq!(out.status, 255, "{id}: {out:?}");
        assert!(
            out.stderr
                .starts_with(&format!("FATAL:   invalid container ID \"{id}\"")),
            "{id}: {}",
            out.stderr
        );
    }
}

/// A bad value in the site config stops a command before anything happens, naming the file
/// and the key (here sifter's own `prime_cgroup_migration`).
#[test]
fn a_bad_site_config_value_names_the_file_and_the_key() {
    let Some((fx, root)) = privileged_root() else {
        return;
    };
    let cfg = fx.path().join("sifter.toml");
    std::fs::write(
        &cfg,
        "runtime = \"crun\"\nprime_cgroup_migration = \"no\"\n",
    )
    .unwrap();
    let out = sifter([
        "--root",
        root.to_str().unwrap(),
        "--config",
        cfg.to_str().unwrap(),
        "oci",
        "list",
    ]);
    assert_eq!(out.status, 255, "{out:?}");
    assert_eq!(
        out.stderr,
        format!(
            "FATAL:   invalid site config {}: prime_cgroup_migration: invalid type: string \"no\", \
             expected a boolean\n",
            cfg.display()
        )
    );
    assert!(!root.exists(), "nothing was created");
}

#[test]
fn version_prints_the_package_version() {
    let out = sifter(["--version"]);
    assert_eq!(out.status, 0);
    assert_eq!(
        out.stdout,
        format!("sifter {}\n", env!("CARGO_PKG_VERSION"))
    );
}

/// The executable's own start-up (its `main` is the C entry point, not std's): arguments and
/// stdout reach the command, a failure still exits 255, and a closed stdout is an error the
/// command survives rather than a SIGPIPE death.
#[test]
fn the_executable_keeps_std_start_up_behaviour() {
    use std::os::unix::process::ExitStatusExt;
    use std::process::{Command, Stdio};
    let bin = support::sifter_bin();
    let out = Command::new(&bin).arg("--version").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("sifter {}\n", env!("CARGO_PKG_VERSION"))
    );
    let out = Command::new(&bin)
        .args(["oci", "state", "no/such"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(255), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("FATAL:"));
    let (read_end, write_end) = nix::unistd::pipe().unwrap();
    drop(read_end);
    let status = Command::new(&bin)
        .args(["oci", "--help"])
        .stdout(Stdio::from(write_end))
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert_eq!(status.signal(), None, "killed by a signal: {status:?}");
}
