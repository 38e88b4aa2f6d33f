#include "net/ingress_routes.h"

namespace prisn::net {

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
