//! attach beyond the seed scenario (checklist rows A3, A4, X1, P1): detach keys and a second
//! attach, attach to a stopped container, a 150-character `--root` (the `/proc/self/fd`
//! connect), stdin relayed to a `terminal: false` container, `update` from stdin.

use super::env::Env;
use super::pty::Pty;

pub fn detach_and_reattach(runtime: &'static str) {
    let Some(env) = Env::new(runtime) else { return };
    let bundle = env.bundle("b", &["sh"], true);
    let id = env.id("det");
    env.ok(&["create", "-b", bundle.to_str().unwrap(), &id]);
    env.ok(&["start", &id]);
    let mut pty = Pty::spawn(&env.bin(&["attach", &id]));
    pty.wait_prompt();
    pty.send("echo one\r");
    pty.expect_n("one", 2);
    pty.send("\x10\x11");
    let (code, out) = pty.wait();
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!(
            "INFO:    Detached from container {id}; it keeps running"
        )),
        "{out}"
    );
    assert_eq!(env.status(&id), "running");
    let mut pty = Pty::spawn(&env.bin(&["attach", &id]));
    pty.wait_prompt();
    pty.send("exit 4\r");
    let (code, out) = pty.wait();
    assert_eq!(code, 4, "{out}");
    let out = env.oci(&["attach", &id]);
    assert_eq!(out.status, 255);
    assert_eq!(
        out.stderr,
        format!("FATAL:   cannot attach to container \"{id}\": it is stopped\n")
    );
    env.ok(&["delete", &id]);
    env.assert_clean();
}

/// In-process attach with a pipe-like stdin, under a 150-character state root.
pub fn attach_stdin_long_root(runtime: &'static str) {
    let Some(mut env) = Env::new(runtime) else {
        return;
    };
    let base = env.fx.path().display().to_string().len() + 1;
    env.root = env.fx.path().join("r".repeat(150 - base));
    assert_eq!(env.root.display().to_string().len(), 150);
    let bundle = env.bundle("b", &["cat"], false);
    let id = env.id("cat");
    env.ok(&["create", "-b", bundle.to_str().unwrap(), &id]);
    env.ok(&["start", &id]);
    let out = env.oci_stdin(&["attach", &id], b"hello\n");
    assert_eq!(
        (out.status, out.stdout.as_str()),
        (0, "hello\n"),
        "{}",
        out.stderr
    );
    env.ok(&["delete", &id]);
    // run, on the direct path and (terminal without a tty on stdin) through conmon.
    let out = env.oci_stdin(&["run", "-b", bundle.to_str().unwrap(), &id], b"again\n");
    assert_eq!(
        (out.status, out.stdout.as_str()),
        (0, "again\n"),
        "{}",
        out.stderr
    );
    env.write_config(&bundle, &["sh", "-c", "echo tty"], true);
    let out = env.oci(&["run", "-b", bundle.to_str().unwrap(), &id]);
    assert_eq!(
        (out.status, out.stdout.as_str()),
        (0, "tty\r\n"),
        "{}",
        out.stderr
    );
    env.assert_clean();
}

/// `update --from-file -` sets the pids limit; bad JSON is refused.
pub fn update_from_stdin(runtime: &'static str) {
    let Some(env) = Env::new(runtime) else { return };
    let bundle = env.bundle("b", &["sleep", "1000"], false);
    let id = env.id("upd");
    env.ok(&["create", "-b", bundle.to_str().unwrap(), &id]);
    env.ok(&["start", &id]);
    let out = env.oci_stdin(
        &["update", "--from-file", "-", &id],
        br#"{"pids":{"limit":64}}"#,
    );
    assert_eq!(out.status, 0, "{}", out.stderr);
    let pid = env.state(&id)["pid"].as_i64().unwrap();
    let cgroups = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap();
    let path = cgroups
        .lines()
        .find_map(|l| l.split_once(":pids:").map(|(_, p)| p.to_string()))
        .expect("a pids cgroup");
    let max = std::fs::read_to_string(format!("/sys/fs/cgroup/pids{path}/pids.max")).unwrap();
    assert_eq!(max.trim(), "64");
    let out = env.oci_stdin(&["update", "--from-file", "-", &id], b"{nope");
    assert_eq!(out.status, 255);
    assert!(
        out.stderr
            .starts_with("FATAL:   invalid resources in stdin: "),
        "{}",
        out.stderr
    );
    let out = env.oci(&["update", &id]);
    assert_eq!(out.stderr, "FATAL:   you must specify --from-file\n");
    env.ok(&["delete", "--force", &id]);
    env.assert_clean();
}

/// A resize of the caller's terminal reaches the container (through conmon's ctl FIFO).
pub fn attach_resize(runtime: &'static str) {
    let Some(env) = Env::new(runtime) else { return };
    let bundle = env.bundle("b", &["sh"], true);
    let id = env.id("rs");
    env.ok(&["create", "-b", bundle.to_str().unwrap(), &id]);
    env.ok(&["start", &id]);
    let mut pty = Pty::spawn(&env.bin(&["attach", &id]));
    pty.wait_prompt();
    pty.send("echo ready\r");
    pty.expect_n("ready", 2);
    pty.resize(30, 100);
    // SIGWINCH goes to sifter, which writes the ctl FIFO; give the chain a moment.
    std::thread::sleep(std::time::Duration::from_millis(300));
    pty.send("stty size\r");
    pty.expect("30 100");
    pty.send("exit 3\r");
    let (code, out) = pty.wait();
    assert_eq!(code, 3, "{out}");
    env.ok(&["delete", &id]);
    env.assert_clean();
}

/// Attached while `created`: the output of the later start arrives (row A4); `exec -t`
/// gets a terminal (row E2).
pub fn attach_before_start_and_exec_tty(runtime: &'static str) {
    let Some(env) = Env::new(runtime) else { return };
    let bundle = env.bundle("b", &["sh", "-c", "echo started; sleep 1000"], false);
    let id = env.id("early");
    env.ok(&["create", "-b", bundle.to_str().unwrap(), &id]);
    let (out, tty) = std::thread::scope(|s| {
        let attached = s.spawn(|| env.oci(&["attach", &id]));
        std::thread::sleep(std::time::Duration::from_millis(500));
        // Whatever happens here, the container is killed so the attach thread ends.
        let tty = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            env.ok(&["start", &id]);
            // crun 1.8 stops copying from the exec pty as soon as the process exits, so a
            // bare `tty` can lose its line under load; the sleep lets it through.
            let pty = Pty::spawn(&env.bin(&["exec", "-t", &id, "sh", "-c", "tty; sleep 0.5"]));
            pty.expect("/dev/pts/");
            pty.wait()
        }));
        let _ = env.oci(&["kill", &id, "KILL"]);
        (attached.join().unwrap(), tty)
    });
    let (code, text) = tty.unwrap_or_else(|e| std::panic::resume_unwind(e));
    assert_eq!(code, 0, "{text}");
    assert_eq!(
        (out.status, out.stdout.as_str()),
        (137, "started\n"),
        "{}",
        out.stderr
    );
    env.ok(&["delete", &id]);
    env.assert_clean();
}
