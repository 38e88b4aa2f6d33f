#include "api/routes.h"

namespace prisn::api {

std::span<const Route> AllRoutes() {
  using namespace path;
  namespace q = query;
  static const std::vector<Route> kRoutes = {
      {"GET", kMetrics, {}},
      {"GET", kState, {}},
      {"POST", kApply, {q::kForce}, true},
      {"POST", kDiff, {}, true},
      {"GET", kEvents, {q::kKind, q::kNamespace, q::kName, q::kSince, q::kAfter, q::kLimit}},
      {"GET", kEndpoint, {}},
      {"GET", kEndpoints, {q::kNamespace}},
      {"GET", kProxyStats, {}},
      {"GET", kDnsLookup, {q::kName, q::kNamespace}},
      {"GET", kObjects, {q::kKind, q::kNamespace, q::kSet}},
      {"GET", kObject, {}},
      {"DELETE", kObject, {q::kDryRun, q::kForce}},
      {"GET", kObjectHistory, {}},
      {"POST", kObjectRollback, {}, true},
      {"GET", kStatus, {q::kNamespace}},
      {"GET", kObjectStatus, {}},
      {"POST", kObjectScale, {q::kForce}, true},
      {"GET", kObjectLogs, {q::kTail, q::kWait, q::kSince, q::kCursor, q::kReplica}},
      {"POST", kRuns, {}, true},
      {"GET", kRuns, {q::kNamespace, q::kJob, q::kLimit}},
      {"GET", kRun, {}},
      {"POST", kRunStop, {}},
      {"GET", kRunLogs, {q::kWait, q::kTail, q::kCursor}},
      {"GET", kSecrets, {q::kNamespace}},
      {"POST", kSecrets, {}, true},
      {"GET", kTokens, {}},
      {"POST", kTokens, {}, true},
      {"DELETE", kToken, {}},
      {"GET", kSources, {}},
      {"POST", kSources, {}, true},
      {"GET", kSource, {}},
      {"PUT", kSource, {}, true},
      {"DELETE", kSource, {}},
      {"POST", kSourceReconcile, {}},
      {"POST", kSourceSuspend, {}},
      {"POST", kSourceResume, {}},
      {"POST", kHook, {}, true, /*any_query=*/true},
  };
  return kRoutes;
}

const Route* FindRoute(std::string_view method, std::string_view pattern) {
  for (const Route& r : AllRoutes()) {
    if (r.method == method && r.pattern == pattern) return &r;
  }
  return nullptr;
}

std::string Path(std::string_view pattern, std::initializer_list<std::string_view> segments) {
  std::string out;
  auto next = segments.begin();
  std::size_t i = 0;
  while (i < pattern.size()) {
    if (pattern[i] == '{') {
      std::size_t close = pattern.find('}', i);
      out += next != segments.end() ? UrlEncode(*next++) : std::string();
      i = close == std::string_view::npos ? pattern.size() : close + 1;
      continue;
    }
    out += pattern[i++];
  }
  return out;
}

std::string Query(const std::vector<std::pair<std::string_view, std::string>>& params) {
  std::string out;
  for (const auto& [key, value] : params) {
    if (value.empty()) continue;
    out += out.empty() ? "?" : "&";
    out += UrlEncode(key) + "=" + UrlEncode(value);
  }
  return out;
}

std::string UrlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char ch : text) {
    bool unreserved = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.' || ch == '~';
    if (unreserved) {
      out.push_back(static_cast<char>(ch));
    } else {
      out.push_back('%');
      out.push_back(kHex[ch >> 4]);
      out.push_back(kHex[ch & 0xF]);
    }
  }
  return out;
}

}  // namespace prisn::api
