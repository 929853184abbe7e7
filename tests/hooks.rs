//! Acceptance tests: hooks (hooks.md §14). Shipped Lua scripts and compiled plugins on the
//! config `oci mount` writes for busybox (golden snapshots), hostile scripts and libraries,
//! real `dlopen` of the plugins in `target/<profile>/`, the `hooks` commands, and hook points
//! through real containers. Shared helpers live here, one file per area below.

mod cli;
mod container;
mod dylib;
mod golden;
mod hostile;

use crate::support::{Fixture, repo_root};
use sifter_hook_api::{HookCall, RealHost, UserInfo};
use sifter_hooks::config::LuaLimits;
use sifter_hooks::effective::{self, Effective};
use sifter_hooks::lua::LuaHook;
use sifter_hooks::registry::LoadedHook;
use sifter_hooks::{Invocation, Kind, PluginError, Registry, SiteConfig};
use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The placeholder bundle path in `tests/fixtures/hooks/busybox-config.json`.
const FIXTURE_BUNDLE: &str = "/var/lib/sifter/bundles/busybox";

/// A temp dir bound to `snapshots/hooks/`, with helpers to lay out bundles, scripts and configs.
pub struct Hx {
    pub fx: Fixture,
}

impl Hx {
    pub fn new() -> Hx {
        let hx = Hx {
            fx: Fixture::new("hooks"),
        };
        chmod(hx.fx.path(), 0o755);
        hx
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.fx.path().join(name)
    }

    /// A root-owned 0755 directory.
    pub fn dir(&self, name: &str) -> PathBuf {
        let d = self.path(name);
        std::fs::create_dir_all(&d).unwrap();
        chmod(&d, 0o755);
        d
    }

    /// `<tmp>/<name>` holding the busybox config (with this bundle as its root) and `rootfs/`.
    pub fn bundle(&self, name: &str) -> PathBuf {
        let b = self.dir(name);
        std::fs::create_dir_all(b.join("rootfs")).unwrap();
        let text =
            std::fs::read_to_string(repo_root().join("tests/fixtures/hooks/busybox-config.json"))
                .unwrap();
        std::fs::write(
            b.join("config.json"),
            text.replace(FIXTURE_BUNDLE, &b.display().to_string()),
        )
        .unwrap();
        b
    }

    /// Edits the bundle's config as JSON.
    pub fn edit_config(&self, bundle: &Path, f: impl FnOnce(&mut serde_json::Value)) {
        let p = bundle.join("config.json");
        let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
        f(&mut v);
        std::fs::write(&p, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
    }

    /// A file with `mode`.
    pub fn write(&self, path: &Path, text: &str, mode: u32) -> PathBuf {
        std::fs::write(path, text).unwrap();
        chmod(path, mode);
        path.to_path_buf()
    }

    /// `<tmp>/sifter.toml` (0644) with `toml`.
    pub fn site(&self, toml: &str) -> PathBuf {
        self.write(&self.path("sifter.toml"), toml, 0o644)
    }

    /// Copies the shipped `scripts/hooks/<name>.lua` into `dir` (0644).
    pub fn install(&self, dir: &Path, name: &str) -> PathBuf {
        let text = std::fs::read_to_string(shipped(name)).unwrap();
        self.write(&dir.join(format!("{name}.lua")), &text, 0o644)
    }
}

pub fn chmod(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// `scripts/hooks/<name>.lua` in the repository.
pub fn shipped(name: &str) -> PathBuf {
    repo_root()
        .join("scripts/hooks")
        .join(format!("{name}.lua"))
}

pub fn parse_site(toml: &str) -> SiteConfig {
    SiteConfig::parse(Path::new("/etc/sifter/sifter.toml"), toml).unwrap()
}

/// A Lua hook from `path` with the default limits.
pub fn lua(path: &Path) -> LoadedHook {
    lua_with(path, LuaLimits::default())
}

pub fn lua_with(path: &Path, limits: LuaLimits) -> LoadedHook {
    let hook = LuaHook::load(path, limits, Arc::new(RealHost)).unwrap();
    LoadedHook {
        hook: Box::new(sifter_hooks::adapter::Adapted(hook)),
        kind: Kind::Lua,
        origin: path.display().to_string(),
    }
}

/// The registry of `hooks` under `toml`, asserting no load problem.
pub fn registry(hooks: Vec<LoadedHook>, toml: &str) -> Registry {
    let (r, problems) = Registry::assemble(
        hooks,
        &parse_site(toml),
        Path::new("/etc/sifter/sifter.toml"),
    );
    assert!(problems.is_empty(), "{problems:?}");
    r
}

pub fn user(uid: u32, name: &str) -> UserInfo {
    UserInfo {
        uid,
        gid: uid,
        name: name.into(),
        groups: vec![uid],
        via_sudo: false,
    }
}

/// An invocation for `bundle` by `alice` (uid 1000), id `job-1`.
pub fn inv(bundle: &Path) -> Invocation {
    Invocation {
        id: "job-1".into(),
        bundle: bundle.to_path_buf(),
        devices: Vec::new(),
        image: None,
        user: Some(user(1000, "alice")),
        extra_annotations: BTreeMap::new(),
    }
}

pub fn build(r: &Registry, inv: &Invocation) -> Result<Effective, PluginError> {
    effective::build(r, inv)
}

pub fn text(eff: &Effective) -> String {
    String::from_utf8(eff.bytes.clone()).unwrap()
}

/// Names of the calls in order.
pub fn order(calls: &[HookCall]) -> Vec<String> {
    calls.iter().map(|c| c.name.clone()).collect()
}

/// hooks.md §14 #9: re-running the chain on its own output (marker removed) changes nothing.
pub fn assert_idempotent(hx: &Hx, r: &Registry, inv: &Invocation, eff: &Effective) {
    let again = hx.dir("again");
    let mut v: serde_json::Value = serde_json::from_slice(&eff.bytes).unwrap();
    v["annotations"]
        .as_object_mut()
        .unwrap()
        .remove(effective::APPLIED_ANNOTATION);
    std::fs::write(again.join("config.json"), serde_json::to_vec(&v).unwrap()).unwrap();
    let second = build(
        r,
        &Invocation {
            bundle: again.clone(),
            ..inv.clone()
        },
    )
    .unwrap();
    assert_eq!(
        second.changed,
        Vec::<String>::new(),
        "a second run changed the config"
    );
    let mut w: serde_json::Value = serde_json::from_slice(&second.bytes).unwrap();
    w["annotations"]
        .as_object_mut()
        .unwrap()
        .remove(effective::APPLIED_ANNOTATION);
    assert_eq!(v, w);
    std::fs::remove_dir_all(again).unwrap();
}

/// The built `.so` of `crate_name` (`target/<profile>/lib<crate>.so`), copied into a fresh
/// root-owned 0755 directory `<tmp>/<dir>` with mode 0755 so it passes the trust checks.
pub fn plugin(hx: &Hx, dir: &str, crate_name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile = exe.parent().and_then(Path::parent).unwrap();
    let file = format!("lib{}.so", crate_name.replace('-', "_"));
    let built = profile.join(&file);
    assert!(
        built.exists(),
        "{} is missing: build the plugins first (cargo build --workspace; scripts/test.sh does)",
        built.display()
    );
    let d = hx.dir(dir);
    let dest = d.join(&file);
    std::fs::copy(&built, &dest).unwrap();
    chmod(&dest, 0o755);
    dest
}
