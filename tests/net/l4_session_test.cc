#include "net/l4_session.h"

#include <catch2/catch.hpp>

#include <set>

#include "net/proxy.h"
#include "tests/net/proxy_test_util.h"

namespace prisn::net {
namespace {

using namespace testing;
using namespace std::chrono_literals;

constexpr const char* kL4Address = "127.71.0.2";

ServiceRoute TcpRoute(int port, const std::vector<TestUpstream*>& upstreams) {
  ServiceRoute route;
  route.key = "default/api";
  route.address = kL4Address;
  route.port = port;
  for (auto* u : upstreams) route.upstreams.push_back(Upstream{u->id(), "127.0.0.1", u->port()});
  return route;
}

std::unique_ptr<Proxy> MakeProxy() {
  auto proxy = Proxy::Create(ProxyOptions{.threads = 2});
  REQUIRE(proxy.has_value());
  return std::move(*proxy);
}

TEST_CASE("L4 proxy round robin reaches every upstream") {
  TestUpstream a("api-0"), b("api-1"), c("api-2");
  auto proxy = MakeProxy();
  int port = FreePort(kL4Address);
  REQUIRE(proxy->Update({TcpRoute(port, {&a, &b, &c})}, {}).empty());
  std::multiset<std::string> seen;
  for (int i = 0; i < 6; ++i) {
    Reply r = Get(kL4Address, port);
    REQUIRE(r.status == 200);
    seen.insert(r.Header("X-Upstream"));
  }
  CHECK(seen.count("api-0") == 2);
  CHECK(seen.count("api-1") == 2);
  CHECK(seen.count("api-2") == 2);
  auto stats = proxy->Stats();
  REQUIRE(stats.size() == 1);
  CHECK(stats[0].key == "default/api");
  CHECK(stats[0].requests == 6);
  CHECK(stats[0].errors == 0);
  CHECK(stats[0].upstreams.size() == 3);
}

TEST_CASE("L4 proxy skips a refusing upstream and still answers") {
  TestUpstream a("api-0"), dead("api-1");
  dead.Stop();  // its port now refuses
  auto proxy = MakeProxy();
  int port = FreePort(kL4Address);
  REQUIRE(proxy->Update({TcpRoute(port, {&a, &dead})}, {}).empty());
  for (int i = 0; i < 4; ++i) {
    Reply r = Get(kL4Address, port);
    REQUIRE(r.status == 200);
    CHECK(r.Header("X-Upstream") == "api-0");
  }
  auto stats = proxy->Stats();
  REQUIRE(stats.size() == 1);
  std::uint64_t failures = 0;
  for (auto& u : stats[0].upstreams) failures += u.failures;
  CHECK(failures >= 1);
}

TEST_CASE("L4 proxy upstream removed by update gets no new connection") {
  TestUpstream a("api-0"), b("api-1");
  auto proxy = MakeProxy();
  int port = FreePort(kL4Address);
  REQUIRE(proxy->Update({TcpRoute(port, {&a, &b})}, {}).empty());
  REQUIRE(proxy->Update({TcpRoute(port, {&a})}, {}).empty());
  int before = b.connections();
  for (int i = 0; i < 5; ++i) CHECK(Get(kL4Address, port).Header("X-Upstream") == "api-0");
  CHECK(b.connections() == before);
}

TEST_CASE("L4 proxy service removed by update closes its listener") {
  TestUpstream a("api-0");
  auto proxy = MakeProxy();
  int port = FreePort(kL4Address);
  REQUIRE(proxy->Update({TcpRoute(port, {&a})}, {}).empty());
  CHECK(Get(kL4Address, port).status == 200);
  REQUIRE(proxy->Update({}, {}).empty());
  CHECK(Get(kL4Address, port).status == 0);
  CHECK(proxy->Stats().empty());
}

TEST_CASE("L4 proxy with an empty pool closes connections and counts errors") {
  auto proxy = MakeProxy();
  int port = FreePort(kL4Address);
  REQUIRE(proxy->Update({TcpRoute(port, {})}, {}).empty());
  CHECK(Get(kL4Address, port).status == 0);
  CHECK(WaitFor([&] { return proxy->Stats()[0].errors == 1; }));
}

TEST_CASE("L4 proxy update reports a port that cannot be bound and serves the others") {
  TestUpstream a("api-0");
  asio::io_context io;
  tcp::acceptor squatter(io, tcp::endpoint(asio::ip::make_address(kL4Address), 0));
  int taken = squatter.local_endpoint().port();
  auto proxy = MakeProxy();
  int port = FreePort(kL4Address);
  ServiceRoute bad = TcpRoute(taken, {&a});
  bad.key = "default/bad";
  auto errors = proxy->Update({TcpRoute(port, {&a}), bad}, {});
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].context == "default/bad");
  CHECK(errors[0].code == ErrorCode::kConflict);
  CHECK(Get(kL4Address, port).status == 200);
}

TEST_CASE("L4 proxy drain waits for an open connection and returns once it closes") {
  TestUpstream a("api-0");
  auto proxy = MakeProxy();
  int port = FreePort(kL4Address);
  REQUIRE(proxy->Update({TcpRoute(port, {&a})}, {}).empty());
  asio::io_context io;
  tcp::socket held(io);
  held.connect(
      tcp::endpoint(asio::ip::make_address(kL4Address), static_cast<unsigned short>(port)));
  REQUIRE(WaitFor([&] { return a.connections() == 1; }));

  // Open connection and a short deadline: not drained.
  CHECK_FALSE(proxy->Drain("default/api", "api-0", 50ms));
  // Out of the pool at once: a new connection finds no upstream.
  CHECK(Get(kL4Address, port).status == 0);
  CHECK(a.connections() == 1);

  std::thread closer([&] {
    WaitFor([&] { return proxy->Stats()[0].errors >= 1; });
    held.close();
  });
  CHECK(proxy->Drain("default/api", "api-0", 10s));
  closer.join();
  CHECK(proxy->Stats()[0].upstreams[0].active == 0);
  CHECK_FALSE(proxy->Stats()[0].upstreams[0].in_pool);
}

TEST_CASE("Proxy drain of an unknown service or upstream returns true at once") {
  auto proxy = MakeProxy();
  CHECK(proxy->Drain("default/none", "api-0", 10s));
}

TEST_CASE("Proxy create rejects zero threads") {
  auto proxy = Proxy::Create(ProxyOptions{.threads = 0});
  REQUIRE_FALSE(proxy.has_value());
  CHECK(proxy.error().code == ErrorCode::kInvalid);
}

}  // namespace
}  // namespace prisn::net
