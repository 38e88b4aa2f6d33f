// Start costs, printed and never asserted: wall-clock figures depend on the
// machine and its load (DESIGN.md: benchmarks print, they do not gate).
#include <fmt/format.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
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

TEST_CASE(
    "Spawn start cost at level 1 with 200 other workspaces mounted, kept or dropped from the "
    "workload's namespace, is measured and printed") {
  if (::geteuid() != 0) {
    WARN("skipped: needs root (namespaces, mounts)");
    return;
  }
  constexpr int kRuns = 100;
  constexpr int kWarmup = 10;
  constexpr int kOthers = 200;
  char tmpl[] = "/var/lib/prisn-spawn-cost-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  std::string state = tmpl;
  std::string runs = state + "/run";
  std::filesystem::create_directories(runs);
  REQUIRE(::mount(runs.c_str(), runs.c_str(), nullptr, MS_BIND, nullptr) == 0);
  REQUIRE(::mount(nullptr, runs.c_str(), nullptr, MS_PRIVATE, nullptr) == 0);
  for (int i = 0; i < kOthers; ++i) {
    std::string ws = runs + "/ws-" + std::to_string(i);
    std::filesystem::create_directories(ws);
    REQUIRE(::mount("tmpfs", ws.c_str(), "tmpfs", 0, "size=1m") == 0);
  }
  std::string own = runs + "/ws-0";
  for (const char* folder : kPrivateFolders) {
    std::filesystem::create_directories(own + "/private/" + PrivateFolderName(folder));
  }
  std::filesystem::create_directories(own + "/home");
  std::map<std::string, std::vector<double>> started;
  for (int i = 0; i < kWarmup + kRuns; ++i) {
    for (bool drop : {false, true}) {
      for (bool private_dirs : {false, true}) {
        SpawnOptions o;
        o.argv = {"/bin/true"};
        o.isolation_level = 1;
        o.workspace = own + "/home";
        o.hidden_path = state;
        if (private_dirs) o.private_dirs = own + "/private";
        if (drop) {
          o.detach_path = runs;
          o.read_only_host = true;
        }
        auto t0 = Clock::now();
        auto child = Spawn(o);
        auto t1 = Clock::now();
        REQUIRE(child);
        REQUIRE(child->Wait().value().code == 0);
        if (i >= kWarmup) {
          started[fmt::format("{} others, {}", drop ? "dropped" : "kept",
                              private_dirs ? "private folders from the workspace"
                                           : "fresh tmpfs folders")]
              .push_back(Ms(t1 - t0));
        }
      }
    }
  }
  ::umount2(runs.c_str(), MNT_DETACH);
  std::filesystem::remove_all(state);
  std::string figures = fmt::format(
      "level 1 start (until exec'd) with {} workspace mounts, {} runs, p10 / median:", kOthers,
      kRuns);
  for (const auto& [name, v] : started) {
    figures += fmt::format("\n  {:<58} {:.3f} / {:.3f} ms", name, Percentile(v, 10),
                           Percentile(v, 50));
  }
  WARN(figures);
  CHECK(started.size() == 4);
}

}  // namespace prisn::executor
