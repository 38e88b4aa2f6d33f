#pragma once
// Ingress routing: the route table one Ingress listener matches each request
// against. Pure: the listener holds an immutable table and swaps in a new one
// on Update.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "net/proxy.h"

namespace prisn::net {

class ServicePool;

class IngressTable {
 public:
  struct Entry {
    IngressRoute route;
    std::shared_ptr<ServicePool> pool;  // null: the service is not known
  };

  explicit IngressTable(std::vector<Entry> entries);

  // The best route for a request: an exact host beats a wildcard, which beats
  // a route for any host; among those, the longest matching path prefix.
  // `host` may carry a port (it is ignored) and any case. Null: no route.
  const Entry* Match(std::string_view host, std::string_view target) const;

 private:
  std::vector<Entry> entries_;
};

// Whether `path` lies under `prefix` on segment boundaries ("/a" covers "/a",
// "/a/" and "/a/b", not "/ab"); an empty prefix or "/" covers everything.
bool PathHasPrefix(std::string_view path, std::string_view prefix);
// 2 for an exact host match, 1 for a wildcard ("*.example.com" covers
// "a.example.com", not "example.com" or "a.b.example.com"), 0 for a route
// without host; -1 when the route does not cover the host.
int HostMatch(std::string_view route_host, std::string_view host);

}  // namespace prisn::net
