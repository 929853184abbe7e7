//! The `/.singularity.d` metadata tree that reference builders put in images converted from
//! OCI, so the SIF also works with Singularity/Apptainer: `env/10-docker2singularity.sh`
//! (the image Env, in the reference's exact format), `runscript` (Entrypoint + Cmd with the
//! reference's `OCI_ENTRYPOINT` / `OCI_CMD` quoting), `labels.json`, the `actions/` scripts,
//! the legacy top-level links and empty mount points. The scripts are sifter's own, with the
//! behaviour of the reference's (compare `busybox_amd64.sif`).
//!
//! Nothing existing in the image is overwritten, and paths are resolved through `root.rs`.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs;
use std::io;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::PathBuf;

use super::config::{ImageConfig, labels_json};
use super::meta::set_times;
use super::root::Root;

const SOURCE_ENV: &str = "for script in /.singularity.d/env/*.sh; do\n    if [ -f \"$script\" ]; then\n        . \"$script\"\n    fi\ndone\n";

fn action(body: &str) -> String {
    format!("#!/bin/sh\n\n{SOURCE_ENV}\n{body}")
}

const RUN: &str = "if test -x /.singularity.d/runscript; then\n    exec /.singularity.d/runscript \"$@\"\nfi\necho \"No runscript found, executing /bin/sh\"\nexec /bin/sh \"$@\"\n";
const EXEC: &str = "exec \"$@\"\n";
const SHELL: &str = "if test -n \"${SINGULARITY_SHELL:-}\" -a -x \"${SINGULARITY_SHELL:-}\"; then\n    exec $SINGULARITY_SHELL \"$@\"\nelif test -x /bin/bash; then\n    SHELL=/bin/bash\n    export SHELL\n    exec /bin/bash --norc \"$@\"\nelif test -x /bin/sh; then\n    SHELL=/bin/sh\n    export SHELL\n    exec /bin/sh \"$@\"\nfi\necho \"ERROR: /bin/sh does not exist in container\" 1>&2\nexit 1\n";
const START: &str =
    "if test -x /.singularity.d/startscript; then\n    exec /.singularity.d/startscript\nfi\n";
const TEST: &str = "if test -x /.singularity.d/test; then\n    exec /.singularity.d/test \"$@\"\nfi\necho \"No test found in container, executing /bin/sh -c true\"\nexec /bin/sh -c true\n";
const BASE_99: &str = "#!/bin/sh\nif [ -z \"${LD_LIBRARY_PATH:-}\" ]; then\n    LD_LIBRARY_PATH=\"/.singularity.d/libs\"\nelse\n    LD_LIBRARY_PATH=\"$LD_LIBRARY_PATH:/.singularity.d/libs\"\nfi\nPS1=\"Singularity> \"\nexport LD_LIBRARY_PATH PS1\n";
const RUNTIMEVARS_99: &str = "#!/bin/sh\nif [ -n \"${SING_USER_DEFINED_PREPEND_PATH:-}\" ]; then\n    PATH=\"${SING_USER_DEFINED_PREPEND_PATH}:${PATH}\"\nfi\nif [ -n \"${SING_USER_DEFINED_APPEND_PATH:-}\" ]; then\n    PATH=\"${PATH}:${SING_USER_DEFINED_APPEND_PATH}\"\nfi\nif [ -n \"${SING_USER_DEFINED_PATH:-}\" ]; then\n    PATH=\"${SING_USER_DEFINED_PATH}\"\nfi\nunset SING_USER_DEFINED_PREPEND_PATH SING_USER_DEFINED_APPEND_PATH SING_USER_DEFINED_PATH\nexport PATH\n";

/// The reference's `shell.Escape`: a backslash before `\`, `"`, `` ` `` and `$`.
pub fn shell_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '\\' | '"' | '`' | '$') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `OCI_ENTRYPOINT` / `OCI_CMD` values: each arg double-quoted and escaped, joined by spaces,
/// then single quotes escaped for the surrounding `'…'`.
fn quoted_args(args: &[String]) -> String {
    let joined = args
        .iter()
        .map(|a| format!("\"{}\"", shell_escape(a)))
        .collect::<Vec<_>>()
        .join(" ");
    joined.replace('\'', "'\"'\"'")
}

