// The converge loop against a fake backend: what it starts and stops for
// each change of desired state and each observation.
#include "reconciler/converge.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <condition_variable>
#include <mutex>

#include "fake_backend.h"
#include "manifests/canonical.h"
#include "manifests/file_tree.h"
#include "manifests/load.h"
#include "reconciler/apply.h"
#include "store_fixture.h"

namespace prisn::reconciler {
namespace {

using store::testing::TempDir;
using namespace std::chrono_literals;

using testing::FakeBackend;

struct Fixture {
  TempDir dir;
  Synchronized<store::Store> store{Open()};
  FakeBackend backend;
  std::unique_ptr<Converger> loop;

  store::Store Open() {
    auto box = SecretBox::LoadOrCreate(dir.File("secret.key"));
    REQUIRE(box);
    auto s = store::Store::Open(dir.File("prisn.db"), std::move(*box));
    REQUIRE(s);
    return std::move(*s);
  }

  // The loop's clock; tests move it to walk through backoff timelines.
  std::atomic<std::int64_t> clock_ms{1'700'000'000'000};

  // start = false: the test sets the backend up (SetListed), then Start()s.
  explicit Fixture(int max_running_runs = 0, bool start = true) {
    ConvergeOptions o;
    o.max_running_runs = max_running_runs;
    o.state_dir = dir.path();
    o.jitter = [] { return 0.5; };
    o.now_ms = [this] { return clock_ms.load(); };
    loop = std::make_unique<Converger>(store, backend, o);
    if (start) Start();
  }
  void Start() { REQUIRE(loop->Start()); }
  ~Fixture() { loop->Shutdown(1s); }

  void Apply(const std::string& yaml, const std::map<std::string, std::string>& files = {}) {
    std::map<std::string, std::string> tree = files;
    tree["m.yaml"] = yaml;
    manifests::MemoryTree t(tree);
    auto set = manifests::LoadSet(t, {"m.yaml"});
    REQUIRE(set.ok());
    std::vector<store::DesiredObject> desired;
    for (const auto& o : set.objects) desired.push_back(ToDesired(o));
    store::ApplyOptions opts;
    opts.set = "test";
    opts.actor = "tester";
    auto r = store.With([&](store::Store& s) { return s.Apply(desired, opts); });
    REQUIRE(r);
    for (const auto& item : r->items) loop->Wake(item.key);
  }

