#pragma once
// Shared by the api*.cc and routes_*.cc files: the state every handler uses,
// and the JSON shapes of docs/API.md.

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "api/types_objects.h"
#include "manifests/types.h"
#include "reconciler/converge.h"
#include "reconciler/store.h"
#include "server/api.h"
#include "server/router.h"
#include "util/synchronized.h"

namespace prisn::reconciler {
class SourceManager;
}
namespace prisn::server {
class Network;
}

namespace prisn::server {

struct Api::Core {
  Synchronized<store::Store> store;
  // /health's store check: runs without the store's lock.
  std::shared_ptr<store::StoreProbe> store_probe;
  TokenRegistry tokens;
  Metrics metrics;
  ApiInfo info;
  Router router;
  // The converge loop; null in API tests that run without one (routes that
  // need it answer 503 then).
  reconciler::Converger* converger = nullptr;
  // The GitOps source manager; null when not running (reconcile and hooks
  // answer 503 then).
  reconciler::SourceManager* sources = nullptr;
  // The service network (proxy, DNS); null when not running (503 then).
  Network* network = nullptr;
  // The backend the loop drives, for logs; null in API tests (no logs then).
  reconciler::Backend* backend = nullptr;

  Core(store::Store s, ApiInfo i) : store(std::move(s)), info(std::move(i)) {}
  // Refreshes the object and state-index gauges; call with the store held.
  void RefreshGauges(store::Store& s);
};

void AddObjectRoutes(Api::Core& core);
void AddApplyRoutes(Api::Core& core);
void AddTokenRoutes(Api::Core& core);
void AddSecretRoutes(Api::Core& core);
void AddEventRoutes(Api::Core& core);
void AddWorkloadRoutes(Api::Core& core);  // status, scale, logs
void AddRunRoutes(Api::Core& core);       // prisn run: runs and their logs
void AddSourceRoutes(Api::Core& core);    // /v1/sources, /v1/hooks
void AddNetworkRoutes(Api::Core& core);   // endpoints, proxy stats, DNS lookup

// The one 401 of a webhook that is not accepted, whatever the reason (no or
// bad signature, unknown source): an unauthenticated caller learns nothing
// about which sources exist.
HttpResponse WebhookDenied();

// Objects applied by a GitOps source (apply set "source:NAME") refuse
// imperative changes: a 409 naming the source and its commit, unless `force`
// or the change comes from that same set (`acting_set`). nullopt: allowed.
// A forced change marks the source drifted, so its next sync restores it.
std::optional<HttpResponse> RefuseSourceOwned(Api::Core& core, store::Store& s,
                                              const store::ObjectKey& key,
                                              std::string_view acting_set, bool force);

// ---- JSON shapes and request helpers (api_json.cc)

// RFC 3339, UTC, milliseconds: "2024-01-21T10:30:00.000Z".
std::string FormatTime(int64_t unix_ms);
// An RFC 3339 time, or a duration back from `now_ms` ("30s", "15m", "2h", "7d").
Result<int64_t> ParseSince(std::string_view text, int64_t now_ms);
int64_t NowMs();

// The kind a path segment or query value names: any case, singular, plural or
// the CLI's short form. kNotFound with the accepted kinds.
Result<manifests::Kind> KindFromWord(std::string_view word);
// The store namespace of a path segment: "-" is the empty namespace of
// cluster-wide kinds (Namespace).
std::string NamespaceFromSegment(std::string_view segment);

// With a converge loop, Deployments and Jobs carry what it observed:
// status.state and status.observed (readyReplicas, updatedReplicas,
// availableReplicas, version); otherwise the state is "unknown".
api::ObjectView ObjectViewOf(const store::StoredObject& object,
                             const reconciler::Converger* converger = nullptr);
nlohmann::ordered_json ObjectJson(const store::StoredObject& object,
                                  const reconciler::Converger* converger = nullptr);
api::ObjectKeyView KeyView(const store::ObjectKey& key);
nlohmann::ordered_json KeyJson(const store::ObjectKey& key);

// 403 for a namespace token naming another namespace; the message never says
// whether anything exists there.
HttpResponse Forbidden(const Principal& who, std::string_view ns);
// The members a request body may hold (docs/API.md), in the order the
// message lists them.
using BodyFields = std::initializer_list<std::string_view>;
// The parsed JSON object body, or a 400 response (stored in `error`): not
// JSON, not an object, or a member that is not one of `fields` (named, with
// the closest field when one is close: {"dryrun": true} must never apply
// for real, nor {"namesapce": "x"} create an admin token). Every route that
// reads a body decodes it through here.
std::optional<nlohmann::json> ParseBody(const HttpRequest& request, HttpResponse& error,
                                        std::span<const std::string_view> fields);
inline std::optional<nlohmann::json> ParseBody(const HttpRequest& request, HttpResponse& error,
                                               BodyFields fields) {
  return ParseBody(request, error,
                   std::span<const std::string_view>(fields.begin(), fields.size()));
}
// The body as an API request type (api/types_*.h): ParseBody's checks with
// the type's members, then the type's strict decoding (a wrong type is a 400
// naming the field). nullopt with `error` set otherwise.
template <typename T>
std::optional<T> ParseBody(const HttpRequest& request, HttpResponse& error) {
  static const std::vector<std::string_view> kNames = api::FieldNames<T>();
  auto body = ParseBody(request, error, std::span<const std::string_view>(kNames));
  if (!body) return std::nullopt;
  auto typed = api::Decode<T>(api::Json(*body), api::DecodeMode::kStrict);
  if (!typed) {
    error = ErrorResponse(400, "invalid", typed.error().message + "; nothing was changed");
    return std::nullopt;
  }
  return std::move(*typed);
}
// The query parameters a route accepts and whether it reads a body, checked
// for every request before its handler runs (api_json.cc holds the table, by
// route pattern): a 400 for an unknown query parameter, or a body sent to a
// route that takes none (an empty body and {} are accepted). nullopt: fine.
// Routes missing from the table accept no query parameters and no body.
std::optional<HttpResponse> CheckRequestShape(std::string_view method, std::string_view pattern,
                                              const HttpRequest& request);
// A query flag: absent -> false; "1"/"true"/"" -> true; "0"/"false" -> false;
// anything else kInvalid.
Result<bool> QueryFlag(const HttpRequest& request, const std::string& key);

}  // namespace prisn::server
