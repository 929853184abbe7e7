//! Unit tests of the mount steps and their rollback with the `Recording` mounter (no root).

use super::*;
use crate::mounter::{Call, Recording};
use crate::record::StepState;

fn busybox() -> CheckedImage {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/testdata/sif-reference/busybox_amd64.sif");
    checks::check(SifImage::open(&p).unwrap()).unwrap()
}

fn layout(dir: &tempfile::TempDir) -> BundleLayout {
    BundleLayout::new(std::fs::canonicalize(dir.path()).unwrap().join("b"))
}

#[test]
fn steps_run_in_order_and_the_record_completes() {
    let dir = tempfile::tempdir().unwrap();
    let l = layout(&dir);
    let m = Recording::new(Method::Loop);
    let out = mount_with(&busybox(), &l, &m, &MountOptions::default()).unwrap();
    assert!(out.warnings.is_empty());
    let calls = m.calls();
    assert!(matches!(&calls[0], Call::BindSelf { path } if *path == l.overlay()));
    assert!(matches!(&calls[1], Call::AttachLoop { .. }));
    assert!(
        matches!(&calls[2], Call::MountLower { target, device: Some(d) } if *target == l.lower() && d == "/dev/loop99")
    );
    assert!(
        matches!(&calls[3], Call::MountOverlay { data, .. } if data.ends_with(",volatile,xino=on"))
    );
    assert_eq!(calls.len(), 4);
    let rec = record::read_record(l.bundle()).unwrap().unwrap();
    assert!(rec.complete && rec.created_bundle);
    assert!(rec.steps.iter().all(|s| s.state == StepState::Done));
    assert_eq!(
        rec.steps
            .iter()
            .find(|s| s.kind == StepKind::Loop)
            .unwrap()
            .device
            .as_deref(),
        Some("/dev/loop99")
    );
    assert!(l.config().exists());
    let mode = |p: PathBuf| std::fs::metadata(p).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode(l.bundle().into()), 0o700);
    assert_eq!(mode(l.upper()), 0o755);
    assert_eq!(mode(l.work()), 0o700);
    assert_eq!(mode(l.config()), 0o600);
    assert_eq!(mode(l.record()), 0o600);

    // A second mount onto it is refused and changes nothing.
    let err = mount_with(&busybox(), &l, &m, &MountOptions::default()).unwrap_err();
    assert!(
        err.to_string().contains("is already a mounted bundle"),
        "{err}"
    );

    let mut rec = rec;
    teardown(&l, &mut rec, &m, false).unwrap();
    assert!(!l.bundle().exists());
    assert!(m.mounted().is_empty());
}

#[test]
fn a_fault_at_any_step_rolls_everything_back() {
    for step in STEPS {
        let dir = tempfile::tempdir().unwrap();
        let l = layout(&dir);
        let m = Recording::new(Method::Loop);
        let opts = MountOptions {
            fault: Some(Fault {
                step: step.into(),
                action: FaultAction::Fail,
            }),
            ..Default::default()
        };
        let err = mount_with(&busybox(), &l, &m, &opts).unwrap_err();
        let text = crate::error_chain(&err);
        assert!(
            text.contains(&format!("fault injected at step {step}")),
            "{step}: {text}"
        );
        assert!(!l.bundle().exists(), "{step}: bundle left behind");
        assert!(m.mounted().is_empty(), "{step}: {:?}", m.mounted());
    }
}

