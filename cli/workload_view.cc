#include "cli/workload_view.h"

#include <fmt/core.h>

#include <cctype>
#include <ctime>
#include <map>

#include "cli/command_util.h"

namespace prisn::cli {
namespace {

using json = nlohmann::ordered_json;

std::string Str(const json& o, const char* key) {
  if (!o.is_object()) return {};
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return {};
  return it->is_string() ? it->get<std::string>() : it->dump();
}

std::int64_t Int(const json& o, const char* key) {
  if (!o.is_object()) return 0;
  auto it = o.find(key);
  return it != o.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
}

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
std::string StartedCell(const json& time, Clock::time_point now) {
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

std::string AgoCell(const json& time, Clock::time_point now) {
  auto ms = TimeMs(time);
  if (!ms) return "-";
  return FormatAge(std::chrono::seconds((NowMs(now) - *ms) / 1000));
}

std::string RunDuration(const json& run, Clock::time_point now) {
  auto started = TimeMs(run.value("started", json()));
  if (!started) return "-";
  auto finished = TimeMs(run.value("finished", json()));
  return HumanDuration((finished ? *finished : NowMs(now)) - *started);
}

std::string ReadyCell(const json& s) {
  return fmt::format("{}/{}", Int(s, "ready"), Int(s, "desired"));
}

// ":8080" when every replica listens on the same port.
std::string PortCell(const json& s) {
  std::int64_t port = 0;
  for (const auto& r : s.value("replicas", json::array())) {
    std::int64_t p = Int(r, "port");
    if (p == 0) continue;
    if (port != 0 && p != port) return "";
    port = p;
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

std::optional<std::int64_t> TimeMs(const json& time) {
  if (!time.is_string()) return std::nullopt;
  const std::string& s = time.get_ref<const std::string&>();
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

Table RunTable(const json& runs, Clock::time_point now) {
  Table table({"ID", "JOB", "NAMESPACE", "STATUS", "EXIT", "ATTEMPTS", "STARTED", "DURATION"});
  if (!runs.is_array()) return table;
  for (const auto& r : runs) {
    json exit = r.value("exitCode", json());
    table.AddRow({Str(r, "id"), Str(r, "job"), Str(r, "namespace"), Str(r, "state"),
                  exit.is_number() ? exit.dump() : "-", std::to_string(Int(r, "attempts")),
                  StartedCell(r.value("started", json()), now), RunDuration(r, now)});
  }
  return table;
}

std::string ReplicaStateCell(const json& replica, Clock::time_point now) {
  std::string state = Str(replica, "state");
  if (state.empty()) state = "unknown";
  auto retry = TimeMs(replica.value("nextRetry", json()));
  if (state == "crashloop" && retry) {
    std::int64_t in = (*retry - NowMs(now) + 999) / 1000;
    state += in > 0 ? fmt::format(" (next retry in {})", FormatAge(std::chrono::seconds(in)))
                    : " (retrying now)";
  }
  return state;
}

Table ReplicaTable(const json& replicas, Clock::time_point now, int indent) {
  std::string pad(static_cast<size_t>(indent), ' ');
  Table table(
      {pad + "NAME", "STATE", "READY", "PID", "PORT", "RESTARTS", "AGE", "VERSION", "LAST EXIT"});
  if (!replicas.is_array()) return table;
  for (const auto& r : replicas) {
    std::int64_t pid = Int(r, "pid");
    std::int64_t port = Int(r, "port");
    std::string last = Str(r, "lastExit");
    table.AddRow({pad + Str(r, "name"), ReplicaStateCell(r, now),
                  r.value("ready", false) ? "true" : "false", pid ? std::to_string(pid) : "-",
                  port ? std::to_string(port) : "-", std::to_string(Int(r, "restarts")),
                  AgoCell(r.value("started", json()), now), Str(r, "version"),
                  last.empty() ? "-" : last});
  }
  return table;
}

std::string StatusLabel(const json& status) {
  return Label(Str(status, "kind"), Str(status, "name"));
}

bool IsHealthy(const json& status) {
  std::string state = Str(status, "state");
  if (Str(status, "kind") == "Job") return state == "running" || state == "succeeded";
  if (Str(status, "kind") == "CronJob")
    return state == "scheduled" || state == "running" || state == "suspended";
  return state == "running" || state == "completed" ||
         (state == "stopped" && Int(status, "desired") == 0);
}

bool RolloutDone(const json& s, const std::string& version) {
  if (Str(s, "version") != version) return false;
  std::int64_t desired = Int(s, "desired");
  if (desired == 0) return Str(s, "state") == "stopped" || Str(s, "state") == "running";
  return Str(s, "state") == "running" && Int(s, "updated") == desired &&
         Int(s, "ready") == desired && Int(s, "available") == desired;
}

std::string OverviewText(const json& answer, bool with_namespace, Clock::time_point now) {
  std::vector<json> deployments, jobs;
  for (const auto& w : answer.value("workloads", json::array())) {
    (Str(w, "kind") == "Deployment" ? deployments : jobs).push_back(w);
  }
  auto name_of = [&](const json& o, const char* key) {
    std::string name = Str(o, key);
    return with_namespace ? Str(o, "namespace") + "/" + name : name;
  };
  std::string out;
  out += deployments.empty() ? "DEPLOYMENTS: none\n"
                             : fmt::format("DEPLOYMENTS: {}\n", deployments.size());
  Table d({"", "", "", "", "", ""});
  for (const auto& w : deployments) {
    std::string state = Str(w, "state");
    std::string why = state == "running" ? "" : Str(w, "reason");
    d.AddRow({"  " + name_of(w, "name"), ReadyCell(w) + " ready", state, PortCell(w),
              Str(w, "version"), why});
  }
  out += Rows(d);
  out += jobs.empty() ? "\nJOBS: none\n" : fmt::format("\nJOBS: {}\n", jobs.size());
  Table j({"", "", ""});
  for (const auto& w : jobs) {
    std::string last = Str(w, "lastRun");
    j.AddRow({"  " + name_of(w, "name"), Str(w, "state"),
              last.empty() ? "never run" : "last run " + last});
  }
  out += Rows(j);
  const json runs = answer.value("runs", json::array());
  std::map<std::string, int> counts;
  for (const auto& r : runs) counts[Str(r, "state")]++;
  out += runs.empty() ? "\nRECENT RUNS: none\n"
                      : fmt::format("\nRECENT RUNS: {} ({})\n", runs.size(), Counts(counts));
  Table r({"", "", "", "", ""});
  for (const auto& run : runs) {
    json exit = run.value("exitCode", json());
    r.AddRow({"  " + Str(run, "id"), name_of(run, "job"), Str(run, "state"),
              exit.is_number() ? "exit " + exit.dump() : "-",
              TimeMs(run.value("created", json()))
                  ? AgoCell(run.value("created", json()), now) + " ago"
                  : "-"});
  }
  out += Rows(r);
  return out;
}

std::string WorkloadText(const json& s, Clock::time_point now) {
  // A Job has runs, not replicas to count.
  std::string out = Str(s, "kind") == "Deployment"
                        ? fmt::format("{}: {}, {} ready ({})\n", StatusLabel(s), Str(s, "state"),
                                      ReadyCell(s), Str(s, "version"))
                        : fmt::format("{}: {} ({})\n", StatusLabel(s), Str(s, "state"),
                                      Str(s, "version"));
  std::vector<std::pair<std::string, std::string>> fields;
  if (!Str(s, "reason").empty()) fields.emplace_back("Reason", Str(s, "reason"));
  std::string waiting;
  for (const auto& w : s.value("waitingFor", json::array())) {
    if (w.is_string()) waiting += (waiting.empty() ? "" : ", ") + w.get<std::string>();
  }
  if (!waiting.empty()) fields.emplace_back("Waiting for", waiting);
  if (Str(s, "kind") == "Deployment") {
    fields.emplace_back("Updated",
                        fmt::format("{} of {} at {} ({} available)", Int(s, "updated"),
                                    Int(s, "desired"), Str(s, "version"), Int(s, "available")));
    std::string healthy = Str(s, "healthyVersion");
    fields.emplace_back("Healthy version", healthy.empty() ? "none yet" : healthy);
    json started = s.value("rolloutStarted", json());
    if (TimeMs(started))
      fields.emplace_back("Rollout", "started " + AgoCell(started, now) + " ago");
  } else {
    std::string last = Str(s, "lastRun");
    fields.emplace_back("Last run", last.empty() ? "never run" : last);
  }
  out += RenderFields(fields);
  const json replicas = s.value("replicas", json::array());
  if (!replicas.empty()) out += "\n" + ReplicaTable(replicas, now).Render();
  return out;
}

std::string WhyLine(const json& s) {
  std::string line =
      fmt::format("{}: {} ({} ready)", StatusLabel(s), Str(s, "state"), ReadyCell(s));
  std::string reason = Str(s, "reason");
  if (!reason.empty()) line += ": " + reason;
  return line;
}

}  // namespace prisn::cli
