//! Shared-library plugins through real `dlopen` (hooks.md §14 #5–#7): the example plugin, the
//! ABI refusals, a panicking plugin (and the same hook compiled in), ordering across the three
//! kinds and duplicate names.

use super::*;
use sifter_hook_api::oci_spec::runtime::Spec;
use sifter_hook_api::{Hook, HookContext, HookError, HookPoints, edit};

fn site_with_plugin_dir(
    hx: &Hx,
    plugin_dir: &Path,
    lua_dir: Option<&Path>,
    extra: &str,
) -> PathBuf {
    let lua = lua_dir
        .map(|d| format!("\"{}\"", d.display()))
        .unwrap_or_default();
    hx.site(&format!(
        "[hooks]\nplugin_dirs = [\"{}\"]\nlua_dirs = [{lua}]\n{extra}",
        plugin_dir.display()
    ))
}

fn load(cfg: &Path) -> Result<Registry, PluginError> {
    Registry::load(&SiteConfig::load(cfg, true)?, cfg)
}

#[test]
fn example_plugin_loads_and_stamps_the_user() {
    let hx = Hx::new();
    let b = hx.bundle("b");
    let so = plugin(&hx, "plugins", "sifter-plugin-example-dylib");
    let cfg = site_with_plugin_dir(&hx, so.parent().unwrap(), None, "");
    let r = load(&cfg).unwrap();
    let e = r
        .entries()
        .iter()
        .find(|e| e.name == "example")
        .expect("example is registered");
    assert_eq!(
        (e.kind, e.priority, e.origin.as_str()),
        (Kind::Dylib, 10, so.to_str().unwrap())
    );
    let eff = build(&r, &inv(&b)).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&eff.bytes).unwrap();
    assert_eq!(v["annotations"]["org.sifter.example.invoked-by"], "alice");
    assert!(
        eff.provenance
            .iter()
            .any(|p| p.hook == "example" && p.key == "org.sifter.example.invoked-by")
    );
}

#[test]
fn abi_and_trust_refusals_name_the_file() {
    let hx = Hx::new();
    let cases = [
        (
            "wrong",
            "sifter-test-plugin-wrong-abi",
            "it implements ABI version 2, this sifter implements version 1".to_string(),
        ),
        (
            "short",
            "sifter-test-plugin-short-descriptor",
            format!(
                "descriptor is 24 bytes, ABI v1 needs at least {}",
                std::mem::size_of::<usize>() * 5
            ),
        ),
    ];
    for (dir, krate, reason) in cases {
        let so = plugin(&hx, dir, krate);
        let cfg = site_with_plugin_dir(&hx, so.parent().unwrap(), None, "");
        assert_eq!(
            load(&cfg).unwrap_err().to_string(),
            format!("refusing plugin {}: {reason}", so.display())
        );
    }
    let d = hx.dir("nosym");
    let libm = [
        "/lib/x86_64-linux-gnu/libm.so.6",
        "/usr/lib/x86_64-linux-gnu/libm.so.6",
        "/lib64/libm.so.6",
    ]
    .into_iter()
    .find(|p| Path::new(p).exists())
    .expect("libm.so.6");
    let so = d.join("libm.so");
    std::fs::copy(libm, &so).unwrap();
    chmod(&so, 0o755);
    let cfg = site_with_plugin_dir(&hx, &d, None, "");
    assert_eq!(
        load(&cfg).unwrap_err().to_string(),
        format!(
            "refusing plugin {}: no symbol sifter_plugin_v1 (not a sifter plugin?)",
            so.display()
        )
    );
    let so = plugin(&hx, "modes", "sifter-plugin-example-dylib");
    let cfg = site_with_plugin_dir(&hx, so.parent().unwrap(), None, "");
    chmod(&so, 0o666);
    assert_eq!(
        load(&cfg).unwrap_err().to_string(),
        format!("refusing {}: writable by group (mode 0666)", so.display())
    );
    chmod(&so, 0o755);
    chmod(so.parent().unwrap(), 0o775);
    assert_eq!(
        load(&cfg).unwrap_err().to_string(),
        format!(
            "refusing {}: writable by group (mode 0775)",
            so.parent().unwrap().display()
        )
    );
}

