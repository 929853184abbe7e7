-- deny-privileged.lua: refuse configs that ask for more privilege than `sifter oci mount`
-- grants (hooks.md §13.3). Runs early (priority -900) so it polices what the user supplied,
-- before site hooks add their own trusted edits.
--
-- Settings ([plugins.deny-privileged]):
--   allow_caps      = [ "CAP_SYS_PTRACE" ]        -- extra capabilities users may request
--   exempt_uids     = [ 0 ]                       -- invokers not checked (default { 0 })
--   allow_oci_hooks = [ "/usr/bin/nvidia-ctk" ]   -- OCI hook paths a user config may carry
-- Rejects, naming each capability and set, any capability in bounding, effective,
-- inheritable, permitted or ambient outside the default 15 plus allow_caps; and any OCI hook
-- whose path is not allowed, because under sudo the runtime would run it as root.

local DEFAULT_CAPS = {
  "CAP_NET_RAW", "CAP_NET_BIND_SERVICE", "CAP_AUDIT_READ", "CAP_AUDIT_WRITE",
  "CAP_DAC_OVERRIDE", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_SETGID", "CAP_SETUID", "CAP_MKNOD",
  "CAP_CHOWN", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SYS_CHROOT",
}
local SETS = { "bounding", "effective", "inheritable", "permitted", "ambient" }
local STAGES = { "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop" }

local function set_of(list)
  local s = {}
  for _, v in ipairs(list or {}) do s[v] = true end
  return s
end

return {
  name = "deny-privileged",
  priority = -900,
  mutate_config = function(ctx, spec)
    local exempt = ctx.settings.exempt_uids or { 0 }
    for _, uid in ipairs(exempt) do
      if uid == ctx.user.uid then return end
    end
    local allowed = set_of(DEFAULT_CAPS)
    for _, c in ipairs(ctx.settings.allow_caps or {}) do allowed[c] = true end
    local bad = {}
    local caps = (spec.process or {}).capabilities or {}
    for _, set in ipairs(SETS) do
      local names = {}
      for _, c in ipairs(caps[set] or {}) do names[#names + 1] = c end
      table.sort(names)
      for _, c in ipairs(names) do
        if not allowed[c] then bad[#bad + 1] = c .. " in " .. set end
      end
    end
    if #bad > 0 then
      sifter.reject("capabilities not allowed: " .. table.concat(bad, ", "))
    end
    local hook_ok = set_of(ctx.settings.allow_oci_hooks)
    local hooks = spec.hooks or {}
    for _, stage in ipairs(STAGES) do
      for _, h in ipairs(hooks[stage] or {}) do
        if not hook_ok[h.path] then
          sifter.reject(string.format("OCI hook %s in hooks.%s is not allowed (allow_oci_hooks)", h.path, stage))
        end
      end
    end
  end,
}
