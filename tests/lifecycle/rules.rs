//! Claims, IDs, `list` and the recorded runtime (checklist rows C3, L1, X2).

use super::env::Env;
use crate::support;

/// One container per bundle; a duplicate ID elsewhere leaves the existing one alone.
pub fn bundle_claim_and_duplicate_id(runtime: &'static str) {
    let Some(env) = Env::new(runtime) else { return };
    let b1 = env.bundle("b1", &["sleep", "1000"], false);
    let b2 = env.bundle("b2", &["sleep", "1000"], false);
    let (first, second) = (env.id("one"), env.id("two"));
    env.ok(&["create", "-b", b1.to_str().unwrap(), &first]);
    let out = env.oci(&["create", "-b", b1.to_str().unwrap(), &second]);
    assert_eq!(out.status, 255);
    assert_eq!(
        out.stderr,
        format!(
            "FATAL:   bundle {} is already used by container \"{first}\"\n",
            b1.display()
        )
    );
    let out = env.oci(&["create", "-b", b2.to_str().unwrap(), &first]);
    assert_eq!(out.status, 255);
    assert_eq!(
        out.stderr,
        format!("FATAL:   container \"{first}\" already exists\n")
    );
    let state = env.state(&first);
    assert_eq!(state["status"], "created");
    assert_eq!(state["bundle"], b1.to_str().unwrap());
    env.ok(&["delete", &first]);
    env.ok(&["create", "-b", b1.to_str().unwrap(), &second]);
    env.ok(&["delete", &second]);
    env.assert_clean();
}

/// `list --format json` is exactly what `state` prints; unknown IDs fail with nothing on
/// stdout; the table has the spec's header.
pub fn list_matches_state(runtime: &'static str) {
    let Some(env) = Env::new(runtime) else { return };
    let out = env.ok(&["list"]);
    assert_eq!(out.stdout, "ID   PID   STATUS   BUNDLE   CREATED\n");
    let b = env.bundle("b", &["sleep", "1000"], false);
    let id = env.id("ls");
    env.ok(&["create", "-b", b.to_str().unwrap(), &id]);
    let listed: serde_json::Value =
        serde_json::from_str(&env.ok(&["list", "--format", "json", &id]).stdout).unwrap();
    assert_eq!(listed, serde_json::json!([env.state(&id)]));
    let out = env.oci(&["list", &id, "nope"]);
    assert_eq!((out.status, out.stdout.as_str()), (255, ""));
    assert_eq!(out.stderr, "FATAL:   container \"nope\" does not exist\n");
    let table = env.ok(&["list"]).stdout;
    let row: Vec<&str> = table.lines().nth(1).unwrap().split_whitespace().collect();
    assert_eq!(row[0], id);
    assert_eq!(row[2], "created");
    assert_eq!(row[3], b.to_str().unwrap());
    assert!(row[4].ends_with('Z') && !row[4].contains('.'), "{table}");
    env.ok(&["delete", &id]);
    env.assert_clean();
}

/// Later commands use the runtime recorded at create; another `--runtime` only warns.
pub fn recorded_runtime_wins(runtime: &'static str) {
    let Some(env) = Env::new(runtime) else { return };
    let other = if runtime == "runc" { "crun" } else { "runc" };
    let b = env.bundle("b", &["sleep", "1000"], false);
    let id = env.id("rt");
    env.ok(&["create", "-b", b.to_str().unwrap(), &id]);
    env.ok(&["start", &id]);
    let root = env.root.display().to_string();
    let out = support::sifter([
        "--root",
        &root,
        "--runtime",
        other,
        "oci",
        "kill",
        &id,
        "KILL",
    ]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(
        out.stderr
            .starts_with(&format!("WARNING: container \"{id}\" was created with /")),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains(&format!("/{runtime}; ignoring --runtime {other}")),
        "{}",
        out.stderr
    );
    // Killed through the recorded runtime (the other one has no such container).
    assert_eq!(env.wait_exit(&id)["exitCode"], 137);
    env.ok(&["delete", &id]);
    env.assert_clean();
}
