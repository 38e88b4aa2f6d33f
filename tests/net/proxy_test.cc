// The Proxy as the daemon drives it: a rolling replacement under steady load
// (start new replicas, drain and stop old ones) loses no request.

#include "net/proxy.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "tests/net/proxy_test_util.h"

namespace prisn::net {
namespace {

using namespace testing;
using namespace std::chrono_literals;

constexpr const char* kAddress = "127.74.0.2";

ServiceRoute Route(int port, bool http, const std::vector<TestUpstream*>& upstreams) {
  ServiceRoute route;
  route.key = "default/app";
  route.address = kAddress;
  route.port = port;
  route.http = http;
  for (auto* u : upstreams) route.upstreams.push_back(Upstream{u->id(), "127.0.0.1", u->port()});
  return route;
}

// Requests in a loop on another thread until stopped; counts failures.
class SteadyLoad {
 public:
  explicit SteadyLoad(int port)
      : thread_([this, port] {
          while (!stop_) {
            Reply r = Get(kAddress, port);
            (r.status == 200 ? ok_ : failed_)++;
          }
        }) {}
  ~SteadyLoad() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int ok() const { return ok_; }
  int failed() const { return failed_; }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<int> ok_{0};
  std::atomic<int> failed_{0};
  std::thread thread_;
};

void RollingReplacement(bool http) {
  auto created = Proxy::Create(ProxyOptions{.threads = 2});
  REQUIRE(created.has_value());
  auto& proxy = *created;
  int port = FreePort(kAddress);
  auto a = std::make_unique<TestUpstream>("app-a");
  auto b = std::make_unique<TestUpstream>("app-b");
  REQUIRE(proxy->Update({Route(port, http, {a.get(), b.get()})}, {}).empty());
  SteadyLoad load(port);
  auto progressed = [&](int from) { return WaitFor([&] { return load.ok() >= from + 20; }); };

  // New replicas start and join; then each old one is drained, stopped and dropped.
  TestUpstream c("app-c"), d("app-d");
  REQUIRE(proxy->Update({Route(port, http, {a.get(), b.get(), &c, &d})}, {}).empty());
  REQUIRE(progressed(load.ok()));
  CHECK(proxy->Drain("default/app", "app-a", 10s));
  a->Stop();
  REQUIRE(proxy->Update({Route(port, http, {b.get(), &c, &d})}, {}).empty());
  REQUIRE(progressed(load.ok()));
  CHECK(proxy->Drain("default/app", "app-b", 10s));
  b->Stop();
  REQUIRE(proxy->Update({Route(port, http, {&c, &d})}, {}).empty());
  REQUIRE(progressed(load.ok()));
  // Scale down.
  CHECK(proxy->Drain("default/app", "app-d", 10s));
  d.Stop();
  REQUIRE(proxy->Update({Route(port, http, {&c})}, {}).empty());
  REQUIRE(progressed(load.ok()));
  load.Stop();
  CHECK(load.failed() == 0);
  CHECK(c.requests() > 0);
  auto stats = proxy->Stats();
  REQUIRE(stats.size() == 1);
  CHECK(stats[0].errors == 0);
}

TEST_CASE("Proxy L4 rolling replacement and scale down under steady load lose no request") {
  RollingReplacement(false);
}

TEST_CASE("Proxy L7 rolling replacement and scale down under steady load lose no request") {
  RollingReplacement(true);
}

TEST_CASE("Proxy update switching a service from tcp to http rebinds the same port") {
  TestUpstream a("app-a");
  auto created = Proxy::Create(ProxyOptions{.threads = 1});
  REQUIRE(created.has_value());
  auto& proxy = *created;
  int port = FreePort(kAddress);
  REQUIRE(proxy->Update({Route(port, false, {&a})}, {}).empty());
  CHECK(Get(kAddress, port).Header("X-Seen-XFF").empty());  // L4 adds nothing
  REQUIRE(proxy->Update({Route(port, true, {&a})}, {}).empty());
  CHECK(Get(kAddress, port).Header("X-Seen-XFF") == "127.0.0.1");
  REQUIRE(proxy->Stats().size() == 1);
  CHECK(proxy->Stats()[0].http);
}

}  // namespace
}  // namespace prisn::net
