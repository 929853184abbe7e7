//! sifter's tracing set-up, a part of the printing module: DEBUG lines on stderr with
//! `--debug` (or what `SIFTER_LOG` asks for), and hook log lines (`sifter.log.*` in Lua, the
//! `log` of a dylib response) as `INFO:`/`WARNING:` lines unless `--quiet` (hooks.md §10.1).
#![allow(clippy::print_stderr)]

use crate::args::GlobalArgs;

/// Installs the tracing subscriber once: DEBUG lines on stderr with `--debug`, otherwise
/// whatever `SIFTER_LOG` asks for (off by default; user-facing warnings go through `warning`).
pub fn init_tracing(global: &GlobalArgs) {
    use tracing_subscriber::EnvFilter;
    use tracing_subscriber::prelude::*;
    let filter = if global.debug {
        EnvFilter::new("debug")
    } else {
        EnvFilter::try_from_env("SIFTER_LOG").unwrap_or_else(|_| EnvFilter::new("off"))
    };
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(false)
        .without_time()
        .with_filter(filter);
    // A filter of its own, so sifter's `debug!` events (command lines and such) are disabled
    // at their callsites unless `--debug`/`SIFTER_LOG` asks for them: formatting them for
    // nobody was a measurable part of a short command's CPU time.
    let hook_log = HookLog {
        quiet: global.quiet,
        debug: global.debug,
    }
    .with_filter(tracing_subscriber::filter::filter_fn(HookLog::wants));
    let _ = tracing_subscriber::registry()
        .with(fmt)
        .with(hook_log)
        .try_init();
}

/// Hook log lines (`sifter.log.*` in Lua, the `log` of a dylib response; target `sifter::lua`
/// or a `plugin_log` field) as `INFO:`/`WARNING:` lines unless `--quiet` (hooks.md §10.1);
/// with `--debug` the fmt layer above prints them, so nothing is printed twice.
struct HookLog {
    quiet: bool,
    debug: bool,
}

impl HookLog {
    /// The events this layer prints: hook log lines at INFO or above.
    fn wants(m: &tracing::Metadata<'_>) -> bool {
        m.is_event()
            && *m.level() <= tracing::Level::INFO
            && (m.target() == "sifter::lua" || m.fields().field("plugin_log").is_some())
    }
}

/// The `message` field of an event.
struct MessageVisitor(String);

impl tracing::field::Visit for MessageVisitor {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}

/// Sees only what [`HookLog::wants`] lets through (its per-layer filter in `init_tracing`).
impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for HookLog {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        // With --debug the fmt layer prints every event itself.
        if self.quiet || self.debug {
            return;
        }
        let mut v = MessageVisitor(String::new());
        event.record(&mut v);
        let level = match *event.metadata().level() {
            tracing::Level::ERROR | tracing::Level::WARN => "WARNING",
            _ => "INFO",
        };
        eprintln!("{}", super::prefixed(level, &v.0));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hook_log_filter_keeps_hook_lines_at_info_and_above_only() {
        use std::sync::{Arc, Mutex};
        use tracing_subscriber::prelude::*;
        struct Seen(Arc<Mutex<Vec<String>>>);
        impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Seen {
            fn on_event(
                &self,
                e: &tracing::Event<'_>,
                _: tracing_subscriber::layer::Context<'_, S>,
            ) {
                let m = e.metadata();
                self.0
                    .lock()
                    .unwrap()
                    .push(format!("{} {}", m.target(), m.level()));
            }
        }
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sub = tracing_subscriber::registry().with(
            Seen(seen.clone()).with_filter(tracing_subscriber::filter::filter_fn(HookLog::wants)),
        );
        tracing::subscriber::with_default(sub, || {
            tracing::info!(target: "sifter::lua", hook = "h", "a");
            tracing::debug!(target: "sifter::lua", hook = "h", "b");
            tracing::warn!(hook = "p", plugin_log = true, "c");
            tracing::debug!(program = "runc", "exec");
            tracing::info!("d");
        });
        assert_eq!(
            *seen.lock().unwrap(),
            [
                "sifter::lua INFO".to_string(),
                format!("{} WARN", module_path!())
            ]
        );
    }
}
