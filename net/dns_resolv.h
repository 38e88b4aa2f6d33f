#pragma once
// resolv.conf both ways: the text workloads get so that they ask prisn's DNS
// server, and the host's nameservers that the server forwards other names to.

#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"

namespace prisn::net {

// The resolv.conf a workload gets: one nameserver line for `dns_address`,
// a search line from `search_domains` (the caller decides, typically
// "NS.prisn.local prisn.local"; none: no search line) and ndots:2, so that
// "api.default" is tried under the search domains (answered locally) before
// it goes out as an absolute name. resolv.conf cannot carry a port: the
// server must listen on port 53 of `dns_address` for workloads to reach it.
std::string ResolvConfFor(const std::string& dns_address,
                          const std::vector<std::string>& search_domains);

// The addresses of the "nameserver" lines of resolv.conf text, in order.
// Malformed lines are skipped, as the C library does.
std::vector<std::string> NameserversFromResolvConf(std::string_view text);

struct DnsUpstream {
  std::string address;  // IPv4 or IPv6, without brackets
  int port = 53;
};

// "1.1.1.1", "1.1.1.1:5353", "::1", "[::1]:5353"; kInvalid otherwise.
Result<DnsUpstream> ParseDnsUpstream(const std::string& text);

}  // namespace prisn::net
