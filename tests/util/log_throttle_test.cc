// util/log_throttle.h: the first line, then one per interval with the count
// of the lines skipped.
#include "util/log_throttle.h"

#include <catch2/catch.hpp>

namespace prisn {
namespace {

using namespace std::chrono_literals;

TEST_CASE("LogThrottle: logs the first, counts the repeats, reports them with the next one") {
  LogThrottle throttle(10s);
  auto t = LogThrottle::Clock::time_point{} + 1h;
  uint64_t skipped = 99;
  REQUIRE(throttle.Allow(&skipped, t));
  CHECK(skipped == 0);
  for (int i = 0; i < 1000; ++i) CHECK(!throttle.Allow(&skipped, t + 9s));
  REQUIRE(throttle.Allow(&skipped, t + 10s));
  CHECK(skipped == 1000);
  CHECK(!throttle.Allow(&skipped, t + 11s));
  REQUIRE(throttle.Allow(&skipped, t + 1h));
  CHECK(skipped == 1);
}

}  // namespace
}  // namespace prisn
