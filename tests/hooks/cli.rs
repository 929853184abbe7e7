//! The `hooks` commands (hooks.md §12, §14 #8, #14, #17) through the in-process CLI.

use super::*;
use crate::support::{Output, sifter};

fn run(cfg: &Path, args: &[&str]) -> Output {
    let mut argv = vec![
        "--config".to_string(),
        cfg.display().to_string(),
        "hooks".to_string(),
    ];
    argv.extend(args.iter().map(|s| s.to_string()));
    sifter(argv)
}

/// hooks.d with the four shipped scripts, an empty plugin dir, and a config using both.
fn setup(hx: &Hx, extra: &str) -> PathBuf {
    let lua = hx.dir("hooks.d");
    for name in [
        "deny-privileged",
        "gpu-binds",
        "label-annotations",
        "site-env",
    ] {
        hx.install(&lua, name);
    }
    let plugins = hx.dir("plugins");
    hx.site(&format!(
        "[hooks]\nlua_dirs = [\"{}\"]\nplugin_dirs = [\"{}\"]\n{extra}",
        lua.display(),
        plugins.display()
    ))
}

#[test]
fn list_shows_every_hook_in_run_order() {
    let hx = Hx::new();
    let cfg = setup(
        &hx,
        "disable = [\"label-annotations\"]\n[hooks.priority]\ngpu-binds = 50\n",
    );
    let out = run(&cfg, &["list"]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("\ncdi ") && out.stdout.contains("\nbind-policy "),
        "{}",
        out.stdout
    );
    insta::assert_snapshot!(
        "hooks_list_text",
        out.transcript("--config [TMP]/sifter.toml hooks list")
    );
    let out = run(&cfg, &["list", "--format", "json"]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    insta::assert_snapshot!("hooks_list_json", out.stdout);
}

#[test]
fn preview_prints_exactly_what_create_writes() {
    let hx = Hx::new();
    let b = hx.bundle("b");
    let cfg = setup(&hx, "[plugins.site-env]\nset = { TZ = \"UTC\" }\n");
    let out = run(
        &cfg,
        &[
            "preview",
            "-b",
            b.to_str().unwrap(),
            "--id",
            "job-7",
            "--annotation",
            "org.example.k=v=w",
        ],
    );
    assert_eq!(out.status, 0, "{}", out.stderr);
    let site = SiteConfig::load(&cfg, true).unwrap();
    let r = Registry::load(&site, &cfg).unwrap();
    let mut i = Invocation {
        id: "job-7".into(),
        user: None,
        ..inv(&b)
    };
    i.extra_annotations
        .insert("org.example.k".into(), "v=w".into());
    let eff = build(&r, &i).unwrap();
    assert_eq!(out.stdout, text(&eff));
    assert!(out.stderr.contains("== site-env (lua, "), "{}", out.stderr);
    assert!(out.stderr.contains("+      \"TZ=UTC\""), "{}", out.stderr);
    assert!(
        out.stderr.starts_with("== (sifter) resolve paths"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("== (sifter) finalize"),
        "{}",
        out.stderr
    );
    let json = run(
        &cfg,
        &[
            "preview",
            "-b",
            b.to_str().unwrap(),
            "--id",
            "job-7",
            "--annotation",
            "org.example.k=v=w",
            "--format",
            "json",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        v["config"],
        serde_json::from_slice::<serde_json::Value>(&eff.bytes).unwrap()
    );
    let names: Vec<&str> = v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "(sifter) resolve paths",
            "bind-policy",
            "deny-privileged",
            "cdi",
            "gpu-binds",
            "label-annotations",
            "site-env",
            "(sifter) finalize"
        ]
    );
}

#[test]
fn preview_stops_at_a_rejection_with_the_create_message() {
    let hx = Hx::new();
    let b = hx.bundle("b");
    hx.edit_config(&b, |v| {
        v["process"]["capabilities"]["bounding"]
            .as_array_mut()
            .unwrap()
            .push("CAP_SYS_ADMIN".into())
    });
    let cfg = setup(&hx, "[plugins.deny-privileged]\nexempt_uids = []\n");
    let out = run(&cfg, &["preview", "-b", b.to_str().unwrap()]);
    assert_eq!(out.status, 255);
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr.contains("== deny-privileged (lua, "),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("== site-env"), "{}", out.stderr);
    assert!(out.stderr.ends_with("FATAL:   container preview rejected by hook deny-privileged: capabilities not allowed: CAP_SYS_ADMIN in bounding\n"), "{}", out.stderr);
}

