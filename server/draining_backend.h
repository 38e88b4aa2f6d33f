#pragma once
// A Backend that lets the proxy drain a replica before the replica is
// signalled. The converge loop has already taken the replica out of the
// proxy's pool (endpoints.h) when it calls Stop; this waits, on a thread of
// its own, until the requests and connections in flight through the proxy
// to that replica are done (at most the drain limit, never more than the
// grace period), then passes the Stop on. Everything else passes straight
// through. The wrapped backend and the network must outlive it.

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "reconciler/backend.h"
#include "server/network.h"
#include "util/mutex.h"

namespace prisn::server {

class DrainingBackend final : public reconciler::Backend {
 public:
  DrainingBackend(reconciler::Backend& inner, Network& network,
                  std::chrono::milliseconds drain_limit = std::chrono::seconds(5));
  // Joins drains in progress (each bounded by the drain limit).
  ~DrainingBackend() override;

  void SetObserver(Observer observer) override;
  void Start(reconciler::InstanceSpec spec) override;
  void Stop(std::string_view id, std::chrono::milliseconds grace) override;
  void StopAll(std::chrono::milliseconds max_grace) override;
  // The inner backend's; listed replicas with a port drain like started ones.
  std::vector<reconciler::ListedInstance> List() override;
  std::size_t Detach() override;
  Result<reconciler::LogPage> ReadLogs(const reconciler::LogQuery& query) override {
    return inner_.ReadLogs(query);
  }
  std::vector<std::string> ReplicaLogNames(const std::string& ns,
                                           const std::string& owner) override {
    return inner_.ReplicaLogNames(ns, owner);
  }
  void RemoveLog(const std::string& ns, const std::string& owner,
                 const std::string& name) override {
    inner_.RemoveLog(ns, owner, name);
  }

 private:
  struct Proxied {
    std::string ns, name, replica;
    int port = 0;
  };
  reconciler::Backend& inner_;
  Network& network_;
  std::chrono::milliseconds drain_limit_;
  struct Drain {
    std::atomic<bool> done{false};
    std::jthread thread;  // declared last: joined before `done` goes
  };
  struct Table {
    Mutex mu;
    // instance id -> service replica
    std::map<std::string, Proxied, std::less<>> proxied PRISN_GUARDED_BY(mu);
  };
  // Shared with the observer wrapper: the inner backend may still deliver an
  // observation after this object is gone (an instance that was being
  // prepared ends during the inner backend's own shutdown).
  const std::shared_ptr<Table> table_ = std::make_shared<Table>();
  Mutex mu_;
  std::vector<std::unique_ptr<Drain>> drains_ PRISN_GUARDED_BY(mu_);
};

}  // namespace prisn::server
