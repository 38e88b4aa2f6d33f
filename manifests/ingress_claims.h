#pragma once
// Ingress route claims: which requests an Ingress route answers, and whether
// a new route would answer requests another route answers today. One rule,
// shared by the proxy's matcher (net/ingress_routes.h) and the store's check
// that a namespace never takes over another namespace's traffic
// (reconciler/store_claims.cc): the two cannot drift apart.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "manifests/types.h"

namespace prisn::manifests {

// One host+path route of an Ingress on its listening address and port.
struct RouteClaim {
  std::string address;  // as written: "0.0.0.0", "127.0.0.1", "::"
  int port = 0;
  std::string host;  // "" any host, "*.example.com", "api.example.com"
  std::string path;  // prefix, starts with '/'
  bool operator==(const RouteClaim&) const = default;
};

// Every host+path route of `spec`, in rule order.
std::vector<RouteClaim> RouteClaims(const IngressSpec& spec);
// The same from an Ingress's canonical JSON (manifests/canonical.h); empty
// for anything that is not one.
std::vector<RouteClaim> RouteClaimsFromCanonical(const nlohmann::json& canonical);
// "host a.test path /api on 127.0.0.1:8080" (host "*" when any).
std::string Describe(const RouteClaim& claim);

// Whether `path` lies under `prefix` on segment boundaries ("/a" covers "/a",
// "/a/" and "/a/b", not "/ab"); an empty prefix or "/" covers everything.
bool PathHasPrefix(std::string_view path, std::string_view prefix);
// 2 for an exact host match, 1 for a wildcard ("*.example.com" covers
// "a.example.com", not "example.com" or "a.b.example.com"), 0 for a route
// without host; -1 when the route does not cover the host. `host` may carry
// a port (ignored) and any case.
int HostMatch(std::string_view route_host, std::string_view host);

// Why `newer` may not be added while `older` (another namespace's) is in
// force, or nullopt when both can be served side by side. Refused:
// - listeners on the same port whose addresses differ but overlap (one is a
//   wildcard such as 0.0.0.0 or ::): only one of them can be bound, and it
//   answers the other's traffic;
// - on the same address and port, a route that would answer some request
//   `older` answers today: hosts and paths overlap, and `newer` is at least
//   as specific (an exact host beats a wildcard beats any host; then the
//   longer path prefix wins; a tie is ambiguous).
// A less specific route (a "/" beside another's "/api") takes only what
// `older` leaves, and is allowed; so is a route inside one that newer's
// namespace `held` already and that outranks `older` (those requests are
// that namespace's today).
std::optional<std::string> ClaimConflict(const RouteClaim& newer, const RouteClaim& older,
                                         const std::vector<RouteClaim>& held = {});

}  // namespace prisn::manifests
