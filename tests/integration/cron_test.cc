// CronJobs on a real daemon: an every-second schedule fires, runs, is listed
// and trimmed to its history limit; 100 CronJobs due in the same second each
// start once (their lateness is printed, not asserted tightly).
#include <catch2/catch.hpp>
#include <algorithm>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "cli/workload_view.h"
#include "tests/integration/daemon.h"

namespace prisn::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

struct CronFixture {
  TempDir dir;
  std::optional<Daemon> daemon{std::in_place, dir.path() / "state"};
  std::map<std::string, std::string> env = IsolatedEnv(dir.path() / "home");
  CronFixture() { env["PRISN_STATE_DIR"] = (dir.path() / "state").string(); }
  RunResult operator()(const std::vector<std::string>& args) const {
    return Prisn(args, env, dir.path().string());
  }
  json Json(const std::vector<std::string>& args) const {
    auto r = (*this)(args);
    if (r.exit_code != 0) return json();
    return json::parse(r.out, nullptr, false);
  }
  void Apply(const std::string& file, const std::string& yaml) {
    dir.Write(file, yaml);
    auto r = (*this)({"apply", "-f", file});
    INFO(r.all());
    REQUIRE(r.exit_code == 0);
  }
};

std::int64_t Ms(const json& time) { return cli::TimeMs(nlohmann::ordered_json(time)).value_or(0); }

std::string CronJob(const std::string& name, const std::string& schedule, const std::string& extra) {
  return "apiVersion: prisn.io/v1\nkind: CronJob\nmetadata:\n  name: " + name +
         "\nspec:\n  schedule: \"" + schedule + "\"\n  timeZone: UTC\n  runtime: bash\n" + extra +
         "  source:\n    inline: \"echo tick-" + name + "\"\n";
}

json CronItem(const json& listing, const std::string& name) {
  if (!listing.is_object()) return json();
  for (const auto& i : listing.value("cronjobs", json::array())) {
    if (i.value("name", "") == name) return i;
  }
  return json();
}

TEST_CASE("an every-second CronJob fires, runs, is listed, and keeps only its history limit") {
  CronFixture f;
  f.Apply("tick.yaml", CronJob("tick", "* * * * * *",
                               "  successfulJobsHistoryLimit: 2\n  failedJobsHistoryLimit: 1\n"));
  // Several runs have ended successfully.
  REQUIRE(Eventually([&] {
    auto events = f({"events", "cronjob/tick", "-o", "json"});
    auto j = json::parse(events.out, nullptr, false);
    int ended = 0;
    if (j.is_object()) {
      for (const auto& e : j.value("items", json::array())) ended += e.value("type", "") == "job-succeeded";
    } else if (j.is_array()) {
      for (const auto& e : j) ended += e.value("type", "") == "job-succeeded";
    }
    return ended >= 4;
  }));
  auto cron = CronItem(f.Json({"get", "cron", "-o", "json"}), "tick");
  INFO(cron.dump());
  CHECK(cron.value("schedule", "") == "* * * * * *");
  CHECK(cron.value("timeZone", "") == "UTC");
  CHECK(cron["nextFire"].is_string());
  CHECK(cron["lastRun"].is_string());
  // History: at most 2 succeeded and 1 failed, plus the one running now.
  json runs = f.Json({"get", "jobs", "--cron", "tick", "-o", "json"});
  REQUIRE(runs.is_object());
  int ok = 0, failed = 0, other = 0;
  for (const auto& r : runs["runs"]) {
    CHECK(r.value("kind", "") == "CronJob");
    std::string st = r.value("state", "");
    (st == "succeeded" ? ok : st == "failed" ? failed : other)++;
  }
  CHECK(ok >= 1);
  CHECK(ok <= 2);
  CHECK(failed <= 1);
  CHECK(other <= 1);
  auto logs = f({"logs", "tick", "--run", "latest"});
  INFO(logs.all());
  CHECK(logs.exit_code == 0);
  auto text = f({"get", "cron"});
  CHECK(text.out.find("tick") != std::string::npos);
  CHECK(text.out.find("NEXT FIRE") != std::string::npos);
  // Suspend: the state says so and no new run starts.
  auto scaled = f({"scale", "tick", "0"});
  INFO(scaled.all());
  REQUIRE(scaled.exit_code == 0);
  REQUIRE(Eventually([&] {
    return CronItem(f.Json({"get", "cron", "-o", "json"}), "tick").value("state", "") == "suspended";
  }, 10s));
}

