#include "server/network.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <climits>
#include <set>

#include "manifests/ingress_claims.h"
#include "net/proxy_metrics.h"
#include "net/service_address.h"
#include "reconciler/source_manager.h"
#include "util/unique_fd.h"

namespace prisn::server {
namespace {

std::string KeyOf(const std::string& ns, const std::string& name) { return ns + "/" + name; }

// The proxy's name of one instance: "api-0@41234".
std::string UpstreamId(const std::string& replica, int port) {
  return replica + "@" + std::to_string(port);
}

// A port the kernel hands out on `address`, for `port: auto`; 0 when none.
int PickPort(const std::string& address) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  if (!fd || ::inet_pton(AF_INET, address.c_str(), &a.sin_addr) != 1) return 0;
  socklen_t len = sizeof a;
  if (::bind(fd.Get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd.Get(), reinterpret_cast<sockaddr*>(&a), &len) != 0)
    return 0;
  return ntohs(a.sin_port);
}

}  // namespace

Network::Network(Synchronized<store::Store>& store, NetworkOptions options)
    : store_(store), options_(std::move(options)) {}

Network::~Network() = default;

Result<std::unique_ptr<Network>> Network::Start(Synchronized<store::Store>& store,
                                                NetworkOptions options) {
  std::unique_ptr<Network> n(new Network(store, std::move(options)));
  net::ProxyOptions proxy_options;
  proxy_options.threads = n->options_.proxy_threads;
  auto proxy = net::Proxy::Create(proxy_options);
  if (!proxy) return std::unexpected(proxy.error());
  n->proxy_ = std::move(*proxy);

  // Addresses of Deployments deleted while the daemon was down are free again.
  auto rows = store.With([](store::Store& s) { return s.ListServiceAddresses(); });
  if (!rows) return std::unexpected(rows.error());
  for (const store::ServiceAddress& row : *rows) {
    auto live = store.With(
        [&](store::Store& s) { return s.Get({"Deployment", row.ns, row.name}); });
    if (live && !*live) {
      store.With([&](store::Store& s) { return s.DeleteServiceAddress(row.ns, row.name); });
      continue;
    }
    MutexLock lock(n->mu_);  // no other thread sees n yet; the lock satisfies the analysis
    n->stored_[KeyOf(row.ns, row.name)] = row;
  }

  if (!n->options_.dns_listen.empty()) {
    const std::string& listen = n->options_.dns_listen;
    auto colon = listen.rfind(':');
    net::DnsOptions dns;
    dns.listen_address = listen.substr(0, colon);
    dns.port = colon == std::string::npos ? 53 : std::atoi(listen.c_str() + colon + 1);
    auto server = net::DnsServer::Start(dns);
    if (server) {
      n->dns_ = std::move(*server);
      spdlog::info("dns: serving *.prisn.local on {}:{}", n->dns_->address(), n->dns_->port());
    } else {
      n->dns_error_ = server.error().ToString();
      spdlog::warn("dns: not serving: {}", n->dns_error_);
    }
  }
  return n;
}

void Network::OnEndpoints(const reconciler::ServiceEndpoints& view) {
  MutexLock lock(mu_);
  const std::string key = KeyOf(view.key.ns, view.key.name);
  if (!view.present) {
    services_.erase(key);
    if (stored_.erase(key) > 0) {
      store_.With([&](store::Store& s) { return s.DeleteServiceAddress(view.key.ns, view.key.name); });
    }
    return Apply();
  }
  auto row = stored_.find(key);
  if (row == stored_.end() || (!view.auto_port && row->second.port != view.port)) {
    store::ServiceAddress a{view.key.ns, view.key.name, {}, view.port};
    if (row != stored_.end()) {
      a.address = row->second.address;
    } else {
      std::set<std::string> taken;
      for (const auto& [k, r] : stored_) taken.insert(r.address);
      auto next = net::NextServiceAddress(options_.range_base, taken);
      if (!next) {
        spdlog::error("network {}: {}", key, next.error().ToString());
        return;
      }
      a.address = *next;
    }
    if (view.auto_port) a.port = row != stored_.end() ? row->second.port : PickPort(a.address);
    if (auto st = store_.With([&](store::Store& s) { return s.PutServiceAddress(a); }); !st) {
      spdlog::error("network {}: cannot keep its address: {}", key, st.error().ToString());
      return;
    }
    stored_[key] = a;
  }
  Entry& s = services_[key];
  s.view = view;
  s.address = stored_[key].address;
  s.port = stored_[key].port;
  Apply();
}

