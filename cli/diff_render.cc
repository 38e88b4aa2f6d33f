#include "cli/diff_render.h"

#include <fmt/core.h>

#include <map>
#include <vector>

#include "cli/ansi.h"
#include "cli/command_util.h"
#include "cli/json_fields.h"
#include "cli/unified_diff.h"

namespace prisn::cli {
namespace {

bool Held(const nlohmann::ordered_json& o) {
  auto it = o.find("held");
  return it != o.end() && it->is_boolean() && it->get<bool>();
}

bool IsChange(const nlohmann::ordered_json& o) {
  std::string action = Str(o, "action");
  return !Held(o) && (action == "created" || action == "configured" || action == "pruned");
}

std::string Key(const nlohmann::ordered_json& o) {
  std::string ns = Str(o, "namespace");
  if (ns.empty() || ns == "-") return fmt::format("{}/{}", Str(o, "kind"), Str(o, "name"));
  return fmt::format("{}/{}/{}", Str(o, "kind"), ns, Str(o, "name"));
}

std::string ObjectDiff(const nlohmann::ordered_json& o, bool color) {
  std::string action = Str(o, "action");
  std::string before = action == "created" ? "" : Str(o, "before");
  std::string after = action == "pruned" ? "" : Str(o, "after");
  std::string old_label =
      action == "created" ? "/dev/null" : fmt::format("{} ({})", Key(o), Str(o, "versionBefore"));
  std::string new_label =
      action == "pruned" ? "/dev/null" : fmt::format("{} ({})", Key(o), Str(o, "versionAfter"));
  std::string diff =
      UnifiedDiff(before, after, old_label, new_label, {.context = 3, .color = color});
  if (diff.empty() && Str(o, "kind") == "Secret") {
    // Values are masked on both sides, so the text alone cannot show the change.
    return "(a Secret value changed; values are never shown)\n";
  }
  return diff;
}

std::string Title(const nlohmann::ordered_json& o) {
  std::string label = Label(Str(o, "kind"), Str(o, "name"));
  std::string ns = Str(o, "namespace");
  if (!ns.empty() && ns != "-" && ns != "default") label += fmt::format(" (namespace {})", ns);
  std::string action = Str(o, "action");
  std::string cls = NormalizeClass(Str(o, "changeClass"), action);
  std::string before = Str(o, "versionBefore");
  std::string after = Str(o, "versionAfter");
  if (action == "created") return fmt::format("# {}: create ({})", label, after);
  if (action == "pruned") return fmt::format("# {}: delete, pruned ({})", label, before);
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

bool PlanHasChanges(const nlohmann::ordered_json& plan) {
  for (const auto& o : plan.value("objects", nlohmann::ordered_json::array())) {
    if (IsChange(o)) return true;
  }
  return false;
}

std::string RenderPlanText(const nlohmann::ordered_json& plan, bool color) {
  std::string out;
  int created = 0, changed = 0, pruned = 0, unchanged = 0, held = 0;
  std::map<std::string, int> classes;  // of configured objects
  for (const auto& o : plan.value("objects", nlohmann::ordered_json::array())) {
    std::string action = Str(o, "action");
    if (Held(o)) {
      ++held;
      std::string line = fmt::format(
          "# {}: held at {} by a rollback; applying leaves it (lift the hold with `prisn "
          "rollback {} --release`)",
          Label(Str(o, "kind"), Str(o, "name")), Str(o, "versionBefore"),
          Label(Str(o, "kind"), Str(o, "name")));
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
      ++classes[NormalizeClass(Str(o, "changeClass"), action)];
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
  if (plan.contains("against") && plan["against"].is_object()) {
    const auto& a = plan["against"];
    summary += fmt::format("; compared with {}", Str(a, "rev"));
    std::string commit = Str(a, "commit");
    if (!commit.empty()) summary += fmt::format(" ({})", commit.substr(0, 12));
  } else if (plan.contains("index") && plan["index"].is_number()) {
    summary += fmt::format("; state index {}", plan["index"].get<std::int64_t>());
  }
  int removed = plan.value("removedWithoutPrune", 0);
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

nlohmann::ordered_json PlanJson(const nlohmann::ordered_json& plan) {
  nlohmann::ordered_json objects = nlohmann::ordered_json::array();
  for (const auto& o : plan.value("objects", nlohmann::ordered_json::array())) {
    if (!IsChange(o) && !Held(o)) continue;
    std::string action = Str(o, "action");
    objects.push_back({
        {"kind", Str(o, "kind")},
        {"namespace", o.value("namespace", nlohmann::ordered_json())},
        {"name", Str(o, "name")},
        {"action", action},
        {"changeClass", NormalizeClass(Str(o, "changeClass"), action)},
        {"versionBefore", o.value("versionBefore", nlohmann::ordered_json())},
        {"versionAfter", o.value("versionAfter", nlohmann::ordered_json())},
        {"held", Held(o)},
        {"diff", Held(o) ? std::string() : ObjectDiff(o, false)},
    });
  }
  nlohmann::ordered_json out = {
      {"index", plan.value("index", nlohmann::ordered_json())},
      {"set", plan.value("set", nlohmann::ordered_json())},
      {"changed", PlanHasChanges(plan)},
      {"objects", std::move(objects)},
      {"summary", plan.value("summary", nlohmann::ordered_json::object())},
  };
  if (plan.contains("against")) out["against"] = plan["against"];
  return out;
}

}  // namespace prisn::cli