  std::optional<WorkloadStatus> WaitStatus(const store::ObjectKey& key,
                                           std::function<bool(const WorkloadStatus&)> pred) {
    auto deadline = std::chrono::steady_clock::now() + 5s;
    std::optional<WorkloadStatus> last;
    while (std::chrono::steady_clock::now() < deadline) {
      last = loop->StatusOf(key);
      if (last && pred(*last)) return last;
      backend.WaitFor([] { return false; }, 5ms);
    }
    return last;
  }
};

std::string Deployment(int replicas, const std::string& text = "echo hi", bool port = false) {
  return "apiVersion: prisn.io/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  replicas: " +
         std::to_string(replicas) +
         "\n  runtime: bash\n  source:\n    inline: \"" + text + "\"\n" +
         (port ? "  port: auto\n" : "");
}

const store::ObjectKey kApi{"Deployment", "default", "api"};

TEST_CASE("Converger: a new Deployment starts each replica once, with a PORT when it has a port") {
  Fixture f;
  f.Apply(Deployment(2, "echo hi", true));
  REQUIRE(f.backend.WaitFor([&] { return f.backend.started().size() == 2; }));
  auto started = f.backend.started();
  CHECK(started[0].replica == "api-0");
  CHECK(started[1].replica == "api-1");
  // The backend chooses where each replica listens; the loop asks for a port.
  CHECK(started[0].wants_port);
  CHECK(started[1].wants_port);
  CHECK(started[0].min_ready == 1s);  // no healthCheck: up 1 s before it counts
  CHECK_FALSE(started[0].env.contains("PORT"));
  for (auto& s : started) f.backend.Report(s.id, Observation::Type::kStarted);
  for (auto& s : started) f.backend.Report(s.id, Observation::Type::kReady);
  auto st = f.WaitStatus(
      kApi, [](const WorkloadStatus& s) { return s.state == WorkloadState::kRunning; });
  REQUIRE(st);
  CHECK(st->state == WorkloadState::kRunning);
  CHECK(st->ready == 2);
  CHECK(f.backend.started_count() == 2);
}

TEST_CASE("Converger: replicas the backend already runs are adopted, not started again") {
  Fixture f(0, /*start=*/false);
  f.Apply(Deployment(2, "echo hi", true));
  auto stored = f.store.With([](store::Store& s) { return s.Get(kApi); });
  REQUIRE(stored);
  REQUIRE(*stored);
  const std::string version = (**stored).version;
  f.backend.SetListed({
      {"Deployment/default/api/0#1-1", manifests::Kind::kDeployment, "default", "api", "api-0",
       version, 4242, "127.0.0.1", 30000, true},
      // Deleted while no loop ran: stopped, never adopted.
      {"Deployment/default/gone/0#1-2", manifests::Kind::kDeployment, "default", "gone", "gone-0",
       version, 4343, "127.0.0.1", 30001, true},
  });
  f.Start();
  REQUIRE(f.backend.WaitFor([&] { return f.backend.started_count() == 1; }));
  CHECK(f.backend.started()[0].replica == "api-1");
  CHECK(f.backend.stopped() == std::vector<std::string>{"Deployment/default/gone/0#1-2"});
  auto api1 = f.backend.started()[0].id;
  f.backend.Report(api1, Observation::Type::kStarted);
  f.backend.Report(api1, Observation::Type::kReady);
  auto st = f.WaitStatus(kApi, [](const WorkloadStatus& s) { return s.ready == 2; });
  REQUIRE(st);
  REQUIRE(st->replicas.size() == 2);
  CHECK(st->replicas[0].name == "api-0");
  CHECK(st->replicas[0].pid == 4242);
  CHECK(st->replicas[0].port == 30000);
  CHECK(st->replicas[1].port == 20000);  // the fake's choice for its first start
  CHECK(f.backend.started_count() == 1);
}

TEST_CASE("Converger: a detaching shutdown leaves the instances to the backend, stopping none") {
  Fixture f;
  f.Apply(Deployment(2));
  REQUIRE(f.backend.WaitFor([&] { return f.backend.started_count() == 2; }));
  for (auto& s : f.backend.started()) f.backend.Report(s.id, Observation::Type::kStarted);
  f.loop->Shutdown(1s, Converger::ShutdownMode::kDetach);
  CHECK(f.backend.detached());
  CHECK(f.backend.stopped_count() == 0);
}

TEST_CASE("Converger: scaling up adds replicas and keeps the running ones") {
  Fixture f;
  f.Apply(Deployment(1));
  REQUIRE(f.backend.WaitFor([&] { return f.backend.started_count() == 1; }));
  auto first = f.backend.started()[0];
  f.backend.Report(first.id, Observation::Type::kStarted);
  f.backend.Report(first.id, Observation::Type::kReady);
  auto index = f.store.With([&](store::Store& s) { return s.SetReplicas(kApi, 3, "tester"); });
  REQUIRE(index);
  f.loop->Wake(kApi);
  REQUIRE(f.backend.WaitFor([&] { return f.backend.started_count() == 3; }));
  CHECK(f.backend.stopped_count() == 0);
  CHECK(f.backend.started()[1].replica == "api-1");
  CHECK(f.backend.started()[2].replica == "api-2");
}

TEST_CASE("Converger: a crashing replica restarts at once, then after 1 s, 2 s, 4 s ... up to 60 s") {
  Fixture f;
  f.Apply(Deployment(1));
  REQUIRE(f.backend.WaitFor([&] { return f.backend.started_count() == 1; }));
  auto crash = [&](size_t n) {
    auto s = f.backend.started()[n];
    f.backend.Report(s.id, Observation::Type::kStarted);
    f.backend.Report(s.id, Observation::Type::kExited, 1);
  };
  crash(0);
  // The first restart of a streak is immediate: no clock movement needed.
  REQUIRE(f.backend.WaitFor([&] { return f.backend.started_count() == 2; }));
  std::vector<std::int64_t> waits;
  for (size_t n = 1; n < 9; ++n) {
    std::int64_t crashed_at = f.clock_ms.load();
    crash(n);
    auto st = f.WaitStatus(kApi, [&](const WorkloadStatus& s) {
      return s.state == WorkloadState::kCrashloop && s.replicas.size() == 1 &&
             s.replicas[0].restarts == static_cast<int>(n + 1);
    });
    REQUIRE(st);
    CHECK(st->replicas[0].state == ReplicaState::kCrashloop);
    CHECK(st->replicas[0].last_exit == "exit 1");
    REQUIRE(st->replicas[0].next_retry_ms);
    waits.push_back(*st->replicas[0].next_retry_ms - crashed_at);
    // Nothing starts before the retry time.
    f.clock_ms = *st->replicas[0].next_retry_ms - 1;
    f.loop->Wake(kApi);
    CHECK_FALSE(f.backend.WaitFor([&] { return f.backend.started_count() == n + 2; }, 50ms));
    f.clock_ms = *st->replicas[0].next_retry_ms;
    f.loop->Wake(kApi);
    REQUIRE(f.backend.WaitFor([&] { return f.backend.started_count() == n + 2; }));
  }
  // The fixture's jitter is the middle of its range: no change below the
  // cap; at the cap the jitter spreads under it (54-60 s), so its middle is 57 s.
  CHECK(waits == std::vector<std::int64_t>{1000, 2000, 4000, 8000, 16000, 32000, 57000, 57000});
}

TEST_CASE("Converger: a replica that ran ten minutes before it crashed restarts at once") {
  Fixture f;
  f.Apply(Deployment(1));
  REQUIRE(f.backend.WaitFor([&] { return f.backend.started_count() == 1; }));
  for (size_t n = 0; n < 3; ++n) {  // a streak of three crashes
    auto s = f.backend.started()[n];
    f.backend.Report(s.id, Observation::Type::kStarted);
    f.backend.Report(s.id, Observation::Type::kExited, 1);
    auto st = f.WaitStatus(kApi, [&](const WorkloadStatus& w) {
      return !w.replicas.empty() && w.replicas[0].restarts == static_cast<int>(n + 1);
    });
    REQUIRE(st);
    if (st->replicas[0].next_retry_ms) f.clock_ms = *st->replicas[0].next_retry_ms;
    f.loop->Wake(kApi);
    REQUIRE(f.backend.WaitFor([&] { return f.backend.started_count() == n + 2; }));
  }
  auto s = f.backend.started()[3];
  f.backend.Report(s.id, Observation::Type::kStarted);
  REQUIRE(f.WaitStatus(kApi, [](const WorkloadStatus& w) {
    return !w.replicas.empty() && w.replicas[0].pid != 0;
  }));
  f.clock_ms += 10 * 60 * 1000;
  f.backend.Report(s.id, Observation::Type::kExited, 1);
  REQUIRE(f.backend.WaitFor([&] { return f.backend.started_count() == 5; }));
}

TEST_CASE("Converger: a new version rolls: new replica first, old one stopped once it is ready") {
  Fixture f;
  f.Apply(Deployment(1, "echo one"));
  REQUIRE(f.backend.WaitFor([&] { return f.backend.started_count() == 1; }));
  auto old = f.backend.started()[0];
  f.backend.Report(old.id, Observation::Type::kStarted);
  f.backend.Report(old.id, Observation::Type::kReady);
  REQUIRE(f.WaitStatus(kApi,
                       [](const WorkloadStatus& s) { return s.state == WorkloadState::kRunning; }));
  f.Apply(Deployment(1, "echo two"));
  REQUIRE(f.backend.WaitFor([&] { return f.backend.started_count() == 2; }));
  CHECK(f.backend.stopped_count() == 0);  // the old one serves until the new one is ready
  auto fresh = f.backend.started()[1];
  CHECK(fresh.version != old.version);
  f.backend.Report(fresh.id, Observation::Type::kStarted);
  f.backend.Report(fresh.id, Observation::Type::kReady);
  REQUIRE(f.backend.WaitFor([&] { return f.backend.stopped_count() == 1; }));
  CHECK(f.backend.stopped()[0] == old.id);
  f.backend.Report(old.id, Observation::Type::kExited, 143);
  auto st = f.WaitStatus(kApi, [&](const WorkloadStatus& s) {
    return s.state == WorkloadState::kRunning && s.replicas.size() == 1;
  });
  REQUIRE(st);
  CHECK(st->healthy_version == fresh.version);
}

TEST_CASE("Converger: deleting a Deployment stops every replica") {
  Fixture f;
  f.Apply(Deployment(2));
  REQUIRE(f.backend.WaitFor([&] { return f.backend.started_count() == 2; }));
  for (auto& s : f.backend.started()) f.backend.Report(s.id, Observation::Type::kStarted);
  REQUIRE(f.store.With([&](store::Store& s) { return s.Delete(kApi, false, "tester"); }));
  f.loop->Wake(kApi);
  REQUIRE(f.backend.WaitFor([&] { return f.backend.stopped_count() == 2; }));
  for (auto& s : f.backend.started()) f.backend.Report(s.id, Observation::Type::kExited, 143);
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (f.loop->StatusOf(kApi) && std::chrono::steady_clock::now() < deadline)
    f.backend.WaitFor([] { return false; }, 5ms);
  CHECK_FALSE(f.loop->StatusOf(kApi).has_value());
}

TEST_CASE("Converger: a dependsOn target that is not ready holds the dependent back") {
  Fixture f;
  f.Apply(Deployment(1) +
          "  dependsOn: [db]\n---\napiVersion: prisn.io/v1\nkind: Deployment\nmetadata:\n  name: "
          "db\nspec:\n  runtime: bash\n  source:\n    inline: \"echo db\"\n");
  REQUIRE(f.backend.WaitFor([&] { return f.backend.started_count() == 1; }));
  auto db = f.backend.started()[0];
  CHECK(db.owner == "db");
  auto st = f.WaitStatus(
      kApi, [](const WorkloadStatus& s) { return s.state == WorkloadState::kWaiting; });
  REQUIRE(st);
  CHECK(st->reason.find("Deployment/default/db") != std::string::npos);
  f.backend.Report(db.id, Observation::Type::kStarted);
  f.backend.Report(db.id, Observation::Type::kReady);
  REQUIRE(f.backend.WaitFor([&] { return f.backend.started_count() == 2; }));
  CHECK(f.backend.started()[1].owner == "api");
}

std::string JobYaml(int backoff) {
  return "apiVersion: prisn.io/v1\nkind: Job\nmetadata:\n  name: once\nspec:\n  backoffLimit: " +
         std::to_string(backoff) + "\n  runtime: bash\n  source:\n    inline: \"exit 1\"\n";
}

TEST_CASE("Converger: a Job retries failed attempts up to backoffLimit, then fails once") {
  Fixture f;
  f.Apply(JobYaml(1));
  REQUIRE(f.backend.WaitFor([&] { return f.backend.started_count() == 1; }));
  auto a1 = f.backend.started()[0];
  f.backend.Report(a1.id, Observation::Type::kStarted);
  f.backend.Report(a1.id, Observation::Type::kExited, 1);
  // First retry is immediate.
  REQUIRE(f.backend.WaitFor([&] { return f.backend.started_count() == 2; }));
  auto a2 = f.backend.started()[1];
  CHECK(a2.replica == a1.replica);  // same run, same log
  f.backend.Report(a2.id, Observation::Type::kStarted);
  f.backend.Report(a2.id, Observation::Type::kExited, 1);
  store::ObjectKey key{"Job", "default", "once"};
  auto st =
      f.WaitStatus(key, [](const WorkloadStatus& s) { return s.state == WorkloadState::kFailed; });
  REQUIRE(st);
  auto run = f.loop->GetRun(*st->last_run);
  REQUIRE(run);
  CHECK(run->state == RunState::kFailed);
  CHECK(run->attempts == 2);
  CHECK(run->reason.find("backoff limit reached after 2 attempts") != std::string::npos);
  CHECK(f.backend.started_count() == 2);
}

TEST_CASE("Converger: a submitted run is recorded before it starts and ends with its exit") {
  Fixture f;
  manifests::MemoryTree t({{"m.yaml", JobYaml(0)}});
  auto set = manifests::LoadSet(t, {"m.yaml"});
  REQUIRE(set.ok());
  auto run = f.loop->SubmitRun(set.objects[0]);
  REQUIRE(run);
  CHECK(run->adhoc);
  auto stored = f.store.With([&](store::Store& s) { return s.GetRun(run->id); });
  REQUIRE(stored);
  REQUIRE(stored->has_value());
  REQUIRE(f.backend.WaitFor([&] { return f.backend.started_count() == 1; }));
  auto a = f.backend.started()[0];
  f.backend.Report(a.id, Observation::Type::kStarted);
  f.backend.Report(a.id, Observation::Type::kExited, 0);
  auto done = f.loop->WaitRun(run->id, 5s);
  REQUIRE(done);
  CHECK(done->state == RunState::kSucceeded);
  CHECK(done->exit_code == 0);
  auto listed = f.loop->ListRuns({});
  REQUIRE(listed);
  CHECK(listed->size() == 1);
}

TEST_CASE("Converger: runs beyond max_running_runs wait pending and start oldest first as slots free") {
  Fixture f(2);
  manifests::MemoryTree t({{"m.yaml", JobYaml(0)}});
  auto set = manifests::LoadSet(t, {"m.yaml"});
  REQUIRE(set.ok());
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    auto run = f.loop->SubmitRun(set.objects[0]);
    REQUIRE(run);
    ids.push_back(run->id);
  }
  REQUIRE(f.backend.WaitFor([&] { return f.backend.started_count() == 2; }));
  CHECK_FALSE(f.backend.WaitFor([&] { return f.backend.started_count() > 2; }, 300ms));
  auto waiting = f.loop->GetRun(ids[2]);
  REQUIRE(waiting);
  CHECK(waiting->state == RunState::kPending);
  CHECK(waiting->reason.find("waiting for a free run slot") != std::string::npos);