#[test]
fn a_pre_existing_bundle_is_kept_and_must_be_empty() {
    let dir = tempfile::tempdir().unwrap();
    let l = layout(&dir);
    std::fs::create_dir(l.bundle()).unwrap();
    std::fs::set_permissions(l.bundle(), std::fs::Permissions::from_mode(0o751)).unwrap();
    let m = Recording::new(Method::Fuse);
    let opts = MountOptions {
        fault: Some(Fault {
            step: "config".into(),
            action: FaultAction::Fail,
        }),
        ..Default::default()
    };
    assert!(mount_with(&busybox(), &l, &m, &opts).is_err());
    assert!(l.bundle().is_dir());
    assert_eq!(std::fs::read_dir(l.bundle()).unwrap().count(), 0);
    assert_eq!(
        std::fs::metadata(l.bundle()).unwrap().permissions().mode() & 0o777,
        0o751
    );

    std::fs::write(l.bundle().join("user-file"), "x").unwrap();
    let err = mount_with(&busybox(), &l, &m, &MountOptions::default()).unwrap_err();
    assert!(err.to_string().starts_with("bundle directory"), "{err}");
    assert!(err.to_string().ends_with("is not empty"), "{err}");
}

/// A mounter whose unmounts fail: rollback cannot finish.
struct StuckUnmount(Recording);

impl Mounter for StuckUnmount {
    fn method(&self) -> Method {
        self.0.method()
    }
    fn lower_fstype(&self) -> String {
        self.0.lower_fstype()
    }
    fn attach_loop(&self, f: &File, o: u64, s: u64) -> Result<Option<mounter::AttachedLoop>> {
        self.0.attach_loop(f, o, s)
    }
    fn mount_lower(&self, src: LowerSource<'_>, t: &Path) -> Result<()> {
        self.0.mount_lower(src, t)
    }
    fn bind_self(&self, p: &Path) -> Result<()> {
        self.0.bind_self(p)
    }
    fn mount_overlay(&self, t: &Path, d: &str) -> Result<()> {
        self.0.mount_overlay(t, d)
    }
    fn unmount(&self, path: &Path, _: bool) -> Result<()> {
        Err(BundleError::UnmountBusy { path: path.into() })
    }
    fn mountinfo(&self) -> Result<Vec<crate::mountinfo::MountEntry>> {
        self.0.mountinfo()
    }
    fn loop_status(&self, d: &str) -> Option<mounter::LoopStatus> {
        self.0.loop_status(d)
    }
    fn detach_loop(&self, d: &str) -> Result<()> {
        self.0.detach_loop(d)
    }
}

#[test]
fn an_incomplete_rollback_keeps_the_record_and_reports_both_errors() {
    let dir = tempfile::tempdir().unwrap();
    let l = layout(&dir);
    let m = StuckUnmount(Recording::new(Method::Loop));
    let opts = MountOptions {
        fault: Some(Fault {
            step: "config".into(),
            action: FaultAction::Fail,
        }),
        ..Default::default()
    };
    let err = mount_with(&busybox(), &l, &m, &opts).unwrap_err();
    assert!(
        matches!(err, BundleError::RollbackIncomplete { .. }),
        "{err}"
    );
    let text = err.to_string();
    assert!(
        text.starts_with(
            "failed to write OCI configuration: fault injected at step config; rollback of"
        ),
        "{text}"
    );
    assert!(
        text.ends_with("/b/rootfs: device or resource busy"),
        "{text}"
    );
    // The record stays, so `umount` can finish the job.
    let rec = record::read_record(l.bundle()).unwrap().unwrap();
    assert!(!rec.complete);
    assert!(rec.has(StepKind::Mount, "rootfs"));
}

#[test]
fn teardown_never_removes_files_under_a_remaining_mount() {
    let dir = tempfile::tempdir().unwrap();
    let l = layout(&dir);
    let m = Recording::new(Method::Loop);
    mount_with(&busybox(), &l, &m, &MountOptions::default()).unwrap();
    // Something else mounted inside the bundle (not in the record).
    std::fs::create_dir(l.volumes().join("x")).unwrap();
    m.mount_overlay(&l.volumes().join("x"), "lowerdir=/")
        .unwrap();
    let mut rec = record::read_record(l.bundle()).unwrap().unwrap();
    let err = teardown(&l, &mut rec, &m, false).unwrap_err();
    assert!(matches!(err, BundleError::StillMounted { .. }), "{err}");
    assert!(l.volumes().join("x").exists());
    assert!(l.record().exists());
}
