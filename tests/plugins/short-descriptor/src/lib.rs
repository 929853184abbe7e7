//! Test-only plugin that declares a 24-byte descriptor, so the loader must refuse it before any call
//! (hooks.md §8, §14 #5).
#![allow(unsafe_code)]

use sifter_hook_api::ffi::{SifterBuf, SifterPluginV1};

struct Desc(SifterPluginV1);
// SAFETY: the descriptor points only at a static string and at functions.
unsafe impl Sync for Desc {}

unsafe extern "C" fn call(_point: u32, _req: *const u8, _len: usize, _out: *mut SifterBuf) -> i32 {
    99
}

unsafe extern "C" fn free_buf(_buf: SifterBuf) {}

static DESC: Desc = Desc(SifterPluginV1 {
    abi_version: 1,
    struct_size: 24,
    name: c"short-descriptor".as_ptr(),
    points: 1,
    priority: 0,
    call,
    free_buf,
});

/// The ABI v1 entry point.
#[unsafe(no_mangle)]
pub extern "C" fn sifter_plugin_v1() -> *const SifterPluginV1 {
    &DESC.0
}
