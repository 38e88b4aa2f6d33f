#pragma once
// A bound on how often one kind of log line is written. A peer that makes
// the daemon fail the same way thousands of times a second (accept out of
// descriptors, connections refused at the cap) must not fill the disk and
// rotate every useful line out of the log: the first occurrence is logged,
// the repeats within `interval` are only counted, and the next line logged
// after the interval carries that count.
//
// Not thread-safe: one throttle per loop (the acceptor's thread), or behind
// the caller's lock.

#include <chrono>
#include <cstdint>

namespace prisn {

class LogThrottle {
 public:
  using Clock = std::chrono::steady_clock;

  explicit LogThrottle(Clock::duration interval = std::chrono::seconds(10))
      : interval_(interval) {}

  // Whether to log this occurrence. When true, `*suppressed` is the number
  // of occurrences skipped since the last one logged (say it in the line).
  bool Allow(uint64_t* suppressed, Clock::time_point now = Clock::now()) {
    if (logged_once_ && now - last_ < interval_) {
      ++skipped_;
      return false;
    }
    logged_once_ = true;
    last_ = now;
    *suppressed = skipped_;
    skipped_ = 0;
    return true;
  }

 private:
  Clock::duration interval_;
  Clock::time_point last_{};
  bool logged_once_ = false;
  uint64_t skipped_ = 0;
};

}  // namespace prisn
