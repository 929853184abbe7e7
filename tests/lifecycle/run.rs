//! `oci run` (checklist rows R1–R3): an interactive shell through a pty, exit codes, SIGKILL
//! from `oci kill`, SIGTERM forwarded, stdin from a pipe.

use super::env::Env;
use super::pty::Pty;
use std::time::{Duration, Instant};

pub fn run_interactive_shell(runtime: &'static str) {
    let Some(env) = Env::new(runtime) else { return };
    let bundle = env.bundle("b", &["sh"], true);
    let id = env.id("run");
    let mut pty = Pty::spawn(&env.bin(&["run", "-b", bundle.to_str().unwrap(), &id]));
    pty.wait_prompt();
    pty.send("hostname\r");
    pty.expect_n("sifter", 1);
    pty.send("id -un\r");
    pty.expect("root\r\n");
    pty.send("exit\r");
    let (code, out) = pty.wait();
    assert_eq!(code, 0, "{out}");
    let out = env.oci(&["state", &id]);
    assert_eq!(out.status, 255);
    env.assert_clean();
}

pub fn run_exit_codes(runtime: &'static str) {
    let Some(env) = Env::new(runtime) else { return };
    let bundle = env.bundle("b", &["sh", "-c", "exit 3"], false);
    let id = env.id("rc");
    let out = env.oci(&["run", "-b", bundle.to_str().unwrap(), &id]);
    assert_eq!((out.status, out.stderr.as_str()), (3, ""));
    env.write_config(&bundle, &["sh", "-c", "echo done"], false);
    let out = env.oci(&["run", "-b", bundle.to_str().unwrap(), &id]);
    assert_eq!((out.status, out.stdout.as_str()), (0, "done\n"));
    // `terminal: true` without a terminal on stdin: conmon's pty stands in.
    env.write_config(&bundle, &["sh", "-c", "tty; exit 9"], true);
    let out = env.oci(&["run", "-b", bundle.to_str().unwrap(), &id]);
    assert_eq!(out.status, 9, "{}", out.stderr);
    assert!(out.stdout.starts_with("/dev/pts/"), "{:?}", out.stdout);
    // R3: stdin from a pipe reaches the container, EOF included.
    env.write_config(&bundle, &["cat"], false);
    let out = env.oci_stdin(&["run", "-b", bundle.to_str().unwrap(), &id], b"hi\n");
    assert_eq!((out.status, out.stdout.as_str()), (0, "hi\n"));
    env.assert_clean();
}

/// Waits until `state` reports `running` for `id`.
fn wait_running(env: &Env, id: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let out = env.oci(&["state", id]);
        if out.status == 0 && out.stdout.contains("\"running\"") {
            return;
        }
        assert!(Instant::now() < deadline, "{id} never ran");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The runtime process of a direct `run` (sifter's child): crun runs from the sealed copy
/// sifter hands it (`/proc/PID/exe` is a memfd) and runc from its path; both under their own
/// name, and the symlink the copy was started by is gone from `CDIR`.
fn runtime_runs_as_itself(env: &Env, sifter: u32, id: &str) {
    let rt = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .find(|e| {
            let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
            let ppid = stat
                .rsplit(')')
                .next()
                .and_then(|s| s.split_whitespace().nth(1));
            ppid == Some(sifter.to_string().as_str())
        })
        .expect("the runtime process");
    let comm = std::fs::read_to_string(rt.path().join("comm")).unwrap();
    assert_eq!(comm.trim(), env.runtime);
    let image = std::fs::read_link(rt.path().join("exe")).unwrap();
    let image = image.to_string_lossy();
    if env.runtime == "crun" {
        assert!(image.starts_with("/memfd:crun"), "{image}");
    } else {
        assert!(image.ends_with("/runc"), "{image}");
    }
    let cdir = env.root.join("containers").join(id);
    let links: Vec<_> = std::fs::read_dir(&cdir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".exe-"))
        .collect();
    assert!(links.is_empty(), "{links:?}");
}

/// `oci kill ID KILL`, or `oci delete --force ID`, from elsewhere: run exits 137 and
/// nothing remains.
pub fn run_killed(runtime: &'static str) {
    for action in [&["kill", "KILL"][..], &["delete", "--force"][..]] {
        let Some(env) = Env::new(runtime) else { return };
        let bundle = env.bundle("b", &["sleep", "1000"], false);
        let id = env.id("rk");
        let child = env
            .bin(&["run", "-b", bundle.to_str().unwrap(), &id])
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        wait_running(&env, &id);
        runtime_runs_as_itself(&env, child.id(), &id);
        let list = env.ok(&["list"]);
        assert!(list.stdout.contains(&id), "{}", list.stdout);
        let args: Vec<&str> = match action[0] {
            "kill" => vec!["kill", &id, action[1]],
            _ => vec!["delete", action[1], &id],
        };
        env.ok(&args);
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(137), "{action:?}: {stderr}");
        assert_eq!(stderr, "", "{action:?}");
        env.assert_clean();
    }
}

/// SIGTERM to sifter reaches the container (whose trap exits 42), on the direct path and,
/// with a `pre_start` hook registered, through conmon (`RT kill`).
pub fn run_forwards_sigterm(runtime: &'static str) {
    for through_conmon in [false, true] {
        let Some(mut env) = Env::new(runtime) else {
            return;
        };
        if through_conmon {
            super::hooks::with_script(&mut env, "probe", super::hooks::ALL_POINTS);
        }
        let script = "trap 'exit 42' TERM; while :; do sleep 0.1; done";
        let bundle = env.bundle("b", &["sh", "-c", script], false);
        let id = env.id("rt");
        let mut child = env
            .bin(&["run", "-b", bundle.to_str().unwrap(), &id])
            .stdin(std::process::Stdio::null())
            .spawn()
            .unwrap();
        wait_running(&env, &id);
        std::thread::sleep(Duration::from_millis(300));
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(child.id() as i32),
            nix::sys::signal::Signal::SIGTERM,
        )
        .unwrap();
        let st = child.wait().unwrap();
        assert_eq!(st.code(), Some(42), "through conmon: {through_conmon}");
        env.assert_clean();
    }
}
