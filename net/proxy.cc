#include "net/proxy.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <map>
#include <mutex>

#include "net/ingress_routes.h"
#include "net/l4_session.h"
#include "net/l7_forward.h"
#include "net/l7_session.h"
#include "net/l7_tls.h"
#include "net/proxy_listener.h"
#include "net/proxy_pool.h"
#include "util/mutex.h"

namespace prisn::net {

namespace {

using tcp = boost::asio::ip::tcp;

class ProxyImpl final : public Proxy {
 public:
  explicit ProxyImpl(ProxyOptions options) : options_(options), workers_(options.threads) {}
  ~ProxyImpl() override;

  std::vector<Error> Update(std::vector<ServiceRoute> services,
                            std::vector<IngressListener> ingresses) override;
  bool Drain(std::string_view service_key, std::string_view upstream_id,
             std::chrono::milliseconds deadline) override;
  std::vector<ServiceStats> Stats() const override;

 private:
  struct ServiceEntry {
    std::shared_ptr<ServicePool> pool;
    std::string address;
    int port = 0;
    bool http = false;
    std::unique_ptr<Listener> listener;  // null while its address cannot be bound
  };
  struct IngressEntry {
    std::optional<std::string> cert;
    std::optional<std::string> key;
    std::shared_ptr<L7Site> site;
    std::unique_ptr<Listener> listener;
  };

  void UpdateServices(std::vector<ServiceRoute>& routes, std::vector<Error>& errors)
      PRISN_REQUIRES(mutex_);
  void UpdateIngresses(std::vector<IngressListener>& listeners, std::vector<Error>& errors)
      PRISN_REQUIRES(mutex_);
  Result<std::unique_ptr<Listener>> Listen(const std::string& address, int port,
                                           AcceptHandler handler) PRISN_REQUIRES(mutex_);
  // Idle connections belong to their worker's loop, so each loop closes its own.
  void CloseIdle(const std::shared_ptr<UpstreamState>& upstream);
  void Retire(std::vector<std::shared_ptr<UpstreamState>> upstreams) PRISN_REQUIRES(mutex_);

