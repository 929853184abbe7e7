//! The one bridge from a hook host that answers every point through a single entry point (a
//! dylib's `call`, a Lua script's point function in a fresh state) to the `Hook` trait, so the
//! dylib loader and the Lua host do not each spell out the same three point methods, nor the
//! three getters of what they declare.

use sifter_hook_api::oci_spec::runtime::Spec;
use sifter_hook_api::{Hook, HookContext, HookError, HookPoint, HookPoints};

/// What a hook declares about itself (hooks.md §3, §8, §9.1): its name, the points it
/// implements, and its priority before the site config's override.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declaration {
    pub name: String,
    pub points: HookPoints,
    pub priority: i32,
}

/// A hook host: its declaration (the getters read it), and one call per point.
pub trait PointHost: Send + Sync {
    fn declaration(&self) -> &Declaration;
    fn name(&self) -> &str {
        &self.declaration().name
    }
    fn points(&self) -> HookPoints {
        self.declaration().points
    }
    fn priority(&self) -> i32 {
        self.declaration().priority
    }
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
