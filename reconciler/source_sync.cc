#include "reconciler/source_sync.h"

#include <sodium.h>

#include <nlohmann/json.hpp>

#include "manifests/diagnostic.h"
#include "manifests/file_tree.h"
#include "manifests/git_tree.h"
#include "reconciler/apply.h"
#include "reconciler/source_git.h"

namespace prisn::reconciler {
namespace {

// A digest of what a dir source holds: its objects' keys and versions
// (versions cover every source byte).
std::string DirRevision(const std::vector<manifests::Object>& objects) {
  std::string text;
  for (const manifests::Object& o : objects) text += o.Key() + "=" + o.version + "\n";
  unsigned char hash[16];
  crypto_generichash(hash, sizeof hash, reinterpret_cast<const unsigned char*>(text.data()),
                     text.size(), nullptr, 0);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "dir-";
  for (unsigned char c : hash) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

SyncReport Failed(SyncReport report, std::string stage, Error error) {
  report.stage = std::move(stage);
  report.error = std::move(error);
  return report;
}

}  // namespace

StoreSourceTarget::StoreSourceTarget(Synchronized<store::Store>& store, ChangedFn on_change)
    : store_(store), on_change_(std::move(on_change)) {}

Result<manifests::KnownObjects> StoreSourceTarget::Known(const std::string& set) {
  auto listed = store_.With([](store::Store& s) { return s.List({}); });
  if (!listed) return std::unexpected(listed.error());
  manifests::KnownObjects known;
  for (const store::StoredObject& o : *listed) {
    if (o.apply_set == set) continue;  // what the new revision drops is gone
    if (auto kind = manifests::ParseKind(o.key.kind))
      known.keys.insert(manifests::MakeKey(*kind, o.key.ns, o.key.name));
  }
  return known;
}

Result<store::ApplyResult> StoreSourceTarget::Apply(const std::vector<manifests::Object>& objects,
                                                    const store::ApplyOptions& options) {
  auto applied =
      store_.With([&](store::Store& s) { return ApplySet(s, objects, {.store = options}); });
  if (!applied) return std::unexpected(applied.error());
  store::ApplyResult result;
  result.state_index = applied->state_index;
  result.members_before = applied->members_before;
  for (AppliedItem& i : applied->items) {
    if (on_change_ && !options.dry_run && i.item.action != store::Action::kUnchanged)
      on_change_(i.item.key);
    result.items.push_back(std::move(i.item));
  }
  return result;
}

std::string SyncReport::Outcome() const {
  if (error) return "failed";
  if (skipped) return "unchanged";
  for (const store::ApplyItem& item : items) {
    if (item.action != store::Action::kUnchanged) return "applied";
  }
  return "unchanged";
}

std::string SyncReport::ErrorJson() const {
  nlohmann::ordered_json j{{"stage", stage},
                           {"message", error ? error->ToString() : std::string()},
                           {"revision", revision.empty() ? nlohmann::ordered_json(nullptr)
                                                         : nlohmann::ordered_json(revision)},
                           {"problems", problems}};
  return j.dump();
}

std::string MirrorPath(const std::string& state_dir, const std::string& name) {
  return state_dir + "/sources/" + name + ".git";
}

std::string SyncActor(const std::string& name, const std::string& revision) {
  return "source:" + name + "@" + revision.substr(0, 12);
}

SyncReport SyncSource(const SourceSpec& spec, SourceTarget& target, const SyncOptions& options) {
  SyncReport report;
  std::unique_ptr<manifests::FileTree> tree;
  if (spec.type == "git") {
    auto fetched = FetchGitSource(spec, MirrorPath(options.state_dir, spec.name),
                                  options.credentials, options.cancel, options.fetch_limits);
    if (!fetched) return Failed(std::move(report), "fetch", fetched.error());
    report.fetched = true;
    report.revision = fetched->commit;
    if (!options.force && options.last_applied == report.revision) {
      report.skipped = true;
      return report;
    }
    auto git_tree = manifests::GitTree::Open(fetched->mirror, fetched->commit);
    if (!git_tree) return Failed(std::move(report), "fetch", git_tree.error());
    tree = std::make_unique<manifests::GitTree>(std::move(*git_tree));
  } else {
    tree = std::make_unique<manifests::DiskTree>(spec.dir);
    if (!tree->IsDirectory("")) {
      return Failed(std::move(report), "fetch",
                    Error{ErrorCode::kNotFound, "the source folder does not exist", spec.dir});
    }
    report.fetched = true;
  }
  auto known = target.Known(spec.SetName());
  if (!known) return Failed(std::move(report), "load", known.error());
  manifests::LoadedSet set =
      manifests::LoadSet(*tree, {spec.path.empty() ? "." : spec.path}, *known);
  if (spec.type == "dir") report.revision = DirRevision(set.objects);
  if (!set.ok()) {
    for (const manifests::Diagnostic& d : set.errors)
      report.problems.push_back(manifests::FormatText(d));
    // Built before the call: an argument that reads `report` must not race
    // the one that moves it (their order is unspecified; Clang moves first).
    Error invalid{ErrorCode::kInvalid,
                  "the manifests are invalid (" + std::to_string(set.errors.size()) + " problem" +
                      (set.errors.size() == 1 ? "" : "s") +
                      "; nothing was applied): " + report.problems.front(),
                  spec.name};
    return Failed(std::move(report), "load", std::move(invalid));
  }
  if (spec.type == "dir" && !options.force && options.last_applied == report.revision) {
    report.skipped = true;
    return report;
  }
  report.objects = set.objects.size();
  store::ApplyOptions apply;
  apply.set = spec.SetName();
  apply.source = spec.name;  // the one caller that may apply into "source:NAME"
  apply.prune = true;
  apply.confirm_prune = spec.allow_mass_prune;
  apply.actor = SyncActor(spec.name, report.revision);
  auto result = target.Apply(set.objects, apply);
  if (!result) return Failed(std::move(report), "apply", result.error());
  report.applied = true;
  report.items = std::move(result->items);
  return report;
}

Status RecordSync(store::Store& store, const std::string& name, const SyncReport& report) {
  store::SourceStatusUpdate update;
  if (report.fetched && !report.revision.empty()) update.fetched_commit = report.revision;
  if (report.applied) update.applied_commit = report.revision;
  // A skip means the revision in force is what the source says: any error
  // of an earlier attempt (an unreachable remote) is over.
  update.set_error = true;
  if (report.error) update.error = report.ErrorJson();
  auto before = store.GetSource(name);
  if (!before) return std::unexpected(before.error());
  if (auto st = store.UpdateSourceStatus(name, update); !st) return st;
  std::string actor = SyncActor(name, report.revision.empty() ? "none" : report.revision);
  // A failure that repeats on every poll is recorded once.
  bool repeated = *before && (*before)->last_error == update.error;
  if (report.error && !repeated) {
    return store.RecordEvent("source-failed",
                             "source " + name + ": " + report.stage + " failed" +
                                 (report.revision.empty() ? "" : " at " + report.revision) +
                                 "; the last good revision stays in force: " +
                                 report.error->ToString(),
                             actor);
  }
  if (report.error || !report.applied) return {};
  std::map<store::Action, int> counts;
  for (const store::ApplyItem& item : report.items) counts[item.action]++;
  return store.RecordEvent(
      "source-synced",
      "source " + name + " applied " + report.revision + " (" +
          std::to_string(counts[store::Action::kCreated]) + " created, " +
          std::to_string(counts[store::Action::kConfigured]) + " configured, " +
          std::to_string(counts[store::Action::kUnchanged]) + " unchanged, " +
          std::to_string(counts[store::Action::kPruned]) + " pruned)",
      actor);
}

}  // namespace prisn::reconciler
