//! Hook points through the real lifecycle (hooks.md §1, §14 row 11): a Lua `pre_start` veto
//! keeps a started container `created` and makes `run` fail with nothing left; with a
//! `pre_start` hook registered, `run` goes through conmon and still passes the exit code on.

use super::env::Env;
use std::os::unix::fs::PermissionsExt;

const VETO: &str = r#"
return {
  name = "veto",
  pre_start = function(ctx)
    if ctx.container_id:find("^no") then sifter.reject("not today") end
  end,
}
"#;

/// A trusted hook directory with `script` as `<name>.lua`, and a site config naming it.
pub(super) fn with_script(env: &mut Env, name: &str, script: &str) {
    let dir = env.path("hooks.d");
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = dir.join(format!("{name}.lua"));
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let config = env.path("sifter.toml");
    std::fs::write(&config, crate::support::lua_site(&dir)).unwrap();
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o644)).unwrap();
    env.config = Some(config);
}

pub fn pre_start_veto(runtime: &'static str) {
    let Some(mut env) = Env::new(runtime) else {
        return;
    };
    with_script(&mut env, "veto", VETO);
    let bundle = env.bundle("b", &["sh", "-c", "exit 6"], false);
    let id = env.id("no");
    env.ok(&["create", "-b", bundle.to_str().unwrap(), &id]);
    let out = env.oci(&["start", &id]);
    assert_eq!(out.status, 255);
    assert!(out.stderr.contains("not today"), "{}", out.stderr);
    assert_eq!(env.status(&id), "created");
    env.ok(&["delete", &id]);
    env.assert_clean();

    let out = env.oci(&["run", "-b", bundle.to_str().unwrap(), &env.id("no")]);
    assert_eq!(out.status, 255);
    assert!(out.stderr.contains("not today"), "{}", out.stderr);
    env.assert_clean();

    let out = env.oci(&["run", "-b", bundle.to_str().unwrap(), &env.id("yes")]);
    assert_eq!(out.status, 6, "{}", out.stderr);
    env.assert_clean();
}

pub(super) const ALL_POINTS: &str = r#"
return {
  name = "probe",
  mutate_config = function(ctx, spec) end,
  pre_start = function(ctx) end,
  post_delete = function(ctx) end,
}
"#;

const NO_PRE_START: &str = r#"
return {
  name = "probe",
  mutate_config = function(ctx, spec) end,
  post_delete = function(ctx) end,
}
"#;

/// `run` fires `mutate_config`, `pre_start` and `post_delete` exactly once each (row R4),
/// counted in the hook spans' closing events that `--debug` prints; likewise on the direct
/// path that `run` takes when no `pre_start` hook is registered.
pub fn run_fires_each_point_once(runtime: &'static str) {
    for (script, points, direct) in [
        (
            ALL_POINTS,
            &["mutate_config", "pre_start", "post_delete"][..],
            false,
        ),
        (NO_PRE_START, &["mutate_config", "post_delete"][..], true),
    ] {
        let Some(mut env) = Env::new(runtime) else {
            return;
        };
        with_script(&mut env, "probe", script);
        let bundle = env.bundle("b", &["sh", "-c", "exit 2"], false);
        let out = std::process::Command::new(super::env::sifter_bin())
            .arg("--debug")
            .args(env.global())
            .args(["oci", "run", "-b", bundle.to_str().unwrap(), &env.id("p")])
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let stderr = strip_ansi(&String::from_utf8_lossy(&out.stderr));
        let path = stderr
            .lines()
            .find(|l| l.contains("run path"))
            .unwrap_or_default();
        assert!(path.contains(&format!("direct={direct}")), "{path}");
        for point in points {
            let n = stderr
                .lines()
                .filter(|l| l.contains("hook finished") && l.contains("probe.lua"))
                .filter(|l| l.contains(point))
                .count();
            assert_eq!(n, 1, "{point}:\n{stderr}");
        }
        env.assert_clean();
    }
}

/// The debug log without its colour escapes.
fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A hook that ran at `pre_start` and is gone by `delete` gives a WARNING; delete still
/// succeeds (hooks.md §1).
pub fn vanished_hook_warns_at_delete(runtime: &'static str) {
    let Some(mut env) = Env::new(runtime) else {
        return;
    };
    with_script(&mut env, "probe", ALL_POINTS);
    let bundle = env.bundle("b", &["sleep", "1000"], false);
    let id = env.id("gone");
    env.ok(&["create", "-b", bundle.to_str().unwrap(), &id]);
    env.ok(&["start", &id]);
    std::fs::remove_file(env.path("hooks.d/probe.lua")).unwrap();
    let out = env.ok(&["delete", "--force", &id]);
    assert_eq!(
        out.stderr,
        format!(
            "WARNING: hook \"probe\" ran at pre_start of container \"{id}\" but is no longer registered; its post_delete cannot run\n"
        )
    );
    env.assert_clean();
}
