//! `Recording`: a fake mounter for unit tests (compiled only for tests or the `test-util`
//! feature). It stores each call as a typed record and keeps a simulated mount table, so the
//! step and rollback logic can be checked without root.

use super::{AttachedLoop, LoopStatus, LowerSource, Mounter};
use crate::mountinfo::MountEntry;
use crate::record::Method;
use crate::{BundleError, Result};
use std::cell::RefCell;
use std::fs::File;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    AttachLoop {
        offset: u64,
        size: u64,
    },
    MountLower {
        target: PathBuf,
        device: Option<String>,
    },
    BindSelf {
        path: PathBuf,
    },
    MountOverlay {
        target: PathBuf,
        data: String,
    },
    Unmount {
        path: PathBuf,
        detach: bool,
    },
    DetachLoop {
        device: String,
    },
}

#[derive(Debug)]
pub struct Recording {
    method: Method,
    calls: RefCell<Vec<Call>>,
    table: RefCell<Vec<MountEntry>>,
}

impl Recording {
    pub fn new(method: Method) -> Recording {
        Recording {
            method,
            calls: RefCell::new(Vec::new()),
            table: RefCell::new(Vec::new()),
        }
    }

    pub fn calls(&self) -> Vec<Call> {
        self.calls.borrow().clone()
    }

    /// Mount points currently in the simulated table.
    pub fn mounted(&self) -> Vec<PathBuf> {
        self.table
            .borrow()
            .iter()
            .map(|e| e.mount_point.clone())
            .collect()
    }

    fn push_mount(&self, target: &Path, fstype: &str) {
        let id = self.table.borrow().len() as u32 + 100;
        self.table.borrow_mut().push(MountEntry {
            id,
            parent: 1,
            root: "/".into(),
            mount_point: target.to_path_buf(),
            options: "rw,nosuid,nodev".into(),
            fstype: fstype.into(),
            source: fstype.into(),
            super_options: String::new(),
        });
    }
}

impl Mounter for Recording {
    fn method(&self) -> Method {
        self.method
    }
    fn lower_fstype(&self) -> String {
        match self.method {
            Method::Loop => "squashfs".into(),
            Method::Fuse => "fuse.squashfuse_ll".into(),
        }
    }
    fn attach_loop(&self, _: &File, offset: u64, size: u64) -> Result<Option<AttachedLoop>> {
        self.calls
            .borrow_mut()
            .push(Call::AttachLoop { offset, size });
        Ok((self.method == Method::Loop).then(|| AttachedLoop {
            device: "/dev/loop99".into(),
            file: None,
        }))
    }
    fn mount_lower(&self, source: LowerSource<'_>, target: &Path) -> Result<()> {
        self.calls.borrow_mut().push(Call::MountLower {
            target: target.to_path_buf(),
            device: source.device.map(str::to_string),
        });
        self.push_mount(target, &self.lower_fstype());
        Ok(())
    }
    fn bind_self(&self, path: &Path) -> Result<()> {
        self.calls.borrow_mut().push(Call::BindSelf {
            path: path.to_path_buf(),
        });
        // The bind shows the fs type of the filesystem holding the bundle.
        let fstype = crate::mountinfo::containing(&self.table.borrow(), path)
            .map(|e| e.fstype.clone())
            .unwrap_or_default();
        self.push_mount(path, &fstype);
        Ok(())
    }
    fn mount_overlay(&self, target: &Path, data: &str) -> Result<()> {
        self.calls.borrow_mut().push(Call::MountOverlay {
            target: target.to_path_buf(),
            data: data.into(),
        });
        self.push_mount(target, "overlay");
        Ok(())
    }
    fn unmount(&self, path: &Path, detach: bool) -> Result<()> {
        self.calls.borrow_mut().push(Call::Unmount {
            path: path.to_path_buf(),
            detach,
        });
        let mut table = self.table.borrow_mut();
        match table.iter().rposition(|e| e.mount_point == path) {
            Some(i) => {
                table.remove(i);
                Ok(())
            }
            None => Err(BundleError::Unmount {
                path: path.to_path_buf(),
                source: std::io::Error::from_raw_os_error(libc::EINVAL),
            }),
        }
    }
    fn mountinfo(&self) -> Result<Vec<MountEntry>> {
        Ok(self.table.borrow().clone())
    }
    fn loop_status(&self, _: &str) -> Option<LoopStatus> {
        None
    }
    fn detach_loop(&self, device: &str) -> Result<()> {
        self.calls.borrow_mut().push(Call::DetachLoop {
            device: device.into(),
        });
        Ok(())
    }
}
