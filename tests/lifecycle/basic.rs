//! create / start / state / attach / exec / pause / resume / kill / delete (checklist rows
//! B2–B5, A1, C1, C2, C4, K1, K2, E1).

use super::env::Env;
use super::pty::Pty;

/// The seed scenario: create prints the INFO line, state `created`, start, `running`,
/// attach through a pty typing `echo Hello` and `exit`, `stopped` with exit code 0, delete,
/// then every command on the ID says it does not exist.
pub fn seed_scenario_attach(runtime: &'static str) {
    let Some(env) = Env::new(runtime) else { return };
    let bundle = env.mount_busybox("busybox");
    let id = env.id("busybox1");
    let out = env.ok(&["create", "-b", bundle.to_str().unwrap(), &id]);
    let state = env.state(&id);
    assert_eq!(state["status"], "created");
    let pid = state["pid"].as_i64().unwrap();
    assert!(pid > 0);
    assert_eq!(
        out.stderr,
        format!("INFO:    Container {id} created with PID {pid}\n")
    );
    assert_eq!(state["bundle"], bundle.to_str().unwrap());
    assert_eq!(state["hooks"], serde_json::json!([]));
    let mut shown = state.clone();
    shown["pid"] = serde_json::json!("[PID]");
    shown["created"] = serde_json::json!("[TIME]");
    let shown = serde_json::to_string_pretty(&shown)
        .unwrap()
        .replace(&id, "[ID]");
    insta::assert_snapshot!(format!("state_created_{runtime}"), shown);

    env.ok(&["start", &id]);
    let state = env.state(&id);
    assert_eq!(state["status"], "running");
    assert!(state["startedAt"].as_str().unwrap().ends_with('Z'));

    let mut pty = Pty::spawn(&env.bin(&["attach", &id]));
    pty.wait_prompt();
    pty.send("echo Hello\r");
    // The echo of the typed line, then the command's own output.
    pty.expect_n("Hello", 2);
    pty.send("exit\r");
    let (code, _) = pty.wait();
    assert_eq!(code, 0);

    let state = env.wait_exit(&id);
    assert_eq!(state["exitCode"], 0);
    assert!(state["finishedAt"].as_str().unwrap() >= state["startedAt"].as_str().unwrap());
    // A stopped state is final: the first read keeps the runtime's answer next to the
    // record, and later reads and `list` show exactly that without a runtime process.
    let kept = env
        .root
        .join("containers")
        .join(&id)
        .join("stopped-state.json");
    assert!(kept.is_file(), "{} missing", kept.display());
    assert_eq!(env.state(&id), state);
    let listed: serde_json::Value =
        serde_json::from_str(&env.ok(&["list", "--format", "json"]).stdout).unwrap();
    assert_eq!(listed[0], state);
    env.ok(&["delete", &id]);
    for args in [vec!["state", &id], vec!["kill", &id], vec!["start", &id]] {
        let out = env.oci(&args);
        assert_eq!(out.status, 255, "{args:?}");
        assert_eq!(
            out.stderr,
            format!("FATAL:   container \"{id}\" does not exist\n")
        );
    }
    env.ok(&["umount", bundle.to_str().unwrap()]);
    assert!(!bundle.exists());
    env.assert_clean();
}

/// `umount` of a bundle with a running container is refused; `umount --force` deletes the
/// container (through the engine) and then unmounts (checklist U1).
pub fn umount_force_deletes_the_container(runtime: &'static str) {
    let Some(env) = Env::new(runtime) else { return };
    let bundle = env.mount_busybox("busybox");
    let id = env.id("um");
    env.ok(&["create", "-b", bundle.to_str().unwrap(), &id]);
    env.ok(&["start", &id]);
    let out = env.oci(&["umount", bundle.to_str().unwrap()]);
    assert_eq!(out.status, 255);
    assert!(
        out.stderr
            .contains(&format!("is in use by container \"{id}\"")),
        "{}",
        out.stderr
    );
    assert_eq!(env.status(&id), "running");
    let out = env.oci(&["umount", "--force", bundle.to_str().unwrap()]);
    assert_eq!((out.status, out.stderr.as_str()), (0, ""));
    assert!(!bundle.exists());
    let out = env.oci(&["state", &id]);
    assert_eq!(out.status, 255);
    env.assert_clean();
}

