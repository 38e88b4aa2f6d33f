#pragma once
// Ingress routing: the route table one Ingress listener matches each request
// against. Pure: the listener holds an immutable table and swaps in a new one
// on Update.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "manifests/ingress_claims.h"
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

// The matching rules (PathHasPrefix, HostMatch) live with the claim check
// that keeps namespaces from taking over each other's routes
// (manifests/ingress_claims.h): one rule for both.
using manifests::HostMatch;
using manifests::PathHasPrefix;

}  // namespace prisn::net