/// `env/10-docker2singularity.sh`: `PATH` is set, other keys only default.
pub fn docker_env(env: &[String]) -> String {
    let mut s = String::from("#!/bin/sh\n");
    for e in env {
        match e.split_once('=') {
            None => {
                let k = shell_escape(e);
                s.push_str(&format!("export {k}=${{{k}:-}}\n"));
            }
            Some(("PATH", v)) => s.push_str(&format!("export PATH=\"{}\"\n", shell_escape(v))),
            Some((k, v)) => s.push_str(&format!(
                "export {k}=\"${{{k}:-\"{}\"}}\"\n",
                shell_escape(v)
            )),
        }
    }
    s
}

/// `runscript`: Entrypoint plus Cmd, where arguments given at run time replace Cmd.
pub fn runscript(entrypoint: &[String], cmd: &[String]) -> String {
    format!(
        "#!/bin/sh\nOCI_ENTRYPOINT='{}'\nOCI_CMD='{}'\nCMDLINE_ARGS=\"\"\n\
# quote the run-time arguments for eval\n\
for arg in \"$@\"; do\n    CMDLINE_ARGS=\"${{CMDLINE_ARGS}} \\\"$arg\\\"\"\ndone\n\n\
if [ $# -gt 0 ]; then\n    SINGULARITY_OCI_RUN=\"${{OCI_ENTRYPOINT}} ${{CMDLINE_ARGS}}\"\n\
else\n    SINGULARITY_OCI_RUN=\"${{OCI_ENTRYPOINT}} ${{OCI_CMD}}\"\nfi\n\n\
# expand the quoted words into the arguments, then run them as the container's process\n\
eval \"set ${{SINGULARITY_OCI_RUN}}\"\nexec \"$@\"\n",
        quoted_args(entrypoint),
        quoted_args(cmd)
    )
}

/// Writes the tree into `root` (after the layers), files and links dated `time`. Existing
/// paths are left alone. Returns the directories it made (relative), whose mtimes the caller
/// sets last.
pub fn write(
    root: &Root,
    config: &ImageConfig,
    labels: &BTreeMap<String, String>,
    time: i64,
) -> io::Result<Vec<PathBuf>> {
    let mut made = Vec::new();
    let env = config.env.clone().unwrap_or_default();
    let ep = config.entrypoint.clone().unwrap_or_default();
    let cmd = config.cmd.clone().unwrap_or_default();
    let files: Vec<(&str, Vec<u8>, u32)> = vec![
        (
            ".singularity.d/actions/exec",
            action(EXEC).into_bytes(),
            0o755,
        ),
        (
            ".singularity.d/actions/run",
            action(RUN).into_bytes(),
            0o755,
        ),
        (
            ".singularity.d/actions/shell",
            action(SHELL).into_bytes(),
            0o755,
        ),
        (
            ".singularity.d/actions/start",
            action(START).into_bytes(),
            0o755,
        ),
        (
            ".singularity.d/actions/test",
            action(TEST).into_bytes(),
            0o755,
        ),
        (
            ".singularity.d/env/01-base.sh",
            b"#!/bin/sh\n".to_vec(),
            0o755,
        ),
        (
            ".singularity.d/env/10-docker2singularity.sh",
            docker_env(&env).into_bytes(),
            0o755,
        ),
        (
            ".singularity.d/env/90-environment.sh",
            b"#!/bin/sh\n# Custom environment shell code should follow\n\n".to_vec(),
            0o755,
        ),
        (
            ".singularity.d/env/99-base.sh",
            BASE_99.as_bytes().to_vec(),
            0o755,
        ),
        (
            ".singularity.d/env/99-runtimevars.sh",
            RUNTIMEVARS_99.as_bytes().to_vec(),
            0o755,
        ),
        (".singularity.d/labels.json", labels_json(labels), 0o644),
        (
            ".singularity.d/runscript",
            runscript(&ep, &cmd).into_bytes(),
            0o755,
        ),
        (".singularity.d/startscript", b"#!/bin/sh\n".to_vec(), 0o755),
        ("etc/hosts", Vec::new(), 0o644),
        ("etc/resolv.conf", Vec::new(), 0o644),
    ];
    let dirs = [".singularity.d/libs", "proc", "sys", "dev", "var/tmp"];
    let links = [
        (".exec", ".singularity.d/actions/exec"),
        (".run", ".singularity.d/actions/run"),
        (".shell", ".singularity.d/actions/shell"),
        (".test", ".singularity.d/actions/test"),
        ("singularity", ".singularity.d/runscript"),
        ("environment", ".singularity.d/env/90-environment.sh"),
    ];
    for d in dirs {
        if let Some(p) = place(root, d, &mut made)? {
            fs::DirBuilder::new().mode(0o755).create(&p)?;
            fs::set_permissions(&p, fs::Permissions::from_mode(0o755))?; // whatever the umask
            made.push(p.strip_prefix(root.path()).unwrap_or(&p).to_path_buf());
        }
    }
    for (path, bytes, mode) in files {
        if let Some(p) = place(root, path, &mut made)? {
            fs::write(&p, bytes)?;
            fs::set_permissions(&p, fs::Permissions::from_mode(mode))?;
            set_times(&p, time, 0)?;
        }
    }
    for (path, target) in links {
        if let Some(p) = place(root, path, &mut made)? {
            std::os::unix::fs::symlink(target, &p)?;
            set_times(&p, time, 0)?;
        }
    }
    Ok(made)
}

