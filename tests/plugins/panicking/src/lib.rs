//! Test-only plugin: a hook named `panicking` whose `mutate_config` and `pre_start` panic, so
//! the dylib panic test (hooks.md §14 #6) sees a `Panicked` error instead of an abort.

use sifter_hook_api::oci_spec::runtime::Spec;
use sifter_hook_api::{Hook, HookContext, HookError, HookPoints, export_hook};

#[derive(Default)]
pub struct Panicking;

impl Hook for Panicking {
    fn name(&self) -> &str {
        "panicking"
    }
    fn points(&self) -> HookPoints {
        HookPoints::MUTATE_CONFIG | HookPoints::PRE_START
    }
    fn mutate_config(&self, cx: &HookContext, _spec: &mut Spec) -> Result<(), HookError> {
        let v: Vec<&str> = cx.devices().iter().map(String::as_str).collect();
        let _ = v[40];
        Ok(())
    }
    fn pre_start(&self, _cx: &HookContext) -> Result<(), HookError> {
        panic!("pre_start exploded");
    }
}

export_hook!(Panicking);