/// pause/resume, exec, wrong-status refusals, a second start.
pub fn pause_resume_exec(runtime: &'static str) {
    let Some(env) = Env::new(runtime) else { return };
    let bundle = env.bundle("b", &["sh", "-c", "while :; do sleep 1; done"], false);
    let id = env.id("pr");
    env.ok(&["create", "-b", bundle.to_str().unwrap(), &id]);
    let out = env.oci(&["exec", &id, "hostname"]);
    assert_eq!(out.status, 255);
    assert!(
        out.stderr.contains("it is created (must be running)"),
        "{}",
        out.stderr
    );
    env.ok(&["start", &id]);
    let out = env.oci(&["start", &id]);
    assert_eq!(out.status, 255);
    assert_eq!(
        out.stderr,
        format!("FATAL:   cannot start container \"{id}\": it is running (must be created)\n")
    );
    env.ok(&["pause", &id]);
    assert_eq!(env.status(&id), "paused");
    let out = env.oci(&["exec", &id, "hostname"]);
    assert_eq!(out.status, 255);
    assert!(
        out.stderr.contains("it is paused (must be running)"),
        "{}",
        out.stderr
    );
    let out = env.oci(&["delete", &id]);
    assert_eq!(out.status, 255);
    assert!(
        out.stderr.contains("(stop it first or use --force)"),
        "{}",
        out.stderr
    );
    env.ok(&["resume", &id]);
    assert_eq!(env.status(&id), "running");

    let out = env.ok(&["exec", &id, "hostname"]);
    assert_eq!(out.stdout, "sifter\n");
    let out = env.oci(&["exec", &id, "sh", "-c", "exit 5"]);
    assert_eq!(out.status, 5);
    let out = env.ok(&[
        "exec",
        "-e",
        "A=1",
        "--cwd",
        "/tmp",
        &id,
        "sh",
        "-c",
        "echo $A; pwd",
    ]);
    assert_eq!(out.stdout, "1\n/tmp\n");
    let out = env.oci(&["exec", &id, "/nonexistent"]);
    assert_eq!(out.status, 255);
    // The runtime's own stderr is the command's, so its message may precede ours.
    let last = out.stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with(&format!("FATAL:   {runtime} exec failed: ")),
        "{}",
        out.stderr
    );
    assert!(last.contains("/nonexistent"), "{}", out.stderr);

    let list = env.ok(&["list"]);
    let row = list.stdout.lines().nth(1).unwrap().to_string();
    assert!(
        row.starts_with(&id) && row.contains("running"),
        "{}",
        list.stdout
    );
    env.ok(&["delete", "-f", &id]);
    env.assert_clean();
}

/// `kill` by name (any spelling) and by number; the runtime gets the number.
pub fn kill_by_name_and_number(runtime: &'static str) {
    let Some(env) = Env::new(runtime) else { return };
    let script = "trap 'exit 12' INT; trap 'exit 15' USR1; while :; do sleep 0.1; done";
    let bundle = env.bundle("b", &["sh", "-c", script], false);
    for (args, code) in [
        (vec!["-s", "int"], 12),
        (vec!["SIGINT"], 12),
        (vec!["2"], 12),
        (vec!["10"], 15),
    ] {
        let id = env.id("k");
        env.ok(&["create", "-b", bundle.to_str().unwrap(), &id]);
        env.ok(&["start", &id]);
        // Give the shell time to install its traps.
        std::thread::sleep(std::time::Duration::from_millis(300));
        let mut argv = vec!["kill", id.as_str()];
        argv.extend(args.iter().copied());
        env.ok(&argv);
        let state = env.wait_exit(&id);
        assert_eq!(state["exitCode"], code, "kill {args:?}");
        let out = env.oci(&["kill", &id, "KILL"]);
        assert_eq!(out.status, 255);
        assert!(out.stderr.contains("it is stopped"), "{}", out.stderr);
        env.ok(&["delete", &id]);
    }
    let out = env.oci(&["kill", "whatever", "FOO"]);
    assert_eq!(out.stderr, "FATAL:   invalid signal \"FOO\"\n");
    env.assert_clean();
}

