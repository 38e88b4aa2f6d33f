#include "cli/offline_diff.h"

#include <filesystem>
#include <map>
#include <system_error>

#include "manifests/canonical.h"
#include "manifests/change.h"

namespace prisn::cli {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

json PlanEntry(const manifests::Object& o) {
  bool namespaced = o.GetKind() != manifests::Kind::kNamespace;
  return {{"kind", o.kind.empty() ? std::string(manifests::KindName(o.GetKind())) : o.kind},
          {"namespace", namespaced ? o.meta.namespace_ : std::string()},
          {"name", o.meta.name},
          {"held", false}};
}

}  // namespace

SubTree::SubTree(const manifests::FileTree& base, std::string prefix)
    : base_(base), prefix_(manifests::NormalizeTreePath(prefix).value_or(prefix)) {}

std::optional<std::string> SubTree::Map(std::string_view path) const {
  auto inner = manifests::NormalizeTreePath(path);
  if (!inner) return std::nullopt;
  if (prefix_.empty()) return inner;
  if (inner->empty()) return prefix_;
  return prefix_ + "/" + *inner;
}

Result<std::vector<std::string>> SubTree::ListFiles(std::string_view dir) const {
  auto mapped = Map(dir);
  if (!mapped) return Fail(ErrorCode::kPermission, "path leaves the tree", std::string(dir));
  auto files = base_.ListFiles(*mapped);
  if (!files || prefix_.empty()) return files;
  std::vector<std::string> out;
  out.reserve(files->size());
  for (auto& f : *files) out.push_back(f.substr(prefix_.size() + 1));
  return out;
}

Result<std::string> SubTree::ReadFile(std::string_view path) const {
  auto mapped = Map(path);
  if (!mapped) return Fail(ErrorCode::kPermission, "path leaves the tree", std::string(path));
  return base_.ReadFile(*mapped);
}

bool SubTree::IsDirectory(std::string_view path) const {
  auto mapped = Map(path);
  return mapped && base_.IsDirectory(*mapped);
}

bool SubTree::Exists(std::string_view path) const {
  auto mapped = Map(path);
  return mapped && base_.Exists(*mapped);
}

Result<std::string> FindRepositoryRoot(const std::string& start) {
  fs::path dir = fs::path(start).lexically_normal();
  for (;;) {
    std::error_code ec;
    if (fs::exists(dir / ".git", ec)) return dir.string();
    if (!dir.has_parent_path() || dir.parent_path() == dir) break;
    dir = dir.parent_path();
  }
  return Fail(ErrorCode::kNotFound,
              "not inside a git repository: --against compares with a revision of the repository "
              "that holds the files",
              start);
}

json LocalPlan(const std::vector<manifests::Object>& before,
               const std::vector<manifests::Object>& after, bool prune) {
  std::map<std::string, const manifests::Object*> old_by_key;
  for (const auto& o : before) old_by_key[o.Key()] = &o;
  json objects = json::array();
  int created = 0, configured = 0, unchanged = 0, pruned = 0, removed = 0;
  std::map<std::string, bool> seen;
  for (const auto& o : after) {
    seen[o.Key()] = true;
    json entry = PlanEntry(o);
    auto it = old_by_key.find(o.Key());
    const manifests::Object* old = it == old_by_key.end() ? nullptr : it->second;
    auto cls = manifests::Classify(old, &o);
    entry["changeClass"] = std::string(manifests::ChangeClassName(cls));
    entry["versionAfter"] = o.version;
    entry["after"] = manifests::ToCanonicalYaml(o);
    if (old == nullptr) {
      entry["action"] = "created";
      entry["versionBefore"] = nullptr;
      entry["before"] = nullptr;
      ++created;
    } else {
      entry["action"] = cls == manifests::ChangeClass::kNone ? "unchanged" : "configured";
      entry["versionBefore"] = old->version;
      entry["before"] = manifests::ToCanonicalYaml(*old);
      ++(cls == manifests::ChangeClass::kNone ? unchanged : configured);
    }
    objects.push_back(std::move(entry));
  }
  for (const auto& o : before) {
    if (seen.contains(o.Key())) continue;
    if (!prune) {
      ++removed;
      continue;
    }
    json entry = PlanEntry(o);
    entry["action"] = "pruned";
    entry["changeClass"] = "delete";
    entry["versionBefore"] = o.version;
    entry["versionAfter"] = nullptr;
    entry["before"] = manifests::ToCanonicalYaml(o);
    entry["after"] = nullptr;
    objects.push_back(std::move(entry));
    ++pruned;
  }
  return {{"index", nullptr},
          {"objects", std::move(objects)},
          {"summary",
           {{"created", created},
            {"configured", configured},
            {"unchanged", unchanged},
            {"pruned", pruned}}},
          {"removedWithoutPrune", removed}};
}

}  // namespace prisn::cli
