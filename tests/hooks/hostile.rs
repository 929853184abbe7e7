//! Hostile and broken input (hooks.md §14 #2–#4, #10, #12, #13, #15): each gives a clear error
//! naming the file, and nothing is created.

use super::*;

fn site_with_lua_dir(hx: &Hx, extra: &str) -> (PathBuf, PathBuf) {
    let dir = hx.dir("hooks.d");
    let cfg = hx.site(&format!("{}{extra}", crate::support::lua_site(&dir)));
    (dir, cfg)
}

fn load(cfg: &Path) -> Result<Registry, PluginError> {
    let site = SiteConfig::load(cfg, true)?;
    Registry::load(&site, cfg)
}

fn script(hx: &Hx, dir: &Path, name: &str, body: &str) -> PathBuf {
    hx.write(&dir.join(name), body, 0o644)
}

#[test]
fn syntax_error_names_script_and_line() {
    let hx = Hx::new();
    let (dir, cfg) = site_with_lua_dir(&hx, "");
    let p = script(
        &hx,
        &dir,
        "broken.lua",
        "return {\n  mutate_config = function(ctx, spec)\n    if then\n  end,\n}\n",
    );
    let e = load(&cfg).unwrap_err().to_string();
    assert!(
        e.starts_with(&format!(
            "cannot load hook script {}: broken.lua:3:",
            p.display()
        )),
        "{e}"
    );
}

#[test]
fn runtime_error_has_script_line_and_traceback_and_leaves_config_alone() {
    let hx = Hx::new();
    let b = hx.bundle("b");
    let before = std::fs::read(b.join("config.json")).unwrap();
    let (dir, cfg) = site_with_lua_dir(&hx, "");
    script(
        &hx,
        &dir,
        "nil.lua",
        "local function f(dev)\n  return dev.minor\nend\nreturn { mutate_config = function(ctx, spec)\n  f(nil)\nend }\n",
    );
    let r = load(&cfg).unwrap();
    let e = build(&r, &inv(&b)).unwrap_err();
    let msg = e.to_string();
    assert!(msg.starts_with("hook nil failed in mutate_config: nil.lua:2: attempt to index a nil value (local 'dev')"), "{msg}");
    assert!(msg.contains("\n    nil.lua:5: in "), "{msg}");
    assert_eq!(std::fs::read(b.join("config.json")).unwrap(), before);
}

#[test]
fn infinite_loops_hit_the_configured_budget() {
    let hx = Hx::new();
    let b = hx.bundle("b");
    let (dir, cfg) = site_with_lua_dir(&hx, "[hooks.limits]\nlua_instructions = 200000\n");
    script(
        &hx,
        &dir,
        "a-loop.lua",
        "return { mutate_config = function()\n  while true do end\nend }\n",
    );
    let r = load(&cfg).unwrap();
    let e = build(&r, &inv(&b)).unwrap_err().to_string();
    assert!(e.starts_with("hook a-loop failed in mutate_config: a-loop.lua:2: instruction budget of 200000 exceeded"), "{e}");
    std::fs::remove_file(dir.join("a-loop.lua")).unwrap();
    script(
        &hx,
        &dir,
        "b-pcall.lua",
        "return { mutate_config = function()\n  while true do\n    pcall(function() while true do end end)\n  end\nend }\n",
    );
    let r = load(&cfg).unwrap();
    let e = build(&r, &inv(&b)).unwrap_err().to_string();
    assert!(
        e.starts_with("hook b-pcall failed in mutate_config: b-pcall.lua:"),
        "{e}"
    );
    assert!(e.contains(": instruction budget of 200000 exceeded"), "{e}");
}

