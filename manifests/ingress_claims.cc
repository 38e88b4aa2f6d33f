#include "manifests/ingress_claims.h"

#include <arpa/inet.h>
#include <fmt/core.h>

#include <cctype>

#include "util/strings.h"

namespace prisn::manifests {
namespace {

// "Host: a.example.com:8443" -> "a.example.com"; "[::1]:80" -> "[::1]".
std::string_view StripPort(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    auto close = host.find(']');
    return close == std::string_view::npos ? host : host.substr(0, close + 1);
  }
  auto colon = host.rfind(':');
  return colon == std::string_view::npos ? host : host.substr(0, colon);
}

bool AnyHost(std::string_view h) { return h.empty() || h == "*"; }

// What HostMatch answers for a request to exactly this route's host.
int Specificity(std::string_view h) {
  if (AnyHost(h)) return 0;
  return h.starts_with("*.") ? 1 : 2;
}

// Whether some request host is covered by both routes.
bool HostsOverlap(std::string_view a, std::string_view b) {
  if (AnyHost(a) || AnyHost(b)) return true;
  int sa = Specificity(a), sb = Specificity(b);
  if (sa == sb) return AsciiLower(a) == AsciiLower(b);
  return sa == 1 ? HostMatch(a, b) == 1 : HostMatch(b, a) == 1;
}

// Whether every request host `inner` covers is covered by `outer` too.
bool HostCovers(std::string_view outer, std::string_view inner) {
  if (AnyHost(outer)) return true;
  if (AnyHost(inner)) return false;
  if (Specificity(outer) == Specificity(inner)) return AsciiLower(outer) == AsciiLower(inner);
  return Specificity(outer) == 1 && HostMatch(outer, inner) == 1;
}

// How the proxy ranks a route among those that match a request.
std::pair<int, std::size_t> Rank(const RouteClaim& c) { return {Specificity(c.host), c.path.size()}; }

// The address in one spelling ("0:0::1" and "::1" are one address), and
// whether it is a wildcard that every address of the port falls under.
struct Address {
  std::string text;
  bool wildcard = false;
};

Address Normalize(const std::string& address) {
  unsigned char raw[16];
  char text[INET6_ADDRSTRLEN];
  if (::inet_pton(AF_INET, address.c_str(), raw) == 1 &&
      ::inet_ntop(AF_INET, raw, text, sizeof text)) {
    return {text, std::string_view(text) == "0.0.0.0"};
  }
  if (::inet_pton(AF_INET6, address.c_str(), raw) == 1 &&
      ::inet_ntop(AF_INET6, raw, text, sizeof text)) {
    return {text, std::string_view(text) == "::"};
  }
  return {address, false};
}

}  // namespace

std::vector<RouteClaim> RouteClaims(const IngressSpec& spec) {
  std::vector<RouteClaim> out;
  for (const IngressRule& rule : spec.rules) {
    for (const IngressPath& path : rule.paths)
      out.push_back({spec.address, spec.port, rule.host, path.path});
  }
  return out;
}

std::vector<RouteClaim> RouteClaimsFromCanonical(const nlohmann::json& j) {
  std::vector<RouteClaim> out;
  if (!j.is_object() || j.value("kind", "") != "Ingress") return out;
  auto spec = j.find("spec");
  if (spec == j.end() || !spec->is_object()) return out;
  std::string address = spec->value("address", "0.0.0.0");
  int port = spec->value("port", 0);
  auto rules = spec->find("rules");
  if (rules == spec->end() || !rules->is_array()) return out;
  for (const auto& rule : *rules) {
    if (!rule.is_object()) continue;
    std::string host = rule.value("host", "");
    auto paths = rule.find("paths");
    if (paths == rule.end() || !paths->is_array()) continue;
    for (const auto& path : *paths) {
      if (path.is_object()) out.push_back({address, port, host, path.value("path", "/")});
    }
  }
  return out;
}

std::string Describe(const RouteClaim& c) {
  return fmt::format("host {} path {} on {}:{}", AnyHost(c.host) ? "*" : c.host, c.path, c.address,
                     c.port);
}

bool PathHasPrefix(std::string_view path, std::string_view prefix) {
  while (prefix.size() > 1 && prefix.back() == '/') prefix.remove_suffix(1);
  if (prefix.empty() || prefix == "/") return true;
  if (path.substr(0, prefix.size()) != prefix) return false;
  return path.size() == prefix.size() || path[prefix.size()] == '/';
}

int HostMatch(std::string_view route_host, std::string_view host) {
  if (AnyHost(route_host)) return 0;
  std::string want = AsciiLower(route_host);
  std::string have = AsciiLower(StripPort(host));
  if (want.starts_with("*.")) {
    std::string_view suffix = std::string_view(want).substr(1);  // ".example.com"
    if (have.size() <= suffix.size() || !have.ends_with(suffix)) return -1;
    std::string_view label = std::string_view(have).substr(0, have.size() - suffix.size());
    return label.find('.') == std::string_view::npos ? 1 : -1;
  }
  return want == have ? 2 : -1;
}

std::optional<std::string> ClaimConflict(const RouteClaim& newer, const RouteClaim& older,
                                         const std::vector<RouteClaim>& held) {
  if (newer.port != older.port) return std::nullopt;
  Address a = Normalize(newer.address), b = Normalize(older.address);
  if (a.text != b.text) {
    if (!a.wildcard && !b.wildcard) return std::nullopt;
    return fmt::format(
        "{}:{} overlaps the listener on {}:{}: only one of the two can be bound, and it would "
        "answer the other's requests",
        newer.address, newer.port, older.address, older.port);
  }
  if (!HostsOverlap(newer.host, older.host)) return std::nullopt;
  if (!PathHasPrefix(newer.path, older.path) && !PathHasPrefix(older.path, newer.path))
    return std::nullopt;
  // The proxy picks the most specific host, then the longest prefix
  // (net/ingress_routes.h): newer wins a shared request unless older ranks
  // strictly higher.
  int sn = Specificity(newer.host), so = Specificity(older.host);
  if (sn < so || (sn == so && newer.path.size() < older.path.size())) return std::nullopt;
  // The requests both match are already answered by a route newer's
  // namespace holds, which covers newer and outranks older: none moves.
  for (const RouteClaim& h : held) {
    if (h.port == newer.port && Normalize(h.address).text == a.text &&
        HostCovers(h.host, newer.host) && PathHasPrefix(newer.path, h.path) &&
        Rank(h) > Rank(older))
      return std::nullopt;
  }
  if (sn == so && AsciiLower(newer.host) == AsciiLower(older.host) && newer.path == older.path)
    return std::string("the same host and path");
  return fmt::format("it would answer requests that {} answers today", Describe(older));
}

}  // namespace prisn::manifests
