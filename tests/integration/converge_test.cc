// The converge loop with real processes: self-heal, daemon crash and
// restart, delete, and a rollout that fails its health check.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <thread>

#include "tests/integration/daemon.h"

namespace prisn::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

struct ConvergeFixture {
  TempDir dir;
  std::optional<Daemon> daemon{std::in_place, dir.path() / "state"};
  std::map<std::string, std::string> env = IsolatedEnv(dir.path() / "home");
  ConvergeFixture() { env["PRISN_STATE_DIR"] = (dir.path() / "state").string(); }
  RunResult operator()(const std::vector<std::string>& args) const {
    return Prisn(args, env, dir.path().string());
  }
  json Status(const std::string& name) const {
    auto r = (*this)({"status", name, "-o", "json"});
    if (r.exit_code != 0 && r.exit_code != 1) return json();
    return json::parse(r.out, nullptr, false);
  }
  void Apply(const std::string& file, const std::string& yaml) {
    dir.Write(file, yaml);
    auto r = (*this)({"apply", "-f", file});
    INFO(r.all());
    REQUIRE(r.exit_code == 0);
  }
};

bool Healthy(const json& s, int replicas) {
  return s.is_object() && s.value("state", "") == "running" && s.value("ready", 0) == replicas;
}

// Host pids of processes whose command line mentions `marker` (a
// workload's workspace path holds its Deployment's name).
std::vector<pid_t> ProcessesWith(const std::string& marker) {
  std::vector<pid_t> out;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    // A process may exit while we read: its cmdline then fails with ESRCH,
    // which an ifstream reports by throwing. Read it with read(2) instead.
    int fd = ::open((entry.path() / "cmdline").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    std::string cmd;
    char buf[4096];
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) cmd.append(buf, static_cast<size_t>(n));
    ::close(fd);
    if (cmd.find(marker) != std::string::npos) out.push_back(std::stoi(name));
  }
  return out;
}

// Mount points at or below `dir` in this process's (the host's) mount table.
int MountsBelow(const std::filesystem::path& dir) {
  std::ifstream in("/proc/self/mountinfo");
  int n = 0;
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string id, parent, devno, root, mount_point;
    fields >> id >> parent >> devno >> root >> mount_point;
    n += mount_point.rfind(dir.string(), 0) == 0;
  }
  return n;
}

std::string Sleeper(const std::string& name, int replicas) {
  return "apiVersion: prisn.io/v1\nkind: Deployment\nmetadata:\n  name: " + name +
         "\nspec:\n  replicas: " + std::to_string(replicas) +
         "\n  runtime: bash\n  terminationGracePeriod: 2s\n  source:\n    inline: |\n"
         "      trap 'exit 0' TERM\n      while true; do sleep 0.2; done\n";
}

std::string Marker(const std::string& name) { return "Deployment_default_" + name + "_"; }

TEST_CASE("a replica killed from outside is replaced at once") {
  ConvergeFixture f;
  f.Apply("heal.yaml", Sleeper("heal", 1));
  REQUIRE(Eventually([&] { return Healthy(f.Status("heal"), 1); }));
  int64_t pid = f.Status("heal")["replicas"][0]["pid"];
  REQUIRE(pid > 0);
  ::kill(static_cast<pid_t>(pid), SIGKILL);
  auto t0 = std::chrono::steady_clock::now();
  REQUIRE(Eventually([&] {
    auto s = f.Status("heal");
    return Healthy(s, 1) && s["replicas"][0]["pid"] != pid;
  }));
  // The first restart of a crash streak happens at once (no backoff).
  CHECK(std::chrono::steady_clock::now() - t0 < 5s);
  auto s = f.Status("heal");
  CHECK(s["replicas"][0]["restarts"] == 1);
  auto events = f({"events", "deployment/heal"});
  CHECK(events.all().find("restarting now") != std::string::npos);
}

