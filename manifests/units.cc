#include "manifests/units.h"

#include <fmt/core.h>

#include <array>
#include <cctype>

namespace prisn::manifests {
namespace {

// A non-negative decimal "12", "0.5", "1.25" as an exact fraction
// mantissa / 10^scale. Refuses signs, exponents and more than 9 decimals.
struct Decimal {
  std::int64_t mantissa = 0;
  int scale = 0;
};

std::optional<Decimal> ParseDecimal(std::string_view s) {
  if (s.empty()) return std::nullopt;
  Decimal d;
  bool seen_digit = false, seen_dot = false;
  for (char c : s) {
    if (c == '.') {
      if (seen_dot) return std::nullopt;
      seen_dot = true;
      continue;
    }
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    seen_digit = true;
    if (d.mantissa > (std::int64_t{1} << 58) / 10) return std::nullopt;  // overflow guard
    d.mantissa = d.mantissa * 10 + (c - '0');
    if (seen_dot && ++d.scale > 9) return std::nullopt;
  }
  if (!seen_digit) return std::nullopt;
  return d;
}

std::int64_t Pow10(int n) {
  std::int64_t r = 1;
  while (n-- > 0) r *= 10;
  return r;
}

// value * multiplier, exact; nullopt when not whole or too large.
std::optional<std::int64_t> Scale(Decimal d, std::int64_t multiplier, std::int64_t limit) {
  const std::int64_t div = Pow10(d.scale);
  __int128 num = static_cast<__int128>(d.mantissa) * multiplier;
  if (num % div != 0) return std::nullopt;
  num /= div;
  if (num > limit) return std::nullopt;
  return static_cast<std::int64_t>(num);
}

struct Suffix {
  std::string_view text;
  std::int64_t factor;
};

constexpr std::int64_t kKi = 1024;
constexpr std::array<Suffix, 10> kByteSuffixes{{
    {"Ki", kKi}, {"Mi", kKi * kKi}, {"Gi", kKi * kKi * kKi}, {"Ti", kKi * kKi * kKi * kKi},
    {"Pi", kKi * kKi * kKi * kKi * kKi},
    {"k", 1000}, {"M", 1000000}, {"G", 1000000000}, {"T", 1000000000000},
    {"P", 1000000000000000},
}};

}  // namespace

std::optional<Quantity> ParseCpu(std::string_view text) {
  std::int64_t factor = 1000;
  if (!text.empty() && text.back() == 'm') {
    factor = 1;
    text.remove_suffix(1);
  }
  auto d = ParseDecimal(text);
  if (!d) return std::nullopt;
  auto v = Scale(*d, factor, std::int64_t{1000} * 1000000);
  if (!v || *v < 1) return std::nullopt;
  return Quantity{*v};
}

std::optional<Quantity> ParseBytes(std::string_view text) {
  std::int64_t factor = 1;
  for (const auto& s : kByteSuffixes) {
    if (text.size() > s.text.size() && text.ends_with(s.text)) {
      factor = s.factor;
      text.remove_suffix(s.text.size());
      break;
    }
  }
  auto d = ParseDecimal(text);
  if (!d) return std::nullopt;
  auto v = Scale(*d, factor, std::int64_t{1} << 62);
  if (!v) return std::nullopt;
  return Quantity{*v};
}

std::optional<Duration> ParseDuration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  __int128 total = 0;
  while (!text.empty()) {
    std::size_t n = 0;
    while (n < text.size() && (std::isdigit(static_cast<unsigned char>(text[n])) || text[n] == '.')) {
      ++n;
    }
    auto d = ParseDecimal(text.substr(0, n));
    if (!d) return std::nullopt;
    text.remove_prefix(n);
    std::int64_t unit_ms = 0;
    if (text.starts_with("ms")) {
      unit_ms = 1;
      text.remove_prefix(2);
    } else if (!text.empty()) {
      switch (text.front()) {
        case 's': unit_ms = 1000; break;
        case 'm': unit_ms = 60 * 1000; break;
        case 'h': unit_ms = 3600 * 1000; break;
        case 'd': unit_ms = 86400 * 1000; break;
        default: return std::nullopt;
      }
      text.remove_prefix(1);
    } else {
      return std::nullopt;  // a number without a unit
    }
    auto ms = Scale(*d, unit_ms, std::int64_t{1} << 50);
    if (!ms) return std::nullopt;  // finer than a millisecond, or huge
    total += *ms;
    if (total > (__int128{1} << 50)) return std::nullopt;
  }
  return Duration{static_cast<std::int64_t>(total)};
}

std::string FormatCpu(Quantity q) {
  if (q.value % 1000 == 0) return fmt::format("{}", q.value / 1000);
  return fmt::format("{}m", q.value);
}

std::string FormatBytes(Quantity q) {
  if (q.value == 0) return "0";
  // Largest exact binary suffix first (Pi .. Ki), then decimal (P .. k).
  for (int i = 4; i >= 0; --i) {
    if (q.value % kByteSuffixes[i].factor == 0) {
      return fmt::format("{}{}", q.value / kByteSuffixes[i].factor, kByteSuffixes[i].text);
    }
  }
  for (int i = 9; i >= 5; --i) {
    if (q.value % kByteSuffixes[i].factor == 0) {
      return fmt::format("{}{}", q.value / kByteSuffixes[i].factor, kByteSuffixes[i].text);
    }
  }
  return fmt::format("{}", q.value);
}

std::string FormatDuration(Duration d) {
  std::int64_t ms = d.count();
  if (ms == 0) return "0s";
  if (ms % 1000 != 0) return fmt::format("{}ms", ms);
  std::int64_t s = ms / 1000;
  std::string out;
  if (s >= 3600) {
    out += fmt::format("{}h", s / 3600);
    s %= 3600;
  }
  if (s >= 60) {
    out += fmt::format("{}m", s / 60);
    s %= 60;
  }
  if (s > 0) out += fmt::format("{}s", s);
  return out;
}

std::string FormatIntOrPercent(IntOrPercent v) {
  return v.percent ? fmt::format("{}%", v.value) : fmt::format("{}", v.value);
}

}  // namespace prisn::manifests
