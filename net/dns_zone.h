#pragma once
// The records prisn's DNS server answers itself: the services of the zone
// (default prisn.local). Immutable once built; the server swaps in a new zone
// when the services change.
//
// Names, for a Deployment NAME in namespace NS with a port:
//   NAME.NS.prisn.local                  A    the service address
//   _http._tcp.NAME.NS.prisn.local       SRV  0 0 PORT NAME.NS.prisn.local.   (protocol http)
//   _tcp._tcp.NAME.NS.prisn.local        SRV  0 0 PORT NAME.NS.prisn.local.   (protocol tcp)
// following Kubernetes' _PORT-NAME._PROTO form with the port named after the
// Deployment's protocol; the SRV answer carries the A record as additional.
// NS.prisn.local, _tcp.NAME.NS.prisn.local and the apex exist without records
// of their own (NOERROR, no answers); any other name in the zone is NXDOMAIN.
// Negative answers carry the zone's SOA so that resolvers cache them for the
// TTL. Names compare case-insensitively.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "net/dns_message.h"

namespace prisn::net {

struct DnsService {
  std::string name;     // the Deployment's name (a DNS label)
  std::string ns;       // its namespace (a DNS label)
  std::string address;  // its service address, dotted IPv4
  int port = 0;         // 1..65535
  bool http = false;    // protocol http (else tcp)
};

class DnsZone {
 public:
  // Services whose name, namespace, address or port is not valid are left
  // out (and logged); a later duplicate of NAME.NS replaces an earlier one.
  // `serial` goes into the SOA so that a new zone reads as a new version.
  DnsZone(std::string zone, std::uint32_t ttl, std::uint32_t serial,
          const std::vector<DnsService>& services);

  // The response to `query` when its name is in the zone; nullopt when the
  // name is outside it (the caller forwards the query).
  std::optional<dns::Response> Answer(const dns::Query& query) const;

  const std::string& zone() const { return zone_; }
  std::size_t size() const { return services_.size(); }

 private:
  struct Entry {
    std::uint32_t address = 0;
    std::uint16_t port = 0;
    bool http = false;
  };
  dns::Response Negative(dns::Rcode rcode) const;
  dns::Response ForService(const dns::Query& query, const std::vector<std::string>& relative) const;

  std::string zone_;  // lower case, no trailing dot
  std::vector<std::string> zone_labels_;
  std::uint32_t ttl_;
  std::uint32_t serial_;
  std::map<std::string, Entry> services_;  // "name.ns"
  std::set<std::string> namespaces_;
};

}  // namespace prisn::net
