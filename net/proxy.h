#pragma once
// prisn's service proxy: one listener per service address (L4 TCP or L7 HTTP)
// and one per Ingress listener (L7, optionally TLS), all balancing over the
// ready replicas the daemon hands in. The daemon drives it with three calls:
// Update (the desired set), Drain (take one replica out before signalling it)
// and Stats. All three are safe from any thread except a proxy thread.
//
// Threads: ProxyOptions::threads workers, each running its own event loop; a
// connection lives on one worker from accept to close. The Proxy owns its
// threads, sockets and listeners; the destructor closes listeners, stops the
// workers and joins them (open connections are cut).

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"

namespace prisn::net {

// One replica of a service, listening on host:port (the PORT prisn gave it).
struct Upstream {
  std::string id;  // replica name, e.g. "api-0"; the affinity cookie names it
  std::string host = "127.0.0.1";
  int port = 0;
};

enum class LbAlgorithm { kRoundRobin, kLeastConnections, kRandom, kIpHash };

// "round-robin", "least-connections", "random", "ip-hash"; kInvalid otherwise.
Result<LbAlgorithm> ParseLbAlgorithm(std::string_view text);
std::string_view LbAlgorithmName(LbAlgorithm algorithm);

struct ServiceRoute {
  std::string key;      // "namespace/name", e.g. "default/api"
  std::string address;  // the service's loopback address, e.g. "127.77.0.2"
  int port = 0;         // the declared port, served on `address`
  bool http = false;    // L7 (protocol: http) instead of L4
  LbAlgorithm algorithm = LbAlgorithm::kRoundRobin;  // per connection for L4
  bool cookie_affinity = false;                      // L7 only
  std::vector<Upstream> upstreams;                   // ready replicas only
};

// Host: exact ("api.example.com"), a wildcard for one label
// ("*.example.com") or empty for any host. Path: a prefix matched on whole
// segments ("/api" matches "/api" and "/api/x", not "/apix"); empty is "/".
struct IngressRoute {
  std::string host;
  std::string path_prefix = "/";
  std::string service_key;  // a ServiceRoute key; its pool serves the route
};

struct IngressListener {
  std::string address = "0.0.0.0";
  int port = 0;
  // TLS termination when both are set (PEM text, e.g. from a prisn Secret).
  std::optional<std::string> tls_cert_pem;
  std::optional<std::string> tls_key_pem;
  std::vector<IngressRoute> routes;
};

struct UpstreamStats {
  std::string id;
  bool in_pool = false;          // false once drained or removed
  std::uint64_t requests = 0;    // L7 requests, or L4 connections, sent to it
  std::uint64_t failures = 0;    // connects refused/reset, broken responses
  std::int64_t active = 0;       // open L4 connections / L7 requests in flight
};

struct ServiceStats {
  std::string key;
  bool http = false;
  std::uint64_t requests = 0;  // L7 requests, or L4 connections, accepted
  std::uint64_t errors = 0;    // answered by the proxy itself with 5xx, or cut
  std::int64_t active = 0;
  // L7: request to response end. L4: accept to upstream connected. From a
  // log-scale histogram, so within about 10% of the true value.
  double p50_ms = 0;
  double p99_ms = 0;
  std::vector<UpstreamStats> upstreams;
};

struct ProxyOptions {
  int threads = 2;
  std::chrono::seconds idle_timeout{60};      // idle client keep-alive (L7)
  std::chrono::seconds upstream_timeout{60};  // L7 wait for an upstream answer
  std::size_t max_idle_per_upstream = 32;     // pooled keep-alive connections
  std::uint64_t max_body_bytes = 64ull << 20; // L7 request or response body
};

class Proxy {
 public:
  // kInvalid for threads < 1.
  static Result<std::unique_ptr<Proxy>> Create(ProxyOptions options = {});
  virtual ~Proxy() = default;

  // Replaces the desired set. Opens listeners for new services and Ingress
  // listeners and closes those no longer listed (their open connections
  // finish); a changed upstream list applies to the next connection or
  // request. A drained upstream stays out of its pool until an Update no
  // longer lists it (same id, host and port). Returns one Error per listener
  // that could not be opened (context: service key or "address:port"); the
  // others work.
  virtual std::vector<Error> Update(std::vector<ServiceRoute> services,
                                    std::vector<IngressListener> ingresses) = 0;

  // Takes the upstream out of the service's pool at once (no new connection
  // or request goes to it; pooled idle connections to it are closed) and
  // waits until its open L4 connections and in-flight L7 requests reach 0 or
  // `deadline` passes. True when drained, or when the service or upstream is
  // unknown (nothing to wait for). Blocks the caller.
  virtual bool Drain(std::string_view service_key, std::string_view upstream_id,
                     std::chrono::milliseconds deadline) = 0;

  // Per service, in key order.
  virtual std::vector<ServiceStats> Stats() const = 0;
};

}  // namespace prisn::net
