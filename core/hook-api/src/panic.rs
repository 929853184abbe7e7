//! Catching panics at hook boundaries with a scoped panic hook: while a call runs under
//! `catch`, a panic on this thread is recorded (message and location) instead of printed, so
//! each panic is reported once, inside the error (hooks.md §5).

use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, PanicHookInfo};
use std::sync::Once;

thread_local! {
    static CAPTURE: RefCell<Option<Option<String>>> = const { RefCell::new(None) };
}

static INSTALL: Once = Once::new();

fn describe(info: &PanicHookInfo<'_>) -> String {
    let payload = info.payload();
    let msg = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic with a non-string payload".to_string());
    match info.location() {
        Some(l) => format!("{msg} ({}:{}:{})", l.file(), l.line(), l.column()),
        None => msg,
    }
}

fn install() {
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let captured = CAPTURE.with(|c| {
                let mut slot = c.borrow_mut();
                match slot.as_mut() {
                    Some(inner) => {
                        inner.get_or_insert_with(|| describe(info));
                        true
                    }
                    None => false,
                }
            });
            if !captured {
                previous(info);
            }
        }));
    });
}

/// Runs `f`; a panic becomes `Err("message (file:line:col)")` and prints nothing.
pub fn catch<R>(f: impl FnOnce() -> R) -> Result<R, String> {
    install();
    let outer = CAPTURE.with(|c| c.borrow_mut().replace(None));
    let result = std::panic::catch_unwind(AssertUnwindSafe(f));
    let captured = CAPTURE.with(|c| std::mem::replace(&mut *c.borrow_mut(), outer));
    result.map_err(|_| {
        captured
            .flatten()
            .unwrap_or_else(|| "panic without a message".to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panic_message_and_location_are_captured() {
        let r: Result<(), String> = catch(|| {
            let v: Vec<u8> = Vec::new();
            let _ = v[3];
        });
        let msg = r.unwrap_err();
        assert!(msg.contains("index out of bounds"), "{msg}");
        assert!(msg.contains("panic.rs:"), "{msg}");
        assert_eq!(catch(|| 5), Ok(5));
    }
}
