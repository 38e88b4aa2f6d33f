// Start costs, printed and never asserted: wall-clock figures depend on the
// machine and its load (DESIGN.md: benchmarks print, they do not gate).
#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <vector>

#include "executor/spawn.h"

namespace prisn::executor {
namespace {

using Clock = std::chrono::steady_clock;

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

double Percentile(std::vector<double> v, int pct) {
  std::sort(v.begin(), v.end());
  return v[v.size() * static_cast<size_t>(pct) / 100];
}

}  // namespace

TEST_CASE("Spawn start cost of /bin/true at each level is measured and printed") {
  constexpr int kRuns = 200;
  constexpr int kWarmup = 20;
  char* argv[] = {const_cast<char*>("/bin/true"), nullptr};
  char* envp[] = {nullptr};
  std::vector<int> levels = ::geteuid() == 0 ? std::vector<int>{0, 1, 2} : std::vector<int>{0};
  // Interleaved, so that the load of the machine weighs on every variant alike.
  std::map<std::string, std::vector<double>> started, total;
  for (int i = 0; i < kWarmup + kRuns; ++i) {
    auto t0 = Clock::now();
    pid_t pid;
    REQUIRE(::posix_spawn(&pid, "/bin/true", nullptr, nullptr, argv, envp) == 0);
    auto t1 = Clock::now();
    int status;
    ::waitpid(pid, &status, 0);
    auto t2 = Clock::now();
    if (i >= kWarmup) {
      started["posix_spawn"].push_back(Ms(t1 - t0));
      total["posix_spawn"].push_back(Ms(t2 - t0));
    }
    for (int level : levels) {
      SpawnOptions o;
      o.argv = {"/bin/true"};
      o.isolation_level = level;
      t0 = Clock::now();
      auto child = Spawn(o);
      t1 = Clock::now();
      REQUIRE(child);
      auto st = child->Wait();
      t2 = Clock::now();
      REQUIRE(st);
      REQUIRE(st->code == 0);
      if (i >= kWarmup) {
        std::string name = "level " + std::to_string(level);
        started[name].push_back(Ms(t1 - t0));
        total[name].push_back(Ms(t2 - t0));
      }
    }
  }
  // p10 shows the cost itself, the median what a loaded machine adds.
  std::string figures = fmt::format(
      "/bin/true, {} runs (start = until exec'd; total = until reaped), p10 / median:", kRuns);
  for (const auto& [name, v] : started) {
    figures += fmt::format("\n  {:<12} start {:.3f} / {:.3f} ms  total {:.3f} / {:.3f} ms", name,
                           Percentile(v, 10), Percentile(v, 50), Percentile(total[name], 10),
                           Percentile(total[name], 50));
  }
  WARN(figures);
  CHECK(started.size() == levels.size() + 1);
}

}  // namespace prisn::executor
