// The scheduler's pure decisions with fixed times: what is due, catch-up
// after downtime, startingDeadline, concurrency policies and suspend.
#include "reconciler/cron_plan.h"

#include <date/date.h>

#include <catch2/catch.hpp>

namespace prisn::reconciler::cron_plan {
namespace {

using A = CronDecision::Action;
using manifests::ConcurrencyPolicy;
using namespace std::chrono_literals;

// Unix ms of 2026-03-02 at h:m:s UTC.
std::int64_t At(int h, int m = 0, int s = 0, int ms = 0) {
  auto t = date::sys_days{date::year{2026} / 3 / 2} + std::chrono::hours(h) + std::chrono::minutes(m) +
           std::chrono::seconds(s) + std::chrono::milliseconds(ms);
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

cron::Schedule Parse(const std::string& expr) {
  auto s = cron::Schedule::Parse(expr);
  REQUIRE(s);
  return *s;
}

CronInput Input(const cron::Schedule& s, std::int64_t handled, std::int64_t now) {
  CronInput in;
  in.schedule = &s;
  in.handled_ms = handled;
  in.now_ms = now;
  return in;
}

TEST_CASE(
    "cron_plan: nothing is due before the first scheduled time, and the wake is exactly at it") {
  auto hourly = Parse("0 * * * *");
  auto d = Decide(Input(hourly, At(10, 0, 0, 500), At(10, 30)));
  CHECK(d.action == A::kNothing);
  CHECK_FALSE(d.scheduled_ms);
  CHECK(d.handled_ms == At(10, 0, 0, 500));
  REQUIRE(d.wake_ms);
  CHECK(*d.wake_ms == At(11));
}

TEST_CASE("cron_plan: a time that arrived fires, moves the mark to it and wakes for the next") {
  auto hourly = Parse("0 * * * *");
  auto d = Decide(Input(hourly, At(10, 30), At(11, 0, 0, 3)));
  CHECK(d.action == A::kFire);
  CHECK(d.scheduled_ms == At(11));
  CHECK(d.handled_ms == At(11));
  CHECK_FALSE(d.catch_up);
  CHECK(d.late_ms == 3);
  CHECK(d.wake_ms == At(12));
}

TEST_CASE("cron_plan: a handled time is never due again") {
  auto hourly = Parse("0 * * * *");
  for (std::int64_t now : {At(11), At(11, 0, 0, 999), At(11, 59, 59)}) {
    auto d = Decide(Input(hourly, At(11), now));
    CHECK(d.action == A::kNothing);
    CHECK(d.wake_ms == At(12));
  }
}

TEST_CASE("cron_plan: after downtime only the latest missed time runs, once, as a catch-up") {
  auto hourly = Parse("0 * * * *");
  auto d = Decide(Input(hourly, At(3), At(8, 20)));
  CHECK(d.action == A::kFire);
  CHECK(d.scheduled_ms == At(8));
  CHECK(d.catch_up);
  CHECK(d.missed == 4);  // 04:00 ... 07:00
  CHECK(d.late_ms == 20 * 60'000);
  CHECK(d.wake_ms == At(9));
  // Asked again right after with the persisted mark: nothing.
  auto again = Decide(Input(hourly, d.handled_ms, At(8, 20, 1)));
  CHECK(again.action == A::kNothing);
}

TEST_CASE("cron_plan: startingDeadline decides whether a late time may still start") {
  auto hourly = Parse("0 * * * *");
  struct Row {
    std::chrono::milliseconds deadline;
    std::int64_t now;
    A action;
  };
  for (Row r : {Row{0ms, At(8, 59), A::kFire}, Row{5min, At(8, 4, 59), A::kFire},
                Row{5min, At(8, 5, 0), A::kFire}, Row{5min, At(8, 5, 1), A::kSkip},
                Row{30s, At(8, 20), A::kSkip}}) {
    auto in = Input(hourly, At(7, 30), r.now);
    in.starting_deadline = r.deadline;
    auto d = Decide(in);
    CAPTURE(r.deadline.count(), r.now);
    CHECK(d.action == r.action);
    CHECK(d.scheduled_ms == At(8));
    CHECK(d.handled_ms == At(8));  // skipped or fired, never asked again
    if (r.action == A::kSkip) CHECK(d.reason.find("startingDeadline") != std::string::npos);
  }
}

TEST_CASE("cron_plan: concurrency policy with a run still active") {
  auto every = Parse("*/5 * * * *");
  struct Row {
    ConcurrencyPolicy policy;
    bool active;
    A action;
  };
  for (Row r : {Row{ConcurrencyPolicy::kForbid, false, A::kFire},
                Row{ConcurrencyPolicy::kForbid, true, A::kSkip},
                Row{ConcurrencyPolicy::kAllow, true, A::kFire},
                Row{ConcurrencyPolicy::kReplace, true, A::kReplace},
                Row{ConcurrencyPolicy::kReplace, false, A::kFire}}) {
    auto in = Input(every, At(10, 0), At(10, 5, 0, 10));
    in.policy = r.policy;
    in.active = r.active;
    auto d = Decide(in);
    CAPTURE(static_cast<int>(r.policy), r.active);
    CHECK(d.action == r.action);
    CHECK(d.scheduled_ms == At(10, 5));
    CHECK(d.handled_ms == At(10, 5));
    CHECK(d.wake_ms == At(10, 10));
    if (r.action == A::kSkip) CHECK(d.reason.find("Forbid") != std::string::npos);
  }
}

TEST_CASE(
    "cron_plan: suspended, nothing fires and the mark follows now, and resuming owes nothing") {
  auto hourly = Parse("0 * * * *");
  auto in = Input(hourly, At(7, 30), At(9, 10));
  in.suspend = true;
  auto d = Decide(in);
  CHECK(d.action == A::kNothing);
  CHECK(d.handled_ms == At(9, 10));
  CHECK_FALSE(d.wake_ms);
  // Resumed at 11:15 with the mark still at 09:10: 10:00 and 11:00 passed
  // while suspended and do not run.
  auto resumed = Input(hourly, At(9, 10), At(11, 15));
  resumed.was_suspended = true;
  auto r = Decide(resumed);
  CHECK(r.action == A::kNothing);
  CHECK(r.handled_ms == At(11, 15));
  CHECK(r.wake_ms == At(12));
}

TEST_CASE("cron_plan: @every intervals count missed times directly") {
  auto every = cron::Schedule::Parse("@every 1s");
  REQUIRE(every);
  auto d = Decide(Input(*every, At(10), At(12, 0, 0, 400)));
  CHECK(d.action == A::kFire);
  CHECK(d.scheduled_ms == At(12));
  CHECK(d.missed == 7199);
  CHECK(d.wake_ms == At(12, 0, 1));
  auto next = Decide(Input(*every, At(12), At(12, 0, 1)));
  CHECK(next.action == A::kFire);
  CHECK(next.scheduled_ms == At(12, 0, 1));
  CHECK_FALSE(next.catch_up);
}

TEST_CASE("cron_plan: a dense schedule after a long downtime finds the latest time quickly") {
  auto secondly = Parse("* * * * * *");  // every second
  auto d = Decide(Input(secondly, At(0) - 40LL * 86'400'000, At(10, 0, 0, 250)));
  CHECK(d.action == A::kFire);
  CHECK(d.scheduled_ms == At(10));
  CHECK(d.catch_up);
  CHECK(d.missed_more);
}

TEST_CASE("cron_plan: calendar fields are read in the CronJob's zone") {
  auto zone = cron::LocateZone("Europe/Berlin");
  REQUIRE(zone);
  auto three = Parse("0 3 * * *");
  auto in = Input(three, At(0), At(2, 0, 0, 1));  // 03:00 CET = 02:00 UTC
  in.zone = *zone;
  auto d = Decide(in);
  CHECK(d.action == A::kFire);
  CHECK(d.scheduled_ms == At(2));
  CHECK(d.wake_ms == At(2) + 86'400'000);
}

}  // namespace
}  // namespace prisn::reconciler::cron_plan
