#pragma once
// Rendering of a plan: the answer of POST /v1/diff (docs/API.md), or the
// same shape computed offline by `diff --against`. One renderer for both, so
// a pull-request job shows exactly what `prisn diff` against a server shows.
//
// Plan shape: {"index": N|null, "set": S, "against": {...}|absent,
//   "objects": [{"kind","namespace","name","action","changeClass",
//                "versionBefore","versionAfter","before","after","held"}],
//   "summary": {...}}
// `action` is created | configured | unchanged | pruned.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace prisn::cli {

// The change class names of the manifest library and the API (ChangeClassName):
// "in-place", "rolling", "recreate", "create", "delete"; "none" when nothing
// changed ("rolling-restart" is read as "rolling").
std::string NormalizeClass(std::string_view change_class, std::string_view action);

// For people: "in place", "rolling restart", "recreate", ...
std::string HumanClass(std::string_view normalized_class);

// Whether applying the plan would change anything: an object created,
// configured or pruned that no rollback hold keeps as it is.
bool PlanHasChanges(const nlohmann::ordered_json& plan);

// Per changed object a comment line with its class and versions and a
// unified diff of its canonical YAML (`--- Kind/ns/name (v-old)`), then a
// summary line with the state index (or the compared revision).
std::string RenderPlanText(const nlohmann::ordered_json& plan, bool color);

// `diff -o json`: {"index","set","against"?,"changed": bool,
// "objects": [{"kind","namespace","name","action","changeClass",
// "versionBefore","versionAfter","held","diff"}], "summary"} with unchanged
// objects left out and the uncolored unified diff per object.
nlohmann::ordered_json PlanJson(const nlohmann::ordered_json& plan);

}  // namespace prisn::cli
