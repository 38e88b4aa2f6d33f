#pragma once
// Maps (method, path) to a handler. Patterns are '/'-separated with "{name}"
// segments that capture one path segment: "/v1/namespaces/{ns}/{kind}/{name}".

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "server/auth.h"
#include "server/http_types.h"

namespace prisn::server {

struct RouteContext {
  const HttpRequest& request;
  const Principal& principal;
  std::map<std::string, std::string> params;  // captured "{name}" segments
};

using Handler = std::function<HttpResponse(const RouteContext&)>;

class Router {
 public:
  void Add(std::string method, std::string pattern, Handler handler);

  struct Match {
    const Handler* handler = nullptr;  // null: no route for this method
    std::string pattern;               // the matched pattern (metrics label)
    std::map<std::string, std::string> params;
    std::vector<std::string> allowed;  // methods of the path when handler is null
  };
  // handler null and allowed empty: unknown path (404); allowed non-empty:
  // wrong method (405).
  Match Find(std::string_view method, std::string_view path) const;

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;
    Handler handler;
  };
  std::vector<Route> routes_;
};

}  // namespace prisn::server
