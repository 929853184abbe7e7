//! conmon's command line (oci-reference.md §5.6). Pure.

use crate::driver::Prefix;
use std::ffi::OsString;
use std::path::PathBuf;

/// Everything conmon's argv depends on.
#[derive(Debug, Clone)]
pub struct ConmonArgs {
    pub conmon: PathBuf,
    pub id: String,
    pub cuuid: String,
    /// The runtime prefix (runtime path, `--root`, `--log`, cgroup flag, debug).
    pub prefix: Prefix,
    /// `CDIR/bundle`.
    pub bundle: PathBuf,
    pub container_pidfile: PathBuf,
    pub conmon_pidfile: PathBuf,
    /// conmon's `k8s-file` log.
    pub raw_log: PathBuf,
    pub exit_dir: PathBuf,
    pub terminal: bool,
}

pub fn argv(a: &ConmonArgs) -> Vec<OsString> {
    let mut log = OsString::from("k8s-file:");
    log.push(&a.raw_log);
    let mut v: Vec<OsString> = vec![
        a.conmon.clone().into(),
        // conmon 2.x: a boolean that selects the `{"data": …}` sync reply. The reference's
        // trailing `1` is a stray positional (SingularityCE; oci-reference.md §8 item 25).
        "--api-version".into(),
    ];
    for (k, val) in [
        ("--cid", OsString::from(&a.id)),
        ("--name", OsString::from(&a.id)),
        ("--cuuid", OsString::from(&a.cuuid)),
        ("--runtime", a.prefix.runtime.clone().into()),
        ("--bundle", a.bundle.clone().into()),
        ("--container-pidfile", a.container_pidfile.clone().into()),
        ("--conmon-pidfile", a.conmon_pidfile.clone().into()),
        ("--log-path", log),
        ("--exit-dir", a.exit_dir.clone().into()),
    ] {
        v.push(k.into());
        v.push(val);
    }
    v.push("--full-attach".into());
    // Only with a terminal: conmon then always hands the runtime a console socket, which
    // `terminal: false` configs refuse (SingularityCE always passes it; §8 item 1).
    v.push(if a.terminal { "--terminal" } else { "--stdin" }.into());
    if a.prefix.systemd_cgroup {
        v.push("--systemd-cgroup".into());
    }
    // conmon adds --systemd-cgroup to the runtime's argv itself when given the flag above.
    let mut rt = a.prefix.clone();
    rt.systemd_cgroup = false;
    for arg in rt.global_args() {
        v.push("--runtime-arg".into());
        v.push(arg);
    }
    if a.prefix.debug {
        v.extend(["--log-level".into(), "debug".into(), "--syslog".into()]);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(terminal: bool, debug: bool) -> ConmonArgs {
        ConmonArgs {
            conmon: "/usr/bin/conmon".into(),
            id: "c1".into(),
            cuuid: "00000000-0000-4000-8000-000000000000".into(),
            prefix: Prefix {
                runtime: "/usr/sbin/runc".into(),
                root: "/R/runtime".into(),
                log: "/R/containers/c1/runtime.log".into(),
                systemd_cgroup: debug,
                debug,
            },
            bundle: "/R/containers/c1/bundle".into(),
            container_pidfile: "/R/containers/c1/container.pid".into(),
            conmon_pidfile: "/R/containers/c1/conmon.pid".into(),
            raw_log: "/R/containers/c1/container.log".into(),
            exit_dir: "/R/containers/c1/exit".into(),
            terminal,
        }
    }

    fn show(a: &ConmonArgs) -> String {
        argv(a)
            .iter()
            .map(|s| s.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn terminal_container() {
        insta::assert_snapshot!(show(&args(true, false)), @r"
        /usr/bin/conmon
        --api-version
        --cid
        c1
        --name
        c1
        --cuuid
        00000000-0000-4000-8000-000000000000
        --runtime
        /usr/sbin/runc
        --bundle
        /R/containers/c1/bundle
        --container-pidfile
        /R/containers/c1/container.pid
        --conmon-pidfile
        /R/containers/c1/conmon.pid
        --log-path
        k8s-file:/R/containers/c1/container.log
        --exit-dir
        /R/containers/c1/exit
        --full-attach
        --terminal
        --runtime-arg
        --root
        --runtime-arg
        /R/runtime
        --runtime-arg
        --log
        --runtime-arg
        /R/containers/c1/runtime.log
        --runtime-arg
        --log-format=json
        ");
    }

    #[test]
    fn stdin_systemd_and_debug() {
        let out = show(&args(false, true));
        let tail: Vec<&str> = out.lines().skip(20).collect();
        insta::assert_snapshot!(tail.join(" "), @"--full-attach --stdin --systemd-cgroup --runtime-arg --root --runtime-arg /R/runtime --runtime-arg --log --runtime-arg /R/containers/c1/runtime.log --runtime-arg --log-format=json --runtime-arg --debug --log-level debug --syslog");
        assert!(!out.contains("--terminal"));
    }
}
