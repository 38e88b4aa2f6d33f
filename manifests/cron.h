#pragma once
// Cron expressions and their next fire times: the one evaluator that manifest
// validation, `prisn cron next` and the scheduler share.
//
// Syntax (cron(5) as cronie reads it, plus a leading seconds field):
//   [sec] min hour day-of-month month day-of-week
//   `*`, `a`, `a-b`, `*/n`, `a-b/n`, `a/n` (= a-max/n), lists `a,b-c`;
//   month names JAN-DEC, weekday names SUN-SAT (any case); weekday 0-7 with
//   7 = Sunday; `?` = `*` in the two day fields.
//   Macros: @yearly @annually @monthly @weekly @daily @midnight @hourly,
//   @every DURATION (see ParseEvery).
// Day-of-month and day-of-week: when both are restricted the job runs on days
// matching either (cron(8)); a field counts as unrestricted when its text
// starts with `*` or `?`, exactly as cronie decides it (so `*/2` is
// unrestricted and combines with a weekday by AND).
//
// Daylight saving time, as cronie runs it:
//   - a local time skipped by a forward jump: a fixed-time job (minute and
//     hour fields not starting with `*`) runs once, at the first instant after
//     the jump; a wildcard job (`*/15 * * * *`, `0 * * * *`) just has no run
//     for the times that did not exist.
//   - a local time that occurs twice (backward jump): a fixed-time job runs at
//     the first occurrence only; a wildcard job runs in both, so an hourly
//     job still runs every real hour.
// Time zones come from the system tz database through date/tz; the library
// reads only the explicit transitions of the zone files, so beyond their last
// listed transition (2037 for most zones) a zone keeps its last offset.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

namespace date {
class time_zone;
}  // namespace date

namespace prisn::cron {

struct ParseError {
  size_t offset = 0;    // byte in the expression where the mistake is
  std::string message;  // what is wrong and what is allowed
};

namespace internal {

// The expanded fields of a calendar expression, one bit per allowed value.
struct Fields {
  uint64_t seconds = 0;   // bits 0-59
  uint64_t minutes = 0;   // bits 0-59
  uint32_t hours = 0;     // bits 0-23
  uint32_t days = 0;      // bits 1-31
  uint16_t months = 0;    // bits 1-12
  uint8_t weekdays = 0;   // bits 0-6, Sunday = 0
  bool days_or = false;   // both day fields restricted: a day matches either
  bool wildcard = false;  // minute or hour field starts with `*` (DST rule)
};

}  // namespace internal

class Schedule {
 public:
  // A calendar expression (5 or 6 fields), a macro or `@every DURATION`.
  // Fails on any syntax error, out-of-range value, or a schedule that can
  // never fire (`0 0 30 2 *`); the error's offset points into `expr`.
  static std::expected<Schedule, ParseError> Parse(std::string_view expr);

  // A fixed interval: "30s", "15m", "1h", "2h30m", "1d", "1w", or one of the
  // words second, minute, hour, day, week. Must be at least one second.
  static std::expected<Schedule, ParseError> ParseEvery(std::string_view every);

  // The first fire time strictly after `after`, with calendar fields read as
  // wall-clock time in `tz` (nullptr = UTC). nullopt only when no fire time
  // exists before the year 9999.
  //
  // Intervals ignore `tz` and fire at every multiple of the interval since
  // the Unix epoch (`@every 15m` at :00, :15, :30, :45 UTC). Anchoring at
  // the epoch rather than at scheduler start (as robfig/cron does) gives the
  // same times after a daemon restart and on every node, so a restart neither
  // skips nor doubles a run, and `prisn cron next` shows what will happen.
  std::optional<std::chrono::sys_seconds> Next(std::chrono::sys_seconds after,
                                               const date::time_zone* tz) const;

  bool IsInterval() const { return interval_.count() > 0; }
  std::chrono::seconds Interval() const { return interval_; }  // 0 for a calendar
  const std::string& Source() const { return source_; }

 private:
  Schedule() = default;

  std::string source_;
  internal::Fields fields_;
  std::chrono::seconds interval_{0};
};

// The zone to use for a CronJob. `name` empty: the host's zone ($TZ when it
// names a zone, else /etc/localtime), falling back to UTC. An unknown name
// fails with a message that suggests the closest tz database names. The
// pointer refers to the process-wide tz database and stays valid.
std::expected<const date::time_zone*, std::string> LocateZone(std::string_view name);

}  // namespace prisn::cron
