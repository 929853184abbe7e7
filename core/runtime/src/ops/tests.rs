//! Unit tests of the operations against a recording `RuntimeDriver` (no runtime, no root):
//! which runtime calls each operation makes, in which order, and what it refuses first.

use crate::driver::{Prefix, RuntimeDriver, RuntimeOp, argv};
use crate::engine::{Engine, EngineConfig};
use crate::store::{Record, mkdir_0700};
use crate::{ContainerId, Result, Status};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// Records each call's subcommand and answers `state` with a status that `start` turns
/// into `running`.
struct Recording {
    calls: Arc<Mutex<Vec<String>>>,
    status: Mutex<&'static str>,
}

impl RuntimeDriver for Recording {
    fn call(&self, prefix: &Prefix, op: &RuntimeOp, _cwd: &Path) -> Result<Vec<u8>> {
        let line: Vec<String> = argv(prefix, op)
            .iter()
            .skip(6)
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        self.calls.lock().unwrap().push(line.join(" "));
        if op.name() == "start" {
            *self.status.lock().unwrap() = "running";
        }
        let status = *self.status.lock().unwrap();
        Ok(format!(r#"{{"id":"c1","pid":42,"status":"{status}"}}"#).into_bytes())
    }
}

fn engine(root: &Path, status: &'static str) -> (Engine, Arc<Mutex<Vec<String>>>) {
    let calls = Arc::new(Mutex::new(Vec::new()));
    let config = EngineConfig {
        root: root.to_path_buf(),
        runtime: None,
        site: sifter_hooks::SiteConfig {
            systemd_cgroup: sifter_hooks::config::SystemdCgroup::Bool(false),
            ..Default::default()
        },
        config_path: root.join("sifter.toml"),
        debug: false,
        sifter_exe: "/nonexistent/sifter".into(),
    };
    let driver = Recording {
        calls: calls.clone(),
        status: Mutex::new(status),
    };
    (Engine::with_driver(config, Box::new(driver)), calls)
}

/// A record for `c1` with runtime state present, as after a create.
fn container(engine: &Engine) -> ContainerId {
    let id = ContainerId::parse("c1").unwrap();
    let store = engine.store();
    store.ensure_layout().unwrap();
    mkdir_0700(&store.cdir(&id), false).unwrap();
    mkdir_0700(&store.runtime_root().join("c1"), false).unwrap();
    let rec = Record::sample(store, &id, Status::Created);
    store.save(&id, &rec).unwrap();
    id
}

#[test]
fn kill_checks_the_status_before_signalling() {
    let tmp = tempfile::tempdir().unwrap();
    let (e, calls) = engine(tmp.path(), "stopped");
    container(&e);
    let err = super::kill::kill(&e, "c1", "INT", 0).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"cannot kill container "c1": it is stopped"#
    );
    assert_eq!(*calls.lock().unwrap(), ["state c1"]);
}

#[test]
fn kill_sends_the_number() {
    let tmp = tempfile::tempdir().unwrap();
    let (e, calls) = engine(tmp.path(), "running");
    container(&e);
    super::kill::kill(&e, "c1", "sigusr1", 0).unwrap();
    assert_eq!(*calls.lock().unwrap(), ["state c1", "kill c1 10"]);
}

#[test]
fn start_waits_for_running_and_records_started_at() {
    let tmp = tempfile::tempdir().unwrap();
    let (e, calls) = engine(tmp.path(), "created");
    let id = container(&e);
    super::start::start(&e, "c1").unwrap();
    assert!(e.store().load(&id).unwrap().unwrap().started_at.is_some());
    let err = super::resume::resume(&e, "c1").unwrap_err();
    assert!(
        err.to_string().ends_with("it is running (must be paused)"),
        "{err}"
    );
    assert_eq!(
        *calls.lock().unwrap(),
        ["state c1", "start c1", "state c1", "state c1"]
    );
}

#[test]
fn unknown_ids_leave_no_lock_file() {
    let tmp = tempfile::tempdir().unwrap();
    let (e, calls) = engine(tmp.path(), "running");
    let err = super::resume::resume(&e, "nope").unwrap_err();
    assert_eq!(err.to_string(), r#"container "nope" does not exist"#);
    assert!(
        !e.store()
            .lock_path(&ContainerId::parse("nope").unwrap())
            .exists()
    );
    assert!(calls.lock().unwrap().is_empty());
}

#[test]
fn a_stopped_state_is_kept_and_a_corrupt_copy_is_replaced() {
    let tmp = tempfile::tempdir().unwrap();
    let (e, calls) = engine(tmp.path(), "stopped");
    let id = container(&e);
    let kept = e.store().cdir(&id).join("stopped-state.json");
    // No exit file yet: the container may still run, so nothing is kept.
    super::state::state(&e, "c1").unwrap();
    assert!(!kept.exists());
    let exit = e.store().exit_file(&id);
    mkdir_0700(exit.parent().unwrap(), false).unwrap();
    std::fs::write(&exit, "0").unwrap();
    let first = super::state::state(&e, "c1").unwrap();
    let second = super::state::state(&e, "c1").unwrap();
    assert_eq!(first, second);
    assert!(kept.is_file());
    assert_eq!(*calls.lock().unwrap(), ["state c1", "state c1"]);
    // A copy that does not parse is asked for again and rewritten.
    std::fs::write(&kept, "{not json").unwrap();
    assert_eq!(super::state::state(&e, "c1").unwrap(), first);
    assert_eq!(calls.lock().unwrap().len(), 3);
    let rewritten: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&kept).unwrap()).unwrap();
    assert_eq!(rewritten["status"], "stopped");
}
