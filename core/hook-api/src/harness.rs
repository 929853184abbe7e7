//! `HookHarness` (feature `test-util`): runs a hook in-process, directly or through the C ABI
//! trampolines, so plugin crates test themselves without `dlopen`.
#![allow(unsafe_code)]

use crate::context::ContextParts;
use crate::ffi::{self, SifterBuf};
use crate::{Hook, HookContext, HookError, HookPoint, UserInfo};
use oci_spec::runtime::{Spec, State};
use serde_json::Value;

/// A context plus ways to call a hook with it.
#[derive(Debug, Clone)]
pub struct HookHarness {
    cx: HookContext,
}

impl Default for HookHarness {
    fn default() -> Self {
        HookHarness::new(ContextParts {
            sifter_version: "0.0.0-test".into(),
            container_id: "test".into(),
            bundle: "/bundle".into(),
            rootfs: "/bundle/rootfs".into(),
            annotations: Default::default(),
            devices: Vec::new(),
            image: None,
            user: UserInfo {
                uid: 1000,
                gid: 1000,
                name: "alice".into(),
                groups: vec![1000],
                via_sudo: false,
            },
            settings: Value::Object(Default::default()),
            state: None,
        })
    }
}

impl HookHarness {
    pub fn new(parts: ContextParts) -> HookHarness {
        HookHarness {
            cx: HookContext::new(parts),
        }
    }

    /// The same harness with `settings` for the hook.
    pub fn settings(&self, settings: Value) -> HookHarness {
        HookHarness {
            cx: self.cx.with_settings(settings),
        }
    }

    pub fn context(&self) -> &HookContext {
        &self.cx
    }

    fn with_state(&self, state: Option<&State>) -> HookContext {
        let mut v = serde_json::to_value(&self.cx).expect("a context serialises");
        v["state"] = serde_json::to_value(state).expect("a state serialises");
        serde_json::from_value(v).expect("a context deserialises")
    }

    /// Calls the hook directly, with panics caught as the dispatcher does.
    pub fn call<H: Hook>(
        &self,
        hook: &H,
        point: HookPoint,
        spec: &mut Spec,
        state: Option<&State>,
    ) -> Result<(), HookError> {
        let cx = self.with_state(state);
        crate::panic::catch(|| match point {
            HookPoint::MutateConfig => hook.mutate_config(&cx, spec),
            HookPoint::PreStart => hook.pre_start(&cx),
            HookPoint::PostDelete => hook.post_delete(&cx),
        })
        .unwrap_or_else(|m| Err(HookError::panicked(m)))
    }

    /// `mutate_config` called directly.
    pub fn mutate<H: Hook>(&self, hook: &H, spec: &mut Spec) -> Result<(), HookError> {
        self.call(hook, HookPoint::MutateConfig, spec, None)
    }

    /// Calls the hook through the ABI trampoline and the host's response reading.
    pub fn call_via_abi<H: Hook>(
        &self,
        hook: &H,
        point: HookPoint,
        spec: &mut Spec,
        state: Option<&State>,
    ) -> Result<(), HookError> {
        let req = ffi::Request {
            point,
            context: self.with_state(state),
            spec: (point == HookPoint::MutateConfig)
                .then(|| serde_json::to_value(&*spec).expect("a spec serialises")),
        };
        let bytes = serde_json::to_vec(&req).expect("a request serialises");
        let mut out = SifterBuf::zeroed();
        // SAFETY: `bytes` lives across the call and `out` is a valid zeroed buffer.
        let status = unsafe {
            ffi::call_trampoline(hook, point.bit(), bytes.as_ptr(), bytes.len(), &mut out)
        };
        let body = if out.ptr.is_null() {
            Vec::new()
        } else {
            // SAFETY: the trampoline wrote `len` initialised bytes at `ptr`.
            unsafe { std::slice::from_raw_parts(out.ptr, out.len) }.to_vec()
        };
        // SAFETY: `out` came from `write_out` in this same crate and is freed once.
        unsafe { ffi::free_buf(out) };
        let (result, _log) = ffi::interpret(status, &body, point);
        if let Some(v) = result? {
            *spec = serde_json::from_value(v)
                .map_err(|e| HookError::failed(format!("returned spec: {e}")))?;
        }
        Ok(())
    }
}

/// An in-memory `HostView`: files, directories and device nodes added by the test.
#[derive(Debug, Clone, Default)]
pub struct FixtureHost {
    entries: std::collections::BTreeMap<String, (crate::HostStat, String)>,
}

impl FixtureHost {
    pub fn new() -> FixtureHost {
        let mut h = FixtureHost::default();
        h.add("/", "dir", 0o755, None, "");
        h
    }

    fn add(&mut self, path: &str, kind: &str, mode: u32, dev: Option<(u64, u64)>, text: &str) {
        let mut p = path.trim_end_matches('/').to_string();
        if p.is_empty() {
            p = "/".into();
        }
        // parents are root-owned 0755 directories unless added explicitly
        let mut cur = p.as_str();
        while let Some(i) = cur.rfind('/') {
            let parent = if i == 0 { "/" } else { &cur[..i] };
            if !self.entries.contains_key(parent) {
                self.entries.insert(
                    parent.to_string(),
                    (stat("dir", 0o755, None, 0), String::new()),
                );
            }
            if i == 0 {
                break;
            }
            cur = parent;
        }
        self.entries.insert(
            p,
            (stat(kind, mode, dev, text.len() as u64), text.to_string()),
        );
    }

