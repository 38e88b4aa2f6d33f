// Parsing cron expressions and intervals into bit fields. Every error carries
// the byte offset of the mistake in the text the caller gave, so that a
// manifest error or `prisn cron next` can point at it.

#include <fmt/core.h>

#include <array>
#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "manifests/cron.h"
#include "manifests/cron_match.h"
#include "util/strings.h"

namespace prisn::cron {
namespace {

using internal::Fields;

constexpr std::array<std::string_view, 12> kMonthNames = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                          "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<std::string_view, 7> kWeekdayNames = {"SUN", "MON", "TUE", "WED",
                                                           "THU", "FRI", "SAT"};
constexpr std::array<std::string_view, 12> kMonthLongNames = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December"};

enum class Kind { kSecond, kMinute, kHour, kDay, kMonth, kWeekday };

struct FieldSpec {
  Kind kind;
  std::string_view name;  // as the error messages call it
  int min;
  int max;  // as written: the weekday field accepts 7 for Sunday
};

constexpr FieldSpec kSpecs[] = {
    {Kind::kSecond, "second", 0, 59}, {Kind::kMinute, "minute", 0, 59},
    {Kind::kHour, "hour", 0, 23},     {Kind::kDay, "day-of-month", 1, 31},
    {Kind::kMonth, "month", 1, 12},   {Kind::kWeekday, "day-of-week", 0, 7},
};

std::unexpected<ParseError> Error(size_t offset, std::string message) {
  return std::unexpected(ParseError{offset, std::move(message)});
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

struct Token {
  size_t begin;
  size_t end;
};

// Whitespace-separated tokens of expr[begin, end), as offsets into expr.
std::vector<Token> Tokens(std::string_view expr, size_t begin, size_t end) {
  std::vector<Token> out;
  size_t i = begin;
  while (i < end) {
    while (i < end && IsSpace(expr[i])) ++i;
    if (i == end) break;
    size_t start = i;
    while (i < end && !IsSpace(expr[i])) ++i;
    out.push_back({start, i});
  }
  return out;
}

// One field of a calendar expression, parsed in place in the expression so
// that offsets need no translation.
class FieldParser {
 public:
  FieldParser(std::string_view expr, Token token, const FieldSpec& spec)
      : expr_(expr), pos_(token.begin), end_(token.end), spec_(spec) {}

  std::expected<uint64_t, ParseError> Run() {
    uint64_t bits = 0;
    while (true) {
      if (pos_ == end_ || expr_[pos_] == ',') {
        return Error(pos_, fmt::format("empty item in the {} list", spec_.name));
      }
      auto item = Item();
      if (!item) return std::unexpected(item.error());
      bits |= *item;
      if (pos_ == end_) break;
      if (expr_[pos_] != ',') return Unexpected();
      ++pos_;
    }
    if (spec_.kind == Kind::kWeekday && (bits & (1u << 7)) != 0) {
      bits = (bits & ~(uint64_t{1} << 7)) | 1u;  // 7 and 0 are both Sunday
    }
    return bits;
  }

 private:
  char Peek() const { return pos_ < end_ ? expr_[pos_] : '\0'; }

  bool DayField() const { return spec_.kind == Kind::kDay || spec_.kind == Kind::kWeekday; }

  std::unexpected<ParseError> Unexpected() const {
    char c = Peek();
    if (c == 'L' || c == 'W' || c == '#') {
      return Error(pos_, fmt::format("'{}' (a Quartz extension) is not supported in the {} field",
                                     c, spec_.name));
    }
    if (c == '\0') return Error(pos_, fmt::format("the {} field ends too early", spec_.name));
    return Error(pos_, fmt::format("unexpected '{}' in the {} field", c, spec_.name));
  }

  std::string Allowed() const {
    switch (spec_.kind) {
      case Kind::kMonth:
        return "1-12 or JAN-DEC";
      case Kind::kWeekday:
        return "0-7 (0 and 7 are Sunday) or SUN-SAT";
      default:
        return fmt::format("{}-{}", spec_.min, spec_.max);
    }
  }

  // A number or, in the month and weekday fields, a three-letter name.
  std::expected<int, ParseError> Value(bool* was_sunday_name) {
    size_t start = pos_;
    if (IsDigit(Peek())) {
      int64_t v = 0;
      while (IsDigit(Peek())) {
        if (v < 1000000) v = v * 10 + (expr_[pos_] - '0');
        ++pos_;
      }
      if (v < spec_.min || v > spec_.max) {
        return Error(start, fmt::format("{} {} is out of range: allowed {}", spec_.name,
                                        expr_.substr(start, pos_ - start), Allowed()));
      }
      return static_cast<int>(v);
    }
    if (IsAlpha(Peek())) {
      while (IsAlpha(Peek())) ++pos_;
      std::string word = Upper(expr_.substr(start, pos_ - start));
      if (spec_.kind == Kind::kMonth) {
        for (size_t i = 0; i < kMonthNames.size(); ++i) {
          if (word == kMonthNames[i]) return static_cast<int>(i) + 1;
        }
      } else if (spec_.kind == Kind::kWeekday) {
        for (size_t i = 0; i < kWeekdayNames.size(); ++i) {
          if (word == kWeekdayNames[i]) {
            if (was_sunday_name != nullptr) *was_sunday_name = (i == 0);
            return static_cast<int>(i);
          }
        }
      }
      pos_ = start;
      if (word == "L" || word == "LW") return Unexpected();
      return Error(start, fmt::format("unknown {} \"{}\": allowed {}", spec_.name,
                                      expr_.substr(start, word.size()), Allowed()));
    }
    return Error(start, fmt::format("expected a {} ({}) or '*'", spec_.name, Allowed()));
  }

  std::expected<uint64_t, ParseError> Item() {
    const size_t start = pos_;
    int lo = spec_.min;
    int hi = spec_.max;
    bool range = false;
    char c = Peek();
    if (c == '*' || (c == '?' && DayField())) {
      ++pos_;
      range = true;
    } else if (c == '?') {
      return Error(pos_, "'?' is only allowed in the day-of-month and day-of-week fields");
    } else {
      auto first = Value(nullptr);
      if (!first) return std::unexpected(first.error());
      lo = hi = *first;
      if (Peek() == '-') {
        ++pos_;
        range = true;
        bool sunday_name = false;
        auto last = Value(&sunday_name);
        if (!last) return std::unexpected(last.error());
        hi = *last;
        // FRI-SUN reads as Friday to Sunday, not as an empty range.
        if (spec_.kind == Kind::kWeekday && sunday_name && lo > 0) hi = 7;
        if (hi < lo) {
          return Error(start, fmt::format("range {} runs backwards: the {} range must go "
                                          "from low to high (ranges do not wrap around)",
                                          expr_.substr(start, pos_ - start), spec_.name));
        }
      }
    }
    int step = 1;
    if (Peek() == '/') {
      ++pos_;
      const size_t step_at = pos_;
      if (!IsDigit(Peek())) return Error(pos_, "expected a step (a number) after '/'");
      int64_t v = 0;
      while (IsDigit(Peek())) {
        if (v < 1000000) v = v * 10 + (expr_[pos_] - '0');
        ++pos_;
      }
      const int span = spec_.max - spec_.min + 1;
      if (v == 0) return Error(step_at, "a step must be at least 1");
      if (v > span) {
        std::string hint;
        if (spec_.kind == Kind::kMinute || spec_.kind == Kind::kSecond ||
            spec_.kind == Kind::kHour) {
          hint = fmt::format(" (cron steps restart every {}; for a fixed interval use @every)",
                             spec_.kind == Kind::kHour     ? "day"
                             : spec_.kind == Kind::kMinute ? "hour"
                                                           : "minute");
        }
        return Error(step_at, fmt::format("step {} is larger than the {} range {}-{}{}", v,
                                          spec_.name, spec_.min, spec_.max, hint));
      }
      step = static_cast<int>(v);
      if (!range) hi = spec_.max;  // "5/15" means 5-max/15
    }
    if (pos_ != end_ && Peek() != ',') return Unexpected();
    uint64_t bits = 0;
    for (int v = lo; v <= hi; v += step) bits |= uint64_t{1} << v;
    return bits;
  }

  std::string_view expr_;
  size_t pos_;
  size_t end_;
  const FieldSpec& spec_;
};

bool StartsWithStar(std::string_view expr, Token t) {
  return expr[t.begin] == '*' || expr[t.begin] == '?';
}

std::string MonthList(uint16_t months) {
  std::vector<std::string_view> names;
  for (int m = 1; m <= 12; ++m) {
    if (months & (1u << m)) names.push_back(kMonthLongNames[m - 1]);
  }
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += (i + 1 == names.size()) ? " or " : ", ";
    out += names[i];
  }
  return out;
}

// 5 or 6 whitespace-separated fields in expr[begin, end).
std::expected<Fields, ParseError> ParseFields(std::string_view expr, size_t begin, size_t end) {
  std::vector<Token> tokens = Tokens(expr, begin, end);
  if (tokens.size() < 5) {
    return Error(end, fmt::format("expected 5 fields (minute hour day-of-month month "
                                  "day-of-week), or 6 with leading seconds; found {}",
                                  tokens.size()));
  }
  if (tokens.size() > 6) {
    return Error(tokens[6].begin,
                 "too many fields: a cron expression has 5 fields, or 6 with leading seconds");
  }
  const size_t first = tokens.size() == 6 ? 0 : 1;  // index into kSpecs
  Fields f;
  f.seconds = 1;  // 5 fields: at second 0
  Token dom_token{};
  bool dom_star = false;
  bool dow_star = false;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const FieldSpec& spec = kSpecs[first + i];
    auto bits = FieldParser(expr, tokens[i], spec).Run();
    if (!bits) return std::unexpected(bits.error());
    const bool star = StartsWithStar(expr, tokens[i]);
    switch (spec.kind) {
      case Kind::kSecond:
        f.seconds = *bits;
        break;
      case Kind::kMinute:
        f.minutes = *bits;
        f.wildcard = f.wildcard || star;
        break;
      case Kind::kHour:
        f.hours = static_cast<uint32_t>(*bits);
        f.wildcard = f.wildcard || star;
        break;
      case Kind::kDay:
        f.days = static_cast<uint32_t>(*bits);
        dom_token = tokens[i];
        dom_star = star;
        break;
      case Kind::kMonth:
        f.months = static_cast<uint16_t>(*bits);
        break;
      case Kind::kWeekday:
        f.weekdays = static_cast<uint8_t>(*bits);
        dow_star = star;
        break;
    }
  }
  f.days_or = !dom_star && !dow_star;
  // Unless the weekday field can supply days on its own, the day-of-month
  // field has to name a day that some selected month has.
  if (!f.days_or && !internal::DaysFitMonths(f.days, f.months)) {
    return Error(dom_token.begin,
                 fmt::format("day-of-month {} never occurs in {}: this schedule would never fire",
                             expr.substr(dom_token.begin, dom_token.end - dom_token.begin),
                             MonthList(f.months)));
  }
  return f;
}

