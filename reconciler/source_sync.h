#pragma once
// One sync of one GitOps source: fetch (git) or read (dir), load and
// validate the whole set at the source's path, and apply it atomically as
// the apply set "source:NAME" with prune. Nothing here owns a thread; the
// SourceManager (source_manager.h) decides when to call it.
//
// A revision that fails to load, validate or apply changes nothing: the last
// good revision stays in force and the report carries the errors.

#include <atomic>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "manifests/load.h"
#include "manifests/types.h"
#include "reconciler/source_git.h"
#include "reconciler/source_spec.h"
#include "reconciler/store.h"
#include "util/error.h"
#include "util/synchronized.h"

namespace prisn::reconciler {

// Where a sync applies what it loaded. The server wires it to the store.
class SourceTarget {
 public:
  virtual ~SourceTarget() = default;
  // Objects stored outside `set` that the source's manifests may name.
  virtual Result<manifests::KnownObjects> Known(const std::string& set) = 0;
  // Applies atomically; writes nothing on failure (the store's guards hold).
  virtual Result<store::ApplyResult> Apply(const std::vector<manifests::Object>& objects,
                                           const store::ApplyOptions& options) = 0;
};

// A SourceTarget over a store: applies through ApplySet (apply.h), the path
// `prisn apply` takes. `on_change` is told of every object an apply created,
// changed or pruned (the converge loop's Wake).
class StoreSourceTarget final : public SourceTarget {
 public:
  using ChangedFn = std::function<void(const store::ObjectKey&)>;
  explicit StoreSourceTarget(Synchronized<store::Store>& store, ChangedFn on_change = {});
  Result<manifests::KnownObjects> Known(const std::string& set) override;
  Result<store::ApplyResult> Apply(const std::vector<manifests::Object>& objects,
                                   const store::ApplyOptions& options) override;

 private:
  Synchronized<store::Store>& store_;
  ChangedFn on_change_;
};

struct SyncOptions {
  std::string state_dir;  // git mirrors live in <state_dir>/sources/<name>.git
  std::map<std::string, std::string> credentials;  // the source Secret's keys
  std::optional<std::string> last_applied;         // the revision in force
  bool force = false;  // apply even when the revision is the one in force
  const std::atomic<bool>* cancel = nullptr;
  FetchLimits fetch_limits;  // a git fetch's connect and total deadline
};

struct SyncReport {
  // The git commit (40 hex), or for a dir source "dir-" + a digest of the
  // loaded objects' keys and versions. Empty when the fetch failed.
  std::string revision;
  bool fetched = false;
  bool applied = false;  // the set was applied (some objects may be unchanged)
  bool skipped = false;  // the revision is the one in force; nothing done
  std::vector<store::ApplyItem> items;
  size_t objects = 0;
  // stage: "fetch", "load", "apply".
  std::optional<Error> error;
  std::string stage;
  std::vector<std::string> problems;  // each validation problem, as text

  // "applied", "unchanged" (skipped, or nothing changed) or "failed".
  std::string Outcome() const;
  // {"stage", "message", "revision", "problems": [...]}.
  std::string ErrorJson() const;
};

// <state_dir>/sources/<name>.git
std::string MirrorPath(const std::string& state_dir, const std::string& name);
// "source:NAME@<first 12 of the revision>": the actor on every revision and
// event a sync writes.
std::string SyncActor(const std::string& name, const std::string& revision);

SyncReport SyncSource(const SourceSpec& spec, SourceTarget& target, const SyncOptions& options);

// Writes the report into the source's status row (fetched, applied, error)
// and records a "source-synced" or "source-failed" event (a failure equal to
// the one already recorded adds no event). A skipped sync clears the error.
Status RecordSync(store::Store& store, const std::string& name, const SyncReport& report);

}  // namespace prisn::reconciler
