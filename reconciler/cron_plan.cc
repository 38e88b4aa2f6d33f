// Which scheduled time is due, and what to do about it.
#include "reconciler/cron_plan.h"

#include <fmt/core.h>

#include <algorithm>
#include <array>

namespace prisn::reconciler::cron_plan {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::int64_t FloorSeconds(std::int64_t ms) { return ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000); }

// The latest scheduled time in (handled, now], with how many due times come
// before it.
struct Due {
  std::int64_t t_ms = 0;
  int missed = 0;
  bool missed_more = false;
};

// The search for the latest due time starts in a window before now that
// grows until it holds a fire, so that a dense schedule after a long
// downtime is not walked fire by fire from the mark; the missed times before
// it are counted up to kCountCap.
constexpr int kMaxSteps = 1'000'000;
constexpr int kCountCap = 10'000;

std::optional<Due> LatestDue(const CronInput& in) {
  auto first = NextFire(*in.schedule, in.zone, in.handled_ms);
  if (!first || *first > in.now_ms) return std::nullopt;
  const cron::Schedule& s = *in.schedule;
  Due d;
  if (s.IsInterval()) {
    std::int64_t iv = s.Interval().count() * 1000;
    std::int64_t latest = FloorSeconds(in.now_ms) * 1000;
    latest -= ((latest % iv) + iv) % iv;
    d.t_ms = latest;
    std::int64_t missed = (latest - *first) / iv;
    d.missed = static_cast<int>(std::min<std::int64_t>(missed, kCountCap));
    d.missed_more = missed > kCountCap;
    return d;
  }
  constexpr std::array<std::int64_t, 5> kWindows{60'000, 3'600'000, 86'400'000, 32 * 86'400'000LL,
                                                 400 * 86'400'000LL};
  std::int64_t cur = *first;
  for (std::int64_t w : kWindows) {
    std::int64_t start = in.now_ms - w;
    if (start <= in.handled_ms) break;
    auto t = NextFire(s, in.zone, start);
    if (t && *t <= in.now_ms) {
      cur = std::max(cur, *t);
      break;
    }
  }
  for (int steps = 0; steps < kMaxSteps; ++steps) {
    auto n = NextFire(s, in.zone, cur);
    if (!n || *n > in.now_ms) break;
    cur = *n;
  }
  d.t_ms = cur;
  for (std::int64_t t = *first; t < cur;) {
    if (d.missed == kCountCap) {
      d.missed_more = true;
      break;
    }
    ++d.missed;
    auto n = NextFire(s, in.zone, t);
    if (!n) break;
    t = *n;
  }
  return d;
}

std::string Seconds(std::int64_t ms) {
  return manifests::FormatDuration(std::chrono::duration_cast<milliseconds>(milliseconds(ms)));
}

}  // namespace

std::optional<std::int64_t> NextFire(const cron::Schedule& schedule, const date::time_zone* zone,
                                     std::int64_t after_ms) {
  auto next = schedule.Next(std::chrono::sys_seconds(seconds(FloorSeconds(after_ms))), zone);
  if (!next) return std::nullopt;
  return std::chrono::duration_cast<milliseconds>(next->time_since_epoch()).count();
}

CronDecision Decide(const CronInput& in) {
  CronDecision d;
  d.handled_ms = in.handled_ms;
  if (in.suspend) {
    // Times that pass while suspended are not owed: the mark follows now.
    d.handled_ms = std::max(in.handled_ms, in.now_ms);
    return d;
  }
  if (in.was_suspended) {
    // Resumed: the schedule starts again from now, with no catch-up for the
    // suspended stretch.
    d.handled_ms = std::max(in.handled_ms, in.now_ms);
    d.wake_ms = NextFire(*in.schedule, in.zone, d.handled_ms);
    return d;
  }
  d.wake_ms = NextFire(*in.schedule, in.zone, std::max(in.handled_ms, in.now_ms));
  std::optional<Due> due = LatestDue(in);
  if (!due) return d;
  using A = CronDecision::Action;
  d.scheduled_ms = due->t_ms;
  d.handled_ms = due->t_ms;
  d.missed = due->missed;
  d.missed_more = due->missed_more;
  d.late_ms = in.now_ms - due->t_ms;
  d.catch_up = due->missed > 0 || d.late_ms > std::chrono::duration_cast<milliseconds>(kLateAfter).count();
  if (in.starting_deadline.count() > 0 && d.late_ms > in.starting_deadline.count()) {
    d.action = A::kSkip;
    d.reason = fmt::format("missed: {} late, past startingDeadline {}", Seconds(d.late_ms),
                           manifests::FormatDuration(in.starting_deadline));
    return d;
  }
  if (!in.active) {
    d.action = A::kFire;
    return d;
  }
  switch (in.policy) {
    case manifests::ConcurrencyPolicy::kAllow:
      d.action = A::kFire;
      break;
    case manifests::ConcurrencyPolicy::kForbid:
      d.action = A::kSkip;
      d.reason = "the previous run is still active (concurrencyPolicy Forbid)";
      break;
    case manifests::ConcurrencyPolicy::kReplace:
      d.action = A::kReplace;
      d.reason = "replaced by the run for the next scheduled time (concurrencyPolicy Replace)";
      break;
  }
  return d;
}

}  // namespace prisn::reconciler::cron_plan