struct Macro {
  std::string_view name;
  std::string_view expansion;
};

constexpr Macro kMacros[] = {
    {"yearly", "0 0 1 1 *"}, {"annually", "0 0 1 1 *"}, {"monthly", "0 0 1 * *"},
    {"weekly", "0 0 * * 0"}, {"daily", "0 0 * * *"},    {"midnight", "0 0 * * *"},
    {"hourly", "0 * * * *"},
};

constexpr int64_t kMaxIntervalSeconds = int64_t{100} * 366 * 86400;

// A duration in expr[begin, end) (already trimmed, non-empty).
std::expected<std::chrono::seconds, ParseError> ParseDuration(std::string_view expr, size_t begin,
                                                              size_t end) {
  const std::string word = AsciiLower(expr.substr(begin, end - begin));
  static constexpr std::pair<std::string_view, int64_t> kWords[] = {
      {"second", 1}, {"minute", 60}, {"hour", 3600}, {"day", 86400}, {"week", 604800}};
  for (const auto& [name, secs] : kWords) {
    if (word == name) return std::chrono::seconds(secs);
  }
  int64_t total = 0;
  size_t pos = begin;
  while (pos < end) {
    const size_t number_at = pos;
    if (!IsDigit(expr[pos])) {
      return Error(pos,
                   "expected an interval such as 30s, 15m, 1h, 2h30m, 1d, or one of "
                   "second, minute, hour, day, week");
    }
    int64_t n = 0;
    while (pos < end && IsDigit(expr[pos])) {
      if (n <= kMaxIntervalSeconds) n = n * 10 + (expr[pos] - '0');
      ++pos;
    }
    if (pos < end && (expr[pos] == '.' || expr[pos] == ',')) {
      return Error(pos, "fractions are not supported: write 1h30m rather than 1.5h");
    }
    const size_t unit_at = pos;
    while (pos < end && IsAlpha(expr[pos])) ++pos;
    const std::string unit = AsciiLower(expr.substr(unit_at, pos - unit_at));
    int64_t scale = 0;
    if (unit == "s") {
      scale = 1;
    } else if (unit == "m") {
      scale = 60;
    } else if (unit == "h") {
      scale = 3600;
    } else if (unit == "d") {
      scale = 86400;
    } else if (unit == "w") {
      scale = 604800;
    } else if (unit.empty()) {
      return Error(unit_at, fmt::format("missing unit after {}: use s, m, h, d or w",
                                        expr.substr(number_at, unit_at - number_at)));
    } else if (unit == "ms" || unit == "us" || unit == "ns") {
      return Error(unit_at, "intervals shorter than a second are not supported");
    } else {
      return Error(unit_at, fmt::format("unknown unit \"{}\": use s, m, h, d or w",
                                        expr.substr(unit_at, pos - unit_at)));
    }
    if (n > kMaxIntervalSeconds / scale) {
      return Error(number_at, "interval is too long: at most 100 years");
    }
    total += n * scale;
    if (total > kMaxIntervalSeconds) {
      return Error(number_at, "interval is too long: at most 100 years");
    }
  }
  if (total == 0) return Error(begin, "an interval must be at least 1s");
  return std::chrono::seconds(total);
}

}  // namespace

