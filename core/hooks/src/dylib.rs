//! The shared-library loader (hooks.md §8), the only loader `unsafe` in the project: open the
//! trust-checked file with `RTLD_NOW | RTLD_LOCAL`, read and check the v1 descriptor before any
//! call, answer its points with JSON over the C ABI (`crate::adapter` makes it a `Hook`).
//! Libraries are never unloaded, so their function pointers stay valid for the life of the
//! process.
#![allow(unsafe_code)]

use crate::adapter::{Declaration, PointHost};
use crate::error::PluginError;
use libloading::os::unix::{Library, RTLD_LOCAL, RTLD_NOW};
use sifter_hook_api::ffi::{
    self, CallFn, EntryFn, FreeFn, SIFTER_ABI_VERSION, SifterBuf, SifterPluginV1,
};
use sifter_hook_api::oci_spec::runtime::Spec;
use sifter_hook_api::{HookContext, HookError, HookPoint, HookPoints};
use std::ffi::CStr;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The v1 descriptor size on this target.
pub const V1_SIZE: usize = std::mem::size_of::<SifterPluginV1>();

/// A loaded plugin; [`crate::adapter::Adapted`] makes it a `Hook`.
pub struct DylibHook {
    path: PathBuf,
    decl: Declaration,
    call: CallFn,
    free_buf: FreeFn,
    /// The host never calls one plugin from two threads at once.
    lock: Mutex<()>,
}

impl std::fmt::Debug for DylibHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DylibHook")
            .field("path", &self.path)
            .field("name", &self.decl.name)
            .finish()
    }
}

impl DylibHook {
    /// Loads `canonical` (already trust-checked); messages name `path`.
    pub fn load(path: &Path, canonical: &Path) -> Result<DylibHook, PluginError> {
        let refuse = |reason: String| PluginError::Abi {
            path: path.to_path_buf(),
            reason,
        };
        // SAFETY: loading a library runs its constructors; the file passed the trust checks of
        // hooks.md §6.1, so only an administrator could have placed it there.
        let lib = unsafe { Library::open(Some(canonical), RTLD_NOW | RTLD_LOCAL) }
            .map_err(|e| refuse(format!("cannot load: {e}")))?;
        // Never unloaded: descriptors, names and function pointers point into the library.
        let lib: &'static Library = Box::leak(Box::new(lib));
        // SAFETY: the symbol's type is fixed by ABI v1; a plugin exporting the name with another
        // type breaks its contract, which the version and size checks below try to catch.
        let entry = unsafe { lib.get::<EntryFn>(&ffi::SYMBOL[..ffi::SYMBOL.len() - 1]) }
            .map_err(|_| refuse("no symbol sifter_plugin_v1 (not a sifter plugin?)".into()))?;
        // SAFETY: calling the entry point declared by ABI v1; it takes no arguments.
        let desc = unsafe { entry() };
        if desc.is_null() {
            return Err(refuse("sifter_plugin_v1 returned a null descriptor".into()));
        }
        // SAFETY: every ABI revision starts with the two u32 fields; read only those first.
        let (abi, size) = unsafe {
            let head = desc as *const u32;
            (head.read_unaligned(), head.add(1).read_unaligned())
        };
        if abi != SIFTER_ABI_VERSION {
            return Err(refuse(format!(
                "it implements ABI version {abi}, this sifter implements version {SIFTER_ABI_VERSION}"
            )));
        }
        if (size as usize) < V1_SIZE {
            return Err(refuse(format!(
                "descriptor is {size} bytes, ABI v1 needs at least {V1_SIZE}"
            )));
        }
        // SAFETY: the plugin declares ABI v1 with a descriptor at least as large as ours, and it
        // stays valid for the life of the process (the library is never unloaded).
        let d = unsafe { &*desc };
        if d.name.is_null() {
            return Err(refuse("descriptor has a null name".into()));
        }
        // SAFETY: ABI v1 requires a NUL-terminated name valid for the life of the process.
        let name = unsafe { CStr::from_ptr(d.name) }
            .to_str()
            .map_err(|_| refuse("name is not UTF-8".into()))?
            .to_string();
        if !sifter_hook_api::valid_hook_name(&name) {
            return Err(refuse(format!("invalid hook name {name:?}")));
        }
        let points = match HookPoints::from_bits(d.points) {
            Some(p) if !p.is_empty() => p,
            _ => {
                return Err(refuse(format!(
                    "points {:#x} are empty or set unknown bits",
                    d.points
                )));
            }
        };
        Ok(DylibHook {
            path: path.to_path_buf(),
            decl: Declaration {
                name,
                points,
                priority: d.priority,
            },
            call: d.call,
            free_buf: d.free_buf,
            lock: Mutex::new(()),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl PointHost for DylibHook {
    fn declaration(&self) -> &Declaration {
        &self.decl
    }
    fn call(
        &self,
        point: HookPoint,
        cx: &HookContext,
        spec: Option<&Spec>,
    ) -> Result<Option<Spec>, HookError> {
        if !self.decl.points.contains(point) {
            return Err(HookError::Foreign {
                code: -1,
                message: format!("{point} was not declared by the plugin"),
            });
        }
        let req = ffi::Request {
            point,
            context: cx.clone(),
            spec: spec.map(|s| serde_json::to_value(s).expect("a spec serialises")),
        };
        let bytes = serde_json::to_vec(&req).map_err(|e| HookError::failed(e.to_string()))?;
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = SifterBuf::zeroed();
        // SAFETY: `bytes` outlives the call and `out` is a zeroed buffer, per ABI v1; the plugin
        // catches its own panics, so nothing unwinds across this boundary.
        let status = unsafe { (self.call)(point.bit(), bytes.as_ptr(), bytes.len(), &mut out) };
        let body = if out.ptr.is_null() || out.len == 0 {
            Vec::new()
        } else {
            // SAFETY: the plugin wrote `len` initialised bytes at `ptr` and keeps them until
            // `free_buf`.
            unsafe { std::slice::from_raw_parts(out.ptr, out.len) }.to_vec()
        };
        // SAFETY: the buffer was allocated by the plugin and is returned to it exactly once.
        unsafe { (self.free_buf)(out) };
        let (result, log) = ffi::interpret(status, &body, point);
        for entry in log {
            match entry.level.as_str() {
                "warn" => {
                    tracing::warn!(hook = %self.decl.name, plugin_log = true, "{}", entry.message)
                }
                "info" => {
                    tracing::info!(hook = %self.decl.name, plugin_log = true, "{}", entry.message)
                }
                _ => {
                    tracing::debug!(hook = %self.decl.name, plugin_log = true, "{}", entry.message)
                }
            }
        }
        match result? {
            Some(v) => crate::strict::from_value::<Spec>(v)
                .map(Some)
                .map_err(|e| HookError::failed(format!("returned spec: {e}"))),
            None => Ok(None),
        }
    }
}
