// Next fire times. The wall-clock search advances field by field (month,
// day, hour, minute, second) using the bit masks, so a call costs a handful
// of steps whatever the schedule. Time zones are handled on top of it, one
// UTC-offset period (date::sys_info) at a time, which is where cronie's DST
// rules (see cron.h) are applied.

#include <date/date.h>
#include <date/tz.h>

#include <bit>
#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>

#include "manifests/cron.h"
#include "manifests/cron_match.h"

namespace prisn::cron {
namespace internal {
namespace {

using std::chrono::seconds;

constexpr int kMaxYear = 9999;

// Bits 1, 8, 15, 22, 29, 36: the days of a month that share day 1's weekday;
// shifted by k they mark the days k later in the week.
constexpr uint64_t kSameWeekday = (uint64_t{1} << 1) | (uint64_t{1} << 8) | (uint64_t{1} << 15) |
                                  (uint64_t{1} << 22) | (uint64_t{1} << 29) | (uint64_t{1} << 36);

unsigned DaysInMonth(int y, unsigned m) {
  return static_cast<unsigned>((date::year{y} / date::month{m} / date::last).day());
}

// The days of month y-m (bits 1..31) that the day fields accept.
uint64_t DayMask(const Fields& f, int y, unsigned m) {
  const unsigned dim = DaysInMonth(y, m);
  const uint64_t valid = ((uint64_t{1} << (dim + 1)) - 1) & ~uint64_t{1};
  const unsigned first_weekday =
      date::weekday{date::sys_days{date::year{y} / date::month{m} / 1}}.c_encoding();
  uint64_t by_weekday = 0;
  for (unsigned k = 0; k < 7; ++k) {
    if ((f.weekdays >> k) & 1u) by_weekday |= kSameWeekday << ((k + 7 - first_weekday) % 7);
  }
  const uint64_t by_day = f.days;
  return (f.days_or ? (by_day | by_weekday) : (by_day & by_weekday)) & valid;
}

// Values >= from in mask.
uint64_t AtLeast(uint64_t mask, unsigned from) {
  return from >= 64 ? 0 : mask & ~((uint64_t{1} << from) - 1);
}

}  // namespace

bool DaysFitMonths(uint32_t days, uint16_t months) {
  static constexpr unsigned kMaxDays[13] = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  for (unsigned m = 1; m <= 12; ++m) {
    if (((months >> m) & 1u) == 0) continue;
    const uint32_t possible = ((uint32_t{1} << kMaxDays[m]) - 1) << 1;  // bits 1..max
    if ((days & possible) != 0) return true;
  }
  return false;
}

std::optional<date::local_seconds> NextMatch(const Fields& f, date::local_seconds after) {
  if (f.seconds == 0 || f.minutes == 0 || f.hours == 0 || f.months == 0) return std::nullopt;
  const date::local_seconds t = after + seconds{1};
  const date::local_days start_day = date::floor<date::days>(t);
  const date::year_month_day ymd{start_day};
  int y = static_cast<int>(ymd.year());
  unsigned mo = static_cast<unsigned>(ymd.month());
  unsigned d = static_cast<unsigned>(ymd.day());
  const int64_t tod = (t - start_day).count();
  unsigned h = static_cast<unsigned>(tod / 3600);
  unsigned mi = static_cast<unsigned>(tod / 60 % 60);
  unsigned s = static_cast<unsigned>(tod % 60);

  // Each step either accepts a field or moves the next coarser unit forward
  // and resets the finer ones; a restart re-checks from the month down.
  while (y <= kMaxYear) {
    if (((f.months >> mo) & 1u) == 0) {
      const uint64_t later = AtLeast(f.months, mo + 1);
      if (later != 0) {
        mo = static_cast<unsigned>(std::countr_zero(later));
      } else {
        ++y;
        mo = static_cast<unsigned>(std::countr_zero(f.months));
      }
      d = 1;
      h = mi = s = 0;
      continue;
    }
    const uint64_t days = AtLeast(DayMask(f, y, mo), d);
    if (days == 0) {
      if (++mo > 12) {
        mo = 1;
        ++y;
      }
      d = 1;
      h = mi = s = 0;
      continue;
    }
    if (const auto nd = static_cast<unsigned>(std::countr_zero(days)); nd != d) {
      d = nd;
      h = mi = s = 0;
    }
    const uint64_t hours = AtLeast(f.hours, h);
    if (hours == 0) {
      ++d;
      h = mi = s = 0;
      continue;
    }
    if (const auto nh = static_cast<unsigned>(std::countr_zero(hours)); nh != h) {
      h = nh;
      mi = s = 0;
    }
    const uint64_t minutes = AtLeast(f.minutes, mi);
    if (minutes == 0) {
      ++h;
      mi = s = 0;
      continue;
    }
    if (const auto nm = static_cast<unsigned>(std::countr_zero(minutes)); nm != mi) {
      mi = nm;
      s = 0;
    }
    const uint64_t secs = AtLeast(f.seconds, s);
    if (secs == 0) {
      ++mi;
      s = 0;
      continue;
    }
    s = static_cast<unsigned>(std::countr_zero(secs));
    return date::local_days{date::year{y} / date::month{mo} / date::day{d}} +
           std::chrono::hours{h} + std::chrono::minutes{mi} + seconds{s};
  }
  return std::nullopt;
}

}  // namespace internal

namespace {

using date::local_seconds;
using std::chrono::seconds;
using std::chrono::sys_seconds;

// date/tz marks the first and last offset periods with far-away bounds.
constexpr sys_seconds kFarPast{date::sys_days{date::year{-9999} / 1 / 1}};
constexpr sys_seconds kFarFuture{date::sys_days{date::year{10000} / 1 / 1}};

local_seconds ToLocal(sys_seconds t, seconds offset) {
  return local_seconds{t.time_since_epoch() + offset};
}

sys_seconds ToSys(local_seconds t, seconds offset) {
  return sys_seconds{t.time_since_epoch() - offset};
}

// Walks the offset periods from the one holding `after`. Within a period,
// wall clock and UTC move together, so the first match in the period's
// wall-clock range is its next fire time. At a period's start:
//   - a forward jump leaves wall-clock times that never happen; a fixed-time
//     job due in them runs at the period's first instant;
//   - a backward jump repeats wall-clock times of the previous period; a
//     fixed-time job already had them, a wildcard job runs them again.
std::optional<sys_seconds> NextInZone(const internal::Fields& f, sys_seconds after,
                                      const date::time_zone& tz) {
  date::sys_info period = tz.get_info(after);
  local_seconds lower = ToLocal(after, period.offset);  // exclusive
  bool whole_period = false;                            // period.begin > after
  // Plenty for a schedule that fires once in eight years (Feb 29) even in a
  // zone with several transitions a year.
  for (int guard = 0; guard < 2000; ++guard) {
    const seconds offset = period.offset;
    const local_seconds local_begin = ToLocal(period.begin, offset);
    if (!f.wildcard && period.begin > kFarPast) {
      const date::sys_info previous = tz.get_info(period.begin - seconds{1});
      const local_seconds previous_end = ToLocal(period.begin, previous.offset);
      if (whole_period && previous_end < local_begin) {
        auto skipped = internal::NextMatch(f, previous_end - seconds{1});
        if (skipped && *skipped < local_begin) return period.begin;
      }
      if (previous_end > local_begin && lower < previous_end - seconds{1}) {
        lower = previous_end - seconds{1};
      }
    }
    auto match = internal::NextMatch(f, lower);
    if (!match) return std::nullopt;
    if (period.end >= kFarFuture || *match < ToLocal(period.end, offset)) {
      return ToSys(*match, offset);
    }
    period = tz.get_info(period.end);
    lower = ToLocal(period.begin, period.offset) - seconds{1};
    whole_period = true;
  }
  return std::nullopt;
}

}  // namespace

std::optional<sys_seconds> Schedule::Next(sys_seconds after, const date::time_zone* tz) const {
  if (IsInterval()) {
    const int64_t step = interval_.count();
    const int64_t now = after.time_since_epoch().count();
    int64_t q = now / step;
    if (now % step < 0) --q;  // floor, also before 1970
    if (q >= std::numeric_limits<int64_t>::max() / step - 1) return std::nullopt;
    return sys_seconds{seconds{(q + 1) * step}};
  }
  if (tz == nullptr) {
    auto match = internal::NextMatch(fields_, local_seconds{after.time_since_epoch()});
    if (!match) return std::nullopt;
    return sys_seconds{match->time_since_epoch()};
  }
  return NextInZone(fields_, after, *tz);
}

}  // namespace prisn::cron
