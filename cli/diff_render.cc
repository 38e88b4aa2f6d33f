#include "cli/diff_render.h"

#include <fmt/core.h>

#include <map>
#include <vector>

#include "api/routes.h"
#include "cli/ansi.h"
#include "cli/command_util.h"
#include "cli/unified_diff.h"

namespace prisn::cli {
namespace {

using api::DiffObject;

bool IsChange(const DiffObject& o) {
  return !o.held && (o.action == "created" || o.action == "configured" || o.action == "pruned");
}

std::string Key(const DiffObject& o) {
  if (o.ns.empty() || o.ns == api::kNoNamespace) return fmt::format("{}/{}", o.kind, o.name);
  return fmt::format("{}/{}/{}", o.kind, o.ns, o.name);
}

std::string ObjectDiff(const DiffObject& o, bool color) {
  std::string before = o.action == "created" ? "" : o.before.value_or("");
  std::string after = o.action == "pruned" ? "" : o.after.value_or("");
  std::string old_label = o.action == "created"
                              ? "/dev/null"
                              : fmt::format("{} ({})", Key(o), o.version_before.value_or(""));
  std::string new_label = o.action == "pruned"
                              ? "/dev/null"
                              : fmt::format("{} ({})", Key(o), o.version_after.value_or(""));
  std::string diff =
      UnifiedDiff(before, after, old_label, new_label, {.context = 3, .color = color});
  if (diff.empty() && o.kind == "Secret") {
    // Values are masked on both sides, so the text alone cannot show the change.
    return "(a Secret value changed; values are never shown)\n";
  }
  return diff;
}

std::string Title(const DiffObject& o) {
  std::string label = Label(o.kind, o.name);
  if (!o.ns.empty() && o.ns != api::kNoNamespace && o.ns != "default")
    label += fmt::format(" (namespace {})", o.ns);
  std::string cls = NormalizeClass(o.change_class, o.action);
  std::string before = o.version_before.value_or("");
  std::string after = o.version_after.value_or("");
  if (o.action == "created") return fmt::format("# {}: create ({})", label, after);
  if (o.action == "pruned") return fmt::format("# {}: delete, pruned ({})", label, before);
  if (before == after) {
    return fmt::format("# {}: {} ({}, version unchanged)", label, HumanClass(cls), after);
  }
  return fmt::format("# {}: {} ({} -> {})", label, HumanClass(cls), before, after);
}

}  // namespace

std::string NormalizeClass(std::string_view change_class, std::string_view action) {
  if (action == "created") return "create";
  if (action == "pruned") return "delete";
  if (change_class == "rolling" || change_class == "rolling-restart") return "rolling";
  if (change_class == "in-place" || change_class == "recreate" || change_class == "create" ||
      change_class == "delete" || change_class == "none") {
    return std::string(change_class);
  }
  return change_class.empty() ? "none" : std::string(change_class);
}

std::string HumanClass(std::string_view normalized_class) {
  if (normalized_class == "in-place") return "in place";
  if (normalized_class == "rolling") return "rolling restart";
  if (normalized_class == "none") return "no change";
  return std::string(normalized_class);
}

bool PlanHasChanges(const Plan& plan) {
  for (const DiffObject& o : plan.answer.objects) {
    if (IsChange(o)) return true;
  }
  return false;
}

std::string RenderPlanText(const Plan& plan, bool color) {
  std::string out;
  int created = 0, changed = 0, pruned = 0, unchanged = 0, held = 0;
  std::map<std::string, int> classes;  // of configured objects
  for (const DiffObject& o : plan.answer.objects) {
    const std::string& action = o.action;
    if (o.held) {
      ++held;
      std::string line = fmt::format(
          "# {}: held at {} by a rollback; applying leaves it (lift the hold with `prisn "
          "rollback {} --release`)",
          Label(o.kind, o.name), o.version_before.value_or(""), Label(o.kind, o.name));
      out += color ? fmt::format("{}{}{}\n\n", kYellow, line, kReset) : line + "\n\n";
      continue;
    }
    if (!IsChange(o)) {
      ++unchanged;
      continue;
    }
    if (action == "created") ++created;
    if (action == "pruned") ++pruned;
    if (action == "configured") {
      ++changed;
      ++classes[NormalizeClass(o.change_class, action)];
    }
    std::string title = Title(o);
    out += color ? fmt::format("{}{}{}\n", kBold, title, kReset) : title + "\n";
    out += ObjectDiff(o, color);
    out += '\n';
  }

  std::string summary;
  if (created + changed + pruned == 0) {
    summary = fmt::format("No changes: {} object{} up to date", unchanged + held,
                          unchanged + held == 1 ? "" : "s");
  } else {
    std::string breakdown;
    // Most disruptive last, in a fixed order.
    for (std::string_view cls : {"in-place", "rolling", "recreate"}) {
      auto it = classes.find(std::string(cls));
      if (it == classes.end()) continue;
      if (!breakdown.empty()) breakdown += ", ";
      breakdown += fmt::format("{} {}", it->second, HumanClass(cls));
    }
    summary =
        fmt::format("Summary: {} to create, {} to change{}, {} to delete, {} unchanged", created,
                    changed, breakdown.empty() ? "" : " (" + breakdown + ")", pruned, unchanged);
  }
  if (held > 0) summary += fmt::format(", {} held by a rollback", held);
  if (plan.against) {
    summary += fmt::format("; compared with {}", plan.against->rev);
    const std::string& commit = plan.against->commit;
    if (!commit.empty()) summary += fmt::format(" ({})", commit.substr(0, 12));
  } else if (plan.answer.index) {
    summary += fmt::format("; state index {}", *plan.answer.index);
  }
  int64_t removed = plan.answer.removed_without_prune;
  if (removed > 0) {
    summary += removed == 1
                   ? "\n1 object no longer in the files is kept (pass --prune to delete it)"
                   : fmt::format(
                         "\n{} objects no longer in the files are kept (pass --prune to "
                         "delete them)",
                         removed);
  }
  out += summary + "\n";
  return out;
}

api::PlanView PlanJson(const Plan& plan) {
  api::PlanView out;
  out.index = plan.answer.index;
  out.set = plan.answer.set;
  out.changed = PlanHasChanges(plan);
  for (const DiffObject& o : plan.answer.objects) {
    if (!IsChange(o) && !o.held) continue;
    out.objects.push_back({o.kind, o.ns, o.name, o.action, NormalizeClass(o.change_class, o.action),
                           o.version_before, o.version_after, o.held,
                           o.held ? std::string() : ObjectDiff(o, false)});
  }
  out.summary = plan.answer.summary;
  out.against = plan.against;
  return out;
}

}  // namespace prisn::cli
