#include "cli/workload_view.h"

#include <fmt/core.h>

#include <cctype>
#include <ctime>
#include <map>

#include "cli/command_util.h"

namespace prisn::cli {
namespace {

using json = nlohmann::ordered_json;

std::int64_t NowMs(Clock::time_point now) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
}

// Rows without a header line, for the indented blocks of the overview.
std::string Rows(const Table& table) {
  std::string text = table.Render();
  auto nl = text.find('\n');
  return nl == std::string::npos ? std::string() : text.substr(nl + 1);
}

// "HH:MM:SS" today, "YYYY-MM-DD HH:MM" before; local time.
std::string StartedCell(const std::optional<std::string>& time, Clock::time_point now) {
  auto ms = TimeMs(time);
  if (!ms) return "-";
  std::time_t t = static_cast<std::time_t>(*ms / 1000);
  std::time_t n = Clock::to_time_t(now);
  std::tm tm{}, today{};
  ::localtime_r(&t, &tm);
  ::localtime_r(&n, &today);
  char buf[32];
  bool same_day = tm.tm_year == today.tm_year && tm.tm_yday == today.tm_yday;
  std::strftime(buf, sizeof buf, same_day ? "%H:%M:%S" : "%Y-%m-%d %H:%M", &tm);
  return buf;
}

std::string AgoCell(const std::optional<std::string>& time, Clock::time_point now) {
  auto ms = TimeMs(time);
  if (!ms) return "-";
  return FormatAge(std::chrono::seconds((NowMs(now) - *ms) / 1000));
}

std::string RunDuration(const api::RunView& run, Clock::time_point now) {
  auto started = TimeMs(run.started);
  if (!started) return "-";
  auto finished = TimeMs(run.finished);
  return HumanDuration((finished ? *finished : NowMs(now)) - *started);
}

std::string ReadyCell(const api::WorkloadStatus& s) {
  return fmt::format("{}/{}", s.ready, s.desired);
}

// ":8080" when every replica listens on the same port.
std::string PortCell(const api::WorkloadStatus& s) {
  std::int64_t port = 0;
  for (const auto& r : s.replicas) {
    if (r.port == 0) continue;
    if (port != 0 && r.port != port) return "";
    port = r.port;
  }
  return port == 0 ? "" : fmt::format(":{}", port);
}

std::string Counts(const std::map<std::string, int>& counts) {
  std::string out;
  for (const char* state : {"running", "pending", "succeeded", "failed"}) {
    auto it = counts.find(state);
    if (it == counts.end()) continue;
    out += fmt::format("{}{} {}", out.empty() ? "" : ", ", it->second, state);
  }
  for (const auto& [state, n] : counts) {
    if (state != "running" && state != "pending" && state != "succeeded" && state != "failed")
      out += fmt::format("{}{} {}", out.empty() ? "" : ", ", n, state);
  }
  return out;
}

}  // namespace

std::optional<std::int64_t> TimeMs(const std::optional<std::string>& time) {
  if (!time) return std::nullopt;
  const std::string& s = *time;
  auto seconds = ParseRfc3339(s);
  if (!seconds) return std::nullopt;
  std::int64_t ms = 0;
  if (s.size() > 20 && s[19] == '.') {
    int digits = 0;
    for (size_t i = 20;
         i < s.size() && digits < 3 && std::isdigit(static_cast<unsigned char>(s[i]));
         ++i, ++digits) {
      ms = ms * 10 + (s[i] - '0');
    }
    for (; digits < 3; ++digits) ms *= 10;
  }
  return *seconds * 1000 + ms;
}

std::optional<std::int64_t> TimeMs(const json& time) {
  if (!time.is_string()) return std::nullopt;
  return TimeMs(std::optional<std::string>(time.get<std::string>()));
}

std::string HumanDuration(std::int64_t ms) {
  if (ms < 0) return "-";
  if (ms < 1000) return fmt::format("{}ms", ms);
  if (ms < 10000) return fmt::format("{}.{}s", ms / 1000, (ms % 1000) / 100);
  std::int64_t s = ms / 1000;
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return s % 60 ? fmt::format("{}m{}s", s / 60, s % 60) : fmt::format("{}m", s / 60);
  if (s < 86400) {
    std::int64_t m = (s % 3600) / 60;
    return m ? fmt::format("{}h{}m", s / 3600, m) : fmt::format("{}h", s / 3600);
  }
  std::int64_t h = (s % 86400) / 3600;
  return h ? fmt::format("{}d{}h", s / 86400, h) : fmt::format("{}d", s / 86400);
}

Table RunTable(const std::vector<api::RunView>& runs, Clock::time_point now) {
  Table table({"ID", "JOB", "NAMESPACE", "STATUS", "EXIT", "ATTEMPTS", "STARTED", "DURATION"});
  for (const auto& r : runs) {
    table.AddRow({r.id, r.job, r.ns, r.state, r.exit_code ? std::to_string(*r.exit_code) : "-",
                  std::to_string(r.attempts), StartedCell(r.started, now), RunDuration(r, now)});
  }
  return table;
}

std::string ReplicaStateCell(const api::ReplicaStatus& replica, Clock::time_point now) {
  std::string state = replica.state.empty() ? "unknown" : replica.state;
  auto retry = TimeMs(replica.next_retry);
  if (state == "crashloop" && retry) {
    std::int64_t in = (*retry - NowMs(now) + 999) / 1000;
    state += in > 0 ? fmt::format(" (next retry in {})", FormatAge(std::chrono::seconds(in)))
                    : " (retrying now)";
  }
  return state;
}

