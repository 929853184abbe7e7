//! Hook points through real containers (hooks.md §14 #8, #11, #15; issue 5): a Lua bind and
//! env plus a CDI device seen inside an `oci run` container, `post_delete` failures that only
//! warn, and `hooks preview` equal to the config `create` writes, with the user's config
//! untouched and `oci state` attributing each edit.

use super::*;
use crate::support::{self, Output};
use nix::sys::stat::{Mode, SFlag, makedev, mknod};
use sha2::{Digest, Sha256};
use std::process::Command;

/// Byte offset of the squashfs partition in `busybox_amd64.sif`.
const BUSYBOX_OFFSET: &str = "45056";

struct Rig {
    hx: Hx,
    root: PathBuf,
    cfg: PathBuf,
}

impl Rig {
    fn new(cfg_body: impl FnOnce(&Hx) -> String) -> Option<Rig> {
        if !support::privileged() {
            return None;
        }
        support::crun_cgroup_setup();
        let hx = Hx::new();
        let body = cfg_body(&hx);
        let cfg = hx.site(&body);
        let root = hx.path("root");
        Some(Rig { hx, root, cfg })
    }

    /// A bundle with the busybox rootfs (unsquashfs) and the fixture config running `args`.
    fn bundle(&self, args: &[&str]) -> PathBuf {
        let b = self.hx.bundle("bundle");
        std::fs::remove_dir(b.join("rootfs")).unwrap();
        let st = Command::new("unsquashfs")
            .args(["-q", "-n", "-o", BUSYBOX_OFFSET, "-d"])
            .arg(b.join("rootfs"))
            .arg(support::reference_image("busybox_amd64.sif"))
            .stdout(std::process::Stdio::null())
            .status()
            .expect("unsquashfs (squashfs-tools) must be installed");
        assert!(st.success());
        self.hx.edit_config(&b, |v| {
            v["process"]["args"] = serde_json::json!(args);
            v["process"]["terminal"] = false.into();
        });
        b
    }

