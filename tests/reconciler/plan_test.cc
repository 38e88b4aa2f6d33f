#include "reconciler/plan.h"

#include <catch2/catch.hpp>

namespace prisn::reconciler::plan {
namespace {

using manifests::IntOrPercent;

InstanceView Inst(const std::string& id, int slot, const std::string& version, bool ready,
                  bool stopping = false) {
  return InstanceView{id, slot, version, stopping, ready};
}

DeploymentInput Rolling(int replicas, std::vector<InstanceView> instances,
                        Budget budget = {1, 0}) {
  DeploymentInput in;
  in.version = "v-new";
  in.replicas = replicas;
  in.budget = budget;
  in.instances = std::move(instances);
  in.now_ms = 1000;
  return in;
}

TEST_CASE("RolloutBudget rounds surge up and unavailable down, as Kubernetes does") {
  struct Row {
    int replicas;
    IntOrPercent surge, unavailable;
    int want_surge, want_unavailable;
  };
  for (const Row& r : std::vector<Row>{
           {4, {25, true}, {25, true}, 1, 1},
           {1, {25, true}, {25, true}, 1, 0},
           {10, {25, true}, {25, true}, 3, 2},
           {3, {0, false}, {0, false}, 0, 1},  // both zero: unavailable becomes 1
           {5, {2, false}, {1, false}, 2, 1},
           {0, {25, true}, {25, true}, 0, 1},
       }) {
    INFO("replicas " << r.replicas);
    Budget b = RolloutBudget(r.replicas, r.surge, r.unavailable);
    CHECK(b.max_surge == r.want_surge);
    CHECK(b.max_unavailable == r.want_unavailable);
  }
}

TEST_CASE("RestartDelay: at once, then 1 s doubling to a 60 s cap, jitter within 10% and the cap") {
  struct Row {
    int restarts;
    double jitter;
    long long min_ms;
    long long max_ms;
  };
  const Row rows[] = {
      {0, 0.5, 0, 0},            {0, 0.999, 0, 0},
      {1, 0.0, 900, 900},        {1, 0.5, 1000, 1000},       {1, 0.999, 1099, 1100},
      {2, 0.5, 2000, 2000},      {3, 0.5, 4000, 4000},       {6, 0.0, 28800, 28800},
      {6, 0.5, 32000, 32000},    {6, 0.999, 35160, 35200},
      // From here the base is the cap: jitter spreads below it, never above.
      {7, 0.0, 54000, 54000},    {7, 0.5, 57000, 57000},     {7, 0.999, 59940, 60000},
      {7, 1.0, 59940, 60000},    {7, 7.5, 59940, 60000},     {17, 0.999, 59940, 60000},
      {100, 0.999, 59940, 60000}, {1000000, 1.0, 59940, 60000},
  };
  for (const Row& r : rows) {
    INFO("restarts " << r.restarts << " jitter " << r.jitter);
    long long got = RestartDelay(r.restarts, r.jitter).count();
    CHECK(got >= r.min_ms);
    CHECK(got <= r.max_ms);
  }
  // Whatever the streak and the draw: never beyond the documented 60 s.
  for (int restarts = 0; restarts < 40; ++restarts) {
    for (double j = 0.0; j < 1.0; j += 0.01) CHECK(RestartDelay(restarts, j).count() <= 60000);
  }
}

TEST_CASE("PlanDeployment: from nothing, every replica starts at once") {
  auto p = PlanDeployment(Rolling(3, {}));
  CHECK(p.start_slots == std::vector<int>{0, 1, 2});
  CHECK(p.stop_ids.empty());
  CHECK_FALSE(p.complete);
}

TEST_CASE("PlanDeployment: scaling up never touches running replicas") {
  auto p = PlanDeployment(Rolling(4, {Inst("a", 0, "v-new", true), Inst("b", 1, "v-new", false)}));
  CHECK(p.start_slots == std::vector<int>{2, 3});
  CHECK(p.stop_ids.empty());
}

TEST_CASE("PlanDeployment: scaling down stops the highest slots only") {
  auto p = PlanDeployment(Rolling(1, {Inst("a", 0, "v-new", true), Inst("b", 1, "v-new", true),
                                      Inst("c", 2, "v-new", true)}));
  CHECK(p.start_slots.empty());
  CHECK(p.stop_ids == std::vector<std::string>{"b", "c"});
}

TEST_CASE("PlanDeployment: scale to zero stops everything and is complete once gone") {
  auto p = PlanDeployment(Rolling(0, {Inst("a", 0, "v-new", true), Inst("o", 0, "v-old", true)}));
  CHECK(p.stop_ids.size() == 2);
  CHECK(PlanDeployment(Rolling(0, {})).complete);
}

TEST_CASE("PlanDeployment: all ready and current is complete") {
  auto p = PlanDeployment(Rolling(2, {Inst("a", 0, "v-new", true), Inst("b", 1, "v-new", true)}));
  CHECK(p.complete);
  CHECK(p.start_slots.empty());
  CHECK(p.stop_ids.empty());
}

TEST_CASE("PlanDeployment: a rolling update surges first and stops old only when new is ready") {
  // 2 replicas, surge 1, unavailable 0.
  std::vector<InstanceView> olds{Inst("o0", 0, "v-old", true), Inst("o1", 1, "v-old", true)};
  auto p1 = PlanDeployment(Rolling(2, olds));
  CHECK(p1.start_slots == std::vector<int>{0});
  CHECK(p1.stop_ids.empty());

  auto starting = olds;
  starting.push_back(Inst("n0", 0, "v-new", false));
  auto p2 = PlanDeployment(Rolling(2, starting));
  CHECK(p2.start_slots.empty());  // at replicas + surge
  CHECK(p2.stop_ids.empty());     // the new one is not ready: nothing old may go

  auto ready = olds;
  ready.push_back(Inst("n0", 0, "v-new", true));
  auto p3 = PlanDeployment(Rolling(2, ready));
  CHECK(p3.stop_ids.size() == 1);
  CHECK(p3.start_slots.empty());

  // One old left stopping, the new one ready: the next new may start.
  std::vector<InstanceView> mid{Inst("o0", 0, "v-old", true, true), Inst("o1", 1, "v-old", true),
                                Inst("n0", 0, "v-new", true)};
  auto p4 = PlanDeployment(Rolling(2, mid));
  CHECK(p4.start_slots == std::vector<int>{1});
  CHECK_FALSE(p4.complete);
}

TEST_CASE("PlanDeployment: a new version that never gets ready stalls with the old one serving") {
  std::vector<InstanceView> in{Inst("o0", 0, "v-old", true), Inst("n0", 0, "v-new", false)};
  auto p = PlanDeployment(Rolling(1, in));
  CHECK(p.stop_ids.empty());
  CHECK(p.start_slots.empty());
  CHECK_FALSE(p.complete);
}

TEST_CASE("PlanDeployment: unready old replicas are stopped first, whatever the budget") {
  std::vector<InstanceView> in{Inst("o0", 0, "v-old", false), Inst("o1", 1, "v-old", true)};
  auto p = PlanDeployment(Rolling(2, in, Budget{0, 1}));
  // o0 serves nobody; o1 is the only ready one and 2 - 1 must stay ready.
  CHECK(p.stop_ids == std::vector<std::string>{"o0"});
}

TEST_CASE("PlanDeployment: recreate stops every old replica before starting new ones") {
  auto in = Rolling(2, {Inst("o0", 0, "v-old", true), Inst("o1", 1, "v-old", true)});
  in.strategy = manifests::StrategyType::kRecreate;
  auto p = PlanDeployment(in);
  CHECK(p.stop_ids.size() == 2);
  CHECK(p.start_slots.empty());
  in.instances = {Inst("o0", 0, "v-old", false, true)};
  CHECK(PlanDeployment(in).start_slots.empty());  // still terminating
  in.instances = {};
  CHECK(PlanDeployment(in).start_slots == std::vector<int>{0, 1});
}

TEST_CASE("PlanDeployment: a slot in crash backoff waits and names its wake time") {
  auto in = Rolling(2, {Inst("a", 0, "v-new", true)});
  in.slots = {SlotView{1, 5000, false}};
  auto p = PlanDeployment(in);
  CHECK(p.start_slots.empty());
  REQUIRE(p.wake_at_ms);
  CHECK(*p.wake_at_ms == 5000);
  in.now_ms = 5000;
  CHECK(PlanDeployment(in).start_slots == std::vector<int>{1});
}

TEST_CASE("PlanDeployment: a slot that is done stays down and counts as complete") {
  auto in = Rolling(1, {});
  in.slots = {SlotView{0, 0, true}};
  auto p = PlanDeployment(in);
  CHECK(p.start_slots.empty());
  CHECK(p.complete);
}

TEST_CASE("PlanDeployment: blocked by a dependency starts nothing but keeps what runs") {
  auto in = Rolling(2, {Inst("a", 0, "v-new", true)});
  in.blocked = true;
  auto p = PlanDeployment(in);
  CHECK(p.start_slots.empty());
  CHECK(p.stop_ids.empty());
}

JobRunInput Job(int attempts, bool live = false) {
  JobRunInput in;
  in.attempts = attempts;
  in.instance_live = live;
  in.created_ms = 0;
  in.now_ms = 10000;
  in.backoff_limit = 2;
  return in;
}

TEST_CASE("PlanJobRun: the first attempt starts, a live attempt is left alone") {
  CHECK(PlanJobRun(Job(0), 0.5).action == JobRunPlan::Action::kStart);
  CHECK(PlanJobRun(Job(1, true), 0.5).action == JobRunPlan::Action::kNothing);
}

TEST_CASE("PlanJobRun: a success ends the run") {
  auto in = Job(1);
  in.last_succeeded = true;
  CHECK(PlanJobRun(in, 0.5).action == JobRunPlan::Action::kSucceed);
}

TEST_CASE("PlanJobRun: failures retry after the backoff until backoffLimit, then fail") {
  auto in = Job(1);
  in.next_retry_ms = 10000;  // due now
  CHECK(PlanJobRun(in, 0.5).action == JobRunPlan::Action::kStart);
  in.attempts = 2;
  in.next_retry_ms = 12000;
  auto wait = PlanJobRun(in, 0.5);
  CHECK(wait.action == JobRunPlan::Action::kWait);
  CHECK(wait.wake_at_ms == 12000);
  in.attempts = 3;  // 1 + backoffLimit 2
  auto fail = PlanJobRun(in, 0.5);
  CHECK(fail.action == JobRunPlan::Action::kFail);
  CHECK(fail.reason == "backoff limit reached after 3 attempts");
}

TEST_CASE("PlanJobRun: restartPolicy Never fails on the first failure") {
  auto in = Job(1);
  in.restart_policy = manifests::RestartPolicy::kNever;
  CHECK(PlanJobRun(in, 0.5).action == JobRunPlan::Action::kFail);
}

TEST_CASE("PlanJobRun: activeDeadline stops a live attempt and fails a waiting run") {
  auto live = Job(1, true);
  live.active_deadline = std::chrono::milliseconds(5000);
  CHECK(PlanJobRun(live, 0.5).action == JobRunPlan::Action::kStopForDeadline);
  live.active_deadline = std::chrono::milliseconds(20000);
  auto p = PlanJobRun(live, 0.5);
  CHECK(p.action == JobRunPlan::Action::kNothing);
  CHECK(p.wake_at_ms == 20000);
  auto waiting = Job(1);
  waiting.next_retry_ms = 50000;
  waiting.active_deadline = std::chrono::milliseconds(5000);
  auto f = PlanJobRun(waiting, 0.5);
  CHECK(f.action == JobRunPlan::Action::kFail);
  CHECK(f.reason == "deadline exceeded");
}

}  // namespace
}  // namespace prisn::reconciler::plan