TEST_CASE("a daemon killed with SIGKILL takes its workloads along and a restart brings each back once") {
  ConvergeFixture f;
  f.Apply("crash.yaml", Sleeper("crash", 2));
  REQUIRE(Eventually([&] { return Healthy(f.Status("crash"), 2); }));
  REQUIRE_FALSE(ProcessesWith(Marker("crash")).empty());
  // The workspaces are mounted in the daemon's own mount namespace, never in
  // the host's: no crash can leave them behind there.
  if (::geteuid() == 0) CHECK(MountsBelow(f.dir.path()) == 0);
  f.daemon->Kill();
  // Nothing is orphaned: every process of the workload dies with the daemon.
  CHECK(Eventually([&] { return ProcessesWith(Marker("crash")).empty(); }, 10s));
  CHECK(MountsBelow(f.dir.path()) == 0);
  f.daemon.reset();
  f.daemon.emplace(f.dir.path() / "state");
  REQUIRE(Eventually([&] { return Healthy(f.Status("crash"), 2); }));
  // Exactly the desired replicas, each once (a bash loop has one process
  // with the script in its command line).
  CHECK(ProcessesWith(Marker("crash")).size() == 2);
}

TEST_CASE("deleting a Deployment stops every one of its processes") {
  ConvergeFixture f;
  f.Apply("gone.yaml", Sleeper("gone", 2));
  REQUIRE(Eventually([&] { return Healthy(f.Status("gone"), 2); }));
  auto r = f({"delete", "deployment", "gone"});
  INFO(r.all());
  REQUIRE(r.exit_code == 0);
  CHECK(Eventually([&] { return ProcessesWith(Marker("gone")).empty(); }, 15s));
}

std::string Service(const std::string& body) {
  return "apiVersion: prisn.io/v1\nkind: Deployment\nmetadata:\n  name: svc\nspec:\n"
         "  runtime: python3\n  port: auto\n  progressDeadline: 3s\n  autoRevert: true\n"
         "  terminationGracePeriod: 1s\n"
         "  healthCheck:\n    tcp: {}\n    period: 200ms\n"
         "  source:\n    inline: |\n" +
         body;
}

constexpr const char* kListens =
    "      import os, socket, time\n"
    "      s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
    "      s.bind(('127.0.0.1', int(os.environ['PORT']))); s.listen()\n"
    "      while True: time.sleep(1)\n";
constexpr const char* kNeverListens =
    "      import time\n"
    "      while True: time.sleep(1)\n";

TEST_CASE("a version that never passes its health check stalls, then autoRevert restores the last healthy one") {
  ConvergeFixture f;
  f.Apply("svc.yaml", Service(kListens));
  REQUIRE(Eventually([&] { return Healthy(f.Status("svc"), 1); }));
  auto before = f.Status("svc");
  std::string good = before["version"];
  int64_t good_pid = before["replicas"][0]["pid"];

  f.Apply("svc.yaml", Service(kNeverListens));
  // The old replica keeps serving while the new one fails its check.
  REQUIRE(Eventually([&] {
    auto s = f.Status("svc");
    return s.is_object() && s.value("version", "") != good;
  }, 10s));
  bool old_kept = true;
  REQUIRE(Eventually([&] {
    auto s = f.Status("svc");
    if (!s.is_object()) return false;
    bool has_old = false;
    for (const auto& r : s["replicas"]) has_old |= r["pid"] == good_pid;
    if (!has_old && s.value("version", "") != good) old_kept = false;
    return s.value("version", "") == good;  // reverted
  }, 30s));
  CHECK(old_kept);
  REQUIRE(Eventually([&] { return Healthy(f.Status("svc"), 1); }));
  auto after = f.Status("svc");
  CHECK(after["replicas"][0]["pid"] == good_pid);  // never stopped
  auto events = f({"events", "deployment/svc", "--limit", "200"});
  CHECK(events.all().find("rollout-failed") != std::string::npos);
  CHECK(events.all().find("auto-reverted") != std::string::npos);
}


std::string FailingJob(const std::string& name, int backoff, const std::string& extra = "") {
  return "apiVersion: prisn.io/v1\nkind: Job\nmetadata:\n  name: " + name +
         "\nspec:\n  backoffLimit: " + std::to_string(backoff) + "\n" + extra +
         "  runtime: bash\n  source:\n    inline: |\n      echo attempt\n      exit 3\n";
}

