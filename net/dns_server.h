#pragma once
// prisn's DNS server: answers the names of the zone (default prisn.local, see
// net/dns_zone.h for the records) and forwards every other name to upstream
// resolvers. UDP and TCP on one address and port (by default the service
// range's .0.1, port 53). Runs on a thread of its own.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "net/dns_zone.h"
#include "util/error.h"

namespace prisn::net {

struct DnsOptions {
  std::string listen_address;  // an IPv4 or IPv6 address; required
  int port = 53;               // 0: the kernel picks one (UDP and TCP get the same)
  // "ip" or "ip:port" ("[v6]:port"), tried in order. Empty: the nameservers
  // of /etc/resolv.conf other than our own address. None at all: names
  // outside the zone get SERVFAIL.
  std::vector<std::string> upstreams;
  std::string zone = "prisn.local";
  int ttl_seconds = 5;
  std::chrono::milliseconds forward_timeout{2000};  // per upstream
};

class DnsServer {
 public:
  struct Stats {
    std::uint64_t queries = 0;           // every datagram or TCP message received
    std::uint64_t answered = 0;          // answered from the zone (NXDOMAIN included)
    std::uint64_t nxdomain = 0;          // of those, NXDOMAIN
    std::uint64_t forwarded = 0;         // sent to the upstreams
    std::uint64_t forward_failures = 0;  // of those, answered SERVFAIL: no upstream answered
  };

  // Binds UDP and TCP and starts serving an empty zone. kInvalid for a bad
  // address, upstream or zone; kIo when the address/port is taken, is not
  // on this host, or needs root (port 53 needs CAP_NET_BIND_SERVICE).
  static Result<std::unique_ptr<DnsServer>> Start(DnsOptions options);

  // Stops serving and joins the thread; queries in flight are dropped.
  ~DnsServer();
  DnsServer(const DnsServer&) = delete;
  DnsServer& operator=(const DnsServer&) = delete;

  // Replaces the services answered; thread-safe, takes effect for the next
  // query received.
  void SetServices(std::vector<DnsService> services);

  int port() const;
  std::string address() const;
  Stats stats() const;

  struct Impl;

 private:
  explicit DnsServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace prisn::net
