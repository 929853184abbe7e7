---@meta
-- LuaLS type stubs for the `sifter` module that sifter registers in every hook's Lua state
-- (spec: hooks.md §10). Installed next to the example hooks; this subdirectory keeps it out of
-- hook scanning. A test checks that every function declared here is registered and vice versa.

---@class SifterUser
---@field uid integer
---@field gid integer
---@field name string
---@field groups integer[]
---@field via_sudo boolean

---@class SifterImage
---@field sif_path string
---@field sif_id string
---@field labels table<string, any>
---@field arch string

---@class SifterState
---@field ociVersion string
---@field id string
---@field status string
---@field pid? integer
---@field bundle string
---@field annotations? table<string, string>

---Read-only: writing to any field raises "ctx is read-only".
---@class SifterCtx
---@field sifter_version string
---@field container_id string
---@field bundle string
---@field rootfs string
---@field annotations table<string, string>
---@field devices string[]
---@field image SifterImage|nil
---@field user SifterUser
---@field settings table<string, any>
---@field state SifterState|nil

---@class SifterMount
---@field source string
---@field destination string
---@field type? string     # default "bind"
---@field options? string[] # default {"rbind","nosuid","nodev","ro"}

---@class SifterDeviceOpts
---@field path? string        # path in the container, default the host path
---@field permissions? string # subset of "rwm", default "rwm"
---@field uid? integer
---@field gid? integer
---@field filemode? integer

---@class SifterStat
---@field type "file"|"dir"|"char"|"block"|"fifo"|"socket"|"other"
---@field major? integer
---@field minor? integer
---@field mode integer
---@field uid integer
---@field gid integer
---@field size integer

---@class SifterHook
---@field name? string
---@field priority? integer
---@field mutate_config? fun(ctx: SifterCtx, spec: table): table|nil
---@field pre_start? fun(ctx: SifterCtx)
---@field post_delete? fun(ctx: SifterCtx)

sifter = {}
sifter.log = {}
sifter.host = {}
sifter.spec = {}

---Logs at debug level; formats with string.format when arguments follow.
---@param fmt string
---@param ... any
function sifter.log.debug(fmt, ...) end

---Logs at info level (shown as INFO unless --quiet).
---@param fmt string
---@param ... any
function sifter.log.info(fmt, ...) end

---Logs at warning level (shown as WARNING unless --quiet).
---@param fmt string
---@param ... any
function sifter.log.warn(fmt, ...) end

---Ends the call with a rejection; a pcall cannot cancel it.
---@param reason string non-empty
function sifter.reject(reason) end

---Sorted absolute paths matching an absolute pattern (* ? [...]; no **).
---@param pattern string
---@return string[]
function sifter.host.glob(pattern) end

---Whether the path exists (symlinks followed).
---@param path string
---@return boolean
function sifter.host.exists(path) end

---Stat of a path (symlinks followed), nil when missing.
---@param path string
---@return SifterStat|nil
function sifter.host.stat(path) end

---Contents of a regular file or a /proc or /sys file, at most 64 KiB.
---@param path string
---@return string
function sifter.host.read(path) end

---Host architecture as a Go-style name (amd64, arm64, ...).
---@return string
function sifter.host.arch() end

---Host name.
---@return string
function sifter.host.hostname() end

---Adds a mount, replacing one with the same destination.
---@param spec table
---@param mount SifterMount
function sifter.spec.add_mount(spec, mount) end

---Removes every mount at destination.
---@param spec table
---@param destination string
---@return integer removed
function sifter.spec.remove_mount(spec, destination) end

---Adds a device node (and its cgroup allow rule) from a host char or block device.
---@param spec table
---@param host_path string
---@param opts? SifterDeviceOpts
function sifter.spec.add_device(spec, host_path, opts) end

---Sets KEY=value in process.env, replacing an existing entry.
---@param spec table
---@param key string
---@param value string
function sifter.spec.set_env(spec, key, value) end

---The value of key in process.env, or nil.
---@param spec table
---@param key string
---@return string|nil
function sifter.spec.get_env(spec, key) end

---Removes every entry for key from process.env.
---@param spec table
---@param key string
---@return boolean removed
function sifter.spec.unset_env(spec, key) end

---Sets annotations[key]; returns the previous value.
---@param spec table
---@param key string
---@param value string
---@return string|nil previous
function sifter.spec.add_annotation(spec, key, value) end
