//! `Engine`: the one context object every operation takes: the state store, the runtime
//! driver, the conmon spawner, the site settings and (loaded on demand) the hook registry.
//! Built once by the CLI. Warnings are collected here and rendered by the caller.

use crate::conmon::spawn::{ConmonSpawner, PosixSpawner};
use crate::driver::{Cli, Prefix, RuntimeDriver, RuntimeOp};
use crate::store::{Record, Store};
use crate::{ContainerId, Result, RuntimeError, Status};
use sifter_hooks::{Registry, SiteConfig};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

/// What the CLI resolves once and hands over.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Absolute state root (`--root`).
    pub root: PathBuf,
    /// `--runtime`, when given.
    pub runtime: Option<String>,
    pub site: SiteConfig,
    /// The site config file (for the hook registry).
    pub config_path: PathBuf,
    pub debug: bool,
    /// The `sifter` executable, for the log relay.
    pub sifter_exe: PathBuf,
}

pub struct Engine {
    pub(crate) store: Store,
    pub(crate) driver: Box<dyn RuntimeDriver>,
    pub(crate) spawner: Box<dyn ConmonSpawner>,
    pub(crate) config: EngineConfig,
    pub(crate) path_env: String,
    warnings: Mutex<Vec<String>>,
    /// The hook registry, loaded at most once per operation (hooks.md §1: each operation
    /// loads the hooks as configured at that moment).
    registry: std::sync::OnceLock<std::result::Result<std::sync::Arc<Registry>, String>>,
}

impl Engine {
    pub fn new(config: EngineConfig) -> Engine {
        let path_env = config
            .site
            .search_path()
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(":");
        Engine {
            store: Store::new(&config.root),
            driver: Box::new(Cli {
                path_env: path_env.clone(),
            }),
            spawner: Box::new(PosixSpawner),
            config,
            path_env,
            warnings: Mutex::new(Vec::new()),
            registry: std::sync::OnceLock::new(),
        }
    }

