-- site-env.lua: site-wide environment for every container (hooks.md §13.3).
--
-- Settings ([plugins.site-env] in /etc/sifter/sifter.toml), applied in this order:
--   set     = { TZ = "Europe/Zurich" }          -- KEY=VALUE, replacing an existing KEY
--   unset   = [ "http_proxy" ]                  -- removed entirely
--   prepend = { PATH = "/opt/site/bin" }        -- "<value>:<old>" (just <value> when unset)
--   append  = { MANPATH = "/opt/site/man" }     -- "<old>:<value>" (just <value> when unset)
-- A component already present is not added again, so running twice changes nothing.
-- Keys are applied in sorted order so the result never depends on table iteration order.

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t or {}) do keys[#keys + 1] = k end
  table.sort(keys)
  return keys
end

local function has_component(list, item)
  return (":" .. list .. ":"):find(":" .. item .. ":", 1, true) ~= nil
end

-- Adds each value of `t` to its variable with `join(old, value)`, or sets it when unset.
local function extend(spec, t, join)
  for _, k in ipairs(sorted_keys(t)) do
    local old, add = sifter.spec.get_env(spec, k), tostring(t[k])
    if old == nil or old == "" then
      sifter.spec.set_env(spec, k, add)
    elseif not has_component(old, add) then
      sifter.spec.set_env(spec, k, join(old, add))
    end
  end
end

return {
  name = "site-env",
  priority = 500,
  mutate_config = function(ctx, spec)
    local s = ctx.settings
    for _, k in ipairs(sorted_keys(s.set)) do
      sifter.spec.set_env(spec, k, tostring(s.set[k]))
    end
    for _, k in ipairs(s.unset or {}) do
      sifter.spec.unset_env(spec, k)
    end
    extend(spec, s.prepend, function(old, add) return add .. ":" .. old end)
    extend(spec, s.append, function(old, add) return old .. ":" .. add end)
  end,
}