  const ProxyOptions options_;
  Workers workers_;  // declared first: listeners close on these loops
  mutable Mutex mutex_;
  std::map<std::string, ServiceEntry> services_ PRISN_GUARDED_BY(mutex_);
  std::map<std::string, IngressEntry> ingresses_ PRISN_GUARDED_BY(mutex_);
  // Out of their pools but maybe still holding idle sockets until their
  // worker closes them; the destructor closes them if the loops never did.
  std::vector<std::weak_ptr<UpstreamState>> retired_ PRISN_GUARDED_BY(mutex_);
  int next_home_ PRISN_GUARDED_BY(mutex_) = 0;
};

ProxyImpl::~ProxyImpl() {
  MutexLock lock(mutex_);
  for (auto& [key, entry] : services_) entry.listener.reset();
  for (auto& [key, entry] : ingresses_) entry.listener.reset();
  workers_.Stop();
  // The loops are stopped: this thread may touch every worker's idle lists,
  // and must, before the loops (which own those sockets) go away.
  auto clear = [&](const std::shared_ptr<UpstreamState>& u) {
    for (int w = 0; w < workers_.size(); ++w) u->ClearIdle(w);
  };
  for (auto& [key, entry] : services_) {
    for (const auto& u : entry.pool->Listed()) clear(u);
  }
  for (auto& weak : retired_) {
    if (auto u = weak.lock()) clear(u);
  }
  ingresses_.clear();
  services_.clear();
}

void ProxyImpl::CloseIdle(const std::shared_ptr<UpstreamState>& upstream) {
  for (int w = 0; w < workers_.size(); ++w) {
    boost::asio::post(workers_.context(w), [upstream, w] { upstream->ClearIdle(w); });
  }
}

void ProxyImpl::Retire(std::vector<std::shared_ptr<UpstreamState>> upstreams) {
  std::erase_if(retired_, [](const auto& weak) { return weak.expired(); });
  for (auto& u : upstreams) {
    u->TakeOutOfPool();
    CloseIdle(u);
    retired_.push_back(u);
  }
}

Result<std::unique_ptr<Listener>> ProxyImpl::Listen(const std::string& address, int port,
                                                    AcceptHandler handler) {
  return Listener::Open(workers_, address, port, next_home_++, std::move(handler));
}

std::vector<Error> ProxyImpl::Update(std::vector<ServiceRoute> services,
                                     std::vector<IngressListener> ingresses) {
  std::vector<Error> errors;
  MutexLock lock(mutex_);
  UpdateServices(services, errors);
  UpdateIngresses(ingresses, errors);
  return errors;
}

void ProxyImpl::UpdateServices(std::vector<ServiceRoute>& routes, std::vector<Error>& errors) {
  std::map<std::string, ServiceRoute*> wanted;
  for (auto& route : routes) {
    if (route.key.empty() || route.port <= 0 || route.port > 65535) {
      errors.push_back(Error{ErrorCode::kInvalid,
                             fmt::format("service needs a key and a port in 1..65535 (got {})",
                                         route.port),
                             route.key});
      continue;
    }
    if (!wanted.emplace(route.key, &route).second) {
      errors.push_back(Error{ErrorCode::kConflict, "service listed twice", route.key});
    }
  }
  for (auto it = services_.begin(); it != services_.end();) {
    if (wanted.contains(it->first)) {
      ++it;
      continue;
    }
    it->second.listener.reset();
    Retire(it->second.pool->Listed());
    it = services_.erase(it);
  }
  for (auto& [key, route] : wanted) {
    ServiceEntry& entry = services_[key];
    if (!entry.pool) {
      entry.pool = std::make_shared<ServicePool>(key, workers_.size(), options_.max_idle_per_upstream);
    }
    Retire(entry.pool->Apply(*route, errors));
    bool same_socket = entry.listener && entry.address == route->address &&
                       entry.port == route->port && entry.http == route->http;
    if (same_socket) continue;
    entry.listener.reset();
    entry.address = route->address;
    entry.port = route->port;
    entry.http = route->http;
    AcceptHandler handler;
    if (route->http) {
      auto site = std::make_shared<L7Site>();
      site->service = entry.pool;
      site->options = options_;
      handler = [site](tcp::socket socket, int worker) {
        StartL7Session(std::move(socket), worker, site);
      };
    } else {
      handler = [pool = entry.pool](tcp::socket socket, int) {
        StartL4Session(std::move(socket), pool);
      };
    }
    auto listener = Listen(route->address, route->port, std::move(handler));
    if (!listener) {
      errors.push_back(Error{listener.error().code,
                             fmt::format("{}: {}", listener.error().context,
                                         listener.error().message),
                             key});
      continue;
    }
    entry.listener = std::move(*listener);
    spdlog::info("proxy: {} on {}:{} ({})", key, route->address, route->port,
                 route->http ? "http" : "tcp");
  }
}

void ProxyImpl::UpdateIngresses(std::vector<IngressListener>& listeners,
                                std::vector<Error>& errors) {
  // Ingress objects sharing an address and port share one listener.
  std::map<std::string, IngressListener> wanted;
  for (auto& l : listeners) {
    std::string where = fmt::format("{}:{}", l.address, l.port);
    auto [it, inserted] = wanted.try_emplace(where, l);
    if (inserted) continue;
    if (l.tls_cert_pem && !it->second.tls_cert_pem) {
      it->second.tls_cert_pem = l.tls_cert_pem;
      it->second.tls_key_pem = l.tls_key_pem;
    }
    for (auto& r : l.routes) it->second.routes.push_back(r);
  }
  for (auto it = ingresses_.begin(); it != ingresses_.end();) {
    it = wanted.contains(it->first) ? std::next(it) : ingresses_.erase(it);
  }
  for (auto& [where, l] : wanted) {
    std::vector<IngressTable::Entry> table;
    for (const auto& r : l.routes) {
      auto service = services_.find(r.service_key);
      table.push_back(
          {r, service == services_.end() ? nullptr : service->second.pool});
    }
    auto routes = std::make_shared<const IngressTable>(std::move(table));
    bool tls = l.tls_cert_pem.has_value() && l.tls_key_pem.has_value();
    IngressEntry& entry = ingresses_[where];
    if (entry.listener && entry.cert == l.tls_cert_pem && entry.key == l.tls_key_pem) {
      entry.site->ingress.With([&](auto& t) { t = routes; });
      continue;
    }
    entry.listener.reset();
    auto site = std::make_shared<L7Site>();
    site->options = options_;
    site->ingress.With([&](auto& t) { t = routes; });
    if (tls) {
      auto context = MakeTlsServerContext(*l.tls_cert_pem, *l.tls_key_pem);
      if (!context) {
        errors.push_back(Error{context.error().code, context.error().message, where});
        ingresses_.erase(where);
        continue;
      }
      site->tls = *context;
    }
    auto listener = Listen(l.address, l.port, [site](tcp::socket socket, int worker) {
      StartL7Session(std::move(socket), worker, site);
    });
    if (!listener) {
      errors.push_back(listener.error());
      ingresses_.erase(where);
      continue;
    }
    entry.cert = l.tls_cert_pem;
    entry.key = l.tls_key_pem;
    entry.site = std::move(site);
    entry.listener = std::move(*listener);
    spdlog::info("proxy: ingress on {} ({} routes{})", where, l.routes.size(),
                 tls ? ", tls" : "");
  }
}

bool ProxyImpl::Drain(std::string_view service_key, std::string_view upstream_id,
                      std::chrono::milliseconds deadline) {
  auto until = std::chrono::steady_clock::now() + deadline;
  std::shared_ptr<UpstreamState> upstream;
  {
    MutexLock lock(mutex_);
    auto it = services_.find(std::string(service_key));
    if (it == services_.end()) return true;
    upstream = it->second.pool->TakeOut(upstream_id);
    if (!upstream) return true;
    CloseIdle(upstream);
  }
  // A worker waiting here would stall the very connections it waits for.
  if (workers_.OnWorkerThread()) return upstream->active() == 0;
  return upstream->WaitIdle(until);
}

std::vector<ServiceStats> ProxyImpl::Stats() const {
  MutexLock lock(mutex_);
  std::vector<ServiceStats> out;
  for (const auto& [key, entry] : services_) out.push_back(entry.pool->Snapshot());
  return out;
}

}  // namespace

Result<std::unique_ptr<Proxy>> Proxy::Create(ProxyOptions options) {
  if (options.threads < 1) {
    return Fail(ErrorCode::kInvalid, fmt::format("proxy needs at least one thread (got {})",
                                                 options.threads));
  }
  return std::unique_ptr<Proxy>(new ProxyImpl(options));
}

}  // namespace prisn::net
