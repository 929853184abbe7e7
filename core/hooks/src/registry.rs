//! The hook registry (hooks.md §6): hooks from all three kinds in one list, with the site's
//! priority overrides, enable and disable lists, settings, duplicate-name refusal and the
//! `(priority, name)` order. Also `Invocation`, the per-operation inputs, and the `pre_start`
//! and `post_delete` entry points. Loading files is `loader.rs`; calling is `dispatch.rs`.

use crate::config::{LuaLimits, SiteConfig};
use crate::dispatch;
use crate::error::{HookFailure, PluginError, Result};
use serde_json::Value;
use sifter_hook_api::oci_spec::runtime::State;
use sifter_hook_api::{
    ContextParts, Hook, HookCall, HookContext, HookPoint, HookPoints, ImageInfo, UserInfo,
};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// How a hook is delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Compiled,
    Dylib,
    Lua,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Compiled => "compiled",
            Kind::Dylib => "dylib",
            Kind::Lua => "lua",
        }
    }
}

/// One registered hook with its site-level facts.
pub struct Entry {
    hook: Box<dyn Hook>,
    pub name: String,
    pub kind: Kind,
    /// `builtin` or the absolute path of the file.
    pub origin: String,
    pub declared_priority: i32,
    pub priority: i32,
    pub points: HookPoints,
    pub enabled: bool,
    /// This hook's `[plugins.<name>]` table as JSON (`{}` when absent).
    pub settings: Value,
}

impl Entry {
    pub fn hook(&self) -> &dyn Hook {
        self.hook.as_ref()
    }
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entry")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("origin", &self.origin)
            .field("priority", &self.priority)
            .field("enabled", &self.enabled)
            .finish()
    }
}

/// A hook before the site config is applied.
pub struct LoadedHook {
    pub hook: Box<dyn Hook>,
    pub kind: Kind,
    pub origin: String,
}

impl LoadedHook {
    pub fn compiled(hook: Box<dyn Hook>) -> LoadedHook {
        LoadedHook {
            hook,
            kind: Kind::Compiled,
            origin: "builtin".to_string(),
        }
    }
}

/// A searched directory and what was found there (`hooks list`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirStatus {
    pub path: PathBuf,
    /// `lua` or `plugin`.
    pub kind: &'static str,
    /// `missing`, `N scripts`, `N plugins`, or `refused`.
    pub status: String,
}

/// The inputs of one operation that hooks see through their context.
#[derive(Debug, Clone)]
pub struct Invocation {
    pub id: String,
    /// The user's bundle (absolute).
    pub bundle: PathBuf,
    /// CDI names from `--device`, in command-line order.
    pub devices: Vec<String>,
    pub image: Option<ImageInfo>,
    /// The user the hooks see; `None`: whoever runs this process, looked up (`/proc`,
    /// `/etc/passwd`, `/etc/group`) only when a hook runs.
    pub user: Option<UserInfo>,
    /// Annotations treated as if the user config carried them (`hooks preview --annotation`).
    pub extra_annotations: BTreeMap<String, String>,
}

/// Every hook, in run order, with the site's settings.
#[derive(Debug)]
pub struct Registry {
    entries: Vec<Entry>,
    config_path: PathBuf,
    limits: LuaLimits,
    dirs: Vec<DirStatus>,
    warnings: Vec<String>,
}

impl Registry {
    /// Compiled-in hooks plus the `.so` and `.lua` files of the configured directories, with
    /// the site's overrides; the first problem is the error.
    pub fn load(site: &SiteConfig, config_path: &Path) -> Result<Registry> {
        let (registry, mut problems) = Registry::load_all(site, config_path);
        match problems.is_empty() {
            true => Ok(registry),
            false => Err(problems.remove(0)),
        }
    }

