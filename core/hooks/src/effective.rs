//! The effective config (hooks.md §2 steps 1–5): read `BUNDLE/config.json` strictly, refuse a
//! recycled effective config, resolve relative paths against the bundle, run the
//! `mutate_config` chain with provenance, set the marker annotation and serialise canonically.
//! One function serves `oci create`, `hooks preview` and `hooks check`. It writes nothing.

use crate::dispatch;
use crate::error::{PluginError, Result};
use crate::registry::{Invocation, Registry};
use crate::strict;
use serde_json::Value;
use sifter_hook_api::oci_spec::runtime::Spec;
use sifter_hook_api::{HookCall, HookPoint, Provenance};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The marker annotation: the comma-separated names of the hooks that changed the config.
pub const APPLIED_ANNOTATION: &str = "org.sifter.hooks.applied";

/// What `create` writes and records.
#[derive(Debug)]
pub struct Effective {
    /// Canonical JSON: sorted keys, 2-space indent, final newline.
    pub bytes: Vec<u8>,
    pub spec: Spec,
    /// Names of the hooks that changed the config, in run order.
    pub changed: Vec<String>,
    pub calls: Vec<HookCall>,
    pub provenance: Vec<Provenance>,
}

/// One step of the build as `hooks preview` shows it.
#[derive(Debug, Clone)]
pub struct Step {
    /// The hook name, or `(sifter) resolve paths` / `(sifter) finalize`.
    pub name: String,
    /// `compiled`, `dylib`, `lua` or `sifter`.
    pub kind: String,
    pub origin: String,
    pub duration_us: u64,
    /// Canonical JSON before and after the step.
    pub before: Vec<u8>,
    pub after: Vec<u8>,
    pub provenance: Vec<Provenance>,
}

/// The steps done so far and the outcome (preview prints the steps even on failure).
#[derive(Debug)]
pub struct Report {
    pub steps: Vec<Step>,
    pub result: Result<Effective>,
}

/// A unified diff with 3 lines of context between two canonical texts.
pub fn unified_diff(before: &[u8], after: &[u8]) -> String {
    let (a, b) = (
        String::from_utf8_lossy(before),
        String::from_utf8_lossy(after),
    );
    similar::TextDiff::from_lines(a.as_ref(), b.as_ref())
        .unified_diff()
        .context_radius(3)
        .header("before", "after")
        .to_string()
}