Table ReplicaTable(const std::vector<api::ReplicaStatus>& replicas, Clock::time_point now,
                   int indent) {
  std::string pad(static_cast<size_t>(indent), ' ');
  Table table(
      {pad + "NAME", "STATE", "READY", "PID", "PORT", "RESTARTS", "AGE", "VERSION", "LAST EXIT"});
  for (const auto& r : replicas) {
    table.AddRow({pad + r.name, ReplicaStateCell(r, now), r.ready ? "true" : "false",
                  r.pid ? std::to_string(r.pid) : "-", r.port ? std::to_string(r.port) : "-",
                  std::to_string(r.restarts), AgoCell(r.started, now), r.version,
                  r.last_exit.empty() ? "-" : r.last_exit});
  }
  return table;
}

std::string StatusLabel(const api::WorkloadStatus& status) {
  return Label(status.kind, status.name);
}

bool IsHealthy(const api::WorkloadStatus& status) {
  const std::string& state = status.state;
  if (status.kind == "Job") return state == "running" || state == "succeeded";
  if (status.kind == "CronJob")
    return state == "scheduled" || state == "running" || state == "suspended";
  return state == "running" || state == "completed" || (state == "stopped" && status.desired == 0);
}

bool RolloutDone(const api::WorkloadStatus& s, const std::string& version) {
  if (s.version != version) return false;
  if (s.desired == 0) return s.state == "stopped" || s.state == "running";
  return s.state == "running" && s.updated == s.desired && s.ready == s.desired &&
         s.available == s.desired;
}

std::string OverviewText(const api::StatusOverview& answer, bool with_namespace,
                         Clock::time_point now) {
  std::vector<const api::WorkloadStatus*> deployments, jobs;
  for (const auto& w : answer.workloads)
    (w.kind == "Deployment" ? deployments : jobs).push_back(&w);
  auto name_of = [&](const std::string& ns, const std::string& name) {
    return with_namespace ? ns + "/" + name : name;
  };
  std::string out;
  out += deployments.empty() ? "DEPLOYMENTS: none\n"
                             : fmt::format("DEPLOYMENTS: {}\n", deployments.size());
  Table d({"", "", "", "", "", ""});
  for (const api::WorkloadStatus* w : deployments) {
    std::string why = w->state == "running" ? "" : w->reason;
    d.AddRow({"  " + name_of(w->ns, w->name), ReadyCell(*w) + " ready", w->state, PortCell(*w),
              w->version, why});
  }
  out += Rows(d);
  out += jobs.empty() ? "\nJOBS: none\n" : fmt::format("\nJOBS: {}\n", jobs.size());
  Table j({"", "", ""});
  for (const api::WorkloadStatus* w : jobs) {
    std::string last = w->last_run.value_or("");
    j.AddRow({"  " + name_of(w->ns, w->name), w->state,
              last.empty() ? "never run" : "last run " + last});
  }
  out += Rows(j);
  const std::vector<api::RunView>& runs = answer.runs;
  std::map<std::string, int> counts;
  for (const auto& r : runs) counts[r.state]++;
  out += runs.empty() ? "\nRECENT RUNS: none\n"
                      : fmt::format("\nRECENT RUNS: {} ({})\n", runs.size(), Counts(counts));
  Table r({"", "", "", "", ""});
  for (const auto& run : runs) {
    std::optional<std::string> created(run.created);
    r.AddRow({"  " + run.id, name_of(run.ns, run.job), run.state,
              run.exit_code ? "exit " + std::to_string(*run.exit_code) : "-",
              TimeMs(created) ? AgoCell(created, now) + " ago" : "-"});
  }
  out += Rows(r);
  return out;
}

std::string WorkloadText(const api::WorkloadStatus& s, Clock::time_point now) {
  // A Job has runs, not replicas to count.
  std::string out =
      s.kind == "Deployment"
          ? fmt::format("{}: {}, {} ready ({})\n", StatusLabel(s), s.state, ReadyCell(s), s.version)
          : fmt::format("{}: {} ({})\n", StatusLabel(s), s.state, s.version);
  std::vector<std::pair<std::string, std::string>> fields;
  if (!s.reason.empty()) fields.emplace_back("Reason", s.reason);
  std::string waiting;
  for (const auto& w : s.waiting_for) waiting += (waiting.empty() ? "" : ", ") + w;
  if (!waiting.empty()) fields.emplace_back("Waiting for", waiting);
  if (s.kind == "Deployment") {
    fields.emplace_back("Updated", fmt::format("{} of {} at {} ({} available)", s.updated,
                                               s.desired, s.version, s.available));
    fields.emplace_back("Healthy version",
                        s.healthy_version.empty() ? "none yet" : s.healthy_version);
    if (TimeMs(s.rollout_started))
      fields.emplace_back("Rollout", "started " + AgoCell(s.rollout_started, now) + " ago");
  } else {
    std::string last = s.last_run.value_or("");
    fields.emplace_back("Last run", last.empty() ? "never run" : last);
  }
  out += RenderFields(fields);
  if (!s.replicas.empty()) out += "\n" + ReplicaTable(s.replicas, now).Render();
  return out;
}

std::string WhyLine(const api::WorkloadStatus& s) {
  std::string line = fmt::format("{}: {} ({} ready)", StatusLabel(s), s.state, ReadyCell(s));
  if (!s.reason.empty()) line += ": " + s.reason;
  return line;
}

}  // namespace prisn::cli
