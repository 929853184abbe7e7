//! The crate plugin authors compile against: the `Hook` trait, its context and errors, the edit
//! helpers, the host view, the registration macros and the C ABI v1 types (hooks.md §3–§8).
//! It decides nothing about ordering or dispatch; that is `sifter-hooks`.

pub use oci_spec;

pub mod context;
pub mod edit;
pub mod error;
pub mod glob;
pub mod host;
pub mod panic;
pub mod point;
pub mod record;
pub mod user;

#[cfg(feature = "ffi")]
mod collector;
#[cfg(feature = "ffi")]
pub mod ffi;
#[cfg(feature = "test-util")]
pub mod harness;

pub use context::{ContextParts, HookContext, ImageInfo, settings_from_value};
pub use error::HookError;
pub use host::{HostStat, HostView, RealHost};
pub use point::{HookPoint, HookPoints};
pub use record::{HookCall, Provenance};
pub use user::UserInfo;

#[doc(hidden)]
pub use inventory;

use oci_spec::runtime::Spec;

/// One hook. Only `mutate_config` may change the config, and the signatures enforce that.
pub trait Hook: Send + Sync {
    /// Stable id: ordering, `[plugins.<name>]`, enable/disable, logs.
    fn name(&self) -> &str;
    /// The points this hook implements; the dispatcher calls only these.
    fn points(&self) -> HookPoints;
    /// Lower runs first; ties broken by name.
    fn priority(&self) -> i32 {
        0
    }
    fn mutate_config(&self, _cx: &HookContext, _spec: &mut Spec) -> Result<(), HookError> {
        Ok(())
    }
    fn pre_start(&self, _cx: &HookContext) -> Result<(), HookError> {
        Ok(())
    }
    fn post_delete(&self, _cx: &HookContext) -> Result<(), HookError> {
        Ok(())
    }
}

/// A compiled-in hook registered with `submit_hook!`.
pub struct CompiledHook {
    pub make: fn() -> Box<dyn Hook>,
}

inventory::collect!(CompiledHook);

/// Every compiled-in hook the binary links, in `inventory` order (callers sort).
pub fn compiled_hooks() -> Vec<Box<dyn Hook>> {
    inventory::iter::<CompiledHook>
        .into_iter()
        .map(|c| (c.make)())
        .collect()
}

/// Registers `T: Hook + Default + 'static` as a compiled-in hook.
#[macro_export]
macro_rules! submit_hook {
    ($t:ty) => {
        $crate::inventory::submit! {
            $crate::CompiledHook {
                make: || ::std::boxed::Box::new(<$t as ::std::default::Default>::default()),
            }
        }
    };
}

/// Whether `name` follows `^[a-z0-9][a-z0-9._-]{0,63}$`.
pub fn valid_hook_name(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b.len() <= 64
        && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
        && b[1..]
            .iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || b"._-".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hook_names() {
        assert!(valid_hook_name("gpu-binds"));
        assert!(valid_hook_name("0.a_b"));
        assert!(!valid_hook_name("Gpu"));
        assert!(!valid_hook_name("-x"));
        assert!(!valid_hook_name(""));
        assert!(!valid_hook_name(&"a".repeat(65)));
    }
}
