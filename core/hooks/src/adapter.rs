//! The one bridge from a hook host that answers every point through a single entry point (a
//! dylib's `call`, a Lua script's point function in a fresh state) to the `Hook` trait, so the
//! dylib loader and the Lua host do not each spell out the same three point methods.

use sifter_hook_api::oci_spec::runtime::Spec;
use sifter_hook_api::{Hook, HookContext, HookError, HookPoint, HookPoints};

/// A hook host: its declaration, and one call per point.
pub trait PointHost: Send + Sync {
    fn name(&self) -> &str;
    fn points(&self) -> HookPoints;
    fn priority(&self) -> i32;
    /// One call at `point`. `spec` is given only for `mutate_config`, where `Some` in the
    /// result replaces the spec; `pre_start` and `post_delete` return `None`.
    fn call(
        &self,
        point: HookPoint,
        cx: &HookContext,
        spec: Option<&Spec>,
    ) -> Result<Option<Spec>, HookError>;
}

/// A [`PointHost`] as a `Hook`.
pub struct Adapted<H>(pub H);

impl<H: PointHost> Hook for Adapted<H> {
    fn name(&self) -> &str {
        self.0.name()
    }
    fn points(&self) -> HookPoints {
        self.0.points()
    }
    fn priority(&self) -> i32 {
        self.0.priority()
    }
    fn mutate_config(&self, cx: &HookContext, spec: &mut Spec) -> Result<(), HookError> {
        if let Some(new) = self.0.call(HookPoint::MutateConfig, cx, Some(spec))? {
            *spec = new;
        }
        Ok(())
    }
    fn pre_start(&self, cx: &HookContext) -> Result<(), HookError> {
        self.0.call(HookPoint::PreStart, cx, None).map(|_| ())
    }
    fn post_delete(&self, cx: &HookContext) -> Result<(), HookError> {
        self.0.call(HookPoint::PostDelete, cx, None).map(|_| ())
    }
}