#[test]
fn memory_bombs_hit_the_memory_limit() {
    let hx = Hx::new();
    let b = hx.bundle("b");
    let (dir, cfg) = site_with_lua_dir(
        &hx,
        "[hooks.limits]\nlua_memory_mib = 8\nlua_instructions = 10000000000\n",
    );
    let bombs = [
        "local s = 'x' while true do s = s .. s end",
        "local t = {} local i = 0 while true do i = i + 1 t[i] = string.rep('y', 64) .. i end",
        "while true do pcall(string.rep, 'x', 1 << 30) end",
    ];
    for (n, body) in bombs.iter().enumerate() {
        let name = format!("bomb{n}.lua");
        script(
            &hx,
            &dir,
            &name,
            &format!("return {{ mutate_config = function() {body} end }}"),
        );
        let r = load(&cfg).unwrap();
        let e = build(&r, &inv(&b)).unwrap_err().to_string();
        assert_eq!(
            e,
            format!(
                "hook bomb{n} failed in mutate_config: memory limit of 8 MiB exceeded in {name}"
            )
        );
        std::fs::remove_file(dir.join(&name)).unwrap();
    }
}

#[test]
fn dangerous_functions_are_absent() {
    let hx = Hx::new();
    let b = hx.bundle("b");
    let (dir, cfg) = site_with_lua_dir(&hx, "");
    for (n, call) in [
        "os.execute('touch /tmp/sifter-pwned')",
        "io.open('/etc/shadow')",
        "require('os')",
    ]
    .iter()
    .enumerate()
    {
        let name = format!("x{n}.lua");
        script(
            &hx,
            &dir,
            &name,
            &format!("return {{ mutate_config = function()\n  {call}\nend }}"),
        );
        let r = load(&cfg).unwrap();
        let e = build(&r, &inv(&b)).unwrap_err().to_string();
        assert!(e.contains(&format!("{name}:2: attempt to")), "{call}: {e}");
        std::fs::remove_file(dir.join(&name)).unwrap();
    }
    assert!(!Path::new("/tmp/sifter-pwned").exists());
}

#[test]
fn untrusted_scripts_dirs_and_configs_are_refused() {
    let hx = Hx::new();
    let (dir, cfg) = site_with_lua_dir(&hx, "");
    let p = script(
        &hx,
        &dir,
        "site.lua",
        "return { mutate_config = function() end }",
    );
    chmod(&p, 0o664);
    assert_eq!(
        load(&cfg).unwrap_err().to_string(),
        format!("refusing {}: writable by group (mode 0664)", p.display())
    );
    chmod(&p, 0o644);
    chmod(&dir, 0o777);
    assert_eq!(
        load(&cfg).unwrap_err().to_string(),
        format!("refusing {}: writable by group (mode 0777)", dir.display())
    );
    chmod(&dir, 0o755);
    assert!(load(&cfg).is_ok());
    chmod(&cfg, 0o666);
    assert_eq!(
        load(&cfg).unwrap_err().to_string(),
        format!("refusing {}: writable by group (mode 0666)", cfg.display())
    );
    chmod(&cfg, 0o644);
    nix::unistd::chown(&p, Some(nix::unistd::Uid::from_raw(4321)), None).unwrap();
    assert_eq!(
        load(&cfg).unwrap_err().to_string(),
        format!("refusing {}: owned by uid 4321, not root", p.display())
    );
}

#[test]
fn config_keys_and_directories_are_checked() {
    let hx = Hx::new();
    let cfg = hx.site("[hooks]\nlua_dir = [\"/x\"]\n");
    let e = load(&cfg).unwrap_err().to_string();
    assert!(
        e.starts_with(&format!(
            "invalid site config {}: unknown field `lua_dir`",
            cfg.display()
        )),
        "{e}"
    );
    let cfg = hx.site("[hooks]\nlua_dirs = [\"/nonexistent/hooks.d\"]\nplugin_dirs = []\n");
    assert_eq!(
        load(&cfg).unwrap_err().to_string(),
        "configured hook directory /nonexistent/hooks.d does not exist"
    );
    // a missing default directory is not an error
    let cfg = hx.site("");
    assert!(load(&cfg).is_ok());
    let e = SiteConfig::load(&hx.path("absent.toml"), true)
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        format!(
            "cannot read site config {}",
            hx.path("absent.toml").display()
        )
    );
}