    /// Like `load`, but keeps going and returns every problem (`hooks check`).
    pub fn load_all(site: &SiteConfig, config_path: &Path) -> (Registry, Vec<PluginError>) {
        let mut problems = Vec::new();
        let mut hooks: Vec<LoadedHook> = sifter_hook_api::compiled_hooks()
            .into_iter()
            .map(LoadedHook::compiled)
            .collect();
        let dirs = crate::loader::scan(site, &mut hooks, &mut problems);
        let (mut registry, more) = Registry::assemble(hooks, site, config_path);
        problems.extend(more);
        registry.dirs = dirs;
        (registry, problems)
    }

    /// Only the compiled-in hooks, with default settings (tests, no site config).
    pub fn compiled_only() -> Registry {
        let hooks = sifter_hook_api::compiled_hooks()
            .into_iter()
            .map(LoadedHook::compiled)
            .collect();
        Registry::assemble(hooks, &SiteConfig::default(), Path::new("")).0
    }

    /// Applies overrides, enable/disable and settings to `hooks`, refuses duplicate and invalid
    /// names, and sorts by `(priority, name)`. Problems are returned, not fatal, so `check`
    /// can report all of them; hooks with a problem are left out.
    pub fn assemble(
        hooks: Vec<LoadedHook>,
        site: &SiteConfig,
        config_path: &Path,
    ) -> (Registry, Vec<PluginError>) {
        let mut problems = Vec::new();
        let mut warnings = Vec::new();
        let cfg = &site.hooks;
        let mut entries: Vec<Entry> = Vec::new();
        for h in hooks {
            let name = h.hook.name().to_string();
            if !sifter_hook_api::valid_hook_name(&name) {
                problems.push(PluginError::BadName {
                    name,
                    origin: h.origin,
                });
                continue;
            }
            if let Some(first) = entries.iter().find(|e| e.name == name) {
                // Both origins, in byte order, so the message does not depend on load order.
                let mut both = [first.origin.clone(), h.origin];
                both.sort();
                let [first, second] = both;
                problems.push(PluginError::Duplicate {
                    name,
                    first,
                    second,
                });
                continue;
            }
            let declared = h.hook.priority();
            let settings = site
                .plugins
                .get(&name)
                .map(crate::config::toml_to_json)
                .unwrap_or_else(|| Value::Object(Default::default()));
            entries.push(Entry {
                points: h.hook.points(),
                priority: cfg.priority.get(&name).copied().unwrap_or(declared),
                declared_priority: declared,
                enabled: true,
                settings,
                name,
                kind: h.kind,
                origin: h.origin,
                hook: h.hook,
            });
        }
        let names: BTreeSet<&str> = entries.iter().map(|e| e.name.as_str()).collect();
        for n in &cfg.enable {
            if !names.contains(n.as_str()) {
                problems.push(PluginError::UnknownEnabled {
                    name: n.clone(),
                    config: config_path.to_path_buf(),
                });
            }
        }
        for n in cfg.disable.iter().filter(|n| !names.contains(n.as_str())) {
            warnings.push(format!(
                "hooks.disable in {} names \"{n}\", which matches no hook",
                config_path.display()
            ));
        }
        for n in site.plugins.keys().filter(|n| !names.contains(n.as_str())) {
            warnings.push(
                PluginError::OrphanSettings {
                    name: n.clone(),
                    config: config_path.to_path_buf(),
                }
                .to_string(),
            );
        }
        for e in &mut entries {
            e.enabled = (cfg.enable.is_empty() || cfg.enable.contains(&e.name))
                && !cfg.disable.contains(&e.name);
        }
        entries
            .sort_by(|a, b| (a.priority, a.name.as_bytes()).cmp(&(b.priority, b.name.as_bytes())));
        let registry = Registry {
            entries,
            config_path: config_path.to_path_buf(),
            limits: cfg.limits,
            dirs: Vec::new(),
            warnings,
        };
        (registry, problems)
    }