TEST_CASE("the cron shortcuts build a CronJob from a script and apply it") {
  CronFixture f;
  f.dir.Write("nightly.sh", "echo nightly\n");
  f.dir.Write("report.sh", "echo report\n");
  f.dir.Write("hourly.sh", "echo hourly\n");
  auto r = f({"cron", "nightly.sh", "0 3 * * *", "--tz", "UTC"});
  INFO(r.all());
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("cronjob/nightly created") != std::string::npos);
  CHECK(r.out.find("next fire: ") != std::string::npos);
  r = f({"cron", "report.sh", "--every", "15m"});
  INFO(r.all());
  REQUIRE(r.exit_code == 0);
  r = f({"run", "hourly.sh", "--cron", "@hourly"});
  INFO(r.all());
  REQUIRE(r.exit_code == 0);
  // A bad expression is refused before anything is sent.
  r = f({"run", "hourly.sh", "--cron", "0 25 * * *"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("hour") != std::string::npos);
  REQUIRE(Eventually([&] {
    auto listing = f.Json({"get", "cron", "-o", "json"});
    return CronItem(listing, "nightly").value("schedule", "") == "0 3 * * *" &&
           CronItem(listing, "report").value("schedule", "") == "@every 15m" &&
           CronItem(listing, "hourly").value("schedule", "") == "@hourly" &&
           CronItem(listing, "hourly").value("state", "") == "scheduled";
  }, 20s));
  // `cron next` still needs no server and no file.
  r = f({"cron", "next", "0 3 * * *", "--tz", "UTC", "--from", "2026-01-01T00:00:00Z", "-n", "1"});
  INFO(r.all());
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("2026-01-01T03:00:00") != std::string::npos);
}

TEST_CASE("100 CronJobs due in the same second all start, none twice") {
  CronFixture f;
  constexpr int kJobs = 100;
  // One fire time, 12 s ahead (a 6-field schedule that fires once a day).
  auto now = std::chrono::system_clock::now();
  auto due = std::chrono::floor<std::chrono::seconds>(now) + 12s;
  std::time_t t = std::chrono::system_clock::to_time_t(due);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::string schedule = std::to_string(tm.tm_sec) + " " + std::to_string(tm.tm_min) + " " +
                         std::to_string(tm.tm_hour) + " * * *";
  std::string yaml;
  for (int i = 0; i < kJobs; ++i) yaml += (i ? "---\n" : "") + CronJob("load-" + std::to_string(i), schedule, "");
  f.Apply("load.yaml", yaml);
  std::int64_t due_ms = std::chrono::duration_cast<std::chrono::milliseconds>(due.time_since_epoch()).count();
  REQUIRE(std::chrono::system_clock::now() < due);  // applied in time

  auto load_runs = [&] {
    json runs = f.Json({"get", "jobs", "-o", "json", "--limit", "1000"});
    std::map<std::string, std::vector<json>> by_job;
    if (runs.is_object()) {
      for (const auto& r : runs.value("runs", json::array())) {
        if (r.value("kind", "") == "CronJob") by_job[r.value("job", "")].push_back(r);
      }
    }
    return by_job;
  };
  std::map<std::string, std::vector<json>> by_job;
  REQUIRE(Eventually([&] {
    by_job = load_runs();
    return static_cast<int>(by_job.size()) == kJobs;
  }, 60s));
  // Settled: every run ended; then look again for doubles.
  REQUIRE(Eventually([&] {
    by_job = load_runs();
    for (const auto& [job, runs] : by_job) {
      for (const auto& r : runs) {
        if (r.value("state", "") != "succeeded" && r.value("state", "") != "failed") return false;
      }
    }
    return true;
  }, 60s));
  std::vector<std::int64_t> created, started;
  for (const auto& [job, runs] : by_job) {
    INFO(job);
    CHECK(runs.size() == 1);
    for (const auto& r : runs) {
      created.push_back(Ms(r["created"]) - due_ms);
      if (r["started"].is_string()) started.push_back(Ms(r["started"]) - due_ms);
    }
  }
  std::sort(created.begin(), created.end());
  std::sort(started.begin(), started.end());
  auto pct = [](const std::vector<std::int64_t>& v, double p) {
    if (v.empty()) return std::int64_t{-1};
    return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
  };
  std::printf(
      "cron load: %d CronJobs due at the same second: run recorded late by p50 %lld ms, p99 %lld "
      "ms, max %lld ms; process started late by p50 %lld ms, p99 %lld ms, max %lld ms\n",
      kJobs, static_cast<long long>(pct(created, 0.5)), static_cast<long long>(pct(created, 0.99)),
      static_cast<long long>(created.empty() ? -1 : created.back()),
      static_cast<long long>(pct(started, 0.5)), static_cast<long long>(pct(started, 0.99)),
      static_cast<long long>(started.empty() ? -1 : started.back()));
  REQUIRE_FALSE(created.empty());
  CHECK(created.front() >= 0);  // never early
  CHECK(created.back() < 10'000);  // loose: a loaded CI machine is slow, not wrong
}

}  // namespace
}  // namespace prisn::testing
