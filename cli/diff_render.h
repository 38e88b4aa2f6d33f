#pragma once
// Rendering of a plan: the answer of POST /v1/diff (docs/API.md), or the
// same shape computed offline by `diff --against`. One renderer for both, so
// a pull-request job shows exactly what `prisn diff` against a server shows.

#include <optional>
#include <string>
#include <string_view>

#include "api/types_apply.h"

namespace prisn::cli {

struct Plan {
  api::DiffAnswer answer;
  std::optional<api::PlanAgainst> against;  // offline plans: the revision compared
};

// The change class names of the manifest library and the API (ChangeClassName):
// "in-place", "rolling", "recreate", "create", "delete"; "none" when nothing
// changed ("rolling-restart" is read as "rolling").
std::string NormalizeClass(std::string_view change_class, std::string_view action);

// For people: "in place", "rolling restart", "recreate", ...
std::string HumanClass(std::string_view normalized_class);

// Whether applying the plan would change anything: an object created,
// configured or pruned that no rollback hold keeps as it is.
bool PlanHasChanges(const Plan& plan);

// Per changed object a comment line with its class and versions and a
// unified diff of its canonical YAML (`--- Kind/ns/name (v-old)`), then a
// summary line with the state index (or the compared revision).
std::string RenderPlanText(const Plan& plan, bool color);

// `diff -o json` (api::PlanView): unchanged objects left out, the uncolored
// unified diff per object.
api::PlanView PlanJson(const Plan& plan);

}  // namespace prisn::cli