    /// Every hook in run order, disabled ones included.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The enabled hooks implementing `point`, in run order.
    pub fn active(&self, point: HookPoint) -> impl Iterator<Item = &Entry> {
        self.entries
            .iter()
            .filter(move |e| e.enabled && e.points.contains(point))
    }

    /// True when no hook is enabled.
    pub fn is_empty(&self) -> bool {
        !self.entries.iter().any(|e| e.enabled)
    }

    /// True when an enabled hook implements `point`.
    pub fn has_point(&self, point: HookPoint) -> bool {
        self.active(point).next().is_some()
    }

    pub fn config_path(&self) -> &Path {
        &self.config_path
    }
    pub fn limits(&self) -> LuaLimits {
        self.limits
    }
    pub fn dirs(&self) -> &[DirStatus] {
        &self.dirs
    }
    /// Non-fatal findings (unknown `disable` names, orphan settings tables).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The context shared by every hook of one call, before per-hook settings.
    pub fn context(
        &self,
        inv: &Invocation,
        rootfs: &str,
        annotations: BTreeMap<String, String>,
        state: Option<State>,
    ) -> HookContext {
        HookContext::new(ContextParts {
            sifter_version: crate::SIFTER_VERSION.to_string(),
            container_id: inv.id.clone(),
            bundle: inv.bundle.display().to_string(),
            rootfs: rootfs.to_string(),
            annotations,
            devices: inv.devices.clone(),
            image: inv.image.clone(),
            user: inv.user.clone().unwrap_or_else(UserInfo::current),
            settings: Value::Object(Default::default()),
            state,
        })
    }

    /// Wraps a hook's error with its identity.
    pub fn failure(
        &self,
        e: &Entry,
        point: HookPoint,
        id: &str,
        error: sifter_hook_api::HookError,
    ) -> PluginError {
        PluginError::from(HookFailure {
            hook: e.name.clone(),
            kind: e.kind.as_str().to_string(),
            origin: e.origin.clone(),
            point,
            id: id.to_string(),
            config: self.config_path.clone(),
            error,
        })
    }

    fn later_context(&self, inv: &Invocation, state: &State) -> HookContext {
        let rootfs = crate::effective::user_rootfs(&inv.bundle);
        let annotations = state
            .annotations()
            .as_ref()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        self.context(inv, &rootfs, annotations, Some(state.clone()))
    }

    /// Runs every `pre_start` hook in order; the first error stops the chain.
    pub fn pre_start(&self, inv: &Invocation, state: &State) -> Result<Vec<HookCall>> {
        let cx = self.later_context(inv, state);
        let mut calls = Vec::new();
        for e in self.active(HookPoint::PreStart) {
            let out = dispatch::call(
                e,
                HookPoint::PreStart,
                &inv.id,
                &cx.with_settings(e.settings.clone()),
                None,
            );
            calls.push(dispatch::record(
                e,
                HookPoint::PreStart,
                out.duration_us,
                false,
            ));
            out.result
                .map_err(|err| self.failure(e, HookPoint::PreStart, &inv.id, err))?;
        }
        Ok(calls)
    }

    /// Runs every `post_delete` hook; failures are returned as warnings and never stop the rest.
    pub fn post_delete(
        &self,
        inv: &Invocation,
        state: &State,
    ) -> (Vec<HookCall>, Vec<PluginError>) {
        let cx = self.later_context(inv, state);
        let (mut calls, mut errors) = (Vec::new(), Vec::new());
        for e in self.active(HookPoint::PostDelete) {
            let out = dispatch::call(
                e,
                HookPoint::PostDelete,
                &inv.id,
                &cx.with_settings(e.settings.clone()),
                None,
            );
            calls.push(dispatch::record(
                e,
                HookPoint::PostDelete,
                out.duration_us,
                false,
            ));
            if let Err(err) = out.result {
                errors.push(self.failure(e, HookPoint::PostDelete, &inv.id, err));
            }
        }
        (calls, errors)
    }
}

#[cfg(test)]
mod tests;