/// `kill -t 2 ID TERM` on a shell that ignores TERM ends with SIGKILL (137).
pub fn kill_timeout_escalates(runtime: &'static str) {
    let Some(env) = Env::new(runtime) else { return };
    let bundle = env.bundle(
        "b",
        &["sh", "-c", "trap '' TERM; while :; do sleep 0.1; done"],
        false,
    );
    let id = env.id("kt");
    env.ok(&["create", "-b", bundle.to_str().unwrap(), &id]);
    env.ok(&["start", &id]);
    env.ok(&["kill", "-t", "2", &id, "TERM"]);
    let state = env.wait_exit(&id);
    assert_eq!(state["exitCode"], 137);
    env.ok(&["delete", &id]);
    env.assert_clean();
}

/// `args ["/nonexistent"]`: 255 with the runtime's message, nothing left, the ID reusable.
pub fn create_failure_rolls_back(runtime: &'static str) {
    let Some(env) = Env::new(runtime) else { return };
    let bundle = env.bundle("b", &["/nonexistent"], false);
    let id = env.id("bad");
    let out = env.oci(&["create", "-b", bundle.to_str().unwrap(), &id]);
    assert_eq!(out.status, 255);
    let prefix = format!("FATAL:   failed to create container \"{id}\": {runtime}: ");
    assert!(out.stderr.starts_with(&prefix), "{}", out.stderr);
    assert!(out.stderr.contains("/nonexistent"), "{}", out.stderr);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    env.assert_clean();
    env.write_config(&bundle, &["true"], false);
    env.ok(&["create", "-b", bundle.to_str().unwrap(), &id]);
    env.ok(&["delete", &id]);
    env.assert_clean();
}

/// `--pid-file` holds the PID and goes at delete; the three log formats.
pub fn pid_file_and_log_formats(runtime: &'static str) {
    let Some(env) = Env::new(runtime) else { return };
    let bundle = env.bundle(
        "b",
        &["sh", "-c", r#"echo 'a "q" \b'; echo second >&2"#],
        false,
    );
    for format in ["kubernetes", "json", "basic"] {
        let id = env.id("log");
        let (pid_file, log) = (
            env.path(&format!("{id}.pid")),
            env.path(&format!("{id}.log")),
        );
        env.ok(&[
            "create",
            "-b",
            bundle.to_str().unwrap(),
            "--pid-file",
            pid_file.to_str().unwrap(),
            "--log-path",
            log.to_str().unwrap(),
            "--log-format",
            format,
            &id,
        ]);
        let pid = env.state(&id)["pid"].as_i64().unwrap();
        assert_eq!(std::fs::read_to_string(&pid_file).unwrap(), pid.to_string());
        env.ok(&["start", &id]);
        env.wait_status(&id, "stopped");
        env.ok(&["delete", &id]);
        assert!(!pid_file.exists(), "delete left the pid file");
        let text = std::fs::read_to_string(&log).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{format}: {text}");
        match format {
            "json" => {
                let v: Vec<serde_json::Value> = lines
                    .iter()
                    .map(|l| serde_json::from_str(l).unwrap())
                    .collect();
                assert_eq!(v[0]["log"], r#"a "q" \b"#);
                assert_eq!(v[0]["stream"], "stdout");
                assert_eq!(v[1]["log"], "second");
                assert_eq!(v[1]["stream"], "stderr");
            }
            "kubernetes" => {
                assert!(lines[0].ends_with(r#" stdout F a "q" \b"#), "{text}");
                assert!(lines[1].ends_with(" stderr F second"), "{text}");
            }
            _ => {
                assert!(lines[0].ends_with(r#" stdout a "q" \b"#), "{text}");
                assert!(lines[1].ends_with(" stderr second"), "{text}");
            }
        }
    }
    env.assert_clean();
}
