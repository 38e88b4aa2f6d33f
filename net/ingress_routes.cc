#include "net/ingress_routes.h"

#include <algorithm>
#include <cctype>

namespace prisn::net {

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// "Host: a.example.com:8443" -> "a.example.com"; "[::1]:80" -> "[::1]".
std::string_view StripPort(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    auto close = host.find(']');
    return close == std::string_view::npos ? host : host.substr(0, close + 1);
  }
  auto colon = host.rfind(':');
  return colon == std::string_view::npos ? host : host.substr(0, colon);
}

}  // namespace

bool PathHasPrefix(std::string_view path, std::string_view prefix) {
  while (prefix.size() > 1 && prefix.back() == '/') prefix.remove_suffix(1);
  if (prefix.empty() || prefix == "/") return true;
  if (path.substr(0, prefix.size()) != prefix) return false;
  return path.size() == prefix.size() || path[prefix.size()] == '/';
}

int HostMatch(std::string_view route_host, std::string_view host) {
  if (route_host.empty() || route_host == "*") return 0;
  std::string want = Lower(route_host);
  std::string have = Lower(StripPort(host));
  if (want.starts_with("*.")) {
    std::string_view suffix = std::string_view(want).substr(1);  // ".example.com"
    if (have.size() <= suffix.size() || !have.ends_with(suffix)) return -1;
    std::string_view label = std::string_view(have).substr(0, have.size() - suffix.size());
    return label.find('.') == std::string_view::npos ? 1 : -1;
  }
  return want == have ? 2 : -1;
}

IngressTable::IngressTable(std::vector<Entry> entries) : entries_(std::move(entries)) {}

const IngressTable::Entry* IngressTable::Match(std::string_view host,
                                               std::string_view target) const {
  std::string_view path = target.substr(0, target.find_first_of("?#"));
  const Entry* best = nullptr;
  int best_host = -1;
  std::size_t best_len = 0;
  for (const Entry& e : entries_) {
    int h = HostMatch(e.route.host, host);
    if (h < 0 || !PathHasPrefix(path, e.route.path_prefix)) continue;
    std::size_t len = e.route.path_prefix.size();
    if (h > best_host || (h == best_host && len > best_len)) {
      best = &e;
      best_host = h;
      best_len = len;
    }
  }
  return best;
}

}  // namespace prisn::net
