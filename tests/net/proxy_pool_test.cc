#include "net/proxy_pool.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <map>
#include <set>
#include <thread>

namespace prisn::net {
namespace {

ServiceRoute Route(LbAlgorithm algorithm, std::vector<std::string> ids) {
  ServiceRoute route;
  route.key = "default/api";
  route.address = "127.0.0.1";
  route.port = 8080;
  route.algorithm = algorithm;
  int port = 9000;
  for (auto& id : ids) route.upstreams.push_back(Upstream{id, "127.0.0.1", port++});
  return route;
}

std::string PickId(ServicePool& pool, std::uint64_t client = 0, std::string_view affinity = {}) {
  auto lease = pool.Pick(client, affinity, {});
  return lease ? lease->upstream().id : "";
}

TEST_CASE("ServicePool round robin visits every upstream in turn") {
  ServicePool pool("default/api", 1, 4);
  std::vector<Error> errors;
  pool.Apply(Route(LbAlgorithm::kRoundRobin, {"a", "b", "c"}), errors);
  REQUIRE(errors.empty());
  std::vector<std::string> seen;
  for (int i = 0; i < 6; ++i) seen.push_back(PickId(pool));
  CHECK(seen == std::vector<std::string>{"a", "b", "c", "a", "b", "c"});
}

TEST_CASE("ServicePool least connections prefers the upstream with fewest in flight") {
  ServicePool pool("default/api", 1, 4);
  std::vector<Error> errors;
  pool.Apply(Route(LbAlgorithm::kLeastConnections, {"a", "b"}), errors);
  auto busy = pool.Pick(0, {}, {});  // held: one in flight
  for (int i = 0; i < 4; ++i) CHECK(PickId(pool) != busy->upstream().id);
}

TEST_CASE("ServicePool ip hash keeps a client on one upstream when another leaves") {
  ServicePool pool("default/api", 1, 4);
  std::vector<Error> errors;
  pool.Apply(Route(LbAlgorithm::kIpHash, {"a", "b", "c", "d"}), errors);
  std::set<std::string> spread;
  for (std::uint64_t client = 1; client <= 64; ++client) {
    std::string first = PickId(pool, client);
    CHECK(PickId(pool, client) == first);
    spread.insert(first);
  }
  CHECK(spread.size() > 1);
  // Clients of the upstreams that stay keep them (rendezvous hashing).
  std::map<std::uint64_t, std::string> before;
  for (std::uint64_t client = 1; client <= 64; ++client) before[client] = PickId(pool, client);
  pool.Apply(Route(LbAlgorithm::kIpHash, {"a", "b", "c"}), errors);
  for (auto& [client, id] : before) {
    if (id != "d") CHECK(PickId(pool, client) == id);
  }
}

TEST_CASE("ServicePool affinity id wins while that upstream is in the pool") {
  ServicePool pool("default/api", 1, 4);
  std::vector<Error> errors;
  pool.Apply(Route(LbAlgorithm::kRoundRobin, {"a", "b", "c"}), errors);
  for (int i = 0; i < 5; ++i) CHECK(PickId(pool, 0, "b") == "b");
  pool.TakeOut("b");
  CHECK(PickId(pool, 0, "b") != "b");
}

TEST_CASE("ServicePool drained upstream stays out until an update no longer lists it") {
  ServicePool pool("default/api", 1, 4);
  std::vector<Error> errors;
  auto route = Route(LbAlgorithm::kRoundRobin, {"a", "b"});
  pool.Apply(route, errors);
  auto b = pool.TakeOut("b");
  REQUIRE(b);
  CHECK_FALSE(b->in_pool());
  pool.Apply(route, errors);  // still listed: still out
  for (int i = 0; i < 4; ++i) CHECK(PickId(pool) == "a");
  pool.Apply(Route(LbAlgorithm::kRoundRobin, {"a"}), errors);
  pool.Apply(route, errors);  // listed again after leaving: a new replica
  std::set<std::string> seen{PickId(pool), PickId(pool)};
  CHECK(seen == std::set<std::string>{"a", "b"});
}

TEST_CASE("ServicePool update that drops an upstream returns it out of the pool") {
  ServicePool pool("default/api", 1, 4);
  std::vector<Error> errors;
  pool.Apply(Route(LbAlgorithm::kRoundRobin, {"a", "b"}), errors);
  auto removed = pool.Apply(Route(LbAlgorithm::kRoundRobin, {"a"}), errors);
  REQUIRE(removed.size() == 1);
  CHECK(removed[0]->upstream().id == "b");
  CHECK_FALSE(removed[0]->in_pool());
}

TEST_CASE("ServicePool upstream with a host name is reported and skipped") {
  ServicePool pool("default/api", 1, 4);
  std::vector<Error> errors;
  auto route = Route(LbAlgorithm::kRoundRobin, {"a"});
  route.upstreams.push_back(Upstream{"b", "example.com", 80});
  pool.Apply(route, errors);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].context == "default/api");
  CHECK(pool.Listed().size() == 1);
}

TEST_CASE("ServicePool pick skips tried upstreams and returns null when none is left") {
  ServicePool pool("default/api", 1, 4);
  std::vector<Error> errors;
  pool.Apply(Route(LbAlgorithm::kRoundRobin, {"a", "b"}), errors);
  auto first = pool.Pick(0, {}, {});
  auto second = pool.Pick(0, {}, {first.get()});
  REQUIRE(second);
  CHECK(second.get() != first.get());
  CHECK_FALSE(pool.Pick(0, {}, {first.get(), second.get()}));
}

TEST_CASE("ServicePool pick counts a lease that wait idle waits for, false on deadline") {
  ServicePool pool("default/api", 1, 4);
  std::vector<Error> errors;
  pool.Apply(Route(LbAlgorithm::kRoundRobin, {"a"}), errors);
  auto lease = std::make_unique<UpstreamLease>(pool.Pick(0, {}, {}));
  std::shared_ptr<UpstreamState> a = lease->shared();
  REQUIRE(a->active() == 1);
  auto now = std::chrono::steady_clock::now();
  CHECK_FALSE(a->WaitIdle(now + std::chrono::milliseconds(20)));
  std::thread ender([&] { lease.reset(); });
  CHECK(a->WaitIdle(std::chrono::steady_clock::now() + std::chrono::seconds(10)));
  ender.join();
  CHECK(a->active() == 0);
}

TEST_CASE("LatencyHistogram percentiles land within 10 percent of the recorded values") {
  LatencyHistogram h;
  CHECK(h.PercentileMs(99) == 0);
  for (int i = 0; i < 990; ++i) h.Record(std::chrono::milliseconds(2));
  for (int i = 0; i < 10; ++i) h.Record(std::chrono::milliseconds(100));
  CHECK(h.PercentileMs(50) == Approx(2).epsilon(0.1));
  CHECK(h.PercentileMs(99) == Approx(2).epsilon(0.1));
  CHECK(h.PercentileMs(99.9) == Approx(100).epsilon(0.1));
}

TEST_CASE("ParseLbAlgorithm accepts the four names and rejects others") {
  CHECK(ParseLbAlgorithm("least-connections").value() == LbAlgorithm::kLeastConnections);
  CHECK(ParseLbAlgorithm("ip-hash").value() == LbAlgorithm::kIpHash);
  CHECK(LbAlgorithmName(ParseLbAlgorithm("random").value()) == "random");
  CHECK_FALSE(ParseLbAlgorithm("fastest").has_value());
}

}  // namespace
}  // namespace prisn::net