std::expected<Schedule, ParseError> Schedule::ParseEvery(std::string_view every) {
  size_t begin = 0;
  size_t end = every.size();
  while (begin < end && IsSpace(every[begin])) ++begin;
  while (end > begin && IsSpace(every[end - 1])) --end;
  if (begin == end) {
    return Error(begin, "empty interval: expected e.g. 30s, 15m, 1h, 2h30m or day");
  }
  for (size_t i = begin; i < end; ++i) {
    if (IsSpace(every[i])) {
      return Error(i, "an interval is written without spaces, e.g. 2h30m");
    }
  }
  auto interval = ParseDuration(every, begin, end);
  if (!interval) return std::unexpected(interval.error());
  Schedule s;
  s.source_ = std::string(every);
  s.interval_ = *interval;
  return s;
}

std::expected<Schedule, ParseError> Schedule::Parse(std::string_view expr) {
  std::vector<Token> tokens = Tokens(expr, 0, expr.size());
  if (tokens.empty()) {
    return Error(0,
                 "empty cron expression: expected 5 fields (e.g. \"0 3 * * *\") or a macro "
                 "such as @daily");
  }
  Schedule s;
  s.source_ = std::string(expr);
  const Token head = tokens[0];
  if (expr[head.begin] != '@') {
    auto fields = ParseFields(expr, 0, expr.size());
    if (!fields) return std::unexpected(fields.error());
    s.fields_ = *fields;
    return s;
  }
  const std::string name = AsciiLower(expr.substr(head.begin + 1, head.end - head.begin - 1));
  if (name == "every") {
    if (tokens.size() < 2) {
      return Error(expr.size(), "@every needs an interval, e.g. @every 10m");
    }
    if (tokens.size() > 2) {
      return Error(tokens[2].begin, "unexpected text after the @every interval");
    }
    auto interval = ParseDuration(expr, tokens[1].begin, tokens[1].end);
    if (!interval) return std::unexpected(interval.error());
    s.interval_ = *interval;
    return s;
  }
  for (const Macro& m : kMacros) {
    if (name != m.name) continue;
    if (tokens.size() > 1) {
      return Error(tokens[1].begin, fmt::format("@{} stands alone: nothing may follow it", m.name));
    }
    auto fields = ParseFields(m.expansion, 0, m.expansion.size());
    if (!fields) return std::unexpected(fields.error());  // not reached: the table is valid
    s.fields_ = *fields;
    return s;
  }
  if (name == "reboot") {
    return Error(head.begin,
                 "@reboot is not supported: prisn schedules by time; for a "
                 "process that runs at start-up use a Deployment or a Job");
  }
  return Error(head.begin, fmt::format("unknown macro \"{}\": use @yearly, @annually, "
                                       "@monthly, @weekly, @daily, @midnight, @hourly or "
                                       "@every INTERVAL",
                                       expr.substr(head.begin, head.end - head.begin)));
}

}  // namespace prisn::cron
