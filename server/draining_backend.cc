#include "server/draining_backend.h"

#include <algorithm>
#include <optional>

namespace prisn::server {

DrainingBackend::DrainingBackend(reconciler::Backend& inner, Network& network,
                                 std::chrono::milliseconds drain_limit)
    : inner_(inner), network_(network), drain_limit_(drain_limit) {}

DrainingBackend::~DrainingBackend() {
  std::vector<std::unique_ptr<Drain>> drains;
  {
    MutexLock lock(mu_);
    drains.swap(drains_);
  }
  drains.clear();  // joins
}

void DrainingBackend::SetObserver(Observer observer) {
  inner_.SetObserver([table = table_, observer = std::move(observer)](reconciler::Observation obs) {
    if (obs.type == reconciler::Observation::Type::kExited ||
        obs.type == reconciler::Observation::Type::kStartFailed) {
      MutexLock lock(table->mu);
      if (auto it = table->proxied.find(obs.id); it != table->proxied.end())
        table->proxied.erase(it);
    } else if (obs.type == reconciler::Observation::Type::kStarted && obs.port > 0) {
      // The backend chose where the replica listens: that is what drains.
      MutexLock lock(table->mu);
      if (auto it = table->proxied.find(obs.id); it != table->proxied.end())
        it->second.port = obs.port;
    }
    observer(std::move(obs));
  });
}

void DrainingBackend::Start(reconciler::InstanceSpec spec) {
  if (spec.kind == manifests::Kind::kDeployment && spec.wants_port) {
    MutexLock lock(table_->mu);
    table_->proxied[spec.id] = {spec.ns, spec.owner, spec.replica, 0};
  }
  inner_.Start(std::move(spec));
}

void DrainingBackend::Stop(std::string_view id, std::chrono::milliseconds grace) {
  std::optional<Proxied> found;
  {
    MutexLock lock(table_->mu);
    if (auto it = table_->proxied.find(id); it != table_->proxied.end()) found = it->second;
  }
  // Not proxied, or not started yet (no port): nothing can be in flight.
  if (!found || found->port == 0) return inner_.Stop(id, grace);
  const Proxied p = *found;
  MutexLock lock(mu_);
  // Finished drains are joined here (at once: their threads have returned).
  std::erase_if(drains_, [](const std::unique_ptr<Drain>& d) { return d->done.load(); });
  auto drain = std::make_unique<Drain>();
  Drain* d = drain.get();
  d->thread = std::jthread([this, d, p, id = std::string(id), grace] {
    network_.Drain(p.ns, p.name, p.replica, p.port, std::min(grace, drain_limit_));
    inner_.Stop(id, grace);
    d->done = true;
  });
  drains_.push_back(std::move(drain));
}

void DrainingBackend::StopAll(std::chrono::milliseconds max_grace) {
  // Shutdown: no drain; the proxy stops with the daemon.
  inner_.StopAll(max_grace);
}

std::vector<reconciler::ListedInstance> DrainingBackend::List() {
  auto listed = inner_.List();
  MutexLock lock(table_->mu);
  for (const reconciler::ListedInstance& i : listed) {
    if (i.kind == manifests::Kind::kDeployment && i.port > 0)
      table_->proxied[i.id] = {i.ns, i.owner, i.replica, i.port};
  }
  return listed;
}

std::size_t DrainingBackend::Detach() {
  std::size_t left = inner_.Detach();
  MutexLock lock(table_->mu);
  table_->proxied.clear();
  return left;
}

}  // namespace prisn::server