#[test]
fn panicking_plugin_gives_one_clean_error_in_both_kinds() {
    let hx = Hx::new();
    let b = hx.bundle("b");
    let so = plugin(&hx, "plugins", "sifter-test-plugin-panicking");
    let cfg = site_with_plugin_dir(&hx, so.parent().unwrap(), None, "");
    let r = load(&cfg).unwrap();
    let e = build(&r, &inv(&b)).unwrap_err().to_string();
    let prefix = format!(
        "hook panicking ({}) panicked in mutate_config: ",
        so.display()
    );
    assert!(e.starts_with(&prefix), "{e}");
    let detail = &e[prefix.len()..];
    assert!(detail.starts_with("index out of bounds: the len is 0 but the index is 40 (tests/plugins/panicking/src/lib.rs:"), "{detail}");
    let compiled = registry(
        vec![LoadedHook::compiled(Box::new(
            sifter_test_plugin_panicking::Panicking,
        ))],
        "",
    );
    let e2 = build(&compiled, &inv(&b)).unwrap_err().to_string();
    assert_eq!(
        e2,
        format!("hook panicking (builtin) panicked in mutate_config: {detail}")
    );
}

/// A compiled hook that appends its name to the annotation `order`.
struct Append(&'static str, i32);

impl Hook for Append {
    fn name(&self) -> &str {
        self.0
    }
    fn points(&self) -> HookPoints {
        HookPoints::MUTATE_CONFIG
    }
    fn priority(&self) -> i32 {
        self.1
    }
    fn mutate_config(&self, _cx: &HookContext, spec: &mut Spec) -> Result<(), HookError> {
        let old = spec
            .annotations()
            .as_ref()
            .and_then(|a| a.get("order").cloned())
            .unwrap_or_default();
        let new = if old.is_empty() {
            self.0.to_string()
        } else {
            format!("{old},{}", self.0)
        };
        edit::add_annotation(spec, "order", &new);
        Ok(())
    }
}

#[test]
fn ordering_across_kinds_and_duplicate_names() {
    let hx = Hx::new();
    let b = hx.bundle("b");
    let so = plugin(&hx, "plugins", "sifter-plugin-example-dylib");
    let lua_dir = hx.dir("lua");
    let z = hx.write(&lua_dir.join("z.lua"), "return { priority = -5, mutate_config = function(ctx, spec)\n  local o = (spec.annotations or {}).order\n  sifter.spec.add_annotation(spec, 'order', o and (o .. ',z') or 'z')\nend }", 0o644);
    let site = |extra: &str| {
        parse_site(&format!(
            "[hooks]\nplugin_dirs = [\"{}\"]\nlua_dirs = [\"{}\"]\n{extra}",
            so.parent().unwrap().display(),
            lua_dir.display()
        ))
    };
    let with = |extra: &str| {
        let mut hooks = vec![LoadedHook::compiled(Box::new(Append("f", 10)))];
        let (loaded, problems) = Registry::load_all(&site(extra), Path::new("/c"));
        assert!(problems.is_empty(), "{problems:?}");
        assert!(
            loaded
                .entries()
                .iter()
                .any(|e| e.kind == Kind::Dylib && e.name == "example")
        );
        hooks.push(lua(&z));
        hooks.push(LoadedHook {
            hook: Box::new(sifter_hooks::adapter::Adapted(
                sifter_hooks::dylib::DylibHook::load(&so, &so).unwrap(),
            )),
            kind: Kind::Dylib,
            origin: so.display().to_string(),
        });
        let (r, p) = Registry::assemble(hooks, &site(extra), Path::new("/c"));
        assert!(p.is_empty(), "{p:?}");
        r
    };
    let eff = build(&with(""), &inv(&b)).unwrap();
    assert_eq!(order(&eff.calls), ["z", "example", "f"]);
    let v: serde_json::Value = serde_json::from_slice(&eff.bytes).unwrap();
    assert_eq!(v["annotations"]["order"], "z,f");
    let eff = build(&with("[hooks.priority]\nexample = 20\nz = 15\n"), &inv(&b)).unwrap();
    assert_eq!(order(&eff.calls), ["f", "z", "example"]);
    // a Lua script named like the plugin is refused, naming both files
    let dup = hx.write(
        &lua_dir.join("dup.lua"),
        "return { name = 'example', pre_start = function() end }",
        0o644,
    );
    let (_, problems) = Registry::load_all(&site(""), Path::new("/c"));
    assert_eq!(
        problems.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
        [format!(
            "duplicate hook name \"example\": {} and {}",
            dup.display(),
            so.display()
        )]
    );
}
