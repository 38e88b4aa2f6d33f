#pragma once
// POST /v1/apply and POST /v1/diff: a set of manifests sent as files, and
// what applying it did (or would do). `prisn diff --against` builds the same
// DiffAnswer offline, so one renderer shows both.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "api/codec.h"

namespace prisn::api {

// The set's files travel as base64 under their path relative to the tree's
// root; `paths` are the -f arguments, relative to that root.
struct DiffRequest {
  std::string set;
  std::optional<bool> prune;
  std::optional<std::vector<std::string>> paths;
  std::optional<std::map<std::string, std::string>> files;
};
constexpr auto Fields(std::type_identity<DiffRequest>) {
  return std::tuple{Field{"set", &DiffRequest::set}, Field{"prune", &DiffRequest::prune},
                    Field{"paths", &DiffRequest::paths}, Field{"files", &DiffRequest::files}};
}

struct ApplyRequest {
  std::string set;
  std::optional<bool> prune;
  std::optional<bool> confirm_prune;
  std::optional<bool> dry_run;
  std::optional<int64_t> check_index;  // refuse when the state index moved past it
  std::optional<std::vector<std::string>> paths;
  std::optional<std::map<std::string, std::string>> files;
};
constexpr auto Fields(std::type_identity<ApplyRequest>) {
  return std::tuple{Field{"set", &ApplyRequest::set},
                    Field{"prune", &ApplyRequest::prune},
                    Field{"confirmPrune", &ApplyRequest::confirm_prune},
                    Field{"dryRun", &ApplyRequest::dry_run},
                    Field{"checkIndex", &ApplyRequest::check_index},
                    Field{"paths", &ApplyRequest::paths},
                    Field{"files", &ApplyRequest::files}};
}

struct ApplySummary {
  int64_t created = 0;
  int64_t configured = 0;
  int64_t unchanged = 0;
  int64_t pruned = 0;
};
constexpr auto Fields(std::type_identity<ApplySummary>) {
  return std::tuple{
      Field{"created", &ApplySummary::created}, Field{"configured", &ApplySummary::configured},
      Field{"unchanged", &ApplySummary::unchanged}, Field{"pruned", &ApplySummary::pruned}};
}

// action: created | configured | unchanged | pruned. changeClass: the
// manifest library's ChangeClassName.
struct ApplyResult {
  std::string kind;
  std::string ns;
  std::string name;
  std::string action;
  std::string version;
  std::optional<std::string> previous_version;
  std::string change_class;
  bool held = false;  // a rollback hold keeps the running version
};
constexpr auto Fields(std::type_identity<ApplyResult>) {
  return std::tuple{Field{"kind", &ApplyResult::kind},
                    Field{"namespace", &ApplyResult::ns},
                    Field{"name", &ApplyResult::name},
                    Field{"action", &ApplyResult::action},
                    Field{"version", &ApplyResult::version},
                    Field{"previousVersion", &ApplyResult::previous_version},
                    Field{"changeClass", &ApplyResult::change_class},
                    Field{"held", &ApplyResult::held}};
}

struct ApplyAnswer {
  int64_t index = 0;
  bool dry_run = false;
  std::string set;
  std::vector<ApplyResult> results;
  ApplySummary summary;
};
constexpr auto Fields(std::type_identity<ApplyAnswer>) {
  return std::tuple{Field{"index", &ApplyAnswer::index}, Field{"dryRun", &ApplyAnswer::dry_run},
                    Field{"set", &ApplyAnswer::set}, Field{"results", &ApplyAnswer::results},
                    Field{"summary", &ApplyAnswer::summary}};
}

// One object of a plan: its canonical YAML before and after (Secret values
// masked), null where it does not exist or nothing changed.
struct DiffObject {
  std::string kind;
  std::string ns;
  std::string name;
  std::string action;
  std::string change_class;
  std::optional<std::string> version_before;
  std::optional<std::string> version_after;
  std::optional<std::string> before;
  std::optional<std::string> after;
  bool held = false;
};
constexpr auto Fields(std::type_identity<DiffObject>) {
  return std::tuple{Field{"kind", &DiffObject::kind},
                    Field{"namespace", &DiffObject::ns},
                    Field{"name", &DiffObject::name},
                    Field{"action", &DiffObject::action},
                    Field{"changeClass", &DiffObject::change_class},
                    Field{"versionBefore", &DiffObject::version_before},
                    Field{"versionAfter", &DiffObject::version_after},
                    Field{"before", &DiffObject::before},
                    Field{"after", &DiffObject::after},
                    Field{"held", &DiffObject::held}};
}

struct DiffAnswer {
  std::optional<int64_t> index;  // null offline: no server's state index
  std::string set;
  std::vector<DiffObject> objects;
  ApplySummary summary;
  int64_t removed_without_prune = 0;  // members left behind because prune was off
  bool prune_needs_confirm = false;   // the apply would need confirmPrune
};
constexpr auto Fields(std::type_identity<DiffAnswer>) {
  return std::tuple{Field{"index", &DiffAnswer::index},
                    Field{"set", &DiffAnswer::set},
                    Field{"objects", &DiffAnswer::objects},
                    Field{"summary", &DiffAnswer::summary},
                    Field{"removedWithoutPrune", &DiffAnswer::removed_without_prune},
                    Field{"pruneNeedsConfirm", &DiffAnswer::prune_needs_confirm}};
}

// `prisn diff -o json`, the document a CI job reads (docs/CI.md): changed
// and held objects only, each with its uncolored unified diff.
struct PlanAgainst {
  std::string rev;     // as given to --against
  std::string commit;  // what it resolved to
};
constexpr auto Fields(std::type_identity<PlanAgainst>) {
  return std::tuple{Field{"rev", &PlanAgainst::rev}, Field{"commit", &PlanAgainst::commit}};
}
struct PlanObjectView {
  std::string kind;
  std::string ns;
  std::string name;
  std::string action;
  std::string change_class;  // normalized: in-place, rolling, recreate, create, delete, none
  std::optional<std::string> version_before;
  std::optional<std::string> version_after;
  bool held = false;
  std::string diff;
};
constexpr auto Fields(std::type_identity<PlanObjectView>) {
  return std::tuple{Field{"kind", &PlanObjectView::kind},
                    Field{"namespace", &PlanObjectView::ns},
                    Field{"name", &PlanObjectView::name},
                    Field{"action", &PlanObjectView::action},
                    Field{"changeClass", &PlanObjectView::change_class},
                    Field{"versionBefore", &PlanObjectView::version_before},
                    Field{"versionAfter", &PlanObjectView::version_after},
                    Field{"held", &PlanObjectView::held},
                    Field{"diff", &PlanObjectView::diff}};
}
struct PlanView {
  std::optional<int64_t> index;
  std::string set;
  bool changed = false;
  std::vector<PlanObjectView> objects;
  ApplySummary summary;
  std::optional<PlanAgainst> against;  // offline plans only
};
constexpr auto Fields(std::type_identity<PlanView>) {
  return std::tuple{
      Field{"index", &PlanView::index},     Field{"set", &PlanView::set},
      Field{"changed", &PlanView::changed}, Field{"objects", &PlanView::objects},
      Field{"summary", &PlanView::summary}, Field{"against", &PlanView::against, Empty::kOmit}};
}

}  // namespace prisn::api
