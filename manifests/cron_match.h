#pragma once
// Internal to the cron evaluator (manifests/cron_*.cc and its tests): the
// wall-clock search that Schedule::Next builds its time-zone logic on.

#include <date/date.h>

#include <optional>

#include "manifests/cron.h"

namespace prisn::cron::internal {

// The first wall-clock second strictly after `after` whose fields all match,
// found field by field (month, day, hour, minute, second) without scanning.
// nullopt when there is none before the year 9999.
std::optional<date::local_seconds> NextMatch(const Fields& fields, date::local_seconds after);

// Whether `days` can fall in any of `months` (day 29 counts for February).
bool DaysFitMonths(uint32_t days, uint16_t months);

}  // namespace prisn::cron::internal