    /// The global flags of every command of this rig.
    fn global(&self) -> Vec<String> {
        let root = self.root.to_str().unwrap();
        let cfg = self.cfg.to_str().unwrap();
        ["--root", root, "--runtime", "runc", "--config", cfg]
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    fn sifter(&self, args: &[&str]) -> Output {
        let mut argv = self.global();
        argv.extend(args.iter().map(|s| s.to_string()));
        support::sifter(argv)
    }

    /// Nothing of this test is left: no container dir, claim, lock or runtime state.
    fn assert_clean(&self) {
        for dir in ["containers", "bundles", "runtime"] {
            let left: Vec<_> = std::fs::read_dir(self.root.join(dir))
                .map(|r| r.filter_map(|e| e.ok()).map(|e| e.file_name()).collect())
                .unwrap_or_default();
            assert!(left.is_empty(), "{dir} still holds {left:?}");
        }
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        if let Ok(entries) = std::fs::read_dir(self.root.join("containers")) {
            for e in entries.flatten() {
                let _ =
                    self.sifter(&["oci", "delete", "--force", &e.file_name().to_string_lossy()]);
            }
        }
    }
}

fn id(prefix: &str) -> String {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{prefix}-{:x}-{n:x}", std::process::id())
}

const BIND_ENV: &str = r#"-- test hook: one bind and one env var
return {
  name = "test-bind",
  mutate_config = function(ctx, spec)
    sifter.spec.add_mount(spec, { source = ctx.settings.data, destination = "/mnt/data" })
    sifter.spec.set_env(spec, "HOOKED", "yes")
  end,
}
"#;

#[test]
fn lua_bind_env_and_cdi_device_reach_a_real_container() {
    let Some(bx) = Rig::new(|hx| {
        let lua = hx.dir("hooks.d");
        hx.write(&lua.join("test-bind.lua"), BIND_ENV, 0o644);
        let data = hx.dir("data");
        hx.write(&data.join("hello"), "hello from the host\n", 0o644);
        let dev = hx.dir("dev");
        let node = dev.join("testnull");
        mknod(
            &node,
            SFlag::S_IFCHR,
            Mode::from_bits_truncate(0o666),
            makedev(1, 3),
        )
        .unwrap();
        let cdi = hx.dir("cdi");
        let spec = format!(
            r#"{{"cdiVersion": "0.5.0", "kind": "sifter.test/dev", "devices": [{{"name": "null", "containerEdits": {{"deviceNodes": [{{"path": "/dev/testnull", "hostPath": "{}"}}]}}}}]}}"#,
            node.display()
        );
        hx.write(&cdi.join("test.json"), &spec, 0o644);
        format!(
            "{}[plugins.test-bind]\ndata = \"{}\"\n[plugins.cdi]\nspec_dirs = [\"{}\"]\n",
            crate::support::lua_site(&lua),
            data.display(),
            cdi.display()
        )
    }) else {
        return;
    };
    let b = bx.bundle(&["sh", "-c", "cat /mnt/data/hello; echo HOOKED=$HOOKED; ls -l /dev/testnull; echo x > /dev/testnull && echo writable"]);
    let out = bx.sifter(&[
        "oci",
        "run",
        "-b",
        b.to_str().unwrap(),
        "--device",
        "sifter.test/dev=null",
        &id("hk"),
    ]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("hello from the host\n"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("HOOKED=yes\n"), "{}", out.stdout);
    assert!(
        out.stdout.contains("1,   3")
            && out.stdout.starts_with("hello")
            && out.stdout.contains("\ncrw"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.ends_with("writable\n"), "{}", out.stdout);
    bx.assert_clean();
}

const FAILING_POST_DELETE: &str = r#"return {
  name = "NAME",
  post_delete = function(ctx) error("cleanup of " .. ctx.container_id .. " failed") end,
}
"#;

#[test]
fn post_delete_failures_only_warn_and_all_run() {
    let Some(bx) = Rig::new(|hx| {
        let lua = hx.dir("hooks.d");
        for n in ["cleanup-a", "cleanup-b"] {
            hx.write(
                &lua.join(format!("{n}.lua")),
                &FAILING_POST_DELETE.replace("NAME", n),
                0o644,
            );
        }
        crate::support::lua_site(&lua)
    }) else {
        return;
    };
    let b = bx.bundle(&["true"]);
    let i = id("pd");
    let out = bx.sifter(&["oci", "run", "-b", b.to_str().unwrap(), &i]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    for n in ["cleanup-a", "cleanup-b"] {
        let want =
            format!("WARNING: hook {n} failed in post_delete: {n}.lua:3: cleanup of {i} failed");
        assert!(
            out.stderr.contains(&want),
            "missing {want:?} in {}",
            out.stderr
        );
    }
    bx.assert_clean();
}

#[test]
fn preview_equals_create_and_the_user_config_is_untouched() {
    let Some(bx) = Rig::new(|hx| {
        let lua = hx.dir("hooks.d");
        hx.install(&lua, "site-env");
        hx.write(&lua.join("test-bind.lua"), BIND_ENV, 0o644);
        let data = hx.dir("data");
        format!(
            "{}[plugins.site-env]\nset = {{ TZ = \"UTC\" }}\n[plugins.test-bind]\ndata = \"{}\"\n",
            crate::support::lua_site(&lua),
            data.display()
        )
    }) else {
        return;
    };
    let b = bx.bundle(&["sleep", "100"]);
    let user_config = b.join("config.json");
    let before = Sha256::digest(std::fs::read(&user_config).unwrap());
    let i = id("pv");
    let preview = bx.sifter(&["hooks", "preview", "-b", b.to_str().unwrap(), "--id", &i]);
    assert_eq!(preview.status, 0, "{}", preview.stderr);
    let out = bx.sifter(&["oci", "create", "-b", b.to_str().unwrap(), &i]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let written = std::fs::read(
        bx.root
            .join("containers")
            .join(&i)
            .join("bundle/config.json"),
    )
    .unwrap();
    assert_eq!(
        preview.stdout_bytes, written,
        "preview differs from the runtime bundle's config"
    );
    let state = bx.sifter(&["oci", "state", &i]);
    assert_eq!(state.status, 0, "{}", state.stderr);
    let v: serde_json::Value = serde_json::from_str(&state.stdout).unwrap();
    assert_eq!(v["hooks"], serde_json::json!(["test-bind", "site-env"]));
    let prov: Vec<String> = v["hookProvenance"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{} {} {} {}",
                p["hook"].as_str().unwrap(),
                p["field"].as_str().unwrap(),
                p["key"].as_str().unwrap(),
                p["action"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        prov,
        [
            "test-bind mounts /mnt/data added",
            "test-bind process.env HOOKED added",
            "site-env process.env TZ added"
        ]
    );
    let out = bx.sifter(&["oci", "delete", &i]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert_eq!(Sha256::digest(std::fs::read(&user_config).unwrap()), before);
    bx.assert_clean();
}

#[test]
fn broken_hooks_fail_create_and_leave_nothing() {
    let Some(bx) = Rig::new(|hx| {
        let lua = hx.dir("hooks.d");
        let plugins = hx.dir("plugins");
        format!(
            "[hooks]\nlua_dirs = [\"{}\"]\nplugin_dirs = [\"{}\"]\n",
            lua.display(),
            plugins.display()
        )
    }) else {
        return;
    };
    let b = bx.bundle(&["true"]);
    let before = std::fs::read(b.join("config.json")).unwrap();
    let lua = bx.hx.path("hooks.d");
    let create = |name: &str| bx.sifter(&["oci", "create", "-b", b.to_str().unwrap(), &id(name)]);

    let script = bx.hx.write(&lua.join("nil.lua"), "return { mutate_config = function(ctx, spec)\n  local dev = nil\n  return dev.minor\nend }\n", 0o644);
    let out = create("lua");
    assert_eq!(out.status, 255);
    assert!(out.stderr.starts_with("FATAL:   hook nil failed in mutate_config: nil.lua:3: attempt to index a nil value (local 'dev')"), "{}", out.stderr);
    bx.assert_clean();

    std::fs::write(&script, "return { mutate_config = function( }").unwrap();
    let out = create("syntax");
    assert_eq!(out.status, 255);
    assert!(
        out.stderr.starts_with(&format!(
            "FATAL:   cannot load hook script {}: nil.lua:1:",
            script.display()
        )),
        "{}",
        out.stderr
    );
    bx.assert_clean();
    std::fs::remove_file(&script).unwrap();

    let so = plugin(&bx.hx, "plugins", "sifter-test-plugin-wrong-abi");
    let out = create("abi");
    assert_eq!(out.status, 255);
    assert_eq!(
        out.stderr,
        format!(
            "FATAL:   refusing plugin {}: it implements ABI version 2, this sifter implements version 1\n",
            so.display()
        )
    );
    bx.assert_clean();
    std::fs::remove_file(&so).unwrap();

    let so = plugin(&bx.hx, "plugins", "sifter-test-plugin-panicking");
    let out = create("panic");
    assert_eq!(out.status, 255);
    assert_eq!(
        out.stderr.lines().count(),
        1,
        "one clean message: {}",
        out.stderr
    );
    assert!(
        out.stderr.starts_with(&format!(
            "FATAL:   hook panicking ({}) panicked in mutate_config: index out of bounds",
            so.display()
        )),
        "{}",
        out.stderr
    );
    bx.assert_clean();
    assert_eq!(std::fs::read(b.join("config.json")).unwrap(), before);
}

const VETO: &str = r#"return {
  name = "veto",
  pre_start = function(ctx) sifter.reject("no jobs on " .. ctx.state.status .. " containers today") end,
  post_delete = function(ctx) sifter.log.info("cleaned up %s", ctx.container_id) end,
}
"#;

#[test]
fn pre_start_veto_under_run_leaves_nothing() {
    let Some(bx) = Rig::new(|hx| {
        let lua = hx.dir("hooks.d");
        hx.write(&lua.join("veto.lua"), VETO, 0o644);
        crate::support::lua_site(&lua)
    }) else {
        return;
    };
    let b = bx.bundle(&["true"]);
    let i = id("veto");
    let out = bx.sifter(&["oci", "run", "-b", b.to_str().unwrap(), &i]);
    assert_eq!(out.status, 255);
    assert!(
        out.stderr.contains(&format!(
            "FATAL:   container {i} rejected by hook veto: no jobs on created containers today"
        )),
        "{}",
        out.stderr
    );
    bx.assert_clean();
    // The hook's own log line at post_delete is an INFO line unless --quiet. The tracing
    // subscriber prints to the real stderr, so this part runs the executable.
    for (quiet, want) in [(false, true), (true, false)] {
        let mut cmd = Command::new(support::sifter_bin());
        cmd.args(bx.global());
        if quiet {
            cmd.arg("--quiet");
        }
        let out = cmd
            .args(["oci", "run", "-b", b.to_str().unwrap(), &i])
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(255), "{stderr}");
        let line = format!("INFO:    cleaned up {i}\n");
        assert_eq!(stderr.contains(&line), want, "quiet {quiet}: {stderr}");
        bx.assert_clean();
    }
}

#[test]
fn load_time_findings_are_warnings_of_run() {
    let Some(bx) = Rig::new(|_| {
        "[hooks]\nlua_dirs = []\nplugin_dirs = []\ndisable = [\"no-such-hook\"]\n\n\
         [plugins.orphan-table]\nx = 1\n"
            .to_string()
    }) else {
        return;
    };
    let b = bx.bundle(&["true"]);
    let i = id("warn");
    let out = bx.sifter(&["oci", "run", "-b", b.to_str().unwrap(), &i]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let warnings: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("WARNING: "))
        .collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("\"no-such-hook\", which matches no hook")),
        "{}",
        out.stderr
    );
    assert!(
        warnings.iter().any(|w| w.contains("orphan-table")),
        "{}",
        out.stderr
    );
    assert_eq!(warnings.len(), 2, "each finding once: {}", out.stderr);
    bx.assert_clean();
}