#[test]
fn check_reports_every_problem_at_once() {
    let hx = Hx::new();
    let cfg = setup(
        &hx,
        "[plugins.site-env]\nset = 5\n[plugins.nobody]\nx = 1\n",
    );
    let lua = hx.path("hooks.d");
    hx.write(
        &lua.join("broken.lua"),
        "return {\n  mutate_config = function(\n}\n",
        0o644,
    );
    hx.write(
        &lua.join("twin.lua"),
        "return { name = 'site-env', pre_start = function() end }\n",
        0o644,
    );
    let out = run(&cfg, &["check"]);
    assert_eq!(out.status, 255, "{}", out.stdout);
    insta::assert_snapshot!(
        "hooks_check_problems",
        out.transcript("--config [TMP]/sifter.toml hooks check")
    );
    std::fs::remove_file(lua.join("broken.lua")).unwrap();
    std::fs::remove_file(lua.join("twin.lua")).unwrap();
    let cfg = setup(&hx, "[plugins.site-env]\nset = { TZ = \"UTC\" }\n");
    let out = run(&cfg, &["check"]);
    assert_eq!(
        (out.status, out.stdout.as_str()),
        (0, "ok: 6 hooks, no problems\n"),
        "{}",
        out.stderr
    );
}

/// architecture.md §7: `inventory` drops registrations of crates the binary never names, so
/// every compiled-in plugin crate under `plugins/` (all but the cdylib) must be listed.
#[test]
fn every_compiled_plugin_crate_is_registered() {
    let hx = Hx::new();
    let cfg = hx.site("[hooks]\nlua_dirs = []\nplugin_dirs = []\n");
    let out = run(&cfg, &["list", "--format", "json"]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let names: Vec<&str> = v["hooks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["name"].as_str().unwrap())
        .collect();
    let mut crates = Vec::new();
    for e in std::fs::read_dir(repo_root().join("plugins")).unwrap() {
        let dir = e.unwrap().path();
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
        if manifest.contains("crate-type = [\"cdylib\"") {
            continue;
        }
        crates.push(dir.file_name().unwrap().to_string_lossy().into_owned());
    }
    crates.sort();
    assert_eq!(crates, ["bind-policy", "cdi"]);
    for c in &crates {
        assert!(
            names.contains(&c.as_str()),
            "plugin crate {c} is not registered: {names:?}"
        );
    }
}

#[test]
fn preview_as_user_fills_ctx_user_from_passwd() {
    let hx = Hx::new();
    let b = hx.bundle("b");
    let lua = hx.dir("hooks.d");
    hx.write(&lua.join("who.lua"), "return { mutate_config = function(ctx, spec)\n  print('print goes to the log')\n  sifter.spec.add_annotation(spec, 'who', ctx.user.name .. ':' .. ctx.user.uid)\nend }\n", 0o644);
    let cfg = hx.site(&crate::support::lua_site(&lua));
    let out = run(
        &cfg,
        &["preview", "-b", b.to_str().unwrap(), "--as-user", "nobody"],
    );
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("\"who\": \"nobody:65534\""),
        "{}",
        out.stdout
    );
    let out = run(
        &cfg,
        &[
            "preview",
            "-b",
            b.to_str().unwrap(),
            "--as-user",
            "no-such-user-x",
        ],
    );
    assert_eq!(out.status, 255);
    assert_eq!(
        out.stderr,
        "FATAL:   unknown user \"no-such-user-x\" for --as-user (not in the passwd data)\n"
    );
}
