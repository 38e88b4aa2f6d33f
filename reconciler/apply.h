#pragma once
// Applying a validated set of manifests to desired state: the one path that
// `POST /v1/apply`, `POST /v1/diff` and every GitOps source take. The HTTP
// layer only decodes requests and encodes results; sources only fetch and
// load. The store's transaction makes the apply atomic and holds the guards
// (ownership, checkIndex, the mass-prune rule of store.h).
//
// Not thread-safe on its own: the caller holds the store (Synchronized::With).

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "manifests/change.h"
#include "manifests/types.h"
#include "reconciler/store.h"
#include "util/error.h"

namespace prisn::reconciler {

// What the store keeps of a validated object: canonical JSON, the display
// form (secret values masked), the version and its source digests.
store::DesiredObject ToDesired(const manifests::Object& object);

// The stored object read back as a typed manifest (secret values included).
// nullopt when it is not stored or does not read back (logged).
std::optional<manifests::Object> ReadStored(store::Store& store, const store::ObjectKey& key);

struct AppliedItem {
  store::ApplyItem item;
  manifests::ChangeClass change = manifests::ChangeClass::kNone;
  // Filled for a changed or pruned object when ApplySetOptions::keep_before:
  // the object as stored before the apply.
  std::optional<manifests::Object> before;
  const manifests::Object* after = nullptr;  // into the caller's objects; null when pruned
};

struct AppliedSet {
  int64_t state_index = 0;  // after the apply (a dry run: the index it was computed at)
  std::vector<AppliedItem> items;
  size_t members_before = 0;
  size_t not_named = 0;  // members left behind because prune was off
  // Sources whose objects an admin's force moved into this set: they are
  // drifted until their next sync puts back what they say.
  std::vector<std::string> taken_from_sources;

  // True when a prune of these objects would be refused without confirm.
  bool PruneNeedsConfirm() const;
};

struct ApplySetOptions {
  store::ApplyOptions store;
  bool keep_before = false;  // keep the stored objects a diff prints
};

// Converts, classifies each change against what is stored and applies
// atomically. A failed apply writes nothing. `objects` must outlive the result.
Result<AppliedSet> ApplySet(store::Store& store, const std::vector<manifests::Object>& objects,
                            const ApplySetOptions& options);

}  // namespace prisn::reconciler
