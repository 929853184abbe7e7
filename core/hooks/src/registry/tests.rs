//! Unit tests of the registry and of the effective-config build with in-process hooks.

use super::*;
use crate::effective;
use sifter_hook_api::oci_spec::runtime::Spec;
use sifter_hook_api::{HookError, edit};

struct Tag {
    name: &'static str,
    priority: i32,
    points: HookPoints,
    fail: Option<&'static str>,
}

impl Hook for Tag {
    fn name(&self) -> &str {
        self.name
    }
    fn points(&self) -> HookPoints {
        self.points
    }
    fn priority(&self) -> i32 {
        self.priority
    }
    fn mutate_config(
        &self,
        _cx: &HookContext,
        spec: &mut Spec,
    ) -> std::result::Result<(), HookError> {
        let old = edit::get_env(spec, "ORDER").unwrap_or_default();
        let new = if old.is_empty() {
            self.name.to_string()
        } else {
            format!("{old},{}", self.name)
        };
        edit::set_env(spec, "ORDER", &new)?;
        match self.fail {
            Some("panic") => panic!("boom in {}", self.name),
            Some(r) => Err(HookError::rejected(r)),
            None => Ok(()),
        }
    }
    fn pre_start(&self, cx: &HookContext) -> std::result::Result<(), HookError> {
        match self.fail {
            Some(r) => Err(HookError::rejected(format!(
                "{r} {}",
                cx.state().unwrap().id()
            ))),
            None => Ok(()),
        }
    }
    fn post_delete(&self, _cx: &HookContext) -> std::result::Result<(), HookError> {
        match self.fail {
            Some(r) => Err(HookError::failed(r)),
            None => Ok(()),
        }
    }
}

fn tag(name: &'static str, priority: i32) -> LoadedHook {
    LoadedHook::compiled(Box::new(Tag {
        name,
        priority,
        points: HookPoints::MUTATE_CONFIG,
        fail: None,
    }))
}

fn site(toml: &str) -> SiteConfig {
    SiteConfig::parse(Path::new("/etc/sifter/sifter.toml"), toml).unwrap()
}

fn names(r: &Registry) -> Vec<(&str, bool)> {
    r.entries()
        .iter()
        .map(|e| (e.name.as_str(), e.enabled))
        .collect()
}

fn bundle(config: serde_json::Value) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("config.json"),
        serde_json::to_vec(&config).unwrap(),
    )
    .unwrap();
    d
}

fn inv(bundle: &Path) -> Invocation {
    Invocation {
        id: "c1".into(),
        bundle: bundle.to_path_buf(),
        devices: vec![],
        image: None,
        user: Some(UserInfo {
            uid: 0,
            gid: 0,
            name: "root".into(),
            groups: vec![0],
            via_sudo: false,
        }),
        extra_annotations: BTreeMap::new(),
    }
}

fn config() -> serde_json::Value {
    serde_json::json!({"ociVersion": "1.0.2", "root": {"path": "rootfs"},
        "process": {"cwd": "/", "user": {"uid": 0, "gid": 0}, "args": ["sh"], "env": ["PATH=/bin"]},
        "mounts": [{"destination": "/data", "type": "bind", "source": "data", "options": ["rbind"]}]})
}

#[test]
fn order_is_priority_then_name() {
    let (r, p) = Registry::assemble(
        vec![tag("b", 10), tag("a", 10), tag("z", -5)],
        &site(""),
        Path::new("/c"),
    );
    assert!(p.is_empty());
    assert_eq!(names(&r), [("z", true), ("a", true), ("b", true)]);
    let (r, _) = Registry::assemble(
        vec![tag("b", 10), tag("a", 10), tag("z", -5)],
        &site("[hooks.priority]\nz = 20\nb = 0"),
        Path::new("/c"),
    );
    assert_eq!(names(&r), [("b", true), ("a", true), ("z", true)]);
    assert_eq!(r.entries()[2].declared_priority, -5);
}

#[test]
fn duplicates_and_bad_names_are_refused() {
    let mut dup = tag("a", 0);
    dup.origin = "/etc/sifter/hooks.d/a.lua".into();
    let (r, p) = Registry::assemble(
        vec![tag("a", 0), dup, tag("Bad", 0)],
        &site(""),
        Path::new("/c"),
    );
    assert_eq!(r.entries().len(), 1);
    let msgs: Vec<String> = p.iter().map(|e| e.to_string()).collect();
    assert_eq!(
        msgs[0],
        "duplicate hook name \"a\": /etc/sifter/hooks.d/a.lua and builtin"
    );
    assert!(
        msgs[1].starts_with("invalid hook name \"Bad\" in builtin"),
        "{}",
        msgs[1]
    );
}