void Network::OnIngress(const store::ObjectKey& key,
                        const std::optional<manifests::Object>& object) {
  MutexLock lock(mu_);
  if (!object || !std::holds_alternative<manifests::IngressSpec>(object->spec)) {
    ingress_created_.erase(key);
    if (ingresses_.erase(key) == 0) return;
  } else {
    auto it = ingresses_.find(key);
    if (it != ingresses_.end() && it->second.version == object->version) return;
    ingresses_.insert_or_assign(key, *object);
    if (!ingress_created_.contains(key)) {
      auto stored = store_.With([&](store::Store& s) { return s.Get(key); });
      ingress_created_[key] = stored && *stored ? (*stored)->created_ms : INT64_MAX;
    }
  }
  Apply();
}

std::vector<net::IngressListener> Network::IngressListeners() {
  // Oldest Ingress first: a route another namespace's older Ingress holds is
  // not served (manifests/ingress_claims.h, the rule the store applies).
  std::vector<std::pair<int64_t, store::ObjectKey>> order;
  for (const auto& [key, object] : ingresses_) {
    auto created = ingress_created_.find(key);
    order.emplace_back(created == ingress_created_.end() ? INT64_MAX : created->second, key);
  }
  std::sort(order.begin(), order.end());
  struct Held {
    store::ObjectKey key;
    manifests::RouteClaim claim;
  };
  std::vector<Held> served;
  std::map<std::string, net::IngressListener> by_address;
  for (const auto& entry : order) {
    const store::ObjectKey& key = entry.second;
    const manifests::Object& object = ingresses_.at(key);
    const auto& spec = std::get<manifests::IngressSpec>(object.spec);
    std::vector<net::IngressRoute> routes;
    std::vector<manifests::RouteClaim> own;
    for (const Held& h : served) {
      if (h.key.ns == key.ns) own.push_back(h.claim);
    }
    for (const manifests::IngressRule& rule : spec.rules) {
      for (const manifests::IngressPath& path : rule.paths) {
        manifests::RouteClaim claim{spec.address, spec.port, rule.host, path.path};
        const Held* holder = nullptr;
        for (const Held& h : served) {
          if (h.key.ns != key.ns && manifests::ClaimConflict(claim, h.claim, own)) holder = &h;
        }
        if (holder) {
          ingress_errors_.push_back(Error{
              ErrorCode::kConflict,
              manifests::Describe(claim) + " is not served: namespace " + holder->key.ns +
                  " holds it with " + holder->key.ToString() + "; remove it from one of the two",
              key.ToString()});
          continue;
        }
        routes.push_back({rule.host, path.path, KeyOf(key.ns, path.backend.service)});
      }
    }
    for (const net::IngressRoute& r : routes)
      served.push_back({key, {spec.address, spec.port, r.host, r.path_prefix}});
    if (routes.empty()) continue;
    std::string where = spec.address + ":" + std::to_string(spec.port);
    net::IngressListener& l = by_address[where];
    l.address = spec.address;
    l.port = spec.port;
    if (spec.tls && !l.tls_cert_pem) {
      auto values = store_.With([&](store::Store& s) {
        return reconciler::SecretValues(s, key.ns + "/" + spec.tls->secret_name);
      });
      if (values && values->contains("tls.crt") && values->contains("tls.key")) {
        l.tls_cert_pem = values->at("tls.crt");
        l.tls_key_pem = values->at("tls.key");
      } else {
        ingress_errors_.push_back(
            Error{ErrorCode::kNotFound,
                  "TLS secret " + spec.tls->secret_name + " is missing or lacks tls.crt/tls.key",
                  key.ToString()});
      }
    }
    for (net::IngressRoute& r : routes) l.routes.push_back(std::move(r));
  }
  std::vector<net::IngressListener> out;
  for (auto& [where, l] : by_address) out.push_back(std::move(l));
  return out;
}

