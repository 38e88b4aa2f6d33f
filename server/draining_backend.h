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
#include <memory>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "reconciler/backend.h"
#include "server/network.h"

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

 private:
  struct Proxied {
    std::string ns, name, replica;
    int port = 0;
  };
  reconciler::Backend& inner_;
  Network& network_;
  std::chrono::milliseconds drain_limit_;
  std::mutex mu_;
  struct Drain {
    std::atomic<bool> done{false};
    std::jthread thread;  // declared last: joined before `done` goes
  };
  std::map<std::string, Proxied, std::less<>> proxied_;  // instance id -> service replica
  std::vector<std::unique_ptr<Drain>> drains_;
};

}  // namespace prisn::server
