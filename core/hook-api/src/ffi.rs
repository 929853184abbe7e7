//! C ABI v1 (hooks.md §8): the descriptor and buffer types, the JSON request and response, and
//! the plugin-side trampoline behind `export_hook!`, which decodes the request, runs the hook
//! with panics caught and a log collector installed, and encodes the response. The host-side
//! loader is `sifter-hooks/src/dylib.rs`.
#![allow(unsafe_code)]

use crate::{Hook, HookContext, HookError, HookPoint};
use oci_spec::runtime::Spec;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::ffi::{CString, c_char};

/// The ABI version this crate implements.
pub const SIFTER_ABI_VERSION: u32 = 1;
/// The exported symbol, NUL-terminated.
pub const SYMBOL: &[u8] = b"sifter_plugin_v1\0";

/// A buffer allocated by one side and freed by the same side.
#[repr(C)]
#[derive(Debug)]
pub struct SifterBuf {
    pub ptr: *mut u8,
    pub len: usize,
    pub cap: usize,
}

impl SifterBuf {
    pub const fn zeroed() -> SifterBuf {
        SifterBuf {
            ptr: std::ptr::null_mut(),
            len: 0,
            cap: 0,
        }
    }
}

/// The `call` entry: point bit, request bytes, out buffer; returns a status.
pub type CallFn =
    unsafe extern "C" fn(point: u32, req: *const u8, req_len: usize, out: *mut SifterBuf) -> i32;
/// Frees a buffer the plugin allocated.
pub type FreeFn = unsafe extern "C" fn(buf: SifterBuf);
/// The type of `sifter_plugin_v1`.
pub type EntryFn = unsafe extern "C" fn() -> *const SifterPluginV1;

/// The plugin descriptor.
#[repr(C)]
pub struct SifterPluginV1 {
    pub abi_version: u32,
    pub struct_size: u32,
    pub name: *const c_char,
    pub points: u32,
    pub priority: i32,
    pub call: CallFn,
    pub free_buf: FreeFn,
}

/// The request sent to `call`.
#[derive(Debug, Serialize, Deserialize)]
pub struct Request {
    pub point: HookPoint,
    pub context: HookContext,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<Value>,
}

/// An error in a response.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorBody {
    pub kind: String,
    pub message: String,
}

/// A log line in a response.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LogEntry {
    pub level: String,
    pub message: String,
}

/// The response written by `call`.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Response {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub log: Vec<LogEntry>,
}

/// A descriptor plus the name it points to; lives in a static of the plugin.
pub struct Exported {
    desc: SifterPluginV1,
    _name: CString,
}

// SAFETY: the descriptor holds a pointer into `_name`, which is owned by the same value and
// never mutated; the function pointers are plain code addresses. Sharing it across threads is
// sound.
unsafe impl Sync for Exported {}
// SAFETY: as above; nothing in it is tied to a thread.
unsafe impl Send for Exported {}

impl Exported {
    pub fn new<T: Hook>(hook: &T, call: CallFn, free_buf: FreeFn) -> Exported {
        let name = CString::new(hook.name()).unwrap_or_default();
        Exported {
            desc: SifterPluginV1 {
                abi_version: SIFTER_ABI_VERSION,
                struct_size: std::mem::size_of::<SifterPluginV1>() as u32,
                name: name.as_ptr(),
                points: hook.points().bits(),
                priority: hook.priority(),
                call,
                free_buf,
            },
            _name: name,
        }
    }

    pub fn descriptor(&self) -> *const SifterPluginV1 {
        &self.desc
    }
}

fn error_body(e: &HookError) -> ErrorBody {
    let kind = match e {
        HookError::Rejected { .. } => "rejected",
        HookError::InvalidSettings { .. } => "invalid_settings",
        HookError::Panicked { .. } => "panicked",
        _ => "failed",
    };
    ErrorBody {
        kind: kind.to_string(),
        message: e.full_message(),
    }
}

