#pragma once
// The scheduler's decisions as pure functions: (schedule, zone, what was
// handled, now, policy, active run?) -> fire / skip / replace / nothing, and
// when to look again. No store, no clock: the loop gathers the inputs,
// persists the new mark and carries the action out (converge_cron.cc).
//
// The one rule that keeps a schedule from firing twice: every decision about
// a scheduled time T moves the handled mark to T, the loop persists the mark
// before it acts, and only times strictly after the mark are ever due.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "manifests/cron.h"
#include "manifests/types.h"

namespace prisn::reconciler::cron_plan {

struct CronInput {
  const cron::Schedule* schedule = nullptr;  // required
  const date::time_zone* zone = nullptr;     // nullptr = UTC
  // Every scheduled time at or before this (Unix ms) is handled: fired,
  // skipped or missed. A new CronJob starts with the time it was first seen,
  // so that it never runs for times before it existed.
  std::int64_t handled_ms = 0;
  std::int64_t now_ms = 0;
  std::chrono::milliseconds starting_deadline{0};  // 0 = any lateness is fine
  manifests::ConcurrencyPolicy policy = manifests::ConcurrencyPolicy::kForbid;
  bool active = false;          // a run of this CronJob has not finished
  bool suspend = false;         // spec.suspend now
  bool was_suspended = false;   // spec.suspend as the scheduler last recorded it
};

struct CronDecision {
  enum class Action {
    kNothing,  // nothing due (or suspended)
    kFire,     // start a run for `scheduled_ms`
    kSkip,     // `scheduled_ms` does not run: `reason`
    kReplace,  // stop the active run(s), then start one for `scheduled_ms`
  };
  Action action = Action::kNothing;
  std::optional<std::int64_t> scheduled_ms;  // T, for every action but kNothing
  // The new handled mark; the loop persists it before acting. Equals
  // `handled_ms` when nothing moved.
  std::int64_t handled_ms = 0;
  // The fire is a catch-up: earlier times were missed (`missed` of them, at
  // least; `missed_more` when the search stopped counting) or T itself is
  // more than kLateAfter old.
  bool catch_up = false;
  int missed = 0;
  bool missed_more = false;
  std::int64_t late_ms = 0;  // now - T
  std::string reason;        // kSkip: why; kReplace: what is replaced
  // When to look again: the next scheduled time after now. nullopt while
  // suspended or when the schedule never fires again.
  std::optional<std::int64_t> wake_ms;
};

// A fire this late (without missed times before it) counts as a catch-up.
inline constexpr std::chrono::seconds kLateAfter{10};

CronDecision Decide(const CronInput& in);

// The first scheduled time strictly after `after_ms`; nullopt when none.
std::optional<std::int64_t> NextFire(const cron::Schedule& schedule, const date::time_zone* zone,
                                     std::int64_t after_ms);

}  // namespace prisn::reconciler::cron_plan
