// Resolving a CronJob's `timeZone` against the system tz database, with a
// "did you mean" when the name is not in it.

#include <date/tz.h>
#include <fmt/core.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "manifests/cron.h"
#include "util/strings.h"

namespace prisn::cron {
namespace {

std::string_view LastPart(std::string_view name) {
  const size_t slash = name.rfind('/');
  return slash == std::string_view::npos ? name : name.substr(slash + 1);
}

// Up to three database names close to `wanted`: by the whole name, or by its
// last part ("Berlin" finds "Europe/Berlin"), ignoring case.
std::vector<std::string> Suggestions(std::string_view wanted) {
  const std::string key = AsciiLower(wanted);
  const std::string key_last = AsciiLower(LastPart(wanted));
  const size_t limit = std::max<size_t>(2, key.size() / 4);
  std::vector<std::pair<size_t, std::string>> scored;
  try {
    for (const auto& zone : date::get_tzdb().zones) {
      const std::string& name = zone.name();
      if (name == "localtime" || name == "posixrules" || name == "Factory") continue;
      const std::string lower = AsciiLower(name);
      size_t d = EditDistance(key, lower);
      d = std::min(d,
                   EditDistance(key_last, AsciiLower(LastPart(name))) + (key_last == key ? 0 : 1));
      if (d <= limit) scored.emplace_back(d, name);
    }
  } catch (const std::exception&) {
    return {};  // no database at all: nothing to suggest
  }
  std::sort(scored.begin(), scored.end());
  std::vector<std::string> out;
  for (size_t i = 0; i < scored.size() && i < 3; ++i) {
    if (i > 0 && scored[i].first > scored[0].first) break;
    out.push_back(scored[i].second);
  }
  return out;
}

const date::time_zone* Find(std::string_view name) {
  try {
    return date::locate_zone(name);
  } catch (const std::exception&) {
    return nullptr;
  }
}

}  // namespace

std::expected<const date::time_zone*, std::string> LocateZone(std::string_view name) {
  if (name.empty()) {
    // $TZ first, as every libc program on the host reads it; ":Europe/Berlin"
    // is the POSIX spelling of a zone file name.
    if (const char* env = std::getenv("TZ"); env != nullptr && *env != '\0') {
      std::string_view tz(env);
      if (tz.front() == ':') tz.remove_prefix(1);
      if (const date::time_zone* zone = Find(tz)) return zone;
    }
    try {
      return date::current_zone();
    } catch (const std::exception&) {
      // No /etc/localtime: the host runs on UTC.
    }
    for (std::string_view utc : {"Etc/UTC", "UTC"}) {
      if (const date::time_zone* zone = Find(utc)) return zone;
    }
    return std::unexpected(
        std::string("no time zone database found (expected /usr/share/zoneinfo; install tzdata)"));
  }
  if (const date::time_zone* zone = Find(name)) return zone;
  std::string message = fmt::format("unknown time zone \"{}\"", name);
  const std::vector<std::string> close = Suggestions(name);
  if (close.empty()) {
    message += ": use an IANA name such as \"Europe/Berlin\", \"America/New_York\" or \"UTC\"";
  } else {
    message += ": did you mean ";
    for (size_t i = 0; i < close.size(); ++i) {
      if (i > 0) message += (i + 1 == close.size()) ? " or " : ", ";
      message += "\"" + close[i] + "\"";
    }
    message += "?";
  }
  return std::unexpected(message);
}

}  // namespace prisn::cron