void Network::Apply() {
  std::vector<net::ServiceRoute> routes;
  for (const auto& [key, s] : services_) {
    net::ServiceRoute r;
    r.key = key;
    r.address = s.address;
    r.port = s.port;
    r.http = s.view.http;
    // Defaults (docs/MANIFEST.md): round robin per connection for tcp,
    // least connections per request for http.
    r.algorithm = s.view.http ? net::LbAlgorithm::kLeastConnections : net::LbAlgorithm::kRoundRobin;
    if (auto a = net::ParseLbAlgorithm(s.view.algorithm); a && !s.view.algorithm.empty())
      r.algorithm = *a;
    r.cookie_affinity = s.view.cookie_affinity;
    for (const reconciler::Endpoint& e : s.view.ready)
      r.upstreams.push_back({UpstreamId(e.replica, e.port), e.host, e.port});
    routes.push_back(std::move(r));
  }
  ingress_errors_.clear();
  auto listeners = IngressListeners();
  std::map<std::string, std::string> errors;
  for (Error& e : proxy_->Update(std::move(routes), std::move(listeners))) {
    if (services_.contains(e.context)) {
      errors[e.context] = e.message;
    } else {
      ingress_errors_.push_back(std::move(e));
    }
  }
  for (auto& [key, s] : services_) {
    std::string now = errors.contains(key) ? errors[key] : "";
    if (now != s.error && !now.empty()) spdlog::warn("proxy {}: {}", key, now);
    s.error = now;
  }
  if (dns_) {
    std::vector<net::DnsService> records;
    for (const auto& [key, s] : services_)
      records.push_back({s.view.key.name, s.view.key.ns, s.address, s.port, s.view.http});
    dns_->SetServices(std::move(records));
  }
}

bool Network::Drain(const std::string& ns, const std::string& name, const std::string& replica,
                    int port, std::chrono::milliseconds deadline) {
  return proxy_->Drain(KeyOf(ns, name), UpstreamId(replica, port), deadline);
}

ServiceView Network::ViewOf(const Entry& s) const {
  ServiceView v;
  v.ns = s.view.key.ns;
  v.name = s.view.key.name;
  v.address = s.address;
  v.port = s.port;
  v.http = s.view.http;
  v.dns_name = v.name + "." + v.ns + ".prisn.local";
  v.endpoints = s.view.ready;
  v.error = s.error;
  return v;
}

std::optional<ServiceView> Network::Service(const std::string& ns, const std::string& name) const {
  MutexLock lock(mu_);
  auto it = services_.find(KeyOf(ns, name));
  if (it == services_.end()) return std::nullopt;
  return ViewOf(it->second);
}

std::vector<ServiceView> Network::Services(const std::optional<std::string>& ns) const {
  MutexLock lock(mu_);
  std::vector<ServiceView> out;
  for (const auto& [key, s] : services_)
    if (!ns || s.view.key.ns == *ns) out.push_back(ViewOf(s));
  return out;
}

std::vector<net::ServiceStats> Network::ProxyStats() const { return proxy_->Stats(); }

std::vector<Error> Network::IngressErrors() const {
  MutexLock lock(mu_);
  return ingress_errors_;
}

std::string Network::dns_address() const { return dns_ ? dns_->address() : ""; }
int Network::dns_port() const { return dns_ ? dns_->port() : 0; }

std::optional<net::DnsServer::Stats> Network::dns_stats() const {
  if (!dns_) return std::nullopt;
  return dns_->stats();
}

std::vector<prometheus::MetricFamily> Network::MetricFamilies() const {
  auto families = net::ProxyMetricFamilies(ProxyStats());
  if (auto s = dns_stats()) {
    prometheus::MetricFamily f{"prisn_dns_queries_total",
                               "DNS queries to prisn's server, by result (answered from the "
                               "zone, nxdomain among those, forwarded, forward_failed)",
                               prometheus::MetricType::Counter,
                               {}};
    for (auto [result, value] : {std::pair{"answered", s->answered}, {"nxdomain", s->nxdomain},
                                 {"forwarded", s->forwarded},
                                 {"forward_failed", s->forward_failures}}) {
      prometheus::ClientMetric m;
      m.label = {{"result", result}};
      m.counter.value = static_cast<double>(value);
      f.metric.push_back(std::move(m));
    }
    families.push_back(std::move(f));
  }
  return families;
}

}  // namespace prisn::server