    /// An engine with another `RuntimeDriver` (the recording fake of the unit tests).
    pub fn with_driver(config: EngineConfig, driver: Box<dyn RuntimeDriver>) -> Engine {
        Engine {
            driver,
            ..Engine::new(config)
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Adds a WARNING for the caller to render (once per message).
    pub fn warn(&self, msg: impl Into<String>) {
        let msg = msg.into();
        let mut warnings = self.warnings.lock().expect("not poisoned");
        // The same fact (e.g. the recorded runtime) can be noticed by several steps.
        if !warnings.contains(&msg) {
            warnings.push(msg);
        }
    }

    /// Takes the collected WARNINGs.
    pub fn take_warnings(&self) -> Vec<String> {
        std::mem::take(&mut *self.warnings.lock().expect("not poisoned"))
    }

    /// The site's `prime_cgroup_migration` (`prime.rs`).
    pub(crate) fn primes_cgroup_migration(&self) -> bool {
        self.config.site.prime_cgroup_migration()
    }

    pub(crate) fn create_timeout(&self) -> Duration {
        Duration::from_secs(self.config.site.create_timeout())
    }

    /// The hook registry as configured now, loaded on first use.
    pub(crate) fn registry(
        &self,
    ) -> std::result::Result<std::sync::Arc<Registry>, sifter_hooks::PluginError> {
        let cached = self.registry.get_or_init(|| {
            let loaded = Registry::load(&self.config.site, &self.config.config_path);
            // Load-time findings (orphan [plugins.x] tables, unknown `disable` names) are
            // WARNINGs of the operation that loaded the hooks (hooks.md §6, §11).
            if let Ok(registry) = &loaded {
                for w in registry.warnings() {
                    self.warn(w.clone());
                }
            }
            loaded.map(std::sync::Arc::new).map_err(|e| e.to_string())
        });
        match cached {
            Ok(r) => Ok(r.clone()),
            // PluginError is not Clone: load again to hand the caller the typed error.
            Err(_) => {
                Registry::load(&self.config.site, &self.config.config_path).map(std::sync::Arc::new)
            }
        }
    }

    pub(crate) fn systemd_cgroup(&self) -> bool {
        self.config.site.systemd_cgroup.resolve()
    }

    /// The runtime for a new container: `--runtime`, else the site's, else `runc`; a name is
    /// looked up in the search path, a value with `/` is used as is.
    pub(crate) fn resolve_runtime(&self) -> Result<PathBuf> {
        let name = self
            .config
            .runtime
            .clone()
            .or_else(|| self.config.site.runtime.clone())
            .unwrap_or_else(|| "runc".to_string());
        if name.contains('/') {
            let p = PathBuf::from(&name);
            return if is_executable(&p) {
                Ok(p)
            } else {
                Err(RuntimeError::NoRuntime {
                    name,
                    search: self.path_env.clone(),
                })
            };
        }
        self.lookup(&name).ok_or(RuntimeError::NoRuntime {
            name,
            search: self.path_env.clone(),
        })
    }

    pub(crate) fn resolve_conmon(&self) -> Result<PathBuf> {
        if let Some(p) = &self.config.site.conmon {
            return Ok(p.clone());
        }
        self.lookup("conmon").ok_or(RuntimeError::NoConmon {
            search: self.path_env.clone(),
        })
    }

    fn lookup(&self, name: &str) -> Option<PathBuf> {
        self.config
            .site
            .search_path()
            .iter()
            .map(|d| d.join(name))
            .find(|p| is_executable(p))
    }

    /// The runtime prefix recorded for a container. A different `--runtime` only warns.
    pub(crate) fn prefix(&self, id: &ContainerId, rec: &Record) -> Prefix {
        if let Some(req) = &self.config.runtime {
            let same = Path::new(req) == rec.runtime
                || rec.runtime.file_name().is_some_and(|n| n == req.as_str());
            if !same {
                self.warn(format!(
                    "container \"{id}\" was created with {}; ignoring --runtime {req}",
                    rec.runtime.display()
                ));
            }
        }
        self.record_prefix(id, rec)
    }

    /// [`Engine::prefix`] without the `--runtime` WARNING (safe to call from worker threads).
    pub(crate) fn record_prefix(&self, id: &ContainerId, rec: &Record) -> Prefix {
        Prefix {
            runtime: rec.runtime.clone(),
            root: rec.runtime_root.clone(),
            log: self.store.runtime_log(id),
            systemd_cgroup: rec.systemd_cgroup,
            debug: self.config.debug,
        }
    }

    /// A prefix for a container without a record (orphans, the free-ID check).
    pub(crate) fn bare_prefix(&self, runtime: PathBuf, log: PathBuf) -> Prefix {
        Prefix {
            runtime,
            root: self.store.runtime_root(),
            log,
            systemd_cgroup: self.systemd_cgroup(),
            debug: self.config.debug,
        }
    }

    /// One captured runtime call in `CDIR`.
    pub(crate) fn call(
        &self,
        id: &ContainerId,
        prefix: &Prefix,
        op: &RuntimeOp,
    ) -> Result<Vec<u8>> {
        self.driver.call(prefix, op, &self.store.cdir(id))
    }

    /// The runtime's `state` JSON, `None` when it has no state for the ID.
    pub(crate) fn runtime_state(
        &self,
        id: &ContainerId,
        prefix: &Prefix,
    ) -> Option<serde_json::Map<String, serde_json::Value>> {
        // runc and crun keep one directory per container under their --root, which is
        // sifter's own; without it there is no state, and no runtime call is needed.
        if !prefix.root.join(id.as_str()).exists() {
            return None;
        }
        let out = self
            .call(id, prefix, &RuntimeOp::State { id: id.as_str() })
            .ok()?;
        serde_json::from_slice(&out).ok()
    }

    /// The current status: `creating` from the record, otherwise the runtime's; a runtime
    /// without state for the ID means `stopped`, with a WARNING.
    pub(crate) fn status(
        &self,
        id: &ContainerId,
        rec: &Record,
    ) -> (Status, Option<serde_json::Map<String, serde_json::Value>>) {
        if rec.status == Status::Creating {
            return (Status::Creating, None);
        }
        let prefix = self.prefix(id, rec);
        let state = self.display_state(id, rec, &prefix);
        self.status_from(id, rec, state)
    }

    /// The runtime's `state` as `state` and `list` show it. A stopped conmon-monitored
    /// container's is final (conmon writes the exit file after reaping the process, and
    /// nothing restarts it), so the first one read is kept as `CDIR/stopped-state.json` and
    /// later calls need no runtime process (one runc start-up each: listing 1000 stopped
    /// containers took 2.6 s). The copy goes with `CDIR` at delete.
    pub(crate) fn display_state(
        &self,
        id: &ContainerId,
        rec: &Record,
        prefix: &Prefix,
    ) -> Option<serde_json::Map<String, serde_json::Value>> {
        let settled = self.settled_status(id, rec) == Some(Status::Stopped);
        let cache = self.store.cdir(id).join("stopped-state.json");
        if settled
            && let Ok(bytes) = std::fs::read(&cache)
            && let Ok(state) = serde_json::from_slice(&bytes)
        {
            return Some(state);
        }
        let state = self.runtime_state(id, prefix)?;
        if settled && state.get("status").and_then(|s| s.as_str()) == Some("stopped") {
            // Best effort: a concurrent delete may be removing CDIR.
            let bytes = serde_json::to_vec(&state).expect("plain data");
            let _ = crate::store::write_file(&cache, &bytes, 0o600, false);
        }
        Some(state)
    }

    /// [`Engine::status`] from a runtime `state` fetched beforehand (`list` fetches many at
    /// once, see [`Engine::record_prefix`]).
    pub(crate) fn status_from(
        &self,
        id: &ContainerId,
        rec: &Record,
        state: Option<serde_json::Map<String, serde_json::Value>>,
    ) -> (Status, Option<serde_json::Map<String, serde_json::Value>>) {
        if rec.status == Status::Creating {
            return (Status::Creating, None);
        }
        match state {
            Some(state) => {
                let st = state
                    .get("status")
                    .and_then(|s| s.as_str())
                    .and_then(Status::from_runtime)
                    .unwrap_or(Status::Stopped);
                (st, Some(state))
            }
            None => {
                // A direct `run` ends with the runtime removing its state itself.
                if rec.monitor == crate::store::Monitor::Conmon {
                    self.warn(format!("runtime has no state for container \"{id}\""));
                }
                (Status::Stopped, None)
            }
        }
    }

    /// The status when sifter's own files settle it, so `start` and `delete` need no runtime
    /// `state` process (one runc start-up, ~4 ms, each): a conmon-monitored container with an
    /// exit file has stopped (conmon writes it after reaping the process); one never started
    /// whose init process (PID and start time) is alive is still `created`. `None`: ask the
    /// runtime with [`Engine::status`].
    pub(crate) fn settled_status(&self, id: &ContainerId, rec: &Record) -> Option<Status> {
        if rec.status != Status::Created || rec.monitor != crate::store::Monitor::Conmon {
            return None;
        }
        if crate::conmon::exit::exists(&self.store.exit_file(id)) {
            return Some(Status::Stopped);
        }
        let p = &rec.pids;
        (rec.started_at.is_none() && p.pid > 0 && crate::proc::alive(p.pid, p.pid_start_time))
            .then_some(Status::Created)
    }

    /// Takes the ID lock and loads the record. For an unknown ID the lock file this call made
    /// is removed again, so asking about a missing container leaves nothing behind.
    pub(crate) fn lock_record(&self, id: &ContainerId) -> Result<(crate::store::IdLock, Record)> {
        let lock = self.store.lock(id)?;
        match self.store.load(id)? {
            Some(rec) => Ok((lock, rec)),
            None => {
                lock.remove();
                Err(RuntimeError::NotFound { id: id.to_string() })
            }
        }
    }

    /// Loads the record or fails with `container "<id>" does not exist`.
    pub(crate) fn record(&self, id: &ContainerId) -> Result<Record> {
        self.store
            .load(id)?
            .ok_or_else(|| RuntimeError::NotFound { id: id.to_string() })
    }
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}
