#pragma once
// GitOps sources: /v1/sources (admin only) and the answers of POST
// /v1/hooks/{name} to a webhook sender.

#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "api/codec.h"

namespace prisn::api {

// A source's definition: the body of POST /v1/sources and PUT
// /v1/sources/{name}, and its "spec" in every answer (without hookSecret
// there). Members left out are left out on the wire too; the daemon checks
// the rest (reconciler/source_spec.h).
struct SourceSpecView {
  std::optional<std::string> name;
  std::optional<std::string> type;  // "git" | "dir"; default from url / dir
  std::optional<std::string> url;
  std::optional<std::string> branch;
  std::optional<std::string> tag;
  std::optional<std::string> commit;
  std::optional<std::string> path;
  std::optional<std::string> dir;
  std::optional<std::string> interval;  // a duration, "30s"
  std::optional<std::string> secret;    // fetch credentials: NAME or NS/NAME
  std::optional<std::string> hook_secret;
  std::optional<bool> allow_mass_prune;
};
constexpr auto Fields(std::type_identity<SourceSpecView>) {
  using S = SourceSpecView;
  return std::tuple{Field{"name", &S::name, Empty::kOmit},
                    Field{"type", &S::type, Empty::kOmit},
                    Field{"url", &S::url, Empty::kOmit},
                    Field{"branch", &S::branch, Empty::kOmit},
                    Field{"tag", &S::tag, Empty::kOmit},
                    Field{"commit", &S::commit, Empty::kOmit},
                    Field{"path", &S::path, Empty::kOmit},
                    Field{"dir", &S::dir, Empty::kOmit},
                    Field{"interval", &S::interval, Empty::kOmit},
                    Field{"secret", &S::secret, Empty::kOmit},
                    Field{"hookSecret", &S::hook_secret, Empty::kOmit},
                    Field{"allowMassPrune", &S::allow_mass_prune, Empty::kOmit}};
}

// A failed sync, as the source manager records it (status.lastError).
struct SourceErrorView {
  std::string stage;
  std::string message;
  std::optional<std::string> revision;
  std::vector<std::string> problems;  // each validation problem, as text
};
constexpr auto Fields(std::type_identity<SourceErrorView>) {
  return std::tuple{
      Field{"stage", &SourceErrorView::stage}, Field{"message", &SourceErrorView::message},
      Field{"revision", &SourceErrorView::revision}, Field{"problems", &SourceErrorView::problems}};
}

struct SourceStatusView {
  std::optional<std::string> last_fetched_commit;
  std::optional<std::string> last_fetched_at;
  std::optional<std::string> last_applied_commit;
  std::optional<std::string> last_applied_at;
  int64_t objects = 0;  // objects in the source's apply set
  // A SourceErrorView as stored, or null; passed through as the manager
  // wrote it.
  Json last_error;
};
constexpr auto Fields(std::type_identity<SourceStatusView>) {
  using S = SourceStatusView;
  return std::tuple{Field{"lastFetchedCommit", &S::last_fetched_commit},
                    Field{"lastFetchedAt", &S::last_fetched_at},
                    Field{"lastAppliedCommit", &S::last_applied_commit},
                    Field{"lastAppliedAt", &S::last_applied_at},
                    Field{"objects", &S::objects},
                    Field{"lastError", &S::last_error}};
}

// GET /v1/sources/{name}; also the answer of POST/PUT (with hookSecret when
// one was generated), suspend and resume.
struct SourceView {
  std::string name;
  std::string type;
  SourceSpecView spec;   // never with hookSecret
  bool webhook = false;  // it has a hook secret
  bool suspended = false;
  SourceStatusView status;
  std::string created_at;
  std::string updated_at;
  // Moves when a sync ends: reconcile callers poll until it passes the value
  // the reconcile answer gave.
  int64_t updated_at_ms = 0;
  // The generated webhook key, shown once: only when POST/PUT made it.
  std::optional<std::string> hook_secret;
};
constexpr auto Fields(std::type_identity<SourceView>) {
  using S = SourceView;
  return std::tuple{Field{"name", &S::name},
                    Field{"type", &S::type},
                    Field{"spec", &S::spec},
                    Field{"webhook", &S::webhook},
                    Field{"suspended", &S::suspended},
                    Field{"status", &S::status},
                    Field{"createdAt", &S::created_at},
                    Field{"updatedAt", &S::updated_at},
                    Field{"updatedAtMs", &S::updated_at_ms},
                    Field{"hookSecret", &S::hook_secret, Empty::kOmit}};
}

// GET /v1/sources
struct SourceList {
  std::vector<SourceView> items;
};
constexpr auto Fields(std::type_identity<SourceList>) {
  return std::tuple{Field{"items", &SourceList::items}};
}

// POST /v1/sources/{name}/reconcile (202): the sync runs after the answer.
struct SourceReconcileAnswer {
  std::string name;
  bool requested = true;
  int64_t updated_at_ms = 0;
};
constexpr auto Fields(std::type_identity<SourceReconcileAnswer>) {
  return std::tuple{Field{"name", &SourceReconcileAnswer::name},
                    Field{"requested", &SourceReconcileAnswer::requested},
                    Field{"updatedAtMs", &SourceReconcileAnswer::updated_at_ms}};
}

// DELETE /v1/sources/{name}
struct SourceDeleted {
  std::string name;
  bool deleted = true;
};
constexpr auto Fields(std::type_identity<SourceDeleted>) {
  return std::tuple{Field{"name", &SourceDeleted::name}, Field{"deleted", &SourceDeleted::deleted}};
}

// POST /v1/hooks/{name}: exactly one of requested (202), suspended or
// duplicate (both 200, with a message for the duplicate).
struct HookAnswer {
  std::string name;
  std::optional<bool> requested;
  std::optional<bool> suspended;
  std::optional<bool> duplicate;
  std::optional<std::string> message;
};
constexpr auto Fields(std::type_identity<HookAnswer>) {
  return std::tuple{Field{"name", &HookAnswer::name},
                    Field{"requested", &HookAnswer::requested, Empty::kOmit},
                    Field{"suspended", &HookAnswer::suspended, Empty::kOmit},
                    Field{"duplicate", &HookAnswer::duplicate, Empty::kOmit},
                    Field{"message", &HookAnswer::message, Empty::kOmit}};
}

}  // namespace prisn::api