TEST_CASE("a failing Job is retried backoffLimit times, then fails with its last exit") {
  ConvergeFixture f;
  f.Apply("job.yaml", FailingJob("flaky", 2));
  REQUIRE(Eventually([&] {
    auto s = f.Status("flaky");
    return s.is_object() && s.value("state", "") == "failed";
  }, 30s));
  auto runs = f({"get", "jobs", "-o", "json"});
  INFO(runs.all());
  REQUIRE(runs.exit_code == 0);
  auto j = json::parse(runs.out);
  const json& list = j.is_array() ? j : j["runs"];
  REQUIRE(list.size() == 1);
  CHECK(list[0]["attempts"] == 3);  // the first try and two retries
  CHECK(list[0]["exitCode"] == 3);
  CHECK(list[0]["reason"].get<std::string>().find("backoff limit reached after 3 attempts") !=
        std::string::npos);
  auto logs = f({"logs", "flaky"});
  // One log for the run, every attempt in it.
  size_t n = 0;
  for (size_t at = logs.out.find("attempt"); at != std::string::npos; at = logs.out.find("attempt", at + 1)) ++n;
  CHECK(n == 3);
}

TEST_CASE("a Job past its activeDeadline is stopped and fails") {
  ConvergeFixture f;
  f.dir.Write("slow.yaml",
              "apiVersion: prisn.io/v1\nkind: Job\nmetadata:\n  name: slow\nspec:\n"
              "  activeDeadline: 1s\n  terminationGracePeriod: 1s\n  runtime: bash\n"
              "  source:\n    inline: \"sleep 600\"\n");
  REQUIRE(f({"apply", "-f", "slow.yaml"}).exit_code == 0);
  REQUIRE(Eventually([&] {
    auto s = f.Status("slow");
    return s.is_object() && s.value("state", "") == "failed";
  }, 30s));
  CHECK(f.Status("slow").value("reason", "").find("deadline exceeded") != std::string::npos);
  CHECK(Eventually([&] { return ProcessesWith("Job_default_slow_").empty(); }, 10s));
}

TEST_CASE("a daemon killed in the middle of a rolling update comes back with the desired replicas, each once") {
  ConvergeFixture f;
  f.Apply("roll.yaml", Sleeper("roll", 2));
  REQUIRE(Eventually([&] { return Healthy(f.Status("roll"), 2); }));
  // The new version never gets ready, so the rollout stays in the middle.
  std::string stuck = Sleeper("roll", 2) +
                      "  healthCheck:\n    exec:\n      command: [\"/bin/false\"]\n    period: 200ms\n";
  f.Apply("roll.yaml", stuck);
  REQUIRE(Eventually([&] {
    auto s = f.Status("roll");
    return s.is_object() && s["replicas"].size() == 3;  // two old, one surged new
  }, 20s));
  std::string desired = f.Status("roll")["version"];
  f.daemon->Kill();
  CHECK(Eventually([&] { return ProcessesWith(Marker("roll")).empty(); }, 10s));
  f.daemon.reset();
  f.daemon.emplace(f.dir.path() / "state");
  REQUIRE(Eventually([&] {
    auto s = f.Status("roll");
    return s.is_object() && s["replicas"].size() == 2 && s.value("updated", 0) == 2;
  }, 20s));
  auto s = f.Status("roll");
  CHECK(s["version"] == desired);
  // Each replica once: never more than two processes. The new version fails
  // its liveness check, so at any moment a replica may be waiting out its
  // crash backoff: watch a window rather than one instant.
  size_t most = 0;
  auto until = std::chrono::steady_clock::now() + 2s;
  while (std::chrono::steady_clock::now() < until) {
    most = std::max(most, ProcessesWith(Marker("roll")).size());
    std::this_thread::sleep_for(50ms);
  }
  CHECK(most >= 1);
  CHECK(most <= 2);
}

}  // namespace
}  // namespace prisn::testing
