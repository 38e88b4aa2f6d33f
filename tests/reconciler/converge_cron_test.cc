// CronJobs in the converge loop against a fake backend and an injected
// clock: fires at the time and never twice, concurrency policies, suspend,
// catch-up after downtime, history limits.
#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>

#include "fake_backend.h"
#include "manifests/canonical.h"
#include "manifests/file_tree.h"
#include "manifests/load.h"
#include "reconciler/converge.h"
#include "store_fixture.h"

namespace prisn::reconciler {
namespace {

using store::testing::TempDir;
using namespace std::chrono_literals;

using testing::FakeBackend;

// 2023-11-14T22:14:00Z: a minute boundary; the fixture starts 30 s before.
constexpr std::int64_t kMinute = 1'700'000'040'000;
const store::ObjectKey kKey{"CronJob", "default", "tick"};

struct ConvergeCronFixture {
  TempDir dir;
  Synchronized<store::Store> store{Open()};
  FakeBackend backend;
  std::unique_ptr<Converger> loop;
  std::atomic<std::int64_t> clock_ms{kMinute - 30'000};
  std::atomic<int> reconciles{0};

  store::Store Open() {
    auto box = SecretBox::LoadOrCreate(dir.File("secret.key"));
    REQUIRE(box);
    auto s = store::Store::Open(dir.File("prisn.db"), std::move(*box));
    REQUIRE(s);
    return std::move(*s);
  }

  ConvergeCronFixture() { StartLoop(); }
  ~ConvergeCronFixture() { loop->Shutdown(1s); }

  void StartLoop() {
    ConvergeOptions o;
    o.state_dir = dir.path();
    o.jitter = [] { return 0.5; };
    o.now_ms = [this] { return clock_ms.load(); };
    o.on_reconcile = [this](std::string_view kind, double) {
      if (kind == "CronJob") ++reconciles;
    };
    loop = std::make_unique<Converger>(store, backend, o);
    REQUIRE(loop->Start());
  }
  // The daemon goes down, the clock moves, a new daemon starts on the store.
  void Restart(std::int64_t at_ms) {
    loop->Shutdown(1s);
    loop.reset();
    clock_ms = at_ms;
    StartLoop();
  }

  void Apply(const std::string& yaml) {
    manifests::MemoryTree t({{"m.yaml", yaml}});
    auto set = manifests::LoadSet(t, {"m.yaml"});
    REQUIRE(set.ok());
    std::vector<store::DesiredObject> desired;
    for (const auto& o : set.objects) {
      store::DesiredObject d;
      d.key = {o.kind, o.meta.namespace_, o.meta.name};
      d.version = o.version;
      d.canonical_json = manifests::ToCanonicalJson(o).dump();
      d.display_json = d.canonical_json;
      d.sources = o.sources;
      desired.push_back(d);
    }
    store::ApplyOptions opts;
    opts.set = "test";
    opts.actor = "tester";
    auto r = store.With([&](store::Store& s) { return s.Apply(desired, opts); });
    REQUIRE(r);
    Settle();
  }

  // Moves the clock and waits until the loop has looked at the CronJob.
  void Settle(std::optional<std::int64_t> at_ms = std::nullopt) {
    if (at_ms) clock_ms = *at_ms;
    int before = reconciles.load();
    loop->Wake(kKey);
    REQUIRE(backend.WaitFor([&] { return reconciles.load() > before; }, 5s));
  }

  WorkloadStatus Status() {
    auto st = loop->StatusOf(kKey);
    REQUIRE(st);
    return *st;
  }

  std::vector<std::string> EventTypes() {
    store::EventFilter f;
    f.kind = "CronJob";
    f.name = "tick";
    auto events = store.With([&](store::Store& s) { return s.Events(f); });
    REQUIRE(events);
    std::vector<std::string> out;
    for (const auto& e : *events) out.push_back(e.type);
    return out;
  }
  int Count(const std::string& type) {
    auto types = EventTypes();
    return static_cast<int>(std::count(types.begin(), types.end(), type));
  }
  std::vector<RunRecord> Runs() {
    RunFilter filter;
    filter.job = "tick";
    auto runs = loop->ListRuns(filter);
    REQUIRE(runs);
    return *runs;
  }
};

std::string CronYaml(const std::string& extra = "", const std::string& schedule = "* * * * *") {
  return "apiVersion: prisn.io/v1\nkind: CronJob\nmetadata:\n  name: tick\nspec:\n  schedule: \"" +
         schedule + "\"\n  timeZone: UTC\n  runtime: bash\n  source:\n    inline: \"echo tick\"\n" + extra;
}

TEST_CASE("Cron loop: a CronJob fires at its time, records the mark first, and never twice") {
  ConvergeCronFixture f;
  f.Apply(CronYaml());
  auto st = f.Status();
  CHECK(st.state == WorkloadState::kScheduled);
  CHECK(st.schedule == "* * * * *");
  CHECK(st.time_zone == "UTC");
  CHECK(st.next_fire_ms == kMinute);
  CHECK(f.backend.started_count() == 0);
  f.Settle(kMinute - 1);
  CHECK(f.backend.started_count() == 0);

  f.Settle(kMinute);
  REQUIRE(f.backend.WaitFor([&] { return f.backend.started_count() == 1; }));
  auto state = f.store.With([](store::Store& s) { return s.GetCronState(kKey); });
  REQUIRE(state);
  REQUIRE(state->has_value());
  CHECK((*state)->handled_ms == kMinute);
  CHECK((*state)->last_scheduled_ms == kMinute);
  CHECK((*state)->last_run == f.backend.started()[0].replica);
  st = f.Status();
  CHECK(st.state == WorkloadState::kRunning);
  CHECK(st.last_schedule_ms == kMinute);
  CHECK(st.next_fire_ms == kMinute + 60'000);
  CHECK(f.Count("cron-fired") == 1);

  for (std::int64_t t : {kMinute, kMinute + 500, kMinute + 59'999}) f.Settle(t);
  f.backend.Finish(f.backend.started()[0].id, 0);
  f.Settle();
  CHECK(f.backend.started_count() == 1);
  st = f.Status();
  CHECK(st.state == WorkloadState::kScheduled);
  CHECK(st.last_result == RunState::kSucceeded);
}

TEST_CASE("Cron loop: Forbid skips a time while the previous run is active, and says why") {
  ConvergeCronFixture f;
  f.Apply(CronYaml());
  f.Settle(kMinute);
  REQUIRE(f.backend.WaitFor([&] { return f.backend.started_count() == 1; }));
  f.backend.Report(f.backend.started()[0].id, Observation::Type::kStarted);
  f.Settle(kMinute + 60'000);
  CHECK(f.backend.started_count() == 1);
  CHECK(f.Count("cron-skipped") == 1);
  // The skipped time is not owed once the run ends.
  f.backend.Report(f.backend.started()[0].id, Observation::Type::kExited, 0);
  f.Settle(kMinute + 61'000);
  CHECK(f.backend.started_count() == 1);
  f.Settle(kMinute + 120'000);
  REQUIRE(f.backend.WaitFor([&] { return f.backend.started_count() == 2; }));
}

TEST_CASE("Cron loop: Allow starts a second run beside the active one") {
  ConvergeCronFixture f;
  f.Apply(CronYaml("  concurrencyPolicy: Allow\n"));
  f.Settle(kMinute);
  REQUIRE(f.backend.WaitFor([&] { return f.backend.started_count() == 1; }));
  f.backend.Report(f.backend.started()[0].id, Observation::Type::kStarted);
  f.Settle(kMinute + 60'000);
  REQUIRE(f.backend.WaitFor([&] { return f.backend.started_count() == 2; }));
  auto started = f.backend.started();
  CHECK(started[0].replica != started[1].replica);
  CHECK(f.backend.stopped().empty());
  CHECK(f.Status().active_runs == 2);
}

TEST_CASE("Cron loop: Replace stops the active run and starts the new one") {
  ConvergeCronFixture f;
  f.Apply(CronYaml("  concurrencyPolicy: Replace\n"));
  f.Settle(kMinute);
  REQUIRE(f.backend.WaitFor([&] { return f.backend.started_count() == 1; }));
  auto first = f.backend.started()[0];
  f.backend.Report(first.id, Observation::Type::kStarted);
  f.Settle(kMinute + 60'000);
  REQUIRE(f.backend.WaitFor([&] { return f.backend.started_count() == 2; }));
  auto stopped = f.backend.stopped();
  REQUIRE(stopped.size() == 1);
  CHECK(stopped[0] == first.id);
  f.backend.Report(first.id, Observation::Type::kExited, 143);
  auto done = f.loop->WaitRun(first.replica, 5s);
  REQUIRE(done);
  CHECK(done->state == RunState::kFailed);
  CHECK(done->reason.find("Replace") != std::string::npos);
  CHECK(f.backend.started_count() == 2);  // the replaced run is not retried
}

TEST_CASE("Cron loop: suspended, nothing fires, and resuming owes nothing for the suspended time") {
  ConvergeCronFixture f;
  f.Apply(CronYaml("  suspend: true\n"));
  CHECK(f.Status().state == WorkloadState::kSuspended);
  CHECK_FALSE(f.Status().next_fire_ms);
  f.Settle(kMinute + 90'000);
  CHECK(f.backend.started_count() == 0);
  auto index = f.store.With([](store::Store& s) { return s.SetSuspend(kKey, false, "tester"); });
  REQUIRE(index);
  f.Settle(kMinute + 100'000);
  CHECK(f.backend.started_count() == 0);
  CHECK(f.Status().state == WorkloadState::kScheduled);
  CHECK(f.Status().next_fire_ms == kMinute + 120'000);
  f.Settle(kMinute + 120'000);
  REQUIRE(f.backend.WaitFor([&] { return f.backend.started_count() == 1; }));
  auto wrong = f.store.With([](store::Store& s) {
    return s.SetSuspend(store::ObjectKey{"Deployment", "default", "tick"}, true, "tester");
  });
  CHECK_FALSE(wrong);
}

TEST_CASE("Cron loop: after downtime one catch-up run for the latest missed time, then none") {
  ConvergeCronFixture f;
  f.Apply(CronYaml());
  f.Settle(kMinute);
  REQUIRE(f.backend.WaitFor([&] { return f.backend.started_count() == 1; }));
  f.backend.Finish(f.backend.started()[0].id, 0);
  REQUIRE(f.loop->WaitRun(f.backend.started()[0].replica, 5s));
  // Down for ten minutes: 10 times missed, one runs.
  f.Restart(kMinute + 10 * 60'000 + 5'000);
  REQUIRE(f.backend.WaitFor([&] { return f.backend.started_count() == 2; }));
  f.Settle();
  f.Settle(kMinute + 10 * 60'000 + 30'000);
  CHECK(f.backend.started_count() == 2);
  CHECK(f.Count("cron-caught-up") == 1);
  CHECK(f.Status().last_schedule_ms == kMinute + 10 * 60'000);
}

TEST_CASE("Cron loop: a restart right after a fire does not fire that time again") {
  ConvergeCronFixture f;
  f.Apply(CronYaml());
  f.Settle(kMinute);
  REQUIRE(f.backend.WaitFor([&] { return f.backend.started_count() == 1; }));
  std::string run = f.backend.started()[0].replica;
  f.Restart(kMinute + 2'000);
  f.Settle();
  // The interrupted run is retried as the same run; no new run for the time.
  for (const auto& s : f.backend.started()) CHECK(s.replica == run);
  CHECK(f.Runs().size() == 1);
  CHECK(f.Count("cron-fired") == 1);
}

TEST_CASE("Cron loop: a missed time past startingDeadline is skipped, not run") {
  ConvergeCronFixture f;
  // Every 5 minutes: 22:15, 22:20 (kMinute + 6 min), 22:25 ...
  f.Apply(CronYaml("  startingDeadline: 1m\n", "*/5 * * * *"));
  f.Restart(kMinute + 6 * 60'000 + 61'000);
  f.Settle();
  CHECK(f.backend.started_count() == 0);
  CHECK(f.Count("cron-skipped") == 1);
  f.Restart(kMinute + 11 * 60'000 + 59'000);
  REQUIRE(f.backend.WaitFor([&] { return f.backend.started_count() == 1; }));
  CHECK(f.Count("cron-caught-up") == 1);
}

TEST_CASE("Cron loop: finished runs beyond the history limits are removed with their logs") {
  ConvergeCronFixture f;
  f.Apply(CronYaml("  successfulJobsHistoryLimit: 2\n  failedJobsHistoryLimit: 1\n  backoffLimit: 0\n"));
  std::vector<std::string> logs;  // run ids
  for (int i = 0; i < 5; ++i) {
    f.Settle(kMinute + i * 60'000);
    REQUIRE(f.backend.WaitFor([&] { return f.backend.started_count() == static_cast<size_t>(i + 1); }));
    auto a = f.backend.started()[i];
    f.backend.SetLog(a.ns, a.owner, a.replica, {"tick"});
    logs.push_back(a.replica);
    f.backend.Finish(a.id, i < 2 ? 1 : 0);  // two failures, then three successes
    REQUIRE(f.loop->WaitRun(a.replica, 5s));
  }
  f.Settle();
  auto runs = f.Runs();
  int ok = 0, failed = 0;
  for (const auto& r : runs) (r.state == RunState::kSucceeded ? ok : failed)++;
  CHECK(ok == 2);
  CHECK(failed == 1);
  // The loop asks the backend to remove the logs of the runs it trimmed.
  auto removed = f.backend.removed_logs();
  std::sort(removed.begin(), removed.end());
  std::vector<std::string> expected{logs[0], logs[2]};  // the oldest failure, the oldest success
  std::sort(expected.begin(), expected.end());
  CHECK(removed == expected);
}

TEST_CASE("Cron loop: deleting a CronJob forgets its schedule state") {
  ConvergeCronFixture f;
  f.Apply(CronYaml());
  auto deleted = f.store.With([](store::Store& s) { return s.Delete(kKey, false, "tester"); });
  REQUIRE(deleted);
  f.loop->Wake(kKey);
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (f.loop->StatusOf(kKey) && std::chrono::steady_clock::now() < deadline)
    f.backend.WaitFor([] { return false; }, 5ms);
  CHECK_FALSE(f.loop->StatusOf(kKey));
  auto state = f.store.With([](store::Store& s) { return s.GetCronState(kKey); });
  REQUIRE(state);
  CHECK_FALSE(state->has_value());
}

}  // namespace
}  // namespace prisn::reconciler
