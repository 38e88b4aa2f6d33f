// Jobs throughput: N short jobs (a bash script running `true`) submitted to
// `POST /v1/runs` as fast as the API takes them, from a few keep-alive
// clients; the figure is jobs per minute from the first submission to the
// last run's recorded end, and every run must be recorded as succeeded.
//
//   jobs_bench PRISN_BINARY [N_JOBS] [CLIENTS]
//
// Baseline, measured in the same process: a bash loop running the same
// script N times, one after the other.
#include <fmt/core.h>

#include <atomic>
#include <mutex>

#include "bench/bench_util.h"

namespace {

using namespace prisn::bench;

struct Pass {
  std::string what;
  int jobs = 0;
  double seconds = 0;    // first submission -> last run ended
  double submit_s = 0;   // first submission -> last one acknowledged
  int recorded = 0;      // runs the daemon reports as succeeded
  int failed = 0;
};

// Submits n runs of the script from `clients` threads; returns the ids.
std::vector<std::string> Submit(const Daemon& d, int n, int clients, int isolation, int* refused) {
  std::vector<std::string> ids;
  std::mutex mu;
  std::atomic<int> next{0}, bad{0};
  nlohmann::json body{{"name", "true"}, {"files", {{"true.sh", "true\n"}}}, {"isolation", isolation}};
  std::string payload = body.dump();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&] {
      Http http(d.server(), d.token());
      std::vector<std::string> mine;
      while (next.fetch_add(1) < n) {
        if (http.Request("POST", "/v1/runs", payload) != 201) {
          ++bad;
          continue;
        }
        mine.push_back(nlohmann::json::parse(http.body()).value("id", ""));
      }
      std::lock_guard lock(mu);
      ids.insert(ids.end(), mine.begin(), mine.end());
    });
  }
  for (auto& t : threads) t.join();
  *refused = bad;
  return ids;
}

// Milliseconds since the epoch of an RFC 3339 UTC time with milliseconds
// ("2026-11-26T16:25:36.123Z"), as the API writes them.
double EpochMs(const std::string& t) {
  std::tm tm{};
  int ms = 0;
  if (std::sscanf(t.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) < 6)
    return 0;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<double>(timegm(&tm)) * 1000.0 + ms;
}

Pass Run(const Daemon& d, const std::string& what, int n, int clients, int isolation) {
  Pass p{what, n};
  auto wall0 = std::chrono::system_clock::now();
  auto t0 = Clock::now();
  int refused = 0;
  auto ids = Submit(d, n, clients, isolation, &refused);
  p.submit_s = Ms(Clock::now() - t0) / 1000.0;
  p.failed = refused;
  // Every acknowledged run, polled until it ended; its recorded end time is
  // the clock, so polling adds nothing to the figure.
  Http http(d.server(), d.token());
  double last_end = 0;
  std::vector<std::string> pending = ids;
  auto deadline = Clock::now() + std::chrono::minutes(5);
  while (!pending.empty() && Clock::now() < deadline) {
    std::vector<std::string> still;
    for (const auto& id : pending) {
      if (http.Request("GET", "/v1/runs/" + id) != 200) {
        still.push_back(id);
        continue;
      }
      auto run = nlohmann::json::parse(http.body(), nullptr, false);
      std::string state = run.value("state", "");
      if (state == "succeeded" || state == "failed") {
        if (state == "succeeded") ++p.recorded; else ++p.failed;
        if (run["finished"].is_string()) last_end = std::max(last_end, EpochMs(run["finished"]));
      } else {
        still.push_back(id);
      }
    }
    pending.swap(still);
    if (!pending.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  p.failed += static_cast<int>(pending.size());
  double start_ms = std::chrono::duration<double, std::milli>(wall0.time_since_epoch()).count();
  p.seconds = (last_end - start_ms) / 1000.0;
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fmt::print(stderr, "usage: jobs_bench PRISN_BINARY [N_JOBS] [CLIENTS]\n");
    return 2;
  }
  int n = argc > 2 ? std::atoi(argv[2]) : 10000;
  int clients = argc > 3 ? std::atoi(argv[3]) : 4;
  auto dir = std::filesystem::temp_directory_path() / ("prisn-jobs-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "true.sh") << "true\n";

  // Baseline: the same script, n times from a bash loop.
  std::string loop = fmt::format("for ((i = 0; i < {}; i++)); do /usr/bin/bash {}; done", n,
                                 (dir / "true.sh").string());
  auto b0 = Clock::now();
  if (std::system(("/usr/bin/bash -c '" + loop + "'").c_str()) != 0) return 1;
  double base_s = Ms(Clock::now() - b0) / 1000.0;
  double base_rate = n / base_s * 60;

  std::vector<Pass> passes;
  {
    Daemon daemon(argv[1]);
    passes.push_back(Run(daemon, "prisn, isolation level 1 (the default)", n, clients, 1));
  }
  {
    Daemon daemon(argv[1]);
    // A fifth as many: the table compares rates, and the run stays short.
    passes.push_back(Run(daemon, "prisn, isolation level 0", std::max(n / 5, 1), clients, 0));
  }
  std::filesystem::remove_all(dir);

  fmt::print("## Jobs throughput (runs of a bash script running `true`, {} API clients)\n\n", clients);
  fmt::print("| runner | jobs | jobs/minute | submitted in | all ended in | runs recorded succeeded | failed or missing | vs baseline |\n");
  fmt::print("|---|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const auto& p : passes) {
    double rate = p.seconds > 0 ? p.jobs / p.seconds * 60 : 0;
    fmt::print("| {} | {} | {:.0f} | {:.1f} s | {:.1f} s | {} | {} | {:.0f}% |\n", p.what, p.jobs, rate, p.submit_s,
               p.seconds, p.recorded, p.failed, rate / base_rate * 100);
  }
  fmt::print("| bash loop (baseline) | {} | {:.0f} | | {:.1f} s | | | 100% |\n", n, base_rate, base_s);
  const Pass& l1 = passes.front();
  double rate = l1.seconds > 0 ? n / l1.seconds * 60 : 0;
  PrintTargets({{fmt::format("{} `true` jobs, every run recorded (level 1)", n), ">= 40,000/min",
                 fmt::format("{:.0f}/min, {} of {} recorded", rate, l1.recorded, n),
                 rate >= 40000 && l1.recorded == n}});
  for (const auto& p : passes)
    if (p.failed > 0) return 1;
  return 0;
}
