-- gpu-binds.lua: give a container the host's NVIDIA GPUs (hooks.md §13.3).
--
-- A container asks for GPUs with the annotation org.sifter.gpu.devices, or else with
-- NVIDIA_VISIBLE_DEVICES in its environment:
--   unset, "" or "void"  nothing is injected
--   "none"               control devices, driver libraries and tools, but no GPU
--   "all"                every GPU
--   "0,2" / "GPU-<uuid>" the listed GPUs, by index (PCI order) or UUID; an absent one is rejected
-- It adds /dev/nvidiactl, /dev/nvidia-uvm*, /dev/nvidia-modeset and /dev/nvidia-caps/* when
-- present, the chosen /dev/nvidiaN, read-only binds of the driver libraries under `libdir` and
-- of the tools under /usr/local/nvidia/bin, and prepends both directories to LD_LIBRARY_PATH
-- and PATH once. Without `<dev_dir>/nvidiactl` it logs at info level and does nothing.
--
-- Settings ([plugins.gpu-binds]); host paths are read from these, container paths are fixed:
--   dev_dir    = "/dev"                   -- where the host's device nodes are
--   driver_dir = "/proc/driver/nvidia"    -- gpus/*/information: index, minor and UUID
--   lib_dirs   = [ "/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib" ]
--   libs       = [ "libnvidia-*.so.*", "libcuda.so.*", ... ]   -- globs within lib_dirs
--   bin_dirs   = [ "/usr/bin" ]
--   bins       = [ "nvidia-smi", "nvidia-debugdump", "nvidia-persistenced",
--                  "nvidia-cuda-mps-control", "nvidia-cuda-mps-server" ]
--   libdir     = "/usr/local/nvidia/lib64"  -- where the libraries appear in the container

local BINDIR = "/usr/local/nvidia/bin"
local DEFAULT_LIBS = { "libnvidia-*.so.*", "libcuda.so.*", "libcudadebugger.so.*", "libnvcuvid.so.*",
  "libnvoptix.so.*", "libEGL_nvidia.so.*", "libGLESv2_nvidia.so.*", "libGLX_nvidia.so.*" }
local DEFAULT_BINS = { "nvidia-smi", "nvidia-debugdump", "nvidia-persistenced",
  "nvidia-cuda-mps-control", "nvidia-cuda-mps-server" }

local function list(v, default)
  if v == nil then return default end
  local out = {}
  for _, x in ipairs(v) do out[#out + 1] = x end
  return out
end

local function basename(p) return p:match("[^/]+$") end

-- The GPUs in PCI order: { minor = n, uuid = "GPU-..." }, from the driver's information files,
-- or else from the /dev/nvidiaN nodes in minor order.
local function gpus(dev_dir, driver_dir)
  local out = {}
  for _, dir in ipairs(sifter.host.glob(driver_dir .. "/gpus/*")) do
    local info = dir .. "/information"
    if sifter.host.exists(info) then
      local text = sifter.host.read(info)
      local minor = tonumber(text:match("Device Minor:%s*(%d+)"))
      if minor then out[#out + 1] = { minor = minor, uuid = text:match("GPU UUID:%s*(%S+)") } end
    end
  end
  if #out == 0 then
    for _, dev in ipairs(sifter.host.glob(dev_dir .. "/nvidia*")) do
      local m = basename(dev):match("^nvidia(%d+)$")
      if m then out[#out + 1] = { minor = tonumber(m) } end
    end
    table.sort(out, function(a, b) return a.minor < b.minor end)
  end
  return out
end

local function describe(all)
  local parts = {}
  for i, g in ipairs(all) do parts[#parts + 1] = string.format("%d (%s)", i - 1, g.uuid or "nvidia" .. g.minor) end
  return #parts > 0 and table.concat(parts, ", ") or "none"
end

local function prepend_once(spec, key, dir, default)
  local old = sifter.spec.get_env(spec, key)
  if old == nil or old == "" then
    sifter.spec.set_env(spec, key, default and (dir .. ":" .. default) or dir)
  elseif not (":" .. old .. ":"):find(":" .. dir .. ":", 1, true) then
    sifter.spec.set_env(spec, key, dir .. ":" .. old)
  end
end

return {
  name = "gpu-binds",
  priority = 100,
  mutate_config = function(ctx, spec)
    local want = (spec.annotations or {})["org.sifter.gpu.devices"]
      or sifter.spec.get_env(spec, "NVIDIA_VISIBLE_DEVICES")
    if want == nil or want == "" or want == "void" then return end
    local s = ctx.settings
    local dev_dir = s.dev_dir or "/dev"
    local driver_dir = s.driver_dir or "/proc/driver/nvidia"
    local libdir = s.libdir or "/usr/local/nvidia/lib64"
    if not sifter.host.exists(dev_dir .. "/nvidiactl") then
      sifter.log.info("no NVIDIA driver on %s (%s/nvidiactl missing), nothing injected",
        sifter.host.hostname(), dev_dir)
      return
    end

    local all = gpus(dev_dir, driver_dir)
    local chosen = {}
    if want == "all" then
      for _, g in ipairs(all) do chosen[#chosen + 1] = g end
    elseif want ~= "none" then
      for item in want:gmatch("[^,%s]+") do
        local found
        for i, g in ipairs(all) do
          if tostring(i - 1) == item or g.uuid == item then found = g end
        end
        if not found then
          sifter.reject(string.format("GPU %s is not present on this host; available: %s", item, describe(all)))
        end
        chosen[#chosen + 1] = found
      end
    end

    local function device(host_path)
      sifter.spec.add_device(spec, host_path, { path = "/dev/" .. host_path:sub(#dev_dir + 2) })
    end
    for _, name in ipairs({ "nvidiactl", "nvidia-modeset" }) do
      if sifter.host.exists(dev_dir .. "/" .. name) then device(dev_dir .. "/" .. name) end
    end
    for _, dev in ipairs(sifter.host.glob(dev_dir .. "/nvidia-uvm*")) do device(dev) end
    for _, dev in ipairs(sifter.host.glob(dev_dir .. "/nvidia-caps/*")) do device(dev) end
    for _, g in ipairs(chosen) do
      local node = dev_dir .. "/nvidia" .. g.minor
      if not sifter.host.exists(node) then
        sifter.reject(string.format("GPU device node %s is missing", node))
      end
      device(node)
    end

    local seen = {}
    for _, dir in ipairs(list(s.lib_dirs, { "/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib" })) do
      for _, pattern in ipairs(list(s.libs, DEFAULT_LIBS)) do
        for _, lib in ipairs(sifter.host.glob(dir .. "/" .. pattern)) do
          local base = basename(lib)
          if not seen[base] then
            seen[base] = true
            sifter.spec.add_mount(spec, { source = lib, destination = libdir .. "/" .. base })
          end
        end
      end
    end
    for _, bin in ipairs(list(s.bins, DEFAULT_BINS)) do
      for _, dir in ipairs(list(s.bin_dirs, { "/usr/bin" })) do
        local path = dir .. "/" .. bin
        if sifter.host.exists(path) then
          sifter.spec.add_mount(spec, { source = path, destination = BINDIR .. "/" .. bin })
          break
        end
      end
    end
    prepend_once(spec, "LD_LIBRARY_PATH", libdir)
    prepend_once(spec, "PATH", BINDIR, "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
  end,
}
