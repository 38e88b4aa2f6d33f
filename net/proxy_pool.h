#pragma once
// The balancing state the proxy listeners share: one ServicePool per service
// holds the upstreams in rotation and picks one per connection or request;
// each UpstreamState counts what is in flight to one replica (for Drain and
// least-connections) and keeps idle keep-alive connections to it, one list
// per worker thread, touched only by that worker.

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "net/proxy.h"
#include "util/mutex.h"

namespace prisn::net {

// Latencies on a log scale (each bucket 20% wider than the last, 10 us to
// about 2 minutes); lock-free, so every request can record.
class LatencyHistogram {
 public:
  void Record(std::chrono::steady_clock::duration elapsed);
  // The p-th percentile (0..100) in milliseconds; 0 when nothing recorded.
  double PercentileMs(double p) const;

 private:
  static constexpr int kBuckets = 92;
  std::atomic<std::uint64_t> counts_[kBuckets] = {};
};

class UpstreamState {
 public:
  UpstreamState(Upstream upstream, boost::asio::ip::tcp::endpoint endpoint, int workers,
                std::size_t max_idle);
  UpstreamState(const UpstreamState&) = delete;
  UpstreamState& operator=(const UpstreamState&) = delete;

  const Upstream& upstream() const { return upstream_; }
  const boost::asio::ip::tcp::endpoint& endpoint() const { return endpoint_; }
  bool in_pool() const { return in_pool_.load(std::memory_order_acquire); }
  // Once out, an UpstreamState never returns: a re-listed replica gets a new one.
  void TakeOutOfPool() { in_pool_.store(false, std::memory_order_release); }

  // One connection (L4) or request (L7) starts / ends.
  void Begin();
  void End();
  std::int64_t active() const { return active_.load(std::memory_order_relaxed); }
  void CountFailure() { failures_.fetch_add(1, std::memory_order_relaxed); }
  // Waits until nothing is in flight; false when `deadline` passes first.
  bool WaitIdle(std::chrono::steady_clock::time_point deadline);

  // Worker-thread only (`worker` is the caller's own index).
  std::optional<boost::asio::ip::tcp::socket> TakeIdle(int worker);
  void PutIdle(int worker, boost::asio::ip::tcp::socket socket);
  void ClearIdle(int worker);

  UpstreamStats Snapshot() const;

 private:
  const Upstream upstream_;
  const boost::asio::ip::tcp::endpoint endpoint_;
  const std::size_t max_idle_;
  std::atomic<bool> in_pool_{true};
  std::atomic<std::int64_t> active_{0};
  std::atomic<std::uint64_t> requests_{0};
  std::atomic<std::uint64_t> failures_{0};
  Mutex idle_mutex_;  // only for WaitIdle's condition variable
  CondVar idle_cv_;
  std::vector<std::vector<boost::asio::ip::tcp::socket>> idle_;  // [worker]
};

// Counts one connection or request against an upstream for its lifetime.
class UpstreamLease {
 public:
  UpstreamLease() = default;
  explicit UpstreamLease(std::shared_ptr<UpstreamState> upstream);
  UpstreamLease(UpstreamLease&& other) noexcept = default;
  UpstreamLease& operator=(UpstreamLease&& other) noexcept;
  ~UpstreamLease() { Reset(); }
  void Reset();
  UpstreamState* get() const { return upstream_.get(); }
  UpstreamState* operator->() const { return upstream_.get(); }
  explicit operator bool() const { return upstream_ != nullptr; }
  const std::shared_ptr<UpstreamState>& shared() const { return upstream_; }

 private:
  std::shared_ptr<UpstreamState> upstream_;
};

class ServicePool {
 public:
  ServicePool(std::string key, int workers, std::size_t max_idle);

  const std::string& key() const { return key_; }

  // Applies a route's algorithm, affinity and upstream list. Upstreams that
  // left (or changed host/port) are taken out of the pool and returned so the
  // caller can close their idle connections on each worker. Hosts must be
  // IPv4/IPv6 literals or "localhost"; bad ones are reported and skipped.
  std::vector<std::shared_ptr<UpstreamState>> Apply(const ServiceRoute& route,
                                                    std::vector<Error>& errors);
  // Takes one upstream out of rotation (it stays out while listed); null
  // when no listed upstream has that id.
  std::shared_ptr<UpstreamState> TakeOut(std::string_view upstream_id);
  // Everything still listed (in pool or drained), for shutdown and stats.
  std::vector<std::shared_ptr<UpstreamState>> Listed() const;

  // Picks an upstream in the pool that is not in `tried` and counts the
  // caller's connection or request against it, under the same lock that
  // TakeOut takes: once TakeOut returns, every pick of that upstream is
  // counted, so Drain cannot miss one. `affinity_id` wins when it names an
  // upstream in the pool; `client_key` feeds ip-hash. Empty when none.
  UpstreamLease Pick(std::uint64_t client_key, std::string_view affinity_id,
                     const std::vector<const UpstreamState*>& tried);
  bool Empty() const;
  bool cookie_affinity() const;
  bool http() const;

  // Service-level counters.
  void CountRequest() { requests_.fetch_add(1, std::memory_order_relaxed); }
  void CountError() { errors_.fetch_add(1, std::memory_order_relaxed); }
  void AddActive(std::int64_t delta) { active_.fetch_add(delta, std::memory_order_relaxed); }
  LatencyHistogram& latency() { return latency_; }
  ServiceStats Snapshot() const;

 private:
  std::shared_ptr<UpstreamState> PickLocked(std::uint64_t client_key, std::string_view affinity_id,
                                            const std::vector<const UpstreamState*>& tried)
      PRISN_REQUIRES(mutex_);

  struct Entry {
    std::shared_ptr<UpstreamState> state;
    bool drained = false;
  };

  const std::string key_;
  const int workers_;
  const std::size_t max_idle_;
  mutable Mutex mutex_;
  LbAlgorithm algorithm_ PRISN_GUARDED_BY(mutex_) = LbAlgorithm::kRoundRobin;
  bool cookie_affinity_ PRISN_GUARDED_BY(mutex_) = false;
  bool http_ PRISN_GUARDED_BY(mutex_) = false;
  std::vector<Entry> listed_ PRISN_GUARDED_BY(mutex_);  // order of the route
  std::vector<std::shared_ptr<UpstreamState>> members_ PRISN_GUARDED_BY(mutex_);  // in rotation
  std::uint64_t next_ PRISN_GUARDED_BY(mutex_) = 0;
  std::minstd_rand random_ PRISN_GUARDED_BY(mutex_){std::random_device{}()};
  std::atomic<std::uint64_t> requests_{0};
  std::atomic<std::uint64_t> errors_{0};
  std::atomic<std::int64_t> active_{0};
  LatencyHistogram latency_;
};

// One session counted as active on `pool` for the guard's lifetime.
class ActiveSession {
 public:
  explicit ActiveSession(ServicePool& pool) : pool_(pool) { pool_.AddActive(1); }
  ~ActiveSession() { pool_.AddActive(-1); }
  ActiveSession(const ActiveSession&) = delete;
  ActiveSession& operator=(const ActiveSession&) = delete;

 private:
  ServicePool& pool_;
};

}  // namespace prisn::net