/// Runs `hook` for one request; `Err` is a request that could not be decoded.
pub fn handle<T: Hook>(hook: &T, point_bit: u32, req: &[u8]) -> Result<Response, String> {
    let req: Request =
        serde_json::from_slice(req).map_err(|e| format!("cannot decode request: {e}"))?;
    let point =
        HookPoint::from_bit(point_bit).ok_or_else(|| format!("unknown point bit {point_bit}"))?;
    if point != req.point {
        return Err(format!(
            "point bit {point_bit} does not match request point {}",
            req.point
        ));
    }
    let mut resp = Response::default();
    if !hook.points().contains(point) {
        resp.error = Some(ErrorBody {
            kind: "protocol".into(),
            message: format!("{point} is not implemented"),
        });
        return Ok(resp);
    }
    let collector = crate::collector::Collector::default();
    let outcome = tracing::subscriber::with_default(collector.clone(), || {
        crate::panic::catch(|| -> Result<Option<Value>, HookError> {
            match point {
                HookPoint::MutateConfig => {
                    let value = req.spec.clone().unwrap_or(Value::Null);
                    let mut spec: Spec = serde_json::from_value(value)
                        .map_err(|e| HookError::failed(format!("cannot decode spec: {e}")))?;
                    hook.mutate_config(&req.context, &mut spec)?;
                    Ok(Some(
                        serde_json::to_value(&spec)
                            .map_err(|e| HookError::failed(e.to_string()))?,
                    ))
                }
                HookPoint::PreStart => hook.pre_start(&req.context).map(|()| None),
                HookPoint::PostDelete => hook.post_delete(&req.context).map(|()| None),
            }
        })
    });
    match outcome {
        Ok(Ok(spec)) => resp.spec = spec,
        Ok(Err(e)) => resp.error = Some(error_body(&e)),
        Err(panic) => {
            resp.error = Some(ErrorBody {
                kind: "panicked".into(),
                message: panic,
            })
        }
    }
    resp.log = collector.take();
    Ok(resp)
}

/// The host's reading of a `call` result (hooks.md §8): status, response JSON, error kinds,
/// protocol faults. Returns the new spec (if any) and the plugin's log lines.
pub fn interpret(
    status: i32,
    bytes: &[u8],
    point: HookPoint,
) -> (Result<Option<Value>, HookError>, Vec<LogEntry>) {
    let foreign = |code: i32, message: String| HookError::Foreign { code, message };
    if status != 0 {
        return (
            Err(foreign(status, String::from_utf8_lossy(bytes).into_owned())),
            Vec::new(),
        );
    }
    let resp: Response = match serde_json::from_slice(bytes) {
        Ok(r) => r,
        Err(e) => {
            return (
                Err(foreign(-1, format!("unparseable response: {e}"))),
                Vec::new(),
            );
        }
    };
    let log = resp.log;
    if let Some(err) = resp.error {
        let e = match err.kind.as_str() {
            "rejected" => HookError::rejected(err.message),
            "failed" => HookError::failed(err.message),
            "invalid_settings" => HookError::invalid_settings(err.message),
            "panicked" => HookError::panicked(err.message),
            "protocol" => foreign(-1, err.message),
            other => foreign(0, format!("{other}: {}", err.message)),
        };
        return (Err(e), log);
    }
    match (resp.spec, point) {
        (Some(_), p) if p != HookPoint::MutateConfig => {
            (Err(foreign(-1, format!("spec returned for {p}"))), log)
        }
        (spec, _) => (Ok(spec), log),
    }
}

/// Hands `bytes` to the host through `out`; the host returns it to `free_buf`.
///
/// # Safety
/// `out` must be null or point to a writable `SifterBuf`.
pub unsafe fn write_out(out: *mut SifterBuf, bytes: Vec<u8>) {
    if out.is_null() {
        return;
    }
    let mut bytes = std::mem::ManuallyDrop::new(bytes);
    // SAFETY: `out` is non-null and writable per the caller's contract.
    unsafe {
        *out = SifterBuf {
            ptr: bytes.as_mut_ptr(),
            len: bytes.len(),
            cap: bytes.capacity(),
        };
    }
}

