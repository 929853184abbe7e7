//! Unit tests of the Lua host: shape, sandbox, limits, strict conversion, helpers, errors.

use super::*;
use crate::adapter::Adapted;
use crate::lua::api::registered_names;
use sifter_hook_api::Hook;
use sifter_hook_api::{ContextParts, RealHost, UserInfo};

fn limits() -> LuaLimits {
    LuaLimits {
        lua_memory_mib: 16,
        lua_instructions: 1_000_000,
    }
}

fn hook(src: &str) -> Result<LuaHook, HookError> {
    hook_with(src, limits())
}

fn hook_with(src: &str, limits: LuaLimits) -> Result<LuaHook, HookError> {
    LuaHook::from_source(
        Path::new("/etc/sifter/hooks.d/t.lua"),
        src.to_string(),
        limits,
        Arc::new(RealHost),
    )
}

fn cx() -> HookContext {
    HookContext::new(ContextParts {
        sifter_version: "0.1.0".into(),
        container_id: "c1".into(),
        bundle: "/b".into(),
        rootfs: "/b/rootfs".into(),
        annotations: [("a".to_string(), "1".to_string())].into(),
        devices: vec!["x.com/y=z".into()],
        image: None,
        user: UserInfo {
            uid: 1000,
            gid: 1000,
            name: "alice".into(),
            groups: vec![1000],
            via_sudo: false,
        },
        settings: serde_json::json!({"k": [1, 2]}),
        state: None,
    })
}

fn spec() -> Spec {
    serde_json::from_value(serde_json::json!({"ociVersion": "1.0.2",
        "process": {"cwd": "/", "user": {"uid": 0, "gid": 0}, "args": ["sh"], "env": ["PATH=/bin"]}}))
    .unwrap()
}

fn mutate(src: &str) -> Result<Spec, HookError> {
    let h = hook(src)?;
    let mut s = spec();
    Adapted(h).mutate_config(&cx(), &mut s)?;
    Ok(s)
}

fn err(src: &str) -> String {
    mutate(src).unwrap_err().to_string()
}

#[test]
fn declares_name_priority_points() {
    let h = hook(
        "return { priority = -5, mutate_config = function() end, post_delete = function() end }",
    )
    .unwrap();
    assert_eq!((h.name(), h.priority()), ("t", -5));
    assert_eq!(
        h.points(),
        HookPoints::MUTATE_CONFIG | HookPoints::POST_DELETE
    );
    let h = hook("return { name = 'z', pre_start = function() end }").unwrap();
    assert_eq!(h.name(), "z");
}

#[test]
fn bad_shapes_are_refused() {
    let e = hook("return { prestart = function() end }")
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "t.lua: unknown key \"prestart\" in the returned table (allowed: name, priority, mutate_config, pre_start, post_delete)"
    );
    assert!(
        hook("return 5")
            .unwrap_err()
            .to_string()
            .contains("must return a table, it returned integer")
    );
    assert!(
        hook("return {}")
            .unwrap_err()
            .to_string()
            .contains("no point function")
    );
    assert!(hook("return { priority = 1.5, pre_start = function() end }").is_err());
    let e = hook("return {\n mutate_config = function( end }")
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("t.lua:2:"), "{e}");
}

#[test]
fn edits_via_helpers_and_raw_tables() {
    let s = mutate(
        r#"return { mutate_config = function(ctx, spec)
        sifter.spec.set_env(spec, "TZ", "UTC")
        sifter.spec.add_annotation(spec, "who", ctx.user.name)
        spec.hostname = "h" .. #ctx.devices .. ctx.settings.k[2]
        sifter.spec.add_mount(spec, { source = "/etc", destination = "/host-etc" })
        sifter.spec.add_device(spec, "/dev/null", { path = "/dev/xnull" })
        sifter.spec.add_device(spec, "/dev/null", { path = "/dev/xnull" })
    end }"#,
    )
    .unwrap();
    let v = serde_json::to_value(&s).unwrap();
    assert_eq!(
        v["process"]["env"],
        serde_json::json!(["PATH=/bin", "TZ=UTC"])
    );
    assert_eq!(v["annotations"]["who"], "alice");
    assert_eq!(v["hostname"], "h12");
    assert_eq!(
        v["mounts"][0]["options"],
        serde_json::json!(["rbind", "nosuid", "nodev", "ro"])
    );
    assert_eq!(v["linux"]["devices"].as_array().unwrap().len(), 1);
    assert_eq!(v["linux"]["resources"]["devices"][0]["major"], 1);
}

#[test]
fn returned_table_replaces_spec_strictly() {
    let e = err("return { mutate_config = function(ctx, spec) spec.process.envv = {} end }");
    assert_eq!(e, "t.lua: returned spec: /process/envv: unknown key");
    let e = err("return { mutate_config = function(ctx, spec) spec.process.terminal = 'yes' end }");
    assert!(
        e.starts_with("t.lua: returned spec: /process/terminal: invalid type"),
        "{e}"
    );
    let e = err("return { mutate_config = function() return 3 end }");
    assert!(e.contains("returned a value of type integer"), "{e}");
}

