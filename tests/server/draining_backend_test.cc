// DrainingBackend over a fake inner backend and a real (empty) network:
// what the backend chose (address, port) passes through, List and Detach
// are the inner backend's, and a stop waits for the drain only when the
// replica got a port.
#include "server/draining_backend.h"

#include <catch2/catch.hpp>
#include <mutex>

#include "tests/reconciler/fake_backend.h"
#include "tests/reconciler/store_fixture.h"

namespace prisn::server {
namespace {

using reconciler::Observation;
using namespace std::chrono_literals;

reconciler::InstanceSpec Replica(const std::string& replica) {
  reconciler::InstanceSpec s;
  s.id = "Deployment/default/web/" + replica + "#1";
  s.kind = manifests::Kind::kDeployment;
  s.ns = "default";
  s.owner = "web";
  s.replica = replica;
  s.wants_port = true;
  return s;
}

struct DrainFixture {
  store::testing::StoreFixture f;
  Synchronized<store::Store> sync{f.Open()};
  std::unique_ptr<Network> network = StartNetwork(sync);
  reconciler::testing::FakeBackend inner;
  DrainingBackend draining{inner, *network, 200ms};
  std::mutex mu;
  std::vector<Observation> seen;

  static std::unique_ptr<Network> StartNetwork(Synchronized<store::Store>& store) {
    auto n = Network::Start(store, NetworkOptions{});
    if (!n) throw std::runtime_error(n.error().ToString());
    return std::move(*n);
  }

  DrainFixture() {
    draining.SetObserver([this](Observation o) {
      std::lock_guard lock(mu);
      seen.push_back(std::move(o));
    });
  }
};

}  // namespace

TEST_CASE("DrainingBackend: the address the backend chose passes through to the observer") {
  DrainFixture d;
  d.draining.Start(Replica("web-0"));
  REQUIRE(d.inner.started_count() == 1);
  CHECK(d.inner.started()[0].wants_port);
  d.inner.Report(d.inner.started()[0].id, Observation::Type::kStarted);
  std::lock_guard lock(d.mu);
  REQUIRE(d.seen.size() == 1);
  CHECK(d.seen[0].host == "127.0.0.1");
  CHECK(d.seen[0].port == 20000);
}

TEST_CASE(
    "DrainingBackend: a replica without its port yet stops at once, a started one after its "
    "drain") {
  DrainFixture d;
  auto early = Replica("web-0");
  d.draining.Start(early);
  d.draining.Stop(early.id, 1s);
  CHECK(d.inner.stopped() == std::vector<std::string>{early.id});  // no drain thread
  auto started = Replica("web-1");
  d.draining.Start(started);
  d.inner.Report(started.id, Observation::Type::kStarted);
  d.draining.Stop(started.id, 1s);
  // Passed on by the drain thread once nothing is in flight (nothing is).
  REQUIRE(d.inner.WaitFor([&] { return d.inner.stopped_count() == 2; }));
  CHECK(d.inner.stopped()[1] == started.id);
}

TEST_CASE("DrainingBackend: List and Detach are the inner backend's") {
  DrainFixture d;
  reconciler::ListedInstance running{"Deployment/default/web/web-0#9",
                                     manifests::Kind::kDeployment,
                                     "default",
                                     "web",
                                     "web-0",
                                     "v-1",
                                     4242,
                                     "127.0.0.1",
                                     30000,
                                     true};
  d.inner.SetListed({running});
  auto listed = d.draining.List();
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].pid == 4242);
  CHECK(listed[0].port == 30000);
  // A listed replica with a port drains like a started one.
  d.draining.Stop(running.id, 1s);
  REQUIRE(d.inner.WaitFor([&] { return d.inner.stopped_count() == 1; }));
  d.draining.Start(Replica("web-1"));
  CHECK(d.draining.Detach() == 1);  // web-1: started and not stopped
  CHECK(d.inner.detached());
}

TEST_CASE("DrainingBackend: logs are the inner backend's") {
  DrainFixture d;
  d.inner.SetLog("default", "web", "web-0", {"hello"});
  CHECK(d.draining.ReplicaLogNames("default", "web") == std::vector<std::string>{"web-0"});
  reconciler::LogQuery query;
  query.ns = "default";
  query.owner = "web";
  query.names = {"web-0"};
  auto page = d.draining.ReadLogs(query);
  REQUIRE(page);
  REQUIRE(page->lines.size() == 1);
  CHECK(page->lines[0].text == "hello");
  d.draining.RemoveLog("default", "web", "web-0");
  CHECK(d.inner.removed_logs() == std::vector<std::string>{"web-0"});
}

}  // namespace prisn::server