/// The `call` trampoline generated by `export_hook!`. Never unwinds.
///
/// # Safety
/// `req` must point to `req_len` readable bytes (or be null with length 0) for the duration of
/// the call, and `out` must be null or point to a writable `SifterBuf`.
pub unsafe fn call_trampoline<T: Hook>(
    hook: &T,
    point: u32,
    req: *const u8,
    req_len: usize,
    out: *mut SifterBuf,
) -> i32 {
    let bytes: &[u8] = if req.is_null() || req_len == 0 {
        &[]
    } else {
        // SAFETY: the host guarantees `req` points to `req_len` bytes for the call's duration.
        unsafe { std::slice::from_raw_parts(req, req_len) }
    };
    let (status, body) = match crate::panic::catch(|| handle(hook, point, bytes)) {
        Ok(Ok(resp)) => (
            0,
            serde_json::to_vec(&resp).unwrap_or_else(|_| b"{}".to_vec()),
        ),
        Ok(Err(decode)) => (1, decode.into_bytes()),
        Err(panic) => {
            let resp = Response {
                error: Some(ErrorBody {
                    kind: "panicked".into(),
                    message: panic,
                }),
                ..Default::default()
            };
            (0, serde_json::to_vec(&resp).unwrap_or_default())
        }
    };
    // SAFETY: forwarded caller contract on `out`.
    unsafe { write_out(out, body) };
    status
}

/// Frees a buffer made by `write_out`; a zeroed buffer is ignored.
///
/// # Safety
/// `buf` must be zeroed or come from `write_out` in this same library, and be freed once.
pub unsafe fn free_buf(buf: SifterBuf) {
    if buf.ptr.is_null() {
        return;
    }
    // SAFETY: ptr/len/cap come from a Vec<u8> leaked by `write_out` in this allocator.
    drop(unsafe { Vec::from_raw_parts(buf.ptr, buf.len, buf.cap) });
}

/// Turns `T: Hook + Default` into a shared-library plugin exporting `sifter_plugin_v1`.
#[macro_export]
macro_rules! export_hook {
    ($t:ty) => {
        static __SIFTER_HOOK: ::std::sync::OnceLock<$t> = ::std::sync::OnceLock::new();
        static __SIFTER_DESC: ::std::sync::OnceLock<$crate::ffi::Exported> =
            ::std::sync::OnceLock::new();

        fn __sifter_hook() -> &'static $t {
            __SIFTER_HOOK.get_or_init(<$t as ::std::default::Default>::default)
        }

        #[allow(unsafe_code)]
        unsafe extern "C" fn __sifter_call(
            point: u32,
            req: *const u8,
            req_len: usize,
            out: *mut $crate::ffi::SifterBuf,
        ) -> i32 {
            // SAFETY: the host upholds the ABI contract documented on `call_trampoline`.
            unsafe { $crate::ffi::call_trampoline(__sifter_hook(), point, req, req_len, out) }
        }

        #[allow(unsafe_code)]
        unsafe extern "C" fn __sifter_free(buf: $crate::ffi::SifterBuf) {
            // SAFETY: the host returns only buffers this library wrote, once each.
            unsafe { $crate::ffi::free_buf(buf) }
        }

        #[allow(unsafe_code)]
        #[unsafe(no_mangle)]
        pub extern "C" fn sifter_plugin_v1() -> *const $crate::ffi::SifterPluginV1 {
            __SIFTER_DESC
                .get_or_init(|| {
                    $crate::ffi::Exported::new(__sifter_hook(), __sifter_call, __sifter_free)
                })
                .descriptor()
        }
    };
}
