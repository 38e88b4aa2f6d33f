// `prisn cron next EXPR`: when a schedule fires, in the zone a CronJob with
// that `timeZone` would use, computed by the same evaluator as the scheduler.

#include <date/date.h>
#include <date/tz.h>
#include <fmt/core.h>

#include <chrono>
#include <expected>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "cli/command.h"
#include "cli/command_util.h"
#include "cli/cron_shortcut.h"
#include "cli/printer.h"
#include "manifests/cron.h"

namespace prisn::cli {
namespace {

using std::chrono::seconds;
using std::chrono::sys_seconds;

struct NextOptions {
  std::vector<std::string> expr;  // joined with spaces: quoting is optional
  std::string from;
  int count = 5;
  std::string tz;
};

// 2026-03-29T03:00:00+02:00
std::string FormatIso(sys_seconds t, const date::time_zone& tz) {
  const seconds offset = tz.get_info(t).offset;
  const auto minutes = std::chrono::abs(offset).count() / 60;
  return fmt::format("{}{}{:02}:{:02}", date::format("%FT%T", t + offset),
                     offset.count() < 0 ? '-' : '+', minutes / 60, minutes % 60);
}

// Reads exactly `width` digits at text[pos].
bool Digits(std::string_view text, size_t& pos, size_t width, int& out) {
  if (pos + width > text.size()) return false;
  int v = 0;
  for (size_t i = 0; i < width; ++i) {
    const char c = text[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  pos += width;
  out = v;
  return true;
}

// ISO 8601: YYYY-MM-DD, optionally followed by T (or a space) HH:MM[:SS]
// and an offset (Z, +HH:MM, +HHMM, +HH). Without an offset the time is wall
// clock in `tz`; a time in a DST gap means the instant of the jump, a
// repeated time its first occurrence.
std::expected<sys_seconds, std::string> ParseFrom(std::string_view text,
                                                  const date::time_zone& tz) {
  const std::string bad = fmt::format(
      "invalid --from \"{}\": expected ISO 8601 such as 2026-03-28T09:00:00, "
      "2026-03-28T09:00:00+01:00 or 2026-03-28",
      text);
  size_t pos = 0;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (!Digits(text, pos, 4, y) || pos >= text.size() || text[pos++] != '-' ||
      !Digits(text, pos, 2, mo) || pos >= text.size() || text[pos++] != '-' ||
      !Digits(text, pos, 2, d)) {
    return std::unexpected(bad);
  }
  if (pos < text.size() && (text[pos] == 'T' || text[pos] == 't' || text[pos] == ' ')) {
    ++pos;
    if (!Digits(text, pos, 2, h) || pos >= text.size() || text[pos++] != ':' ||
        !Digits(text, pos, 2, mi)) {
      return std::unexpected(bad);
    }
    if (pos < text.size() && text[pos] == ':') {
      ++pos;
      if (!Digits(text, pos, 2, s)) return std::unexpected(bad);
    }
  }
  const date::year_month_day ymd{date::year{y}, date::month(static_cast<unsigned>(mo)),
                                 date::day(static_cast<unsigned>(d))};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 59) {
    return std::unexpected(fmt::format("invalid --from \"{}\": no such date or time", text));
  }
  const date::local_seconds local =
      date::local_days{ymd} + std::chrono::hours{h} + std::chrono::minutes{mi} + seconds{s};
  if (pos == text.size()) {
    return tz.to_sys(local, date::choose::earliest);
  }
  seconds offset{0};
  if (text[pos] == 'Z' || text[pos] == 'z') {
    ++pos;
  } else if (text[pos] == '+' || text[pos] == '-') {
    const int sign = text[pos++] == '-' ? -1 : 1;
    int oh = 0, om = 0;
    if (!Digits(text, pos, 2, oh)) return std::unexpected(bad);
    if (pos < text.size() && text[pos] == ':') ++pos;
    if (pos < text.size() && !Digits(text, pos, 2, om)) return std::unexpected(bad);
    if (oh > 23 || om > 59) return std::unexpected(bad);
    offset = sign * (std::chrono::hours{oh} + std::chrono::minutes{om});
  } else {
    return std::unexpected(bad);
  }
  if (pos != text.size()) return std::unexpected(bad);
  return sys_seconds{local.time_since_epoch() - offset};
}

// The expression with a caret under the byte the parser complained about.
void PrintParseError(std::string_view expr, const cron::ParseError& error) {
  std::string pad;
  for (size_t i = 0; i < error.offset && i < expr.size(); ++i) {
    pad += expr[i] == '\t' ? '\t' : ' ';
  }
  fmt::print(stderr, "error: invalid schedule: {}\n  {}\n  {}^\n", error.message, expr, pad);
}

int RunNext(const NextOptions& opts, const std::string& output) {
  std::string expr;
  for (const auto& part : opts.expr) {
    if (!expr.empty()) expr += ' ';
    expr += part;
  }
  auto zone = cron::LocateZone(opts.tz);
  if (!zone) {
    fmt::print(stderr, "error: {}\n", zone.error());
    return kExitError;
  }
  const date::time_zone& tz = **zone;
  auto schedule = cron::Schedule::Parse(expr);
  if (!schedule) {
    PrintParseError(expr, schedule.error());
    return kExitError;
  }
  sys_seconds from = std::chrono::floor<seconds>(std::chrono::system_clock::now());
  if (!opts.from.empty()) {
    auto parsed = ParseFrom(opts.from, tz);
    if (!parsed) {
      fmt::print(stderr, "error: {}\n", parsed.error());
      return kExitError;
    }
    from = *parsed;
  }
  std::vector<std::string> times;
  sys_seconds t = from;
  for (int i = 0; i < opts.count; ++i) {
    auto next = schedule->Next(t, &tz);
    if (!next) break;
    times.push_back(FormatIso(*next, tz));
    t = *next;
  }
  if (times.empty()) {
    fmt::print(stderr, "error: \"{}\" never fires after {}\n", expr, FormatIso(from, tz));
    return kExitFailure;
  }
  PrintOutput(output, nlohmann::json(times), [&] {
    std::string text;
    for (const auto& line : times) text += line + "\n";
    return text;
  });
  return kExitOk;
}

}  // namespace

void RegisterCron(CLI::App& app, Context& ctx) {
  auto* cron = app.add_subcommand(
      "cron", "Run a script on a schedule (a CronJob), or check an expression (cron next)");
  auto shortcut = std::make_shared<CronFlags>();
  cron->add_option("FILE", shortcut->deploy.path, "A script, or a folder (with an optional prisn.toml)");
  cron->add_option("SCHEDULE", shortcut->schedule,
                   "Cron expression (quoted): \"0 * * * *\", \"*/10 * * * * *\", @daily, ...");
  cron->add_option("--every", shortcut->every, "Instead of SCHEDULE: 30s, 15m, 2h, hour, day, week");
  cron->add_option("--tz", shortcut->time_zone, "IANA time zone of the schedule (default: the server's)");
  cron->add_option("--name", shortcut->deploy.name, "CronJob name (default: the file's or folder's)");
  cron->add_option("-e,--env", shortcut->deploy.env, "Environment variable KEY=VALUE (repeatable)");
  cron->add_option("--runtime", shortcut->deploy.runtime, "python3, node, bash or a Runner's name");
  cron->add_option("--entrypoint", shortcut->deploy.entrypoint, "The script to run inside the folder");
  cron->add_option("--timeout", shortcut->timeout, "Stop each run after this long (30s, 5m)");
  cron->add_option("-n,--namespace", shortcut->deploy.ns, "Namespace")->capture_default_str();
  AddOutputOption(*cron, ctx);
  cron->footer(
      "Builds a CronJob from the script (prisn.toml in a folder gives defaults; flags win) and\n"
      "applies it as the set cron/<namespace>/<name>, like `prisn deploy` does for a service.\n"
      "Examples:\n"
      "  prisn cron backup.sh \"0 3 * * *\" --tz Europe/Berlin\n"
      "  prisn cron report.py --every 15m\n"
      "  prisn cron next \"0 3 * * *\"        check an expression first\n"
      "See also: prisn get cron, prisn get jobs --cron NAME, prisn logs NAME --run latest,\n"
      "prisn scale NAME 0 (suspend) / 1 (resume).");
  cron->callback([cron, shortcut, &ctx] {
    if (!cron->get_subcommands().empty()) return;  // cron next
    if (shortcut->deploy.path.empty()) {
      PrintError({ErrorCode::kInvalid, "usage: prisn cron FILE \"SCHEDULE\" | prisn cron FILE --every 15m | prisn cron next EXPR", {}});
      ctx.exit_code = kExitError;
      return;
    }
    ctx.exit_code = ApplyCronShortcut(ctx, *shortcut);
  });

  auto opts = std::make_shared<NextOptions>();
  auto* next = cron->add_subcommand(
      "next", "Print the next fire times of a cron expression (ISO 8601, one per line)");
  next->add_option("expression", opts->expr,
                   "Cron expression: 5 fields, 6 with leading seconds, or a macro "
                   "(@daily, @hourly, @every 10m, ...)")
      ->required()
      ->expected(1, 7);
  next->add_option("--from", opts->from,
                   "Start after this time (ISO 8601; without an offset it is wall-clock time "
                   "in --tz); default now");
  next->add_option("-n,--count", opts->count, "How many fire times to print")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  next->add_option("--tz", opts->tz,
                   "IANA time zone, as a CronJob's timeZone (default: the host's zone)");
  AddOutputOption(*next, ctx);
  next->footer(
      "Examples:\n"
      "  prisn cron next \"0 3 * * *\"\n"
      "  prisn cron next \"*/15 9-17 * * MON-FRI\" --count 10\n"
      "  prisn cron next \"0 2 * * *\" --tz Europe/Berlin --from 2026-03-28T00:00:00 --count 3\n"
      "  prisn cron next @every 90m -o json\n"
      "\n"
      "Exit status: 0 printed, 1 never fires again, 2 invalid expression, zone or time.");
  next->callback([opts, &ctx] { ctx.exit_code = RunNext(*opts, ctx.global.output); });
}

}  // namespace prisn::cli
