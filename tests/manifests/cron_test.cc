#include "manifests/cron.h"

#include <date/date.h>
#include <date/tz.h>
#include <fmt/core.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "manifests/cron_match.h"

namespace prisn::cron {
namespace {

using std::chrono::seconds;
using std::chrono::sys_seconds;

// "2026-03-28T00:00:00+01:00" -> the instant.
sys_seconds At(const std::string& iso) {
  std::istringstream in(iso);
  sys_seconds t;
  in >> date::parse("%FT%T%Ez", t);
  REQUIRE_FALSE(in.fail());
  return t;
}

// The instant as wall-clock time in `tz` (nullptr = UTC) with its offset.
std::string Iso(sys_seconds t, const date::time_zone* tz) {
  const seconds offset = tz == nullptr ? seconds{0} : tz->get_info(t).offset;
  const auto local = t + offset;
  const auto minutes = std::chrono::abs(offset).count() / 60;
  return fmt::format("{}{}{:02}:{:02}", date::format("%FT%T", local),
                     offset.count() < 0 ? '-' : '+', minutes / 60, minutes % 60);
}

const date::time_zone* Zone(const char* name) {
  auto zone = LocateZone(name);
  REQUIRE(zone.has_value());
  return *zone;
}

// The next `count` fire times after `from`, formatted in `tz`.
std::vector<std::string> Fires(const std::string& expr, const std::string& from, int count,
                               const date::time_zone* tz) {
  auto schedule = Schedule::Parse(expr);
  INFO(expr << ": " << (schedule ? "" : schedule.error().message));
  REQUIRE(schedule.has_value());
  std::vector<std::string> out;
  sys_seconds t = At(from);
  for (int i = 0; i < count; ++i) {
    auto next = schedule->Next(t, tz);
    if (!next) break;
    REQUIRE(*next > t);
    out.push_back(Iso(*next, tz));
    t = *next;
  }
  return out;
}

using Strings = std::vector<std::string>;

struct FireCase {
  const char* expr;
  const char* from;
  Strings want;
};

void CheckFires(const std::vector<FireCase>& cases, const date::time_zone* tz) {
  for (const auto& c : cases) {
    INFO("expression \"" << c.expr << "\" after " << c.from);
    CHECK(Fires(c.expr, c.from, static_cast<int>(c.want.size()), tz) == c.want);
  }
}

TEST_CASE("cron syntax forms in UTC fire at the expected times") {
  // 2026-01-01 is a Thursday.
  const char* jan1 = "2026-01-01T00:00:00+00:00";
  CheckFires(
      {
          {"* * * * *", jan1, {"2026-01-01T00:01:00+00:00", "2026-01-01T00:02:00+00:00"}},
          {"*/15 * * * *",
           jan1,
           {"2026-01-01T00:15:00+00:00", "2026-01-01T00:30:00+00:00", "2026-01-01T00:45:00+00:00",
            "2026-01-01T01:00:00+00:00"}},
          {"1-30/10 * * * *",
           jan1,
           {"2026-01-01T00:01:00+00:00", "2026-01-01T00:11:00+00:00", "2026-01-01T00:21:00+00:00",
            "2026-01-01T01:01:00+00:00"}},
          {"50/5 * * * *",
           jan1,
           {"2026-01-01T00:50:00+00:00", "2026-01-01T00:55:00+00:00", "2026-01-01T01:50:00+00:00"}},
          {"0,30 9-10 * * *",
           jan1,
           {"2026-01-01T09:00:00+00:00", "2026-01-01T09:30:00+00:00", "2026-01-01T10:00:00+00:00",
            "2026-01-01T10:30:00+00:00", "2026-01-02T09:00:00+00:00"}},
          {"0 12 1 jan,Mar *", jan1, {"2026-01-01T12:00:00+00:00", "2026-03-01T12:00:00+00:00"}},
          {"0 0 * * MON-FRI",
           jan1,
           {"2026-01-02T00:00:00+00:00", "2026-01-05T00:00:00+00:00", "2026-01-06T00:00:00+00:00"}},
          {"0 0 * * 7", jan1, {"2026-01-04T00:00:00+00:00", "2026-01-11T00:00:00+00:00"}},
          {"0 0 * * 0", jan1, {"2026-01-04T00:00:00+00:00"}},
          {"0 0 * * 5-7",
           jan1,
           {"2026-01-02T00:00:00+00:00", "2026-01-03T00:00:00+00:00", "2026-01-04T00:00:00+00:00",
            "2026-01-09T00:00:00+00:00"}},
          {"0 0 * * fri-sun",
           jan1,
           {"2026-01-02T00:00:00+00:00", "2026-01-03T00:00:00+00:00", "2026-01-04T00:00:00+00:00"}},
          {"30 15 10 * *", jan1, {"2026-01-10T15:30:00+00:00", "2026-02-10T15:30:00+00:00"}},
          {"0 0 1 */3 *",
           jan1,
           {"2026-04-01T00:00:00+00:00", "2026-07-01T00:00:00+00:00", "2026-10-01T00:00:00+00:00",
            "2027-01-01T00:00:00+00:00"}},
          {"0 0 31 * *",
           jan1,
           {"2026-01-31T00:00:00+00:00", "2026-03-31T00:00:00+00:00", "2026-05-31T00:00:00+00:00"}},
          {"0 0 ? * MON", jan1, {"2026-01-05T00:00:00+00:00"}},
          {"0 0 1 1 ?", jan1, {"2027-01-01T00:00:00+00:00"}},
          {"59 23 31 12 *", jan1, {"2026-12-31T23:59:00+00:00", "2027-12-31T23:59:00+00:00"}},
          {"\t0  3\t* * *  ", jan1, {"2026-01-01T03:00:00+00:00"}},
      },
      nullptr);
}

TEST_CASE("cron six fields put seconds first") {
  const char* jan1 = "2026-01-01T00:00:00+00:00";
  CheckFires(
      {
          {"*/20 * * * * *",
           jan1,
           {"2026-01-01T00:00:20+00:00", "2026-01-01T00:00:40+00:00", "2026-01-01T00:01:00+00:00"}},
          {"30 0 9 * * *", jan1, {"2026-01-01T09:00:30+00:00", "2026-01-02T09:00:30+00:00"}},
          {"0 0 0 * * SUN", jan1, {"2026-01-04T00:00:00+00:00"}},
          {"59 59 23 31 12 *", jan1, {"2026-12-31T23:59:59+00:00"}},
          {"* * * * * *", "2026-01-01T23:59:59+00:00", {"2026-01-02T00:00:00+00:00"}},
      },
      nullptr);
}

TEST_CASE("cron macros expand to their calendar schedules") {
  const char* from = "2026-01-01T00:00:00+00:00";  // a Thursday
  CheckFires(
      {
          {"@yearly", from, {"2027-01-01T00:00:00+00:00"}},
          {"@annually", from, {"2027-01-01T00:00:00+00:00"}},
          {"@monthly", from, {"2026-02-01T00:00:00+00:00", "2026-03-01T00:00:00+00:00"}},
          {"@weekly", from, {"2026-01-04T00:00:00+00:00", "2026-01-11T00:00:00+00:00"}},
          {"@daily", from, {"2026-01-02T00:00:00+00:00"}},
          {"@midnight", from, {"2026-01-02T00:00:00+00:00"}},
          {"@hourly", from, {"2026-01-01T01:00:00+00:00", "2026-01-01T02:00:00+00:00"}},
          {"@DAILY", from, {"2026-01-02T00:00:00+00:00"}},
          {"  @hourly  ", from, {"2026-01-01T01:00:00+00:00"}},
      },
      nullptr);
}

TEST_CASE("cron day-of-month and day-of-week both restricted match either") {
  const char* jan1 = "2026-01-01T00:00:00+00:00";
  CheckFires(
      {
          // Fridays and the 13th.
          {"0 0 13 * FRI",
           jan1,
           {"2026-01-02T00:00:00+00:00", "2026-01-09T00:00:00+00:00", "2026-01-13T00:00:00+00:00",
            "2026-01-16T00:00:00+00:00"}},
          // Only one side restricted: that side alone decides.
          {"0 0 13 * *", jan1, {"2026-01-13T00:00:00+00:00", "2026-02-13T00:00:00+00:00"}},
          {"0 0 * * FRI", jan1, {"2026-01-02T00:00:00+00:00", "2026-01-09T00:00:00+00:00"}},
          // A field starting with '*' counts as unrestricted (cronie), so
          // these combine by AND: days 1, 11, 21, 31 that are Fridays.
          {"0 0 */10 * FRI", jan1, {"2026-05-01T00:00:00+00:00", "2026-07-31T00:00:00+00:00"}},
          // Day 30 never comes in February, but Mondays of February do.
          {"0 0 30 2 MON", jan1, {"2026-02-02T00:00:00+00:00", "2026-02-09T00:00:00+00:00"}},
      },
      nullptr);
}

TEST_CASE("cron February 29 fires only in leap years") {
  CheckFires(
      {
          {"0 0 29 2 *",
           "2026-01-01T00:00:00+00:00",
           {"2028-02-29T00:00:00+00:00", "2032-02-29T00:00:00+00:00"}},
          // 2100 is not a leap year: eight years between 2096 and 2104.
          {"0 0 29 2 *", "2096-03-01T00:00:00+00:00", {"2104-02-29T00:00:00+00:00"}},
          {"0 0 28-29 2 *",
           "2027-02-28T00:00:00+00:00",
           {"2028-02-28T00:00:00+00:00", "2028-02-29T00:00:00+00:00", "2029-02-28T00:00:00+00:00"}},
      },
      nullptr);
  CheckFires({{"0 12 29 2 *", "2026-01-01T00:00:00+01:00", {"2028-02-29T12:00:00+01:00"}}},
             Zone("Europe/Berlin"));
}

TEST_CASE("cron next is strictly after the given time") {
  CheckFires(
      {
          {"0 3 * * *", "2026-01-01T03:00:00+00:00", {"2026-01-02T03:00:00+00:00"}},
          {"0 3 * * *", "2026-01-01T02:59:59+00:00", {"2026-01-01T03:00:00+00:00"}},
          {"@every 1h", "2026-01-01T03:00:00+00:00", {"2026-01-01T04:00:00+00:00"}},
      },
      nullptr);
}

TEST_CASE("cron next gives up after the year 9999") {
  auto s = Schedule::Parse("0 0 29 2 *");
  REQUIRE(s);
  // 9996 is the last leap year before 10000.
  CHECK_FALSE(s->Next(At("9996-03-01T00:00:00+00:00"), nullptr).has_value());
  CHECK_FALSE(s->Next(At("9996-03-01T00:00:00+00:00"), Zone("Europe/Berlin")).has_value());
}

struct ErrorCase {
  const char* expr;
  size_t offset;
  const char* message_part;
};

TEST_CASE("cron invalid expressions report the offset of the mistake") {
  const std::vector<ErrorCase> cases = {
      {"", 0, "empty"},
      {"   ", 0, "empty"},
      {"0 25 * * *", 2, "allowed 0-23"},
      {"60 * * * *", 0, "allowed 0-59"},
      {"  0 25 * * *", 4, "hour 25 is out of range"},
      {"* * 0 * *", 4, "allowed 1-31"},
      {"* * 32 * *", 4, "allowed 1-31"},
      {"* * * 13 *", 6, "allowed 1-12 or JAN-DEC"},
      {"* * * * 8", 8, "0-7"},
      {"99999999999999999999 * * * *", 0, "out of range"},
      {"* * * *", 7, "expected 5 fields"},
      {"* * * * * * *", 12, "too many fields"},
      {"*/0 * * * *", 2, "at least 1"},
      {"*/61 * * * *", 2, "larger than the minute range"},
      {"0 */25 * * *", 4, "larger than the hour range"},
      {"5-1 * * * *", 0, "backwards"},
      {"* * * * SAT-MON", 8, "backwards"},
      {"1,,2 * * * *", 2, "empty item"},
      {"1, * * * *", 2, "empty item"},
      {",1 * * * *", 0, "empty item"},
      {"* * * FOO *", 6, "unknown month"},
      {"* * * * FOO", 8, "unknown day-of-week"},
      {"* * * * MONDAY", 8, "unknown day-of-week"},
      {"MON * * * *", 0, "unknown minute"},
      {"* * * * JAN", 8, "unknown day-of-week"},
      {"? * * * *", 0, "only allowed in the day-of-month and day-of-week"},
      {"* * L * *", 4, "Quartz"},
      {"* * 15W * *", 6, "Quartz"},
      {"* * * * 5#3", 9, "Quartz"},
      {"1x * * * *", 1, "unexpected 'x'"},
      {"*-5 * * * *", 1, "unexpected '-'"},
      {"1- * * * *", 2, "expected a minute"},
      {"1/ * * * *", 2, "expected a step"},
      {"1-5/x * * * *", 4, "expected a step"},
      {"0 0 30 2 *", 4, "never"},
      {"0 0 31 4,6,9,11 *", 4, "never occurs in April, June, September or November"},
      {"0 0 30-31 FEB *", 4, "never occurs in February"},
      {"0 0 0 31 APR ?", 6, "never"},
      {"@dayly", 0, "unknown macro"},
      {"@", 0, "unknown macro"},
      {"@reboot", 0, "not supported"},
      {"@daily 0", 7, "stands alone"},
      {"@every", 6, "needs an interval"},
      {"@every 0s", 7, "at least 1s"},
      {"@every 10x", 9, "unknown unit"},
      {"@every 10", 9, "missing unit"},
      {"@every 1.5h", 8, "fractions"},
      {"@every 250ms", 10, "shorter than a second"},
      {"@every 1h 2m", 10, "unexpected text"},
      {"@every -1h", 7, "expected an interval"},
      {"@every 999999999999h", 7, "too long"},
  };
  for (const auto& c : cases) {
    INFO("expression \"" << c.expr << "\"");
    auto s = Schedule::Parse(c.expr);
    REQUIRE_FALSE(s.has_value());
    INFO("message: " << s.error().message);
    CHECK(s.error().offset == c.offset);
    CHECK(s.error().message.find(c.message_part) != std::string::npos);
  }
}

TEST_CASE("cron intervals parse from durations and words") {
  struct Case {
    const char* text;
    int64_t seconds;
  };
  const std::vector<Case> cases = {
      {"1h", 3600},     {"15m", 900},   {"30s", 30},    {"2h30m", 9000},
      {"1d", 86400},    {"1w", 604800}, {"day", 86400}, {"hour", 3600},
      {"week", 604800}, {"minute", 60}, {"second", 1},  {"Day", 86400},
      {"1H30M", 5400},  {"90s", 90},    {" 5m ", 300},  {"1h0m1s", 3601},
  };
  for (const auto& c : cases) {
    INFO("interval \"" << c.text << "\"");
    auto s = Schedule::ParseEvery(c.text);
    REQUIRE(s.has_value());
    CHECK(s->IsInterval());
    CHECK(s->Interval() == seconds{c.seconds});
    CHECK(s->Source() == c.text);
  }
}

TEST_CASE("cron invalid intervals report the offset of the mistake") {
  const std::vector<ErrorCase> cases = {
      {"", 0, "empty"},          {"0m", 0, "at least 1s"},  {"5 m", 1, "without spaces"},
      {"-1h", 0, "expected"},    {"1y", 1, "unknown unit"}, {"days", 0, "expected"},
      {"10", 2, "missing unit"}, {"1.5h", 1, "fractions"},
  };
  for (const auto& c : cases) {
    INFO("interval \"" << c.expr << "\"");
    auto s = Schedule::ParseEvery(c.expr);
    REQUIRE_FALSE(s.has_value());
    INFO("message: " << s.error().message);
    CHECK(s.error().offset == c.offset);
    CHECK(s.error().message.find(c.message_part) != std::string::npos);
  }
}

TEST_CASE("cron intervals fire on multiples of the interval since the epoch in any zone") {
  auto every = Schedule::Parse("@every 10m");
  REQUIRE(every);
  CHECK(every->IsInterval());
  CHECK(every->Interval() == std::chrono::minutes{10});
  CHECK(every->Source() == "@every 10m");
  const sys_seconds from = At("2026-01-01T00:03:07+00:00");
  for (const date::time_zone* tz : {static_cast<const date::time_zone*>(nullptr),
                                    Zone("Australia/Lord_Howe"), Zone("America/New_York")}) {
    auto next = every->Next(from, tz);
    REQUIRE(next);
    CHECK(Iso(*next, nullptr) == "2026-01-01T00:10:00+00:00");
  }
  // Before 1970 too.
  auto before = every->Next(sys_seconds{seconds{-1}}, nullptr);
  REQUIRE(before);
  CHECK(before->time_since_epoch().count() == 0);
  auto odd = Schedule::ParseEvery("2h30m");
  REQUIRE(odd);
  auto next = odd->Next(At("2026-01-01T00:00:00+00:00"), nullptr);
  REQUIRE(next);
  CHECK(next->time_since_epoch().count() % 9000 == 0);
  CHECK(*next - At("2026-01-01T00:00:00+00:00") <= seconds{9000});
}

TEST_CASE("cron calendar schedules are not intervals and keep their source") {
  auto s = Schedule::Parse(" 0 3 * * * ");
  REQUIRE(s);
  CHECK_FALSE(s->IsInterval());
  CHECK(s->Interval() == seconds{0});
  CHECK(s->Source() == " 0 3 * * * ");
}

TEST_CASE("cron Europe/Berlin spring forward runs a skipped time once right after the jump") {
  // 2026-03-29 02:00 CET becomes 03:00 CEST.
  CheckFires(
      {
          {"0 2 * * *",
           "2026-03-28T00:00:00+01:00",
           {"2026-03-28T02:00:00+01:00", "2026-03-29T03:00:00+02:00", "2026-03-30T02:00:00+02:00"}},
          {"30 2 * * *",
           "2026-03-28T12:00:00+01:00",
           {"2026-03-29T03:00:00+02:00", "2026-03-30T02:30:00+02:00"}},
          // Several skipped times still give one run.
          {"0,15,30,45 2 * * *",
           "2026-03-29T00:00:00+01:00",
           {"2026-03-29T03:00:00+02:00", "2026-03-30T02:00:00+02:00"}},
          {"0 3 * * *", "2026-03-29T00:00:00+01:00", {"2026-03-29T03:00:00+02:00"}},
          {"59 1 * * *", "2026-03-29T00:00:00+01:00", {"2026-03-29T01:59:00+01:00"}},
          // Wildcard jobs have no run for the times that did not exist.
          {"30 * * * *",
           "2026-03-29T00:00:00+01:00",
           {"2026-03-29T00:30:00+01:00", "2026-03-29T01:30:00+01:00", "2026-03-29T03:30:00+02:00"}},
          {"*/30 2 * * *",
           "2026-03-28T03:00:00+01:00",
           {"2026-03-30T02:00:00+02:00", "2026-03-30T02:30:00+02:00"}},
          {"@hourly",
           "2026-03-29T00:30:00+01:00",
           {"2026-03-29T01:00:00+01:00", "2026-03-29T03:00:00+02:00"}},
          // A time right at the jump, asked for from just before it.
          {"30 2 * * *", "2026-03-29T01:59:59+01:00", {"2026-03-29T03:00:00+02:00"}},
          {"30 2 * * *", "2026-03-29T03:00:00+02:00", {"2026-03-30T02:30:00+02:00"}},
      },
      Zone("Europe/Berlin"));
}

TEST_CASE("cron Europe/Berlin fall back runs a repeated time once, wildcards in both") {
  // 2026-10-25 03:00 CEST becomes 02:00 CET: 02:00-02:59 happens twice.
  CheckFires(
      {
          {"30 2 * * *",
           "2026-10-24T12:00:00+02:00",
           {"2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"}},
          {"0,20,40 2 * * *",
           "2026-10-25T00:00:00+02:00",
           {"2026-10-25T02:00:00+02:00", "2026-10-25T02:20:00+02:00", "2026-10-25T02:40:00+02:00",
            "2026-10-26T02:00:00+01:00"}},
          // Asked from inside either occurrence, the first one already ran.
          {"30 2 * * *", "2026-10-25T02:10:00+01:00", {"2026-10-26T02:30:00+01:00"}},
          {"30 2 * * *", "2026-10-25T02:45:00+02:00", {"2026-10-26T02:30:00+01:00"}},
          {"30 2 * * *", "2026-10-25T02:10:00+02:00", {"2026-10-25T02:30:00+02:00"}},
          {"*/30 * * * *",
           "2026-10-25T01:50:00+02:00",
           {"2026-10-25T02:00:00+02:00", "2026-10-25T02:30:00+02:00", "2026-10-25T02:00:00+01:00",
            "2026-10-25T02:30:00+01:00", "2026-10-25T03:00:00+01:00"}},
          {"@hourly",
           "2026-10-25T01:30:00+02:00",
           {"2026-10-25T02:00:00+02:00", "2026-10-25T02:00:00+01:00", "2026-10-25T03:00:00+01:00"}},
          {"*/20 2 * * *",
           "2026-10-25T00:00:00+02:00",
           {"2026-10-25T02:00:00+02:00", "2026-10-25T02:20:00+02:00", "2026-10-25T02:40:00+02:00",
            "2026-10-25T02:00:00+01:00", "2026-10-25T02:20:00+01:00", "2026-10-25T02:40:00+01:00",
            "2026-10-26T02:00:00+01:00"}},
          // From the first occurrence's last minutes, a wildcard job comes
          // back to the repeated hour.
          {"*/30 * * * *", "2026-10-25T02:50:00+02:00", {"2026-10-25T02:00:00+01:00"}},
          {"30 30 2 * * *",
           "2026-10-25T00:00:00+02:00",
           {"2026-10-25T02:30:30+02:00", "2026-10-26T02:30:30+01:00"}},
      },
      Zone("Europe/Berlin"));
}

TEST_CASE("cron America/New_York transitions follow the same rules") {
  // 2026-03-08 02:00 EST -> 03:00 EDT; 2026-11-01 02:00 EDT -> 01:00 EST.
  CheckFires(
      {
          {"30 2 * * *",
           "2026-03-07T12:00:00-05:00",
           {"2026-03-08T03:00:00-04:00", "2026-03-09T02:30:00-04:00"}},
          {"15 * * * *",
           "2026-03-08T00:00:00-05:00",
           {"2026-03-08T00:15:00-05:00", "2026-03-08T01:15:00-05:00", "2026-03-08T03:15:00-04:00"}},
          {"30 1 * * *",
           "2026-10-31T12:00:00-04:00",
           {"2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"}},
          {"15 * * * *",
           "2026-11-01T00:00:00-04:00",
           {"2026-11-01T00:15:00-04:00", "2026-11-01T01:15:00-04:00", "2026-11-01T01:15:00-05:00",
            "2026-11-01T02:15:00-05:00"}},
          {"0 9 * * MON-FRI",
           "2026-03-06T10:00:00-05:00",
           {"2026-03-09T09:00:00-04:00", "2026-03-10T09:00:00-04:00"}},
      },
      Zone("America/New_York"));
}

TEST_CASE("cron Australia/Lord_Howe half-hour transitions follow the same rules") {
  // 2026-04-05 02:00 +11:00 -> 01:30 +10:30; 2026-10-04 02:00 +10:30 -> 02:30 +11:00.
  CheckFires(
      {
          {"45 1 * * *",
           "2026-04-04T12:00:00+11:00",
           {"2026-04-05T01:45:00+11:00", "2026-04-06T01:45:00+10:30"}},
          {"*/15 * * * *",
           "2026-04-05T01:20:00+11:00",
           {"2026-04-05T01:30:00+11:00", "2026-04-05T01:45:00+11:00", "2026-04-05T01:30:00+10:30",
            "2026-04-05T01:45:00+10:30", "2026-04-05T02:00:00+10:30"}},
          {"15 2 * * *",
           "2026-10-03T12:00:00+10:30",
           {"2026-10-04T02:30:00+11:00", "2026-10-05T02:15:00+11:00"}},
          {"0,15 2 * * *",
           "2026-10-04T00:00:00+10:30",
           {"2026-10-04T02:30:00+11:00", "2026-10-05T02:00:00+11:00"}},
          {"30 2 * * *", "2026-10-04T00:00:00+10:30", {"2026-10-04T02:30:00+11:00"}},
          {"*/15 * * * *",
           "2026-10-04T01:50:00+10:30",
           {"2026-10-04T02:30:00+11:00", "2026-10-04T02:45:00+11:00"}},
      },
      Zone("Australia/Lord_Howe"));
}

// --- Cross-checks against a brute-force oracle ----------------------------

bool Matches(const internal::Fields& f, date::local_seconds t) {
  const auto day = date::floor<date::days>(t);
  const date::year_month_day ymd{day};
  const auto tod = (t - day).count();
  const unsigned dom = static_cast<unsigned>(ymd.day());
  const unsigned dow = date::weekday{day}.c_encoding();
  const bool dom_ok = (f.days >> dom) & 1u;
  const bool dow_ok = (f.weekdays >> dow) & 1u;
  return ((f.months >> static_cast<unsigned>(ymd.month())) & 1u) &&
         ((f.hours >> (tod / 3600)) & 1u) && ((f.minutes >> (tod / 60 % 60)) & 1u) &&
         ((f.seconds >> (tod % 60)) & 1u) && (f.days_or ? (dom_ok || dow_ok) : (dom_ok && dow_ok));
}

std::string RandomField(std::mt19937& rng, int lo, int hi) {
  auto pick = [&](int a, int b) { return std::uniform_int_distribution<int>(a, b)(rng); };
  switch (pick(0, 5)) {
    case 0:
      return "*";
    case 1:
      return fmt::format("*/{}", pick(1, (hi - lo + 1) / 2 + 1));
    case 2:
      return fmt::format("{}", pick(lo, hi));
    case 3: {
      int a = pick(lo, hi);
      return fmt::format("{}-{}", a, pick(a, hi));
    }
    case 4: {
      int a = pick(lo, hi);
      return fmt::format("{}-{}/{}", a, pick(a, hi), pick(1, 4));
    }
    default:
      return fmt::format("{},{}", pick(lo, hi), pick(lo, hi));
  }
}

// Fields of a parsed schedule, through the only door the header offers: the
// oracle re-derives them by parsing the same text with a separate table.
std::optional<internal::Fields> FieldsOf(const std::string& expr) {
  std::vector<std::string> parts;
  std::istringstream in(expr);
  for (std::string p; in >> p;) parts.push_back(p);
  auto expand = [](const std::string& field, int lo, int hi) {
    uint64_t bits = 0;
    std::istringstream items(field);
    for (std::string item; std::getline(items, item, ',');) {
      int step = 1;
      if (auto slash = item.find('/'); slash != std::string::npos) {
        step = std::stoi(item.substr(slash + 1));
        item = item.substr(0, slash);
      }
      int a = lo;
      int b = hi;
      if (item != "*") {
        auto dash = item.find('-');
        a = std::stoi(item.substr(0, dash));
        b = dash == std::string::npos ? a : std::stoi(item.substr(dash + 1));
      }
      for (int v = a; v <= b; v += step) bits |= uint64_t{1} << v;
    }
    return bits;
  };
  internal::Fields f;
  f.seconds = 1;
  f.minutes = expand(parts[0], 0, 59);
  f.hours = static_cast<uint32_t>(expand(parts[1], 0, 23));
  f.days = static_cast<uint32_t>(expand(parts[2], 1, 31));
  f.months = static_cast<uint16_t>(expand(parts[3], 1, 12));
  uint64_t dow = expand(parts[4], 0, 7);
  if (dow & (1u << 7)) dow = (dow & 0x7f) | 1u;
  f.weekdays = static_cast<uint8_t>(dow);
  f.days_or = parts[2][0] != '*' && parts[4][0] != '*';
  f.wildcard = parts[0][0] == '*' || parts[1][0] == '*';
  if (!f.days_or && !internal::DaysFitMonths(f.days, f.months)) return std::nullopt;
  return f;
}

// Fire times by scanning real minutes: a wildcard job fires whenever the wall
// clock matches; a fixed-time job skips the second pass over repeated wall
// time and fires once at the first instant after a gap that held a match.
std::optional<sys_seconds> OracleNext(const internal::Fields& f, sys_seconds after,
                                      const date::time_zone* tz, int max_minutes) {
  sys_seconds t = date::floor<std::chrono::minutes>(after) + std::chrono::minutes{1};
  for (int i = 0; i < max_minutes; ++i, t += std::chrono::minutes{1}) {
    const date::sys_info info = tz->get_info(t);
    const date::local_seconds local{t.time_since_epoch() + info.offset};
    const date::sys_info prev = tz->get_info(info.begin - seconds{1});
    const date::local_seconds prev_end{info.begin.time_since_epoch() + prev.offset};
    const date::local_seconds begin_local{info.begin.time_since_epoch() + info.offset};
    if (!f.wildcard && t == info.begin && prev_end < begin_local) {
      for (auto g = prev_end; g < begin_local; g += std::chrono::minutes{1}) {
        if (Matches(f, g)) return t;
      }
    }
    if (!Matches(f, local)) continue;
    if (!f.wildcard && local < prev_end) continue;  // the repeat of an earlier hour
    return t;
  }
  return std::nullopt;
}

TEST_CASE("cron next agrees with a minute-by-minute scan in UTC for random expressions") {
  std::mt19937 rng(20260329);
  int checked = 0;
  for (int i = 0; i < 300; ++i) {
    const std::string expr =
        fmt::format("{} {} {} {} {}", RandomField(rng, 0, 59), RandomField(rng, 0, 23),
                    RandomField(rng, 1, 31), RandomField(rng, 1, 12), RandomField(rng, 0, 7));
    auto fields = FieldsOf(expr);
    auto schedule = Schedule::Parse(expr);
    INFO("expression \"" << expr << "\"");
    REQUIRE(schedule.has_value() == fields.has_value());
    if (!fields) continue;
    const sys_seconds from = At("2026-01-01T00:00:00+00:00") +
                             seconds{std::uniform_int_distribution<int64_t>(0, 86400 * 800)(rng)};
    auto want = [&]() -> std::optional<sys_seconds> {
      // Whole days first, so rare schedules stay cheap to scan.
      date::local_seconds t{date::floor<std::chrono::minutes>(from).time_since_epoch() +
                            std::chrono::minutes{1}};
      for (int day = 0; day < 366 * 12; ++day) {
        auto d = date::floor<date::days>(t);
        const date::year_month_day ymd{d};
        internal::Fields any_time = *fields;
        any_time.hours = ~0u;
        any_time.minutes = ~uint64_t{0};
        if (Matches(any_time, d)) {
          for (; date::floor<date::days>(t) == d; t += std::chrono::minutes{1}) {
            if (Matches(*fields, t)) return sys_seconds{t.time_since_epoch()};
          }
        }
        t = date::local_seconds{d + date::days{1}};
        (void)ymd;
      }
      return std::nullopt;
    }();
    auto got = schedule->Next(from, nullptr);
    REQUIRE(want.has_value());
    REQUIRE(got.has_value());
    CHECK(Iso(*got, nullptr) == Iso(*want, nullptr));
    ++checked;
  }
  CHECK(checked > 100);
}

TEST_CASE("cron next agrees with a minute-by-minute scan across DST transitions") {
  std::mt19937 rng(20261025);
  struct Window {
    const char* zone;
    const char* from;
  };
  const std::vector<Window> windows = {
      {"Europe/Berlin", "2026-03-28T20:00:00+01:00"},
      {"Europe/Berlin", "2026-10-24T20:00:00+02:00"},
      {"America/New_York", "2026-03-07T20:00:00-05:00"},
      {"America/New_York", "2026-10-31T20:00:00-04:00"},
      {"Australia/Lord_Howe", "2026-04-04T20:00:00+11:00"},
      {"Australia/Lord_Howe", "2026-10-03T20:00:00+10:30"},
  };
  for (int i = 0; i < 120; ++i) {
    // Hours and minutes vary; days stay open so that something fires daily.
    const std::string expr =
        fmt::format("{} {} * * *", RandomField(rng, 0, 59), RandomField(rng, 0, 4));
    auto fields = FieldsOf(expr);
    REQUIRE(fields);
    auto schedule = Schedule::Parse(expr);
    REQUIRE(schedule);
    for (const auto& w : windows) {
      const date::time_zone* tz = Zone(w.zone);
      INFO("expression \"" << expr << "\" in " << w.zone << " after " << w.from);
      sys_seconds t = At(w.from);
      for (int step = 0; step < 12; ++step) {
        auto want = OracleNext(*fields, t, tz, 60 * 24 * 3);
        auto got = schedule->Next(t, tz);
        REQUIRE(want.has_value());
        REQUIRE(got.has_value());
        REQUIRE(Iso(*got, tz) == Iso(*want, tz));
        t = *got;
      }
    }
  }
}

TEST_CASE("cron zones resolve by IANA name and suggest close names") {
  auto berlin = LocateZone("Europe/Berlin");
  REQUIRE(berlin);
  CHECK((*berlin)->name() == "Europe/Berlin");

  auto typo = LocateZone("Europe/Berln");
  REQUIRE_FALSE(typo);
  CHECK(typo.error().find("unknown time zone \"Europe/Berln\"") != std::string::npos);
  CHECK(typo.error().find("did you mean \"Europe/Berlin\"") != std::string::npos);

  auto city = LocateZone("berlin");
  REQUIRE_FALSE(city);
  CHECK(city.error().find("\"Europe/Berlin\"") != std::string::npos);

  auto lower = LocateZone("america/new_york");
  REQUIRE_FALSE(lower);
  CHECK(lower.error().find("\"America/New_York\"") != std::string::npos);

  auto nothing = LocateZone("Nowhere/Qqqqqqqqqqqq");
  REQUIRE_FALSE(nothing);
  CHECK(nothing.error().find("IANA") != std::string::npos);
}

TEST_CASE("cron empty zone name gives the host zone, $TZ first") {
  const char* saved = std::getenv("TZ");
  const std::string saved_value = saved == nullptr ? "" : saved;
  ::setenv("TZ", "Australia/Lord_Howe", 1);
  auto from_env = LocateZone("");
  ::setenv("TZ", ":America/New_York", 1);
  auto posix_spelling = LocateZone("");
  ::setenv("TZ", "Not/AZone", 1);
  auto bad_env = LocateZone("");
  if (saved == nullptr) {
    ::unsetenv("TZ");
  } else {
    ::setenv("TZ", saved_value.c_str(), 1);
  }
  REQUIRE(from_env);
  CHECK((*from_env)->name() == "Australia/Lord_Howe");
  REQUIRE(posix_spelling);
  CHECK((*posix_spelling)->name() == "America/New_York");
  REQUIRE(bad_env);  // falls through to /etc/localtime or UTC
  CHECK(*bad_env != nullptr);
}

}  // namespace
}  // namespace prisn::cron
