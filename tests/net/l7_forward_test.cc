#include "net/l7_forward.h"

#include <catch2/catch.hpp>

#include <future>
#include <set>

#include "net/proxy.h"
#include "tests/net/proxy_test_util.h"

namespace prisn::net {
namespace {

using namespace testing;
using namespace std::chrono_literals;

constexpr const char* kL7Address = "127.72.0.2";

ServiceRoute HttpRoute(int port, const std::vector<TestUpstream*>& upstreams,
                       LbAlgorithm algorithm = LbAlgorithm::kRoundRobin) {
  ServiceRoute route;
  route.key = "default/web";
  route.address = kL7Address;
  route.port = port;
  route.http = true;
  route.algorithm = algorithm;
  for (auto* u : upstreams) route.upstreams.push_back(Upstream{u->id(), "127.0.0.1", u->port()});
  return route;
}

// A failed REQUIRE must not leave a held request waiting forever (the
// future's destructor would wait for it).
struct ReleaseAll {
  TestUpstream& a;
  TestUpstream& b;
  ~ReleaseAll() {
    a.Release();
    b.Release();
  }
};

std::unique_ptr<Proxy> MakeL7Proxy() {
  auto proxy = Proxy::Create(ProxyOptions{.threads = 2});
  REQUIRE(proxy.has_value());
  return std::move(*proxy);
}

TEST_CASE("L7 proxy round robin reaches different upstreams and appends X-Forwarded-For") {
  TestUpstream a("web-0"), b("web-1");
  auto proxy = MakeL7Proxy();
  int port = FreePort(kL7Address);
  REQUIRE(proxy->Update({HttpRoute(port, {&a, &b})}, {}).empty());
  std::set<std::string> seen;
  for (int i = 0; i < 4; ++i) {
    Reply r = Get(kL7Address, port);
    REQUIRE(r.status == 200);
    CHECK(r.body == r.Header("X-Upstream") + "\n");
    CHECK(r.Header("X-Seen-XFF") == "127.0.0.1");
    seen.insert(r.Header("X-Upstream"));
  }
  CHECK(seen == std::set<std::string>{"web-0", "web-1"});
  Reply chained =
      Request(kL7Address, port, "/", http::verb::get, "test", {{"X-Forwarded-For", "203.0.113.9"}});
  CHECK(chained.Header("X-Seen-XFF") == "203.0.113.9, 127.0.0.1");
}

TEST_CASE("L7 proxy keeps connections to upstreams alive across requests") {
  TestUpstream a("web-0");
  auto proxy = MakeL7Proxy();
  int port = FreePort(kL7Address);
  REQUIRE(proxy->Update({HttpRoute(port, {&a})}, {}).empty());
  for (int i = 0; i < 10; ++i) REQUIRE(Get(kL7Address, port).status == 200);
  // Two workers: at most one pooled connection each.
  CHECK(a.connections() <= 2);
  CHECK(a.requests() == 10);
}

TEST_CASE("L7 proxy least connections avoids an upstream with a request in flight") {
  TestUpstream a("web-0"), b("web-1");
  auto proxy = MakeL7Proxy();
  int port = FreePort(kL7Address);
  REQUIRE(proxy->Update({HttpRoute(port, {&a, &b}, LbAlgorithm::kLeastConnections)}, {}).empty());
  auto held = std::async(std::launch::async, [&] { return Get(kL7Address, port, "/hold"); });
  ReleaseAll release_all{a, b};
  REQUIRE(WaitFor([&] { return a.held() + b.held() == 1; }));
  std::string busy = a.held() == 1 ? "web-0" : "web-1";
  for (int i = 0; i < 4; ++i) {
    Reply r = Get(kL7Address, port);
    REQUIRE(r.status == 200);
    CHECK(r.Header("X-Upstream") != busy);
  }
  a.Release();
  b.Release();
  CHECK(held.get().Header("X-Upstream") == busy);
}

TEST_CASE("L7 proxy ip hash sends one client to one upstream") {
  TestUpstream a("web-0"), b("web-1"), c("web-2");
  auto proxy = MakeL7Proxy();
  int port = FreePort(kL7Address);
  REQUIRE(proxy->Update({HttpRoute(port, {&a, &b, &c}, LbAlgorithm::kIpHash)}, {}).empty());
  std::set<std::string> seen;
  for (int i = 0; i < 6; ++i) seen.insert(Get(kL7Address, port).Header("X-Upstream"));
  CHECK(seen.size() == 1);
}

TEST_CASE("L7 proxy random spreads over upstreams") {
  TestUpstream a("web-0"), b("web-1");
  auto proxy = MakeL7Proxy();
  int port = FreePort(kL7Address);
  REQUIRE(proxy->Update({HttpRoute(port, {&a, &b}, LbAlgorithm::kRandom)}, {}).empty());
  std::set<std::string> seen;
  for (int i = 0; i < 64 && seen.size() < 2; ++i)
    seen.insert(Get(kL7Address, port).Header("X-Upstream"));
  CHECK(seen.size() == 2);
}

TEST_CASE("L7 proxy retries a GET on a refused upstream but not a POST") {
  TestUpstream a("web-0"), dead("web-1");
  dead.Stop();
  auto proxy = MakeL7Proxy();
  int port = FreePort(kL7Address);
  REQUIRE(proxy->Update({HttpRoute(port, {&dead, &a})}, {}).empty());
  for (int i = 0; i < 4; ++i) {
    Reply get = Get(kL7Address, port);
    CHECK(get.status == 200);
    CHECK(get.Header("X-Upstream") == "web-0");
  }
  CHECK(a.requests() == 4);
  // Round robin sends some POSTs to the dead one: those are not retried.
  int ok = 0, bad_gateway = 0;
  for (int i = 0; i < 4; ++i) {
    Reply post = Request(kL7Address, port, "/", http::verb::post);
    if (post.status == 200) ok++;
    if (post.status == 502) bad_gateway++;
  }
  CHECK(bad_gateway >= 1);
  CHECK(ok + bad_gateway == 4);
  CHECK(a.requests() == 4 + ok);
  auto stats = proxy->Stats();
  CHECK(stats[0].errors == static_cast<std::uint64_t>(bad_gateway));
  CHECK(stats[0].requests == 8);
}

TEST_CASE("L7 proxy killed replica stops getting traffic before the next request") {
  TestUpstream a("web-0"), b("web-1");
  auto proxy = MakeL7Proxy();
  int port = FreePort(kL7Address);
  REQUIRE(proxy->Update({HttpRoute(port, {&a, &b})}, {}).empty());
  for (int i = 0; i < 4; ++i) REQUIRE(Get(kL7Address, port).status == 200);
  b.Stop();  // pooled keep-alive connections to it break, and it refuses new ones
  for (int i = 0; i < 6; ++i) {
    Reply r = Get(kL7Address, port);
    CHECK(r.status == 200);
    CHECK(r.Header("X-Upstream") == "web-0");
  }
}

TEST_CASE("L7 proxy cookie affinity sets a cookie and honours it while the upstream is in the pool") {
  TestUpstream a("web-0"), b("web-1");
  auto proxy = MakeL7Proxy();
  int port = FreePort(kL7Address);
  ServiceRoute route = HttpRoute(port, {&a, &b});
  route.cookie_affinity = true;
  REQUIRE(proxy->Update({route}, {}).empty());
  Reply first = Get(kL7Address, port);
  std::string cookie = first.Header("Set-Cookie");
  std::string id = first.Header("X-Upstream");
  REQUIRE(cookie.starts_with("prisn-affinity=" + id + ";"));
  for (int i = 0; i < 4; ++i) {
    Reply r = Request(kL7Address, port, "/", http::verb::get, "test",
                      {{"Cookie", "theme=dark; prisn-affinity=" + id}});
    CHECK(r.Header("X-Upstream") == id);
    CHECK(r.Header("Set-Cookie").empty());
  }
  REQUIRE(proxy->Drain("default/web", id, 5s));
  Reply moved =
      Request(kL7Address, port, "/", http::verb::get, "test", {{"Cookie", "prisn-affinity=" + id}});
  CHECK(moved.status == 200);
  CHECK(moved.Header("X-Upstream") != id);
  CHECK(moved.Header("Set-Cookie").starts_with("prisn-affinity=" + moved.Header("X-Upstream")));
}

TEST_CASE("L7 proxy answers 503 when the pool is empty") {
  auto proxy = MakeL7Proxy();
  int port = FreePort(kL7Address);
  REQUIRE(proxy->Update({HttpRoute(port, {})}, {}).empty());
  Reply r = Get(kL7Address, port);
  CHECK(r.status == 503);
  CHECK(r.body.find("default/web") != std::string::npos);
  CHECK(proxy->Stats()[0].errors == 1);
}

TEST_CASE("L7 proxy drain lets a request in flight finish and sends nothing new") {
  TestUpstream a("web-0"), b("web-1");
  auto proxy = MakeL7Proxy();
  int port = FreePort(kL7Address);
  REQUIRE(proxy->Update({HttpRoute(port, {&a, &b})}, {}).empty());
  auto held = std::async(std::launch::async, [&] { return Get(kL7Address, port, "/hold"); });
  ReleaseAll release_all{a, b};
  REQUIRE(WaitFor([&] { return a.held() + b.held() == 1; }));
  TestUpstream& busy = a.held() == 1 ? a : b;
  TestUpstream& other = a.held() == 1 ? b : a;
  auto drained = std::async(std::launch::async,
                            [&] { return proxy->Drain("default/web", busy.id(), 10s); });
  // Out of the pool at once: new requests go to the other one.
  REQUIRE(WaitFor([&] {
    auto stats = proxy->Stats();
    for (auto& u : stats[0].upstreams) {
      if (u.id == busy.id()) return !u.in_pool;
    }
    return false;
  }));
  int before = busy.requests();
  for (int i = 0; i < 4; ++i) CHECK(Get(kL7Address, port).Header("X-Upstream") == other.id());
  CHECK(busy.requests() == before);
  busy.Release();
  CHECK(held.get().status == 200);
  CHECK(drained.get());
}

TEST_CASE("L7 proxy HEAD and POST bodies pass through") {
  TestUpstream a("web-0");
  auto proxy = MakeL7Proxy();
  int port = FreePort(kL7Address);
  REQUIRE(proxy->Update({HttpRoute(port, {&a})}, {}).empty());
  Reply head = Request(kL7Address, port, "/", http::verb::head);
  CHECK(head.status == 200);
  CHECK(head.Header("Content-Length") == "6");
  Reply post = Request(kL7Address, port, "/", http::verb::post);
  CHECK(post.Header("X-Seen-Method") == "POST");
}

TEST_CASE("L7 proxy answers 504 when the upstream does not answer in time") {
  TestUpstream a("web-0");
  auto created = Proxy::Create(ProxyOptions{.threads = 1, .upstream_timeout = 1s});
  REQUIRE(created.has_value());
  auto& proxy = *created;
  int port = FreePort(kL7Address);
  REQUIRE(proxy->Update({HttpRoute(port, {&a})}, {}).empty());
  ReleaseAll release_all{a, a};
  auto start = std::chrono::steady_clock::now();
  Reply r = Get(kL7Address, port, "/hold");
  CHECK(r.status == 504);
  CHECK(std::chrono::steady_clock::now() - start < 5s);
  CHECK(proxy->Stats()[0].errors == 1);
  a.Release();
  // The connection that timed out was closed, not pooled: the next request works.
  CHECK(Get(kL7Address, port).status == 200);
}

TEST_CASE("CookieValue finds a cookie among others") {
  CHECK(CookieValue("a=1; prisn-affinity=web-1; b=2", "prisn-affinity") == "web-1");
  CHECK(CookieValue("a=1", "prisn-affinity").empty());
  CHECK(CookieValue("", "prisn-affinity").empty());
}

}  // namespace
}  // namespace prisn::net
