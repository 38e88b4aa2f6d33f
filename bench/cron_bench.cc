// Cron lateness: N CronJobs due in the same second; how late each run
// started after its scheduled time.
//
//   cron_bench PRISN_BINARY [N_CRONJOBS]
//
// Baseline, measured in the same process: this process sleeping until the
// same kind of due time and then starting N `bash -c true` one after another
// (what a bare loop of cron-like starts costs).
#include <fmt/core.h>
#include <sodium.h>
#include <spawn.h>

#include <ctime>

#include "bench/bench_util.h"

extern char** environ;

namespace {

using namespace prisn::bench;

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// "2026-11-26T11:39:41.123Z" -> Unix ms; 0 when it does not parse.
std::int64_t ParseTime(const std::string& s) {
  std::tm tm{};
  int ms = 0;
  if (std::sscanf(s.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) < 6)
    return 0;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<std::int64_t>(timegm(&tm)) * 1000 + ms;
}

// A 6-field schedule that fires once a day, at `due_ms` (UTC).
std::string ScheduleAt(std::int64_t due_ms) {
  std::time_t t = due_ms / 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{} {} {} * * *", tm.tm_sec, tm.tm_min, tm.tm_hour);
}

std::vector<double> BaselineLateness(int n) {
  std::int64_t due = (NowMs() / 1000 + 2) * 1000;
  std::this_thread::sleep_for(std::chrono::milliseconds(due - NowMs()));
  std::vector<double> late;
  for (int i = 0; i < n; ++i) {
    const char* argv[] = {"/bin/bash", "-c", "true", nullptr};
    pid_t pid = 0;
    if (posix_spawn(&pid, argv[0], nullptr, nullptr, const_cast<char**>(argv), environ) == 0) {
      late.push_back(static_cast<double>(NowMs() - due));
      ::waitpid(pid, nullptr, 0);
    }
  }
  return late;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fmt::print(stderr, "usage: cron_bench PRISN_BINARY [N_CRONJOBS]\n");
    return 2;
  }
  if (sodium_init() < 0) return 2;
  int n = argc > 2 ? std::atoi(argv[2]) : 100;
  Daemon daemon(argv[1]);
  Http http(daemon.server(), daemon.token());

  std::int64_t due = (NowMs() / 1000 + 6) * 1000;  // time enough to apply
  std::string schedule = ScheduleAt(due);
  nlohmann::json body{{"set", "cron-bench"}, {"paths", {"."}}};
  for (int i = 0; i < n; ++i) {
    body["files"][fmt::format("c{}.yaml", i)] = Base64(fmt::format(
        "apiVersion: prisn.io/v1\nkind: CronJob\nmetadata:\n  name: c{}\nspec:\n  schedule: \"{}\"\n"
        "  timeZone: UTC\n  runtime: bash\n  source:\n    inline: \"true\"\n",
        i, schedule));
  }
  if (http.Request("POST", "/v1/apply", body.dump()) != 200) {
    fmt::print(stderr, "apply failed: {}\n", http.body());
    return 1;
  }
  if (NowMs() >= due) {
    fmt::print(stderr, "the apply took past the due time; run again\n");
    return 1;
  }
  std::vector<double> late;
  std::map<std::string, int> per_job;
  auto deadline = Clock::now() + std::chrono::seconds(60);
  while (Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    if (NowMs() < due || http.Request("GET", "/v1/runs?limit=1000") != 200) continue;
    auto j = nlohmann::json::parse(http.body(), nullptr, false);
    late.clear();
    per_job.clear();
    for (const auto& r : j.value("runs", nlohmann::json::array())) {
      if (!r["started"].is_string()) continue;
      per_job[r.value("job", "")]++;
      late.push_back(static_cast<double>(ParseTime(r["started"]) - due));
    }
    if (static_cast<int>(late.size()) >= n) break;
  }
  int twice = 0;
  for (const auto& [job, count] : per_job) twice += count > 1;
  std::vector<double> base = BaselineLateness(n);
  fmt::print("## Cron lateness ({} CronJobs due in the same second)\n\n", n);
  fmt::print("| measure | p50 | p99 | max |\n|---|---|---|---|\n");
  fmt::print("| prisn: run started after its scheduled time | {:.0f} ms | {:.0f} ms | {:.0f} ms |\n",
             Percentile(late, 50), Percentile(late, 99), Percentile(late, 100));
  fmt::print("| baseline: a loop starting `bash -c true` {} times at the due time | {:.0f} ms | {:.0f} ms | {:.0f} ms |\n",
             n, Percentile(base, 50), Percentile(base, 99), Percentile(base, 100));
  fmt::print("\nruns started: {} of {}; CronJobs that fired twice: {}\n", late.size(), n, twice);
  PrintTargets({{fmt::format("cron lateness p99, {} due at once", n), "<= 100 ms",
                 fmt::format("{:.0f} ms", Percentile(late, 99)), Percentile(late, 99) <= 100}});
  return static_cast<int>(late.size()) >= n && twice == 0 ? 0 : 1;
}
