#include "server/draining_backend.h"

#include <algorithm>

namespace prisn::server {

DrainingBackend::DrainingBackend(reconciler::Backend& inner, Network& network,
                                 std::chrono::milliseconds drain_limit)
    : inner_(inner), network_(network), drain_limit_(drain_limit) {}

DrainingBackend::~DrainingBackend() {
  std::vector<std::unique_ptr<Drain>> drains;
  {
    std::lock_guard lock(mu_);
    drains.swap(drains_);
  }
  drains.clear();  // joins
}

void DrainingBackend::SetObserver(Observer observer) {
  inner_.SetObserver([this, observer = std::move(observer)](reconciler::Observation obs) {
    if (obs.type == reconciler::Observation::Type::kExited ||
        obs.type == reconciler::Observation::Type::kStartFailed) {
      std::lock_guard lock(mu_);
      if (auto it = proxied_.find(obs.id); it != proxied_.end()) proxied_.erase(it);
    }
    observer(std::move(obs));
  });
}

void DrainingBackend::Start(reconciler::InstanceSpec spec) {
  if (spec.kind == "Deployment" && spec.port > 0) {
    std::lock_guard lock(mu_);
    proxied_[spec.id] = {spec.ns, spec.owner, spec.replica, spec.port};
  }
  inner_.Start(std::move(spec));
}

void DrainingBackend::Stop(std::string_view id, std::chrono::milliseconds grace) {
  std::lock_guard lock(mu_);
  auto it = proxied_.find(id);
  if (it == proxied_.end()) return inner_.Stop(id, grace);
  Proxied p = it->second;
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

}  // namespace prisn::server