  // Each end frees one slot, for the oldest run still waiting.
  for (size_t next = 2; next < 5; ++next) {
    f.backend.Finish(f.backend.started()[next - 2].id, 0);
    REQUIRE(f.backend.WaitFor([&] { return f.backend.started_count() == next + 1; }));
    CHECK(f.backend.started()[next].id.find(ids[next]) != std::string::npos);
  }
  f.backend.Finish(f.backend.started()[3].id, 0);
  f.backend.Finish(f.backend.started()[4].id, 0);
  for (const auto& id : ids) {
    auto done = f.loop->WaitRun(id, 5s);
    REQUIRE(done);
    CHECK(done->state == RunState::kSucceeded);
    CHECK(done->reason == "exit 0");
  }
}

TEST_CASE("Converger: a waiting run stopped before it started gives its place in the queue to the next") {
  Fixture f(1);
  manifests::MemoryTree t({{"m.yaml", JobYaml(0)}});
  auto set = manifests::LoadSet(t, {"m.yaml"});
  REQUIRE(set.ok());
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    auto run = f.loop->SubmitRun(set.objects[0]);
    REQUIRE(run);
    ids.push_back(run->id);
  }
  REQUIRE(f.backend.WaitFor([&] { return f.backend.started_count() == 1; }));
  REQUIRE(f.loop->StopRun(ids[1]));
  auto stopped = f.loop->WaitRun(ids[1], 5s);
  REQUIRE(stopped);
  CHECK(stopped->state == RunState::kFailed);
  f.backend.Finish(f.backend.started()[0].id, 0);
  REQUIRE(f.backend.WaitFor([&] { return f.backend.started_count() == 2; }));
  CHECK(f.backend.started()[1].id.find(ids[2]) != std::string::npos);
}

}  // namespace
}  // namespace prisn::reconciler
