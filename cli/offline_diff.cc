#include "cli/offline_diff.h"

#include <filesystem>
#include <map>
#include <system_error>

#include "manifests/canonical.h"
#include "manifests/change.h"

namespace prisn::cli {
namespace {

namespace fs = std::filesystem;

api::DiffObject PlanEntry(const manifests::Object& o) {
  bool namespaced = o.GetKind() != manifests::Kind::kNamespace;
  api::DiffObject entry;
  entry.kind = o.kind.empty() ? std::string(manifests::KindName(o.GetKind())) : o.kind;
  entry.ns = namespaced ? o.meta.namespace_ : std::string();
  entry.name = o.meta.name;
  return entry;
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

api::DiffAnswer LocalPlan(const std::vector<manifests::Object>& before,
                          const std::vector<manifests::Object>& after, bool prune) {
  std::map<std::string, const manifests::Object*> old_by_key;
  for (const auto& o : before) old_by_key[o.Key()] = &o;
  api::DiffAnswer plan;
  api::ApplySummary& sum = plan.summary;
  std::map<std::string, bool> seen;
  for (const auto& o : after) {
    seen[o.Key()] = true;
    api::DiffObject entry = PlanEntry(o);
    auto it = old_by_key.find(o.Key());
    const manifests::Object* old = it == old_by_key.end() ? nullptr : it->second;
    auto cls = manifests::Classify(old, &o);
    entry.change_class = std::string(manifests::ChangeClassName(cls));
    entry.version_after = o.version;
    entry.after = manifests::ToCanonicalYaml(o);
    if (old == nullptr) {
      entry.action = "created";
      ++sum.created;
    } else {
      entry.action = cls == manifests::ChangeClass::kNone ? "unchanged" : "configured";
      entry.version_before = old->version;
      entry.before = manifests::ToCanonicalYaml(*old);
      ++(cls == manifests::ChangeClass::kNone ? sum.unchanged : sum.configured);
    }
    plan.objects.push_back(std::move(entry));
  }
  for (const auto& o : before) {
    if (seen.contains(o.Key())) continue;
    if (!prune) {
      ++plan.removed_without_prune;
      continue;
    }
    api::DiffObject entry = PlanEntry(o);
    entry.action = "pruned";
    entry.change_class = "delete";
    entry.version_before = o.version;
    entry.before = manifests::ToCanonicalYaml(o);
    plan.objects.push_back(std::move(entry));
    ++sum.pruned;
  }
  return plan;
}

}  // namespace prisn::cli
