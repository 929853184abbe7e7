-- label-annotations.lua: copy the SIF image labels into OCI annotations (hooks.md §13.3).
--
-- Settings ([plugins.label-annotations]):
--   prefix    = "org.sifter.label."   -- prepended to each label key (default shown)
--   overwrite = false                 -- when false, an annotation that already exists wins
-- Does nothing when the bundle has no mount record (ctx.image is nil). Labels that are not
-- strings are stored as their JSON-like string form via tostring.

return {
  name = "label-annotations",
  priority = 200,
  mutate_config = function(ctx, spec)
    if ctx.image == nil then
      sifter.log.debug("no image information, no labels to copy")
      return
    end
    local prefix = ctx.settings.prefix or "org.sifter.label."
    local overwrite = ctx.settings.overwrite == true
    local keys = {}
    for k in pairs(ctx.image.labels) do keys[#keys + 1] = k end
    table.sort(keys)
    local existing = spec.annotations or {}
    for _, k in ipairs(keys) do
      local key = prefix .. k
      if overwrite or existing[key] == nil then
        sifter.spec.add_annotation(spec, key, tostring(ctx.image.labels[k]))
      end
    end
  end,
}
