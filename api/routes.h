#pragma once
// Every route of the API (docs/API.md): its method, its path pattern, the
// query parameters it accepts and whether it reads a body. The daemon
// registers its handlers under these patterns and refuses a request that does
// not fit its line (an unknown query parameter, a body where none is read);
// the CLI builds its request paths from the same patterns.

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace prisn::api {

// Path patterns; a "{name}" segment captures one path segment.
namespace path {
inline constexpr std::string_view kHealth = "/health";
inline constexpr std::string_view kMetrics = "/metrics";
inline constexpr std::string_view kState = "/v1/state";
inline constexpr std::string_view kApply = "/v1/apply";
inline constexpr std::string_view kDiff = "/v1/diff";
inline constexpr std::string_view kEvents = "/v1/events";
inline constexpr std::string_view kObjects = "/v1/objects";
inline constexpr std::string_view kObject = "/v1/namespaces/{ns}/{kind}/{name}";
inline constexpr std::string_view kObjectHistory = "/v1/namespaces/{ns}/{kind}/{name}/history";
inline constexpr std::string_view kObjectRollback = "/v1/namespaces/{ns}/{kind}/{name}/rollback";
inline constexpr std::string_view kObjectStatus = "/v1/namespaces/{ns}/{kind}/{name}/status";
inline constexpr std::string_view kObjectScale = "/v1/namespaces/{ns}/{kind}/{name}/scale";
inline constexpr std::string_view kObjectLogs = "/v1/namespaces/{ns}/{kind}/{name}/logs";
inline constexpr std::string_view kStatus = "/v1/status";
inline constexpr std::string_view kRuns = "/v1/runs";
inline constexpr std::string_view kRun = "/v1/runs/{id}";
inline constexpr std::string_view kRunStop = "/v1/runs/{id}/stop";
inline constexpr std::string_view kRunLogs = "/v1/runs/{id}/logs";
inline constexpr std::string_view kSecrets = "/v1/secrets";
inline constexpr std::string_view kTokens = "/v1/tokens";
inline constexpr std::string_view kToken = "/v1/tokens/{id}";
inline constexpr std::string_view kSources = "/v1/sources";
inline constexpr std::string_view kSource = "/v1/sources/{name}";
inline constexpr std::string_view kSourceReconcile = "/v1/sources/{name}/reconcile";
inline constexpr std::string_view kSourceSuspend = "/v1/sources/{name}/suspend";
inline constexpr std::string_view kSourceResume = "/v1/sources/{name}/resume";
inline constexpr std::string_view kHook = "/v1/hooks/{name}";
inline constexpr std::string_view kEndpoint = "/v1/namespaces/{ns}/endpoints/{name}";
inline constexpr std::string_view kEndpoints = "/v1/endpoints";
inline constexpr std::string_view kProxyStats = "/v1/proxy/stats";
inline constexpr std::string_view kDnsLookup = "/v1/dns/lookup";
}  // namespace path

// The names of the "{...}" segments of the patterns, as the daemon's router
// captures them.
namespace param {
inline constexpr std::string_view kNs = "ns";
inline constexpr std::string_view kKind = "kind";
inline constexpr std::string_view kName = "name";
inline constexpr std::string_view kId = "id";
}  // namespace param

// Query parameter names.
namespace query {
inline constexpr std::string_view kNamespace = "namespace";
inline constexpr std::string_view kKind = "kind";
inline constexpr std::string_view kName = "name";
inline constexpr std::string_view kSet = "set";
inline constexpr std::string_view kJob = "job";
inline constexpr std::string_view kReplica = "replica";
inline constexpr std::string_view kSince = "since";
inline constexpr std::string_view kAfter = "after";
inline constexpr std::string_view kLimit = "limit";
inline constexpr std::string_view kTail = "tail";
inline constexpr std::string_view kWait = "wait";
inline constexpr std::string_view kCursor = "cursor";
inline constexpr std::string_view kForce = "force";
inline constexpr std::string_view kDryRun = "dryRun";
}  // namespace query

// The path segment that stands for the empty namespace of cluster-wide kinds.
inline constexpr std::string_view kNoNamespace = "-";

struct Route {
  std::string_view method;
  std::string_view pattern;
  std::vector<std::string_view> query;  // accepted query parameters
  bool body = false;                    // reads a JSON body
  bool any_query = false;               // webhooks: the provider's URL, not ours
};

// Every route, in docs/API.md's order.
std::span<const Route> AllRoutes();
// The route of (method, pattern); nullptr when there is none.
const Route* FindRoute(std::string_view method, std::string_view pattern);

// `pattern` with its "{...}" segments replaced, in order, by `segments`
// (percent-encoded): Path(path::kSource, {"web"}) is "/v1/sources/web".
std::string Path(std::string_view pattern, std::initializer_list<std::string_view> segments);

// "?k=v&..." for the pairs whose value is non-empty ("" when none is).
std::string Query(const std::vector<std::pair<std::string_view, std::string>>& params);

// Percent-encodes one path segment or query value (RFC 3986 unreserved kept).
std::string UrlEncode(std::string_view text);

}  // namespace prisn::api
