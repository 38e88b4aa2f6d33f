#pragma once
// The SourceManager: one thread that keeps every GitOps source synced.
//
// Git sources are fetched every `interval` and at once on Request() (a
// webhook, `prisn source reconcile`); dir sources are watched with inotify
// and synced once writes have been quiet for `debounce`, with the interval as
// a backstop. Syncs run on the manager's workers, never on the caller's
// thread, so a slow remote never blocks the API; up to `max_parallel`
// sources sync at once (one source never twice at once), and every git fetch
// has a deadline (`fetch_limits`): a remote that hangs costs one worker for
// that long, records "fetch timed out after Ns" as the source's error, and
// delays no other source.
//
// The manager reads source definitions from the store: after changing them
// (add, delete, suspend, resume), call Reload().
//
// Thread-safety: every public method may be called from any thread.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "reconciler/source_sync.h"
#include "reconciler/store.h"
#include "util/error.h"
#include "util/synchronized.h"

namespace prisn::reconciler {

struct SourceManagerOptions {
  std::string state_dir;  // git mirrors: <state_dir>/sources/
  std::chrono::milliseconds debounce{300};
  int max_parallel = 4;       // syncs running at once (>= 1)
  FetchLimits fetch_limits;   // each git fetch's connect and total deadline
  // Told of each finished sync, on the worker that ran it; must not block.
  // type: "git" | "dir"; outcome: "applied", "unchanged", "failed"; stage:
  // where a failure happened ("fetch", "load", "apply"), else empty.
  std::function<void(std::string_view type, std::string_view outcome, std::string_view stage,
                     double seconds)>
      on_sync;
};

class SourceManager {
 public:
  // `store` and `target` must outlive the manager.
  SourceManager(Synchronized<store::Store>& store, SourceTarget& target,
                SourceManagerOptions options);
  ~SourceManager();  // Stop()
  SourceManager(const SourceManager&) = delete;
  SourceManager& operator=(const SourceManager&) = delete;

  // Starts the thread; every source not suspended syncs soon after.
  // kIo when inotify or the wake-up descriptor cannot be created.
  Status Start();
  // Cancels a running fetch and joins the thread. Idempotent.
  void Stop();

  // Re-reads the source definitions from the store.
  void Reload();
  // Syncs `name` as soon as the thread is free. `force` applies even when
  // the revision is the one already in force (restores what the source says
  // over imperative edits). Unknown or suspended names are ignored.
  void Request(const std::string& name, bool force = false);
  // An object of `name` was changed with --force: its next scheduled sync
  // re-applies what the source says even at an unchanged revision (drift
  // correction, as Flux and Argo CD's self-heal do), without syncing now.
  // The first sync after Start() is always such a sync: edits made while
  // the daemon was down are not known.
  void MarkDrifted(const std::string& name);

  struct State;  // the thread's state (source_manager.cc)

 private:
  std::unique_ptr<State> state_;
};

// The keys of a Secret ("NAME" in namespace default, or "NS/NAME") as plain
// values, for fetch credentials. kNotFound; kInvalid when it is no Secret.
Result<std::map<std::string, std::string>> SecretValues(store::Store& store,
                                                        const std::string& ref);

}  // namespace prisn::reconciler