#[test]
fn strict_conversion_names_script_and_json_path() {
    let hx = Hx::new();
    let b = hx.bundle("b");
    let (dir, cfg) = site_with_lua_dir(&hx, "");
    script(
        &hx,
        &dir,
        "typo.lua",
        "return { mutate_config = function(ctx, spec) spec.process.envv = { 'A=1' } end }",
    );
    let e = build(&load(&cfg).unwrap(), &inv(&b))
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "hook typo failed in mutate_config: typo.lua: returned spec: /process/envv: unknown key"
    );
    std::fs::remove_file(dir.join("typo.lua")).unwrap();
    script(
        &hx,
        &dir,
        "yes.lua",
        "return { mutate_config = function(ctx, spec) spec.process.terminal = 'yes' end }",
    );
    let e = build(&load(&cfg).unwrap(), &inv(&b))
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("hook yes failed in mutate_config: yes.lua: returned spec: /process/terminal: invalid type: string \"yes\", expected a boolean"), "{e}");
    hx.edit_config(&b, |v| v["linux"]["namespacez"] = serde_json::json!([]));
    let e = build(&registry(vec![], ""), &inv(&b))
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        format!(
            "invalid config {}/config.json: /linux/namespacez: unknown key",
            b.display()
        )
    );
}

#[test]
fn recycled_effective_config_is_refused() {
    let hx = Hx::new();
    let b = hx.bundle("b");
    let r = registry(vec![], "");
    let eff = build(&r, &inv(&b)).unwrap();
    std::fs::write(b.join("config.json"), &eff.bytes).unwrap();
    let e = build(&r, &inv(&b)).unwrap_err().to_string();
    assert_eq!(
        e,
        format!(
            "{}/config.json is an effective config produced by sifter (annotation org.sifter.hooks.applied); use the bundle's original config.json",
            b.display()
        )
    );
}

#[test]
fn provenance_attributes_each_edit() {
    let hx = Hx::new();
    let b = hx.bundle("b");
    let dir = hx.dir("lua");
    let helper = script(
        &hx,
        &dir,
        "helper.lua",
        "return { name = 'helper', mutate_config = function(ctx, spec)\n  sifter.spec.add_mount(spec, { source = '/etc', destination = '/host-etc' })\n  sifter.spec.add_device(spec, '/dev/null', { path = '/dev/xnull' })\n  sifter.spec.set_env(spec, 'TZ', 'UTC')\nend }",
    );
    let raw = script(
        &hx,
        &dir,
        "raw.lua",
        "return { name = 'raw', priority = 5, mutate_config = function(ctx, spec)\n  spec.hostname = 'edited'\n  table.insert(spec.process.env, 'RAW=1')\nend }",
    );
    let r = registry(vec![lua(&helper), lua(&raw)], "");
    let eff = build(&r, &inv(&b)).unwrap();
    let got: Vec<String> = eff
        .provenance
        .iter()
        .map(|p| {
            format!(
                "{} {} {} {} {}",
                p.hook,
                p.field,
                p.key,
                p.action,
                p.source.as_deref().unwrap_or("-")
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            "helper mounts /host-etc added /etc",
            "helper linux.devices /dev/xnull added -",
            "helper linux.resources.devices {\"access\":\"rwm\",\"allow\":true,\"major\":1,\"minor\":3,\"type\":\"c\"} added -",
            "helper process.env TZ added -",
            "raw process.env RAW added -",
            "raw /hostname /hostname changed -",
        ]
    );
}

#[test]
fn invalid_output_blames_the_hook() {
    let hx = Hx::new();
    let b = hx.bundle("b");
    let dir = hx.dir("lua");
    let rel = hx.write(
        &dir.join("rel.lua"),
        "return { mutate_config = function(ctx, spec)\n  table.insert(spec.mounts, { destination = 'data', type = 'tmpfs', source = 'tmpfs' })\nend }",
        0o644,
    );
    let e = build(&registry(vec![lua(&rel)], ""), &inv(&b))
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "hook rel produced an invalid config: mounts[7].destination \"data\" is not absolute"
    );
    let env = hx.write(&dir.join("env.lua"), "return { mutate_config = function(ctx, spec)\n  table.insert(spec.process.env, 'NOEQUALS')\nend }", 0o644);
    let e = build(&registry(vec![lua(&env)], ""), &inv(&b))
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "hook env produced an invalid config: process.env[2] \"NOEQUALS\" has no '='"
    );
}
