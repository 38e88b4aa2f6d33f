#pragma once
// Stored objects as the API shows them: GET /v1/objects, GET/DELETE
// /v1/namespaces/{ns}/{kind}/{name}, its history and rollback.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "api/codec.h"

namespace prisn::api {

// Which object: every answer that names one carries these three.
struct ObjectKeyView {
  std::string kind;
  std::string ns;  // "" for cluster-wide kinds (Namespace)
  std::string name;
};
constexpr auto Fields(std::type_identity<ObjectKeyView>) {
  return std::tuple{Field{"kind", &ObjectKeyView::kind}, Field{"namespace", &ObjectKeyView::ns},
                    Field{"name", &ObjectKeyView::name}};
}

// A rollback hold: the version pinned, from which one, by whom, when.
struct HoldView {
  std::string version;
  std::string held_from;
  std::string by;
  std::string at;
};
constexpr auto Fields(std::type_identity<HoldView>) {
  return std::tuple{Field{"version", &HoldView::version}, Field{"heldFrom", &HoldView::held_from},
                    Field{"by", &HoldView::by}, Field{"at", &HoldView::at}};
}

struct ObservedView {
  int64_t ready_replicas = 0;
  int64_t updated_replicas = 0;
  int64_t available_replicas = 0;
  std::string version;
};
constexpr auto Fields(std::type_identity<ObservedView>) {
  return std::tuple{Field{"readyReplicas", &ObservedView::ready_replicas},
                    Field{"updatedReplicas", &ObservedView::updated_replicas},
                    Field{"availableReplicas", &ObservedView::available_replicas},
                    Field{"version", &ObservedView::version}};
}

// Only what the converge loop observed: "unknown" and no observation when it
// has not (or does not run).
struct ObjectStatusView {
  std::string state = "unknown";
  std::optional<std::string> reason;  // present when the loop reports a state
  std::optional<ObservedView> observed;
};
constexpr auto Fields(std::type_identity<ObjectStatusView>) {
  return std::tuple{Field{"state", &ObjectStatusView::state},
                    Field{"reason", &ObjectStatusView::reason, Empty::kOmit},
                    Field{"observed", &ObjectStatusView::observed}};
}

struct ObjectView {
  std::string kind;
  std::string ns;
  std::string name;
  std::string version;
  int64_t generation = 0;
  std::string applied_by;
  std::optional<std::string> set;  // the apply set; null when applied by hand
  std::string created_at;
  std::string updated_at;
  int64_t state_index = 0;
  std::optional<HoldView> hold;
  Json manifest;                               // the canonical manifest as stored
  std::map<std::string, std::string> sources;  // relative path -> sha256 hex of what it read
  ObjectStatusView status;
};
constexpr auto Fields(std::type_identity<ObjectView>) {
  return std::tuple{Field{"kind", &ObjectView::kind},
                    Field{"namespace", &ObjectView::ns},
                    Field{"name", &ObjectView::name},
                    Field{"version", &ObjectView::version},
                    Field{"generation", &ObjectView::generation},
                    Field{"appliedBy", &ObjectView::applied_by},
                    Field{"set", &ObjectView::set},
                    Field{"createdAt", &ObjectView::created_at},
                    Field{"updatedAt", &ObjectView::updated_at},
                    Field{"stateIndex", &ObjectView::state_index},
                    Field{"hold", &ObjectView::hold},
                    Field{"manifest", &ObjectView::manifest},
                    Field{"sources", &ObjectView::sources},
                    Field{"status", &ObjectView::status}};
}

// GET /v1/objects
struct ObjectList {
  int64_t index = 0;
  std::vector<ObjectView> items;
};
constexpr auto Fields(std::type_identity<ObjectList>) {
  return std::tuple{Field{"index", &ObjectList::index}, Field{"items", &ObjectList::items}};
}

// DELETE /v1/namespaces/{ns}/{kind}/{name}
struct DeletedView {
  std::string kind;
  std::string ns;
  std::string name;
  std::string version;
};
constexpr auto Fields(std::type_identity<DeletedView>) {
  return std::tuple{Field{"kind", &DeletedView::kind}, Field{"namespace", &DeletedView::ns},
                    Field{"name", &DeletedView::name}, Field{"version", &DeletedView::version}};
}
struct DeleteAnswer {
  int64_t index = 0;
  bool dry_run = false;
  DeletedView deleted;
};
constexpr auto Fields(std::type_identity<DeleteAnswer>) {
  return std::tuple{Field{"index", &DeleteAnswer::index}, Field{"dryRun", &DeleteAnswer::dry_run},
                    Field{"deleted", &DeleteAnswer::deleted}};
}

// GET .../history: newest first.
struct RevisionView {
  std::string version;
  int64_t generation = 0;
  std::string applied_by;
  std::string created_at;
  bool current = false;
  std::map<std::string, std::string> sources;
};
constexpr auto Fields(std::type_identity<RevisionView>) {
  return std::tuple{
      Field{"version", &RevisionView::version},      Field{"generation", &RevisionView::generation},
      Field{"appliedBy", &RevisionView::applied_by}, Field{"createdAt", &RevisionView::created_at},
      Field{"current", &RevisionView::current},      Field{"sources", &RevisionView::sources}};
}
struct HistoryAnswer {
  std::vector<RevisionView> items;
};
constexpr auto Fields(std::type_identity<HistoryAnswer>) {
  return std::tuple{Field{"items", &HistoryAnswer::items}};
}

// POST .../rollback: a version to hold, or release the hold; neither: the
// previous version.
struct RollbackRequest {
  std::optional<std::string> version;
  std::optional<bool> release;
};
constexpr auto Fields(std::type_identity<RollbackRequest>) {
  return std::tuple{Field{"version", &RollbackRequest::version},
                    Field{"release", &RollbackRequest::release}};
}
struct RollbackAnswer {
  int64_t index = 0;
  ObjectView object;
  std::string from;
  std::string to;
};
constexpr auto Fields(std::type_identity<RollbackAnswer>) {
  return std::tuple{Field{"index", &RollbackAnswer::index},
                    Field{"object", &RollbackAnswer::object}, Field{"from", &RollbackAnswer::from},
                    Field{"to", &RollbackAnswer::to}};
}

}  // namespace prisn::api
