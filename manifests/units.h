#pragma once
// Quantities and durations as written in manifests, parsed into typed values
// and printed back in one canonical spelling (so that "0.5Gi" and "512Mi" are
// the same object).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace prisn::manifests {

// A resource amount: millicores for cpu, bytes for memory and disk.
struct Quantity {
  std::int64_t value = 0;
  friend bool operator==(const Quantity&, const Quantity&) = default;
};

// Durations are whole milliseconds; 0 means "none" where a field documents it.
using Duration = std::chrono::milliseconds;

// "500m", "0.5", "2" -> millicores. Fails (nullopt) on anything else, on
// values below 1m and on absurd values (more than 1e6 cores).
std::optional<Quantity> ParseCpu(std::string_view text);
// "512Mi", "1Gi", "100M", "4096" (bytes) -> bytes. Binary (Ki Mi Gi Ti Pi)
// and decimal (k M G T P) suffixes, fractions allowed when they give whole
// bytes ("1.5Gi"). Fails on unknown suffixes such as "512MB" and on values
// above 2^62.
std::optional<Quantity> ParseBytes(std::string_view text);
// Go-style durations: one or more <number><unit> with units ms s m h d,
// e.g. "30s", "1h30m", "1.5h", "500ms". A bare number fails: the unit is
// required. Negative values fail.
std::optional<Duration> ParseDuration(std::string_view text);

// Canonical spellings: cpu "500m" or "2"; bytes with the largest exact
// binary suffix, else the largest exact decimal one, else plain bytes;
// durations as "1h30m", "10s", "1500ms", "0s".
std::string FormatCpu(Quantity q);
std::string FormatBytes(Quantity q);
std::string FormatDuration(Duration d);

// An integer or a percentage ("25%"), as used by rolling-update budgets.
struct IntOrPercent {
  int value = 0;
  bool percent = false;
  friend bool operator==(const IntOrPercent&, const IntOrPercent&) = default;
};
std::string FormatIntOrPercent(IntOrPercent v);

}  // namespace prisn::manifests
