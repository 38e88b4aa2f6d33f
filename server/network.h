#pragma once
// The daemon's service network: turns the converge loop's endpoint view and
// the stored Ingress objects into the proxy's routes and the DNS server's
// records, and keeps each service's loopback address in the store.
//
// Fed by the converge loop's hooks (OnEndpoints, OnIngress, on the loop
// thread); read by the API (Service, Services, ProxyStats). Owns the Proxy
// and the DnsServer. Thread-safe.
//
// Failure is per listener: a service whose address:port cannot be bound (the
// port is taken) is reported in its view and the log; the rest work. A DNS
// server that cannot bind leaves names unanswered, nothing else.

#include <prometheus/metric_family.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "manifests/types.h"
#include "net/dns_server.h"
#include "net/proxy.h"
#include "reconciler/endpoints.h"
#include "reconciler/store.h"
#include "util/error.h"
#include "util/mutex.h"
#include "util/synchronized.h"

namespace prisn::server {

struct NetworkOptions {
  std::uint32_t range_base = 0;  // net::ParseServiceRange
  // Where the DNS server listens: "" off, else "address:port".
  std::string dns_listen;
  int proxy_threads = 2;
};

struct ServiceView {
  std::string ns, name;
  std::string address;  // the stable loopback address
  int port = 0;
  bool http = false;
  std::string dns_name;  // "api.default.prisn.local"
  std::vector<reconciler::Endpoint> endpoints;  // in the pool: ready, not terminating
  std::string error;  // why the proxy cannot serve it (a taken port), else empty
};

class Network {
 public:
  // Starts the proxy (kInvalid for bad options) and, when asked, the DNS
  // server (a failure to bind it is logged, not returned: see dns_error()).
  // Forgets stored addresses of Deployments that are gone.
  static Result<std::unique_ptr<Network>> Start(Synchronized<store::Store>& store,
                                                NetworkOptions options);
  ~Network();
  Network(const Network&) = delete;
  Network& operator=(const Network&) = delete;

  // Converge loop hooks.
  void OnEndpoints(const reconciler::ServiceEndpoints& view);
  void OnIngress(const store::ObjectKey& key, const std::optional<manifests::Object>& object);

  // Waits until the replica's in-flight requests and open connections
  // through the proxy are done, at most `deadline` (it is already out of the
  // pool). True when drained or not proxied. A replica is named with its
  // port: during a rolling update an old and a new "api-0" run side by side.
  bool Drain(const std::string& ns, const std::string& name, const std::string& replica, int port,
             std::chrono::milliseconds deadline);

  std::optional<ServiceView> Service(const std::string& ns, const std::string& name) const;
  std::vector<ServiceView> Services(const std::optional<std::string>& ns) const;
  std::vector<net::ServiceStats> ProxyStats() const;
  // Errors of Ingress listeners that could not be opened ("address:port"),
  // and of routes not served because another namespace holds them.
  std::vector<Error> IngressErrors() const;

  // The DNS server's address (empty when it does not run) and port.
  std::string dns_address() const;
  int dns_port() const;
  const std::string& dns_error() const { return dns_error_; }
  std::optional<net::DnsServer::Stats> dns_stats() const;
  // prisn_proxy_* and prisn_dns_* families for /metrics, computed now.
  std::vector<prometheus::MetricFamily> MetricFamilies() const;

 private:
  struct Entry {
    reconciler::ServiceEndpoints view;
    std::string address;
    int port = 0;
    std::string error;
  };
  Network(Synchronized<store::Store>& store, NetworkOptions options);
  // Pushes the routes and records to the proxy and DNS server.
  void Apply() PRISN_REQUIRES(mu_);
  std::vector<net::IngressListener> IngressListeners() PRISN_REQUIRES(mu_);
  ServiceView ViewOf(const Entry& s) const;

  Synchronized<store::Store>& store_;
  NetworkOptions options_;
  std::unique_ptr<net::Proxy> proxy_;
  std::unique_ptr<net::DnsServer> dns_;
  std::string dns_error_;
  mutable Mutex mu_;
  std::map<std::string, Entry> services_ PRISN_GUARDED_BY(mu_);  // "ns/name"
  // "ns/name": the store's rows
  std::map<std::string, store::ServiceAddress> stored_ PRISN_GUARDED_BY(mu_);
  std::map<store::ObjectKey, manifests::Object> ingresses_ PRISN_GUARDED_BY(mu_);
  // When each Ingress was created: routes are served first come, first
  // served, should two namespaces' routes collide (the store refuses that
  // at apply; a database from before that check may hold such pairs).
  std::map<store::ObjectKey, int64_t> ingress_created_ PRISN_GUARDED_BY(mu_);
  std::vector<Error> ingress_errors_ PRISN_GUARDED_BY(mu_);
};

}  // namespace prisn::server