    /// A root-owned 0644 file.
    pub fn file(mut self, path: &str, text: &str) -> FixtureHost {
        self.add(path, "file", 0o644, None, text);
        self
    }

    /// A directory with `mode`.
    pub fn dir(mut self, path: &str, mode: u32) -> FixtureHost {
        self.add(path, "dir", mode, None, "");
        self
    }

    /// A character device node.
    pub fn char_dev(mut self, path: &str, major: u64, minor: u64) -> FixtureHost {
        self.add(path, "char", 0o666, Some((major, minor)), "");
        self
    }

    /// A block device node.
    pub fn block_dev(mut self, path: &str, major: u64, minor: u64) -> FixtureHost {
        self.add(path, "block", 0o660, Some((major, minor)), "");
        self
    }

    /// Changes the mode of an existing entry.
    pub fn chmod(mut self, path: &str, mode: u32) -> FixtureHost {
        if let Some(e) = self.entries.get_mut(path) {
            e.0.mode = mode;
        }
        self
    }
}

fn stat(kind: &str, mode: u32, dev: Option<(u64, u64)>, size: u64) -> crate::HostStat {
    crate::HostStat {
        kind: kind.to_string(),
        major: dev.map(|d| d.0),
        minor: dev.map(|d| d.1),
        mode,
        uid: 0,
        gid: 0,
        size,
    }
}

impl crate::HostView for FixtureHost {
    fn stat(&self, path: &str) -> Result<Option<crate::HostStat>, String> {
        Ok(self
            .entries
            .get(path.trim_end_matches('/'))
            .or_else(|| self.entries.get(path))
            .map(|e| e.0.clone()))
    }
    fn glob(&self, pattern: &str) -> Result<Vec<String>, String> {
        let pat: Vec<&str> = pattern.split('/').filter(|c| !c.is_empty()).collect();
        Ok(self
            .entries
            .keys()
            .filter(|k| {
                let parts: Vec<&str> = k.split('/').filter(|c| !c.is_empty()).collect();
                parts.len() == pat.len()
                    && parts
                        .iter()
                        .zip(&pat)
                        .all(|(n, p)| crate::glob::component_matches(p, n))
            })
            .cloned()
            .collect())
    }
    fn read(&self, path: &str) -> Result<String, String> {
        match self.entries.get(path) {
            Some((st, text)) if st.kind == "file" => Ok(text.clone()),
            _ => Err(format!("cannot read {path}: not a regular file")),
        }
    }
    fn arch(&self) -> String {
        "amd64".into()
    }
    fn hostname(&self) -> String {
        "fixture".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::HookPoints;

    #[derive(Default)]
    struct Boom;
    impl Hook for Boom {
        fn name(&self) -> &str {
            "boom"
        }
        fn points(&self) -> HookPoints {
            HookPoints::MUTATE_CONFIG | HookPoints::PRE_START
        }
        fn mutate_config(&self, cx: &HookContext, spec: &mut Spec) -> Result<(), HookError> {
            tracing::info!("stamping");
            crate::edit::add_annotation(spec, "who", &cx.user().name);
            Ok(())
        }
        fn pre_start(&self, _cx: &HookContext) -> Result<(), HookError> {
            let v: Vec<u8> = Vec::new();
            let _ = v[7];
            Ok(())
        }
    }

    fn spec() -> Spec {
        serde_json::from_value(serde_json::json!({"ociVersion": "1.0.2"})).unwrap()
    }

    #[test]
    fn direct_and_abi_agree() {
        let h = HookHarness::default();
        let (mut a, mut b) = (spec(), spec());
        h.mutate(&Boom, &mut a).unwrap();
        h.call_via_abi(&Boom, HookPoint::MutateConfig, &mut b, None)
            .unwrap();
        assert_eq!(a, b);
        assert_eq!(a.annotations().as_ref().unwrap()["who"], "alice");
    }

    #[test]
    fn panics_are_caught_on_both_paths() {
        let h = HookHarness::default();
        for via_abi in [false, true] {
            let mut s = spec();
            let r = if via_abi {
                h.call_via_abi(&Boom, HookPoint::PreStart, &mut s, None)
            } else {
                h.call(&Boom, HookPoint::PreStart, &mut s, None)
            };
            match r {
                Err(HookError::Panicked { message }) => {
                    assert!(message.starts_with("index out of bounds"), "{message}");
                    assert!(message.contains("harness.rs:"), "{message}");
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn undeclared_point_is_a_protocol_fault() {
        let mut s = spec();
        let r = HookHarness::default().call_via_abi(&Boom, HookPoint::PostDelete, &mut s, None);
        assert!(
            matches!(r, Err(HookError::Foreign { code: -1, .. })),
            "{r:?}"
        );
    }
}
