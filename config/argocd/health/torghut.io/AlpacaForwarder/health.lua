-- Argo CD health check for torghut.io/v1alpha1 AlpacaForwarder
-- (argocd-cm key resource.customizations.health.torghut.io_AlpacaForwarder).
-- Argo CD runs it in gopher-lua (Lua 5.1) with only the base, table and a safe os library, so it
-- uses no string functions. Order:
--   no status, or status.observedGeneration behind metadata.generation -> Progressing
--   spec.suspend true                                                -> Suspended
--   Stalled=True, then Degraded=True                                 -> Degraded
--   Ready=True                                                       -> Healthy
--   otherwise (Progressing=True, Ready=False, no conditions yet)     -> Progressing
local hs = {}

local function findCondition(conditions, wanted)
  for _, c in ipairs(conditions) do
    if c.type == wanted then
      return c
    end
  end
  return nil
end

local function isTrue(c)
  return c ~= nil and c.status == "True"
end

-- "Type: Reason: message" with the parts that are present.
local function describe(c)
  local text = c.type
  if c.reason ~= nil and c.reason ~= "" then
    text = text .. ": " .. c.reason
  end
  if c.message ~= nil and c.message ~= "" then
    text = text .. ": " .. c.message
  end
  return text
end

local status = obj.status
if status == nil or status.observedGeneration == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to report status"
  return hs
end

local generation = obj.metadata.generation
if generation ~= nil and status.observedGeneration < generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe generation " .. generation
    .. " (observed " .. status.observedGeneration .. ")"
  return hs
end

if obj.spec ~= nil and obj.spec.suspend == true then
  hs.status = "Suspended"
  hs.message = "Suspended: spec.suspend is true, the forwarder does not stream"
  return hs
end

local conditions = status.conditions or {}

local stalled = findCondition(conditions, "Stalled")
if isTrue(stalled) then
  hs.status = "Degraded"
  hs.message = describe(stalled)
  return hs
end

local degraded = findCondition(conditions, "Degraded")
if isTrue(degraded) then
  hs.status = "Degraded"
  hs.message = describe(degraded)
  return hs
end

local ready = findCondition(conditions, "Ready")
if isTrue(ready) then
  hs.status = "Healthy"
  hs.message = describe(ready)
  return hs
end

hs.status = "Progressing"
local progressing = findCondition(conditions, "Progressing")
if isTrue(progressing) then
  hs.message = describe(progressing)
elseif ready ~= nil then
  hs.message = describe(ready)
else
  hs.message = "Waiting for the forwarder to become ready"
end
return hs