/// The host path for `rel` when nothing is there yet and its parents resolve inside the root.
fn place(root: &Root, rel: &str, made: &mut Vec<PathBuf>) -> io::Result<Option<PathBuf>> {
    let comps: Vec<OsString> = rel.split('/').map(OsString::from).collect();
    let (last, parents) = comps.split_last().expect("non-empty");
    let Ok(parent) = root.resolve_dir(parents, true, &mut |p| made.push(p.to_path_buf())) else {
        tracing::warn!(
            path = rel,
            "not adding it: its directory does not resolve inside the image"
        );
        return Ok(None);
    };
    let host = root.host(&parent.join(last));
    match fs::symlink_metadata(&host) {
        Ok(_) => Ok(None),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Some(host)),
        Err(e) => Err(e),
    }
}

/// Paths this module may add, for tests that compare against an unpacked image.
pub fn added_paths() -> &'static [&'static str] {
    &[
        ".singularity.d",
        ".exec",
        ".run",
        ".shell",
        ".test",
        "singularity",
        "environment",
        "etc/hosts",
        "etc/resolv.conf",
        "proc",
        "sys",
        "dev",
        "var",
        "var/tmp",
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busybox_env_and_runscript_match_the_reference_format() {
        let env =
            vec!["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".to_string()];
        // 85 bytes in busybox_amd64.sif.
        assert_eq!(
            docker_env(&env),
            "#!/bin/sh\nexport PATH=\"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"\n"
        );
        let r = runscript(&[], &["sh".into()]);
        assert!(
            r.starts_with("#!/bin/sh\nOCI_ENTRYPOINT=''\nOCI_CMD='\"sh\"'\n"),
            "{r}"
        );
    }

    #[test]
    fn quoting_escapes_shell_specials() {
        assert_eq!(
            docker_env(&["A=$x \"q\"".into(), "B".into()]),
            "#!/bin/sh\nexport A=\"${A:-\"\\$x \\\"q\\\"\"}\"\nexport B=${B:-}\n"
        );
        assert_eq!(
            quoted_args(&["it's".into(), "a b".into()]),
            "\"it'\"'\"'s\" \"a b\""
        );
    }
}
