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

pub fn pre_start_veto(runtime: &'static str) {
    let Some(mut env) = Env::new(runtime) else {
        return;
    };
    let dir = env.path("hooks.d");
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let script = dir.join("veto.lua");
    std::fs::write(&script, VETO).unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o644)).unwrap();
    let config = env.path("sifter.toml");
    std::fs::write(
        &config,
        format!(
            "[hooks]\nlua_dirs = [\"{}\"]\nplugin_dirs = []\n",
            dir.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o644)).unwrap();
    env.config = Some(config);

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