#[test]
fn enable_disable_and_orphans() {
    let (r, p) = Registry::assemble(
        vec![tag("a", 0), tag("b", 0), tag("c", 0)],
        &site("[hooks]\nenable = [\"a\", \"b\"]\ndisable = [\"b\", \"q\"]\n[plugins.zz]\nx = 1\n"),
        Path::new("/c"),
    );
    assert!(p.is_empty());
    assert_eq!(names(&r), [("a", true), ("b", false), ("c", false)]);
    assert_eq!(r.warnings().len(), 2, "{:?}", r.warnings());
    let (_, p) = Registry::assemble(
        vec![tag("a", 0)],
        &site("[hooks]\nenable = [\"nope\"]"),
        Path::new("/c"),
    );
    assert_eq!(
        p[0].to_string(),
        "hooks.enable in /c names \"nope\", which matches no hook"
    );
}

#[test]
fn build_runs_chain_resolves_paths_and_marks() {
    let d = bundle(config());
    let (r, _) = Registry::assemble(
        vec![tag("b", 10), tag("a", 10), tag("z", -5)],
        &site(""),
        Path::new("/c"),
    );
    let eff = effective::build(&r, &inv(d.path())).unwrap();
    assert_eq!(edit::get_env(&eff.spec, "ORDER").as_deref(), Some("z,a,b"));
    assert_eq!(eff.changed, ["z", "a", "b"]);
    let v: serde_json::Value = serde_json::from_slice(&eff.bytes).unwrap();
    assert_eq!(v["annotations"]["org.sifter.hooks.applied"], "z,a,b");
    assert_eq!(
        v["root"]["path"],
        d.path().join("rootfs").display().to_string()
    );
    assert_eq!(
        v["mounts"][0]["source"],
        d.path().join("data").display().to_string()
    );
    assert_eq!(eff.calls.len(), 3);
    assert!(eff.bytes.ends_with(b"}\n"));
    assert_eq!(eff.provenance[0].key, "ORDER");
    // the user's file is untouched, and the output cannot be fed back
    let user = std::fs::read(d.path().join("config.json")).unwrap();
    assert_eq!(user, serde_json::to_vec(&config()).unwrap());
    std::fs::write(d.path().join("config.json"), &eff.bytes).unwrap();
    let err = effective::build(&r, &inv(d.path())).unwrap_err();
    assert!(
        err.to_string()
            .contains("annotation org.sifter.hooks.applied"),
        "{err}"
    );
}

#[test]
fn build_refuses_unknown_members_with_pointer() {
    let mut c = config();
    c["process"]["envv"] = serde_json::json!([]);
    let d = bundle(c);
    let err = effective::build(
        &Registry::assemble(vec![], &site(""), Path::new("/c")).0,
        &inv(d.path()),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "invalid config {}/config.json: /process/envv: unknown key",
            d.path().display()
        )
    );
}

#[test]
fn rejection_and_panic_stop_the_chain() {
    let d = bundle(config());
    let hooks = vec![
        tag("a", 0),
        LoadedHook::compiled(Box::new(Tag {
            name: "b",
            priority: 1,
            points: HookPoints::MUTATE_CONFIG,
            fail: Some("no GPUs here"),
        })),
        tag("c", 2),
    ];
    let (r, _) = Registry::assemble(hooks, &site(""), Path::new("/c"));
    let rep = effective::report(&r, &inv(d.path()));
    let err = rep.result.unwrap_err();
    assert!(err.is_rejection());
    assert_eq!(
        err.to_string(),
        "container c1 rejected by hook b: no GPUs here"
    );
    assert_eq!(
        rep.steps
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>(),
        ["(sifter) resolve paths", "a", "b"]
    );
    let hooks = vec![LoadedHook::compiled(Box::new(Tag {
        name: "p",
        priority: 0,
        points: HookPoints::MUTATE_CONFIG,
        fail: Some("panic"),
    }))];
    let (r, _) = Registry::assemble(hooks, &site(""), Path::new("/c"));
    let err = effective::build(&r, &inv(d.path()))
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("hook p (builtin) panicked in mutate_config: boom in p ("),
        "{err}"
    );
}

#[test]
fn pre_start_stops_post_delete_continues() {
    let d = bundle(config());
    let state: State =
        serde_json::from_value(serde_json::json!({"ociVersion": "1.0.2", "id": "c1",
        "status": "created", "pid": 42, "bundle": d.path()}))
        .unwrap();
    let mk = |name, fail| {
        LoadedHook::compiled(Box::new(Tag {
            name,
            priority: 0,
            points: HookPoints::PRE_START | HookPoints::POST_DELETE,
            fail,
        }))
    };
    let (r, _) = Registry::assemble(
        vec![mk("a", Some("veto")), mk("b", None)],
        &site(""),
        Path::new("/c"),
    );
    assert!(r.has_point(HookPoint::PreStart) && !r.has_point(HookPoint::MutateConfig));
    let err = r.pre_start(&inv(d.path()), &state).unwrap_err();
    assert_eq!(err.to_string(), "container c1 rejected by hook a: veto c1");
    let (calls, errors) = r.post_delete(&inv(d.path()), &state);
    assert_eq!(calls.len(), 2);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].to_string(), "hook a failed in post_delete: veto");
}