/// `no changes`, or counts per field such as `+9 mounts, +4 devices, ~2 env`.
pub fn summary(provenance: &[Provenance]) -> String {
    let mut counts: BTreeMap<(usize, &str, char), usize> = BTreeMap::new();
    for p in provenance {
        let (order, label) = match p.field.as_str() {
            "mounts" => (0, "mounts"),
            "linux.devices" => (1, "devices"),
            "linux.resources.devices" => (2, "device rules"),
            "process.env" => (3, "env"),
            "annotations" => (4, "annotations"),
            f if f.starts_with("hooks.") => (5, "OCI hooks"),
            _ => (6, "other"),
        };
        let sign = match p.action.as_str() {
            "added" => '+',
            "removed" => '-',
            _ => '~',
        };
        *counts.entry((order, label, sign)).or_default() += 1;
    }
    if counts.is_empty() {
        return "no changes".to_string();
    }
    counts
        .iter()
        .map(|((_, label, sign), n)| format!("{sign}{n} {label}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `BUNDLE/config.json`.
pub fn user_config_path(bundle: &Path) -> PathBuf {
    bundle.join("config.json")
}

/// Step 1: the user config, parsed strictly; errors name the file and the JSON path.
pub fn read_user_config(bundle: &Path) -> Result<Spec> {
    let path = user_config_path(bundle);
    let bytes = std::fs::read(&path).map_err(|source| PluginError::ReadConfig {
        path: path.clone(),
        source,
    })?;
    strict::from_slice(&bytes).map_err(|detail| PluginError::UserConfig { path, detail })
}

/// The absolute rootfs of the user config (`root.path` against the bundle), leniently read;
/// `BUNDLE/rootfs` when the config cannot be read.
pub fn user_rootfs(bundle: &Path) -> String {
    let root = std::fs::read(user_config_path(bundle))
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .and_then(|v| {
            v.pointer("/root/path")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .unwrap_or_else(|| "rootfs".to_string());
    bundle.join(root).display().to_string()
}

fn is_bind(m: &sifter_hook_api::oci_spec::runtime::Mount) -> bool {
    m.typ().as_deref() == Some("bind")
        || m.options()
            .iter()
            .flatten()
            .any(|o| o == "bind" || o == "rbind")
}

/// Step 3: relative `root.path` and bind sources become absolute against the bundle.
pub fn resolve_paths(spec: &mut Spec, bundle: &Path) {
    if let Some(root) = spec.root_mut()
        && root.path().is_relative()
    {
        let abs = bundle.join(root.path());
        root.set_path(abs);
    }
    for m in spec.mounts_mut().iter_mut().flatten() {
        if is_bind(m)
            && let Some(src) = m.source().clone()
            && src.is_relative()
        {
            m.set_source(Some(bundle.join(src)));
        }
    }
}

fn json_of(spec: &Spec) -> Value {
    strict::normalize(spec)
}

fn annotations_of(spec: &Spec) -> BTreeMap<String, String> {
    spec.annotations()
        .as_ref()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

fn sifter_step(name: &str, before: &Spec, after: &Spec, started: Instant) -> Step {
    let (b, a) = (json_of(before), json_of(after));
    Step {
        name: name.to_string(),
        kind: "sifter".to_string(),
        origin: "builtin".to_string(),
        duration_us: started.elapsed().as_micros() as u64,
        before: strict::canonical(&b),
        after: strict::canonical(&a),
        provenance: crate::provenance::diff(name, &b, &a),
    }
}

/// Steps 1–5 with the per-step record.
pub fn report(registry: &Registry, inv: &Invocation) -> Report {
    let mut steps = Vec::new();
    let result = run(registry, inv, Some(&mut steps));
    Report { steps, result }
}

/// Steps 1–5: the effective config of `inv.bundle`, written nowhere. Keeps no per-step
/// texts: rendering the config twice per step was most of the CPU `oci create` spent.
pub fn build(registry: &Registry, inv: &Invocation) -> Result<Effective> {
    run(registry, inv, None)
}

/// Steps 2–5 on the user config already read strictly from `inv.bundle` (`oci create`
/// parses it once to validate it).
pub fn build_parsed(registry: &Registry, inv: &Invocation, spec: Spec) -> Result<Effective> {
    chain(registry, inv, spec, &user_config_path(&inv.bundle), None)
}

/// Steps 2–5 on a spec given in memory (`hooks check` without a bundle).
pub fn report_spec(registry: &Registry, inv: &Invocation, spec: Spec) -> Report {
    let mut steps = Vec::new();
    let path = user_config_path(&inv.bundle);
    let result = chain(registry, inv, spec, &path, Some(&mut steps));
    Report { steps, result }
}

fn run(registry: &Registry, inv: &Invocation, steps: Option<&mut Vec<Step>>) -> Result<Effective> {
    let path = user_config_path(&inv.bundle);
    let spec = read_user_config(&inv.bundle)?;
    chain(registry, inv, spec, &path, steps)
}

fn chain(
    registry: &Registry,
    inv: &Invocation,
    mut spec: Spec,
    path: &Path,
    mut steps: Option<&mut Vec<Step>>,
) -> Result<Effective> {
    let path = path.to_path_buf();
    if spec
        .annotations()
        .as_ref()
        .is_some_and(|a| a.contains_key(APPLIED_ANNOTATION))
    {
        return Err(PluginError::AlreadyApplied { path });
    }
    if !inv.extra_annotations.is_empty() {
        let a = spec.annotations_mut().get_or_insert_with(Default::default);
        for (k, v) in &inv.extra_annotations {
            a.insert(k.clone(), v.clone());
        }
    }
    let started = Instant::now();
    let before = steps.is_some().then(|| spec.clone());
    resolve_paths(&mut spec, &inv.bundle);
    if let (Some(steps), Some(before)) = (steps.as_deref_mut(), before) {
        steps.push(sifter_step(
            "(sifter) resolve paths",
            &before,
            &spec,
            started,
        ));
    }

    let rootfs = spec
        .root()
        .as_ref()
        .map(|r| r.path().display().to_string())
        .unwrap_or_else(|| inv.bundle.join("rootfs").display().to_string());
    // Built for the first hook: without one, nothing needs it (nor the user lookup it makes).
    let mut cx = None;
    let (mut changed, mut calls, mut provenance) = (Vec::new(), Vec::new(), Vec::new());
    for e in registry.active(HookPoint::MutateConfig) {
        let cx =
            cx.get_or_insert_with(|| registry.context(inv, &rootfs, annotations_of(&spec), None));
        let mut work = spec.clone();
        let out = dispatch::call(
            e,
            HookPoint::MutateConfig,
            &inv.id,
            &cx.with_settings(e.settings.clone()),
            Some(&mut work),
        );
        let did_change = out.changed();
        // Equal values have no differences to record.
        let prov = match &out.values {
            Some((before, after)) if did_change => crate::provenance::diff(&e.name, before, after),
            _ => Vec::new(),
        };
        calls.push(dispatch::record(
            e,
            HookPoint::MutateConfig,
            out.duration_us,
            did_change,
        ));
        if let Some(steps) = steps.as_deref_mut() {
            let (before, after) = match out.values {
                Some(values) => values,
                None => (json_of(&spec), json_of(&work)),
            };
            steps.push(Step {
                name: e.name.clone(),
                kind: e.kind.as_str().to_string(),
                origin: e.origin.clone(),
                duration_us: out.duration_us,
                before: strict::canonical(&before),
                after: strict::canonical(&after),
                provenance: prov.clone(),
            });
        }
        out.result
            .map_err(|err| registry.failure(e, HookPoint::MutateConfig, &inv.id, err))?;
        dispatch::check_invariants(&work).map_err(|detail| PluginError::InvalidOutput {
            hook: e.name.clone(),
            detail,
        })?;
        if did_change {
            changed.push(e.name.clone());
            provenance.extend(prov);
        }
        spec = work;
    }

    if let Some(slowest) = calls.iter().max_by_key(|c| c.duration_us) {
        let total: u64 = calls.iter().map(|c| c.duration_us).sum();
        tracing::debug!(
            id = %inv.id,
            "hooks: {} ran in {:.1} ms (slowest {} {:.1} ms)",
            calls.len(),
            total as f64 / 1000.0,
            slowest.name,
            slowest.duration_us as f64 / 1000.0
        );
    }
    let started = Instant::now();
    let before = steps.is_some().then(|| spec.clone());
    spec.annotations_mut()
        .get_or_insert_with(Default::default)
        .insert(APPLIED_ANNOTATION.to_string(), changed.join(","));
    if let (Some(steps), Some(before)) = (steps, before) {
        steps.push(sifter_step("(sifter) finalize", &before, &spec, started));
    }
    let bytes = strict::canonical(&spec);
    Ok(Effective {
        bytes,
        spec,
        changed,
        calls,
        provenance,
    })
}
