#include "net/proxy_pool.h"

#include <algorithm>
#include <cmath>
#include <functional>

#include <fmt/format.h>

namespace prisn::net {

namespace {

constexpr double kFirstBoundMs = 0.01;
constexpr double kGrowth = 1.2;

// FNV-1a then a mix, for rendezvous hashing: each (client, upstream) pair
// gets a score and the highest wins, so a client keeps its upstream when
// others join or leave.
std::uint64_t Score(std::uint64_t client_key, std::string_view id) {
  std::uint64_t h = 1469598103934665603ull ^ client_key;
  for (unsigned char c : id) {
    h ^= c;
    h *= 1099511628211ull;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h;
}

bool Tried(const std::vector<const UpstreamState*>& tried, const UpstreamState* u) {
  return std::find(tried.begin(), tried.end(), u) != tried.end();
}

}  // namespace

void LatencyHistogram::Record(std::chrono::steady_clock::duration elapsed) {
  double ms = std::chrono::duration<double, std::milli>(elapsed).count();
  int bucket = 0;
  if (ms > kFirstBoundMs) {
    bucket = static_cast<int>(std::ceil(std::log(ms / kFirstBoundMs) / std::log(kGrowth)));
  }
  bucket = std::clamp(bucket, 0, kBuckets - 1);
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
}

double LatencyHistogram::PercentileMs(double p) const {
  std::uint64_t counts[kBuckets];
  std::uint64_t total = 0;
  for (int i = 0; i < kBuckets; ++i) {
    counts[i] = counts_[i].load(std::memory_order_relaxed);
    total += counts[i];
  }
  if (total == 0) return 0;
  auto rank = static_cast<std::uint64_t>(std::ceil(p / 100.0 * static_cast<double>(total)));
  rank = std::clamp<std::uint64_t>(rank, 1, total);
  std::uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += counts[i];
    if (seen >= rank) {
      // The geometric middle of the bucket: within 10% of any value in it.
      double upper = kFirstBoundMs * std::pow(kGrowth, i);
      return i == 0 ? upper : upper / std::sqrt(kGrowth);
    }
  }
  return kFirstBoundMs * std::pow(kGrowth, kBuckets - 1);
}

UpstreamState::UpstreamState(Upstream upstream, boost::asio::ip::tcp::endpoint endpoint,
                             int workers, std::size_t max_idle)
    : upstream_(std::move(upstream)), endpoint_(endpoint), max_idle_(max_idle),
      idle_(static_cast<std::size_t>(workers)) {}

void UpstreamState::Begin() {
  active_.fetch_add(1, std::memory_order_relaxed);
  requests_.fetch_add(1, std::memory_order_relaxed);
}

void UpstreamState::End() {
  if (active_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    // Taking the lock orders this notify after a waiter's predicate check,
    // so Drain cannot miss the last connection closing.
    MutexLock lock(idle_mutex_);
    idle_cv_.NotifyAll();
  }
}

bool UpstreamState::WaitIdle(std::chrono::steady_clock::time_point deadline) {
  MutexLock lock(idle_mutex_);
  return idle_cv_.WaitUntil(idle_mutex_, deadline,
                            [&] { return active_.load(std::memory_order_acquire) == 0; });
}

std::optional<boost::asio::ip::tcp::socket> UpstreamState::TakeIdle(int worker) {
  auto& list = idle_[static_cast<std::size_t>(worker)];
  while (!list.empty()) {
    boost::asio::ip::tcp::socket socket = std::move(list.back());
    list.pop_back();
    if (socket.is_open()) return socket;
  }
  return std::nullopt;
}

void UpstreamState::PutIdle(int worker, boost::asio::ip::tcp::socket socket) {
  auto& list = idle_[static_cast<std::size_t>(worker)];
  // A replica out of the pool gets no new request, so its connections close.
  if (!in_pool() || list.size() >= max_idle_) return;
  list.push_back(std::move(socket));
}

void UpstreamState::ClearIdle(int worker) { idle_[static_cast<std::size_t>(worker)].clear(); }

UpstreamStats UpstreamState::Snapshot() const {
  return UpstreamStats{upstream_.id, in_pool(), requests_.load(std::memory_order_relaxed),
                       failures_.load(std::memory_order_relaxed),
                       active_.load(std::memory_order_relaxed)};
}

UpstreamLease::UpstreamLease(std::shared_ptr<UpstreamState> upstream)
    : upstream_(std::move(upstream)) {
  if (upstream_) upstream_->Begin();
}

UpstreamLease& UpstreamLease::operator=(UpstreamLease&& other) noexcept {
  if (this != &other) {
    Reset();
    upstream_ = std::move(other.upstream_);
  }
  return *this;
}

void UpstreamLease::Reset() {
  if (upstream_) upstream_->End();
  upstream_.reset();
}

ServicePool::ServicePool(std::string key, int workers, std::size_t max_idle)
    : key_(std::move(key)), workers_(workers), max_idle_(max_idle) {}

std::vector<std::shared_ptr<UpstreamState>> ServicePool::Apply(const ServiceRoute& route,
                                                               std::vector<Error>& errors) {
  std::vector<Entry> next;
  std::vector<std::shared_ptr<UpstreamState>> removed;
  MutexLock lock(mutex_);
  algorithm_ = route.algorithm;
  cookie_affinity_ = route.cookie_affinity;
  http_ = route.http;
  for (const Upstream& u : route.upstreams) {
    std::string host = u.host == "localhost" ? "127.0.0.1" : u.host;
    boost::system::error_code ec;
    auto address = boost::asio::ip::make_address(host, ec);
    if (ec || u.port <= 0 || u.port > 65535) {
      errors.push_back(Error{ErrorCode::kInvalid,
                             fmt::format("upstream {} at {}:{} is not an IP address and port",
                                         u.id, u.host, u.port),
                             route.key});
      continue;
    }
    boost::asio::ip::tcp::endpoint endpoint(address, static_cast<unsigned short>(u.port));
    auto same = std::find_if(listed_.begin(), listed_.end(), [&](const Entry& e) {
      return e.state->upstream().id == u.id && e.state->endpoint() == endpoint;
    });
    if (same != listed_.end()) {
      next.push_back(*same);
      listed_.erase(same);
    } else {
      next.push_back(Entry{std::make_shared<UpstreamState>(Upstream{u.id, host, u.port}, endpoint,
                                                           workers_, max_idle_),
                           false});
    }
  }
  for (Entry& gone : listed_) {
    gone.state->TakeOutOfPool();
    removed.push_back(std::move(gone.state));
  }
  listed_ = std::move(next);
  members_.clear();
  for (const Entry& e : listed_) {
    if (!e.drained) members_.push_back(e.state);
  }
  return removed;
}

std::shared_ptr<UpstreamState> ServicePool::TakeOut(std::string_view upstream_id) {
  MutexLock lock(mutex_);
  for (Entry& e : listed_) {
    if (e.state->upstream().id != upstream_id) continue;
    e.drained = true;
    e.state->TakeOutOfPool();
    std::erase(members_, e.state);
    return e.state;
  }
  return nullptr;
}

std::vector<std::shared_ptr<UpstreamState>> ServicePool::Listed() const {
  MutexLock lock(mutex_);
  std::vector<std::shared_ptr<UpstreamState>> out;
  for (const Entry& e : listed_) out.push_back(e.state);
  return out;
}

UpstreamLease ServicePool::Pick(std::uint64_t client_key, std::string_view affinity_id,
                                const std::vector<const UpstreamState*>& tried) {
  MutexLock lock(mutex_);
  return UpstreamLease(PickLocked(client_key, affinity_id, tried));
}

std::shared_ptr<UpstreamState> ServicePool::PickLocked(
    std::uint64_t client_key, std::string_view affinity_id,
    const std::vector<const UpstreamState*>& tried) {
  const std::size_t n = members_.size();
  if (n == 0) return nullptr;
  if (!affinity_id.empty()) {
    for (const auto& m : members_) {
      if (m->upstream().id == affinity_id && !Tried(tried, m.get())) return m;
    }
  }
  std::shared_ptr<UpstreamState> best;
  switch (algorithm_) {
    case LbAlgorithm::kLeastConnections: {
      // Ties rotate, so equal upstreams share the load.
      std::size_t start = static_cast<std::size_t>(next_++ % n);
      for (std::size_t i = 0; i < n; ++i) {
        const auto& m = members_[(start + i) % n];
        if (Tried(tried, m.get())) continue;
        if (!best || m->active() < best->active()) best = m;
      }
      return best;
    }
    case LbAlgorithm::kIpHash: {
      std::uint64_t best_score = 0;
      for (const auto& m : members_) {
        if (Tried(tried, m.get())) continue;
        std::uint64_t score = Score(client_key, m->upstream().id);
        if (!best || score > best_score) {
          best = m;
          best_score = score;
        }
      }
      return best;
    }
    case LbAlgorithm::kRandom:
    case LbAlgorithm::kRoundRobin: {
      std::size_t start = algorithm_ == LbAlgorithm::kRandom
                              ? static_cast<std::size_t>(random_() % n)
                              : static_cast<std::size_t>(next_++ % n);
      for (std::size_t i = 0; i < n; ++i) {
        const auto& m = members_[(start + i) % n];
        if (!Tried(tried, m.get())) return m;
      }
      return nullptr;
    }
  }
  return nullptr;
}

bool ServicePool::Empty() const {
  MutexLock lock(mutex_);
  return members_.empty();
}

bool ServicePool::cookie_affinity() const {
  MutexLock lock(mutex_);
  return cookie_affinity_;
}

bool ServicePool::http() const {
  MutexLock lock(mutex_);
  return http_;
}

ServiceStats ServicePool::Snapshot() const {
  ServiceStats stats;
  stats.key = key_;
  stats.http = http();
  stats.requests = requests_.load(std::memory_order_relaxed);
  stats.errors = errors_.load(std::memory_order_relaxed);
  stats.active = active_.load(std::memory_order_relaxed);
  stats.p50_ms = latency_.PercentileMs(50);
  stats.p99_ms = latency_.PercentileMs(99);
  for (const auto& u : Listed()) stats.upstreams.push_back(u->Snapshot());
  return stats;
}

Result<LbAlgorithm> ParseLbAlgorithm(std::string_view text) {
  if (text == "round-robin" || text == "roundrobin") return LbAlgorithm::kRoundRobin;
  if (text == "least-connections" || text == "leastconn") return LbAlgorithm::kLeastConnections;
  if (text == "random") return LbAlgorithm::kRandom;
  if (text == "ip-hash") return LbAlgorithm::kIpHash;
  return Fail(ErrorCode::kInvalid,
              fmt::format("unknown load balancing algorithm '{}' (round-robin, "
                          "least-connections, random, ip-hash)",
                          text));
}

std::string_view LbAlgorithmName(LbAlgorithm algorithm) {
  switch (algorithm) {
    case LbAlgorithm::kRoundRobin: return "round-robin";
    case LbAlgorithm::kLeastConnections: return "least-connections";
    case LbAlgorithm::kRandom: return "random";
    case LbAlgorithm::kIpHash: return "ip-hash";
  }
  return "round-robin";
}

}  // namespace prisn::net
