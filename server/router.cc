#include "server/router.h"

namespace prisn::server {
namespace {

std::vector<std::string_view> Split(std::string_view path) {
  std::vector<std::string_view> out;
  size_t pos = 1;  // skip the leading '/'
  while (pos <= path.size()) {
    size_t slash = path.find('/', pos);
    if (slash == std::string_view::npos) slash = path.size();
    out.push_back(path.substr(pos, slash - pos));
    pos = slash + 1;
  }
  return out;
}

bool MatchSegments(const std::vector<std::string>& pattern,
                   const std::vector<std::string_view>& path,
                   std::map<std::string, std::string>& params) {
  if (pattern.size() != path.size()) return false;
  std::map<std::string, std::string> captured;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const std::string& p = pattern[i];
    if (p.size() > 2 && p.front() == '{' && p.back() == '}') {
      if (path[i].empty()) return false;
      captured[p.substr(1, p.size() - 2)] = std::string(path[i]);
    } else if (p != path[i]) {
      return false;
    }
  }
  params = std::move(captured);
  return true;
}

}  // namespace

void Router::Add(std::string method, std::string pattern, Handler handler) {
  std::vector<std::string> segments;
  for (std::string_view s : Split(pattern)) segments.emplace_back(s);
  routes_.push_back(
      {std::move(method), std::move(pattern), std::move(segments), std::move(handler)});
}

Router::Match Router::Find(std::string_view method, std::string_view path) const {
  Match match;
  if (!path.starts_with('/')) return match;
  auto segments = Split(path);
  for (const Route& route : routes_) {
    std::map<std::string, std::string> params;
    if (!MatchSegments(route.segments, segments, params)) continue;
    // A literal route wins over a capturing one of the same shape: routes are
    // tried in the order they were added.
    if (route.method == method) {
      match.handler = &route.handler;
      match.pattern = route.pattern;
      match.params = std::move(params);
      match.allowed.clear();
      return match;
    }
    match.allowed.push_back(route.method);
    if (match.pattern.empty()) match.pattern = route.pattern;
  }
  return match;
}

}  // namespace prisn::server