#[test]
fn runtime_error_has_line_and_traceback() {
    let r = mutate(
        "local function f(dev)\n  return dev.x\nend\nreturn { mutate_config = function(ctx, spec)\n  f(nil)\nend }",
    );
    match r.unwrap_err() {
        HookError::Script { message, traceback } => {
            assert!(
                message.starts_with("t.lua:2: attempt to index a nil value (local 'dev')"),
                "{message}"
            );
            assert!(
                traceback.iter().any(|f| f.starts_with("t.lua:2: in")),
                "{traceback:?}"
            );
            assert!(
                traceback.iter().any(|f| f.starts_with("t.lua:5: in")),
                "{traceback:?}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn instruction_budget_is_sticky() {
    let e = err("return { mutate_config = function()\n  while true do end\nend }");
    assert_eq!(e, "t.lua:2: instruction budget of 1000000 exceeded");
    let e = err(
        "return { mutate_config = function()\n  while true do pcall(function() while true do end end) end\nend }",
    );
    assert!(e.ends_with("instruction budget of 1000000 exceeded"), "{e}");
    assert!(e.starts_with("t.lua:2:"), "{e}");
}

#[test]
fn memory_limit_is_sticky() {
    let want = "memory limit of 16 MiB exceeded in t.lua";
    let err = |src: &str| {
        let h = hook_with(
            src,
            LuaLimits {
                lua_memory_mib: 16,
                lua_instructions: 1_000_000_000,
            },
        )
        .unwrap();
        Adapted(h)
            .mutate_config(&cx(), &mut spec())
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        err("return { mutate_config = function() local s = 'x' while true do s = s .. s end end }"),
        want
    );
    assert_eq!(
        err(
            "return { mutate_config = function() local t = {} for i = 1, 1e9 do t[i] = i end end }"
        ),
        want
    );
    assert_eq!(
        err(
            "return { mutate_config = function() while true do pcall(string.rep, 'x', 1 << 30) end end }"
        ),
        want
    );
}

#[test]
fn sandbox_removes_dangerous_functions() {
    for expr in [
        "io.open('/etc/passwd')",
        "os.execute('true')",
        "require('x')",
        "dofile('/x')",
        "loadfile('/x')",
        "debug.getinfo(1)",
        "string.dump(print)",
        "coroutine.create(print)",
        "package.path",
    ] {
        let e = err(&format!(
            "return {{ mutate_config = function() local _ = {expr} end }}"
        ));
        assert!(e.contains("attempt to"), "{expr}: {e}");
    }
    let e = err("return { mutate_config = function() assert(load('\\27Lua')) end }");
    assert!(
        e.contains("binary chunk") || e.contains("attempt to load"),
        "{e}"
    );
    assert!(
        mutate(
            "return { mutate_config = function() assert(load('return 1')() == 1) print('hi') end }"
        )
        .is_ok()
    );
    assert!(mutate("return { mutate_config = function() assert(os.time() > 0) end }").is_ok());
}

#[test]
fn ctx_is_read_only_and_reject_survives_pcall() {
    let e = err("return { mutate_config = function(ctx) ctx.container_id = 'x' end }");
    assert!(e.contains("ctx is read-only"), "{e}");
    let r =
        mutate("return { mutate_config = function() pcall(sifter.reject, 'no GPUs for you') end }");
    assert!(
        matches!(r, Err(HookError::Rejected { ref reason }) if reason == "no GPUs for you"),
        "{r:?}"
    );
    let e = err("return { mutate_config = function() sifter.reject('') end }");
    assert!(e.contains("non-empty string"), "{e}");
}

#[test]
fn registered_names_are_the_documented_ones() {
    let (lua, _) = sandbox::new_state("t.lua", "t", limits(), Arc::new(RealHost)).unwrap();
    let names = registered_names(&lua).unwrap();
    let stubs = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../scripts/hooks/types/sifter.d.lua"
    ))
    .unwrap();
    let mut declared: Vec<String> = stubs
        .lines()
        .filter_map(|l| l.strip_prefix("function "))
        .filter_map(|l| l.split('(').next())
        .map(str::to_string)
        .collect();
    declared.sort();
    assert_eq!(names, declared);
}

#[test]
fn shipped_scripts_declare_their_table() {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/hooks"));
    let mut got = Vec::new();
    for name in [
        "deny-privileged",
        "gpu-binds",
        "label-annotations",
        "site-env",
    ] {
        let h = LuaHook::load(
            &dir.join(format!("{name}.lua")),
            limits(),
            Arc::new(RealHost),
        )
        .unwrap();
        got.push((h.name().to_string(), h.priority(), h.points()));
    }
    let m = HookPoints::MUTATE_CONFIG;
    assert_eq!(
        got,
        [
            ("deny-privileged".to_string(), -900, m),
            ("gpu-binds".to_string(), 100, m),
            ("label-annotations".to_string(), 200, m),
            ("site-env".to_string(), 500, m),
        ]
    );
}
