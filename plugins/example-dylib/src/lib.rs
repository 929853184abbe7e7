//! The reference shared-library plugin (hooks.md §8): stamps the invoking user into an
//! annotation in `mutate_config` and logs the container's pid in `pre_start`. Build it with
//! `cargo build -p sifter-plugin-example-dylib` and copy `libsifter_plugin_example_dylib.so`
//! into a plugin directory. Switching to a compiled-in hook is one line: `submit_hook!`.

use sifter_hook_api::oci_spec::runtime::Spec;
use sifter_hook_api::{Hook, HookContext, HookError, HookPoints, edit, export_hook};

/// The annotation this plugin sets.
pub const ANNOTATION: &str = "org.sifter.example.invoked-by";

#[derive(Default)]
pub struct Example;

impl Hook for Example {
    fn name(&self) -> &str {
        "example"
    }
    fn points(&self) -> HookPoints {
        HookPoints::MUTATE_CONFIG | HookPoints::PRE_START
    }
    fn priority(&self) -> i32 {
        10
    }
    fn mutate_config(&self, cx: &HookContext, spec: &mut Spec) -> Result<(), HookError> {
        edit::add_annotation(spec, ANNOTATION, &cx.user().name);
        Ok(())
    }
    fn pre_start(&self, cx: &HookContext) -> Result<(), HookError> {
        let pid = cx.state().and_then(|s| *s.pid());
        tracing::info!(pid, "container {} is about to start", cx.container_id());
        Ok(())
    }
}

export_hook!(Example);

#[cfg(test)]
mod tests {
    use super::*;
    use sifter_hook_api::HookPoint;
    use sifter_hook_api::harness::HookHarness;

    #[test]
    fn stamps_the_user_through_the_abi() {
        let mut spec: Spec =
            serde_json::from_value(serde_json::json!({"ociVersion": "1.0.2"})).unwrap();
        HookHarness::default()
            .call_via_abi(&Example, HookPoint::MutateConfig, &mut spec, None)
            .unwrap();
        assert_eq!(spec.annotations().as_ref().unwrap()[ANNOTATION], "alice");
    }
}
