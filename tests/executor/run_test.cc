#include "executor/run.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "executor/cgroup.h"
#include "tests/executor/test_util.h"

namespace prisn::executor {
namespace {

using namespace std::chrono_literals;
using testing::Joined;
using testing::RunCapture;
using testing::Shell;
using testing::TempDir;

std::vector<int> Levels() {
  return ::geteuid() == 0 ? std::vector<int>{0, 1} : std::vector<int>{0};
}

}  // namespace

TEST_CASE("RunToCompletion streams lines in order, as they come, to the callback and the log") {
  TempDir dir;
  for (int level : Levels()) {
    auto log = LogWriter::Open({.path = dir / ("run" + std::to_string(level) + ".log")});
    REQUIRE(log);
    RunOptions run;
    run.spawn = Shell(
        "i=1; while [ $i -le 500 ]; do echo line $i; i=$((i+1)); done; echo oops >&2; printf tail",
        level);
    run.log = &*log;
    std::vector<std::string> out, err;
    run.on_line = [&](LogStream s, std::string_view line) {
      (s == LogStream::kOut ? out : err).emplace_back(line);
    };
    auto result = RunToCompletion(run);
    REQUIRE(result);
    CHECK(result->status.Success());
    REQUIRE(out.size() == 501);
    for (int i = 0; i < 500; ++i) REQUIRE(out[i] == "line " + std::to_string(i + 1));
    CHECK(out.back() == "tail");  // the last line had no newline
    CHECK(err == std::vector<std::string>{"oops"});
    auto stored = TailLogLines(log->path(), 1000);
    REQUIRE(stored);
    CHECK(stored->size() == 502);
    CHECK(ParseLogLine(stored->front()).text == "line 1");
  }
}

TEST_CASE("RunToCompletion: output arrives while the workload still runs") {
  for (int level : Levels()) {
    TempDir dir;
    std::string gate = dir / "gate";
    RunOptions run;
    // The workload waits for a file that the callback creates on seeing the
    // first line: it can only finish if lines stream live.
    run.spawn =
        Shell("echo first; while [ ! -e " + gate + " ]; do sleep 0.01; done; echo second", level);
    run.spawn.workspace = dir.path();
    run.timeout = 20s;
    std::vector<std::string> out;
    run.on_line = [&](LogStream, std::string_view line) {
      out.emplace_back(line);
      if (line == "first") std::ofstream(gate) << "go";
    };
    auto result = RunToCompletion(run);
    REQUIRE(result);
    CHECK_FALSE(result->status.timed_out);
    CHECK(out == std::vector<std::string>{"first", "second"});
  }
}

TEST_CASE(
    "RunToCompletion: a timeout sends SIGTERM, and a workload that exits on it is reported timed "
    "out") {
  for (int level : Levels()) {
    auto c = RunCapture(
        Shell("trap 'echo got TERM; exit 7' TERM; echo started; while :; do sleep 0.05; done",
              level),
        300ms, 10s);
    INFO("level " << level);
    CHECK(c.status.timed_out);
    CHECK(c.status.code == 7);
    CHECK(c.out == std::vector<std::string>{"started", "got TERM"});
    CHECK(c.status.ToString() == "exit 7 (timed out)");
  }
}

TEST_CASE(
    "RunToCompletion: a timeout kills the whole group after the grace period, nothing is "
    "orphaned") {
  TempDir dir;
  testing::TestCgroupBase base;
  for (int level : Levels()) {
    std::string pidfile = dir / ("pids" + std::to_string(level));
    // The child ignores SIGTERM, and so does its background grandchild.
    SpawnOptions o = Shell("trap '' TERM; (trap '' TERM; sleep 1000) & echo $! > " + pidfile +
                               "; echo $$ >> " + pidfile + "; while :; do sleep 0.05; done",
                           level);
    o.workspace = dir.path();
    std::optional<Cgroup> cg;
    if (level >= 1 && base.layout.version != CgroupVersion::kNone) {
      cg.emplace(std::move(Cgroup::Create(base.layout, "timeout", {.pids = 64}).value()));
      o.cgroup = &*cg;
    }
    std::vector<pid_t> host_pids;
    std::thread watcher;
    auto c = RunCapture(o, 500ms, 300ms);
    INFO("level " << level);
    CHECK(c.status.timed_out);
    CHECK(c.status.signal == SIGKILL);
    CHECK(c.status.code == 137);
    if (level == 0) {
      std::ifstream in(pidfile);
      for (pid_t p; in >> p;) host_pids.push_back(p);
      REQUIRE(host_pids.size() == 2);
      for (pid_t p : host_pids)
        CHECK(testing::PollUntil([&] { return !testing::ProcessAlive(p); }));
    }
    if (cg) CHECK(cg->Pids().value().empty());
  }
}

TEST_CASE("A memory bomb is OOM-killed in its cgroup and reported as OOMKilled") {
  PRISN_REQUIRE_ROOT();
  testing::TestCgroupBase base;
  REQUIRE(base.layout.version != CgroupVersion::kNone);
  auto cg = Cgroup::Create(base.layout, "oom", {.memory_bytes = 32 << 20, .pids = 16});
  REQUIRE(cg);
  SpawnOptions o;
  o.argv = {"/usr/bin/python3", "-c", "a = []\nwhile True: a.append(bytearray(1 << 20))"};
  o.isolation_level = 1;
  o.cgroup = &*cg;
  auto c = RunCapture(o, 60s);
  INFO(Joined(c.err));
  CHECK(c.status.oom_killed);
  CHECK(c.status.signal == SIGKILL);
  CHECK(c.status.ToString() == "killed by SIGKILL (OOMKilled)");
  CHECK(cg->MemoryPeak().value() <= (32 << 20));
  CHECK_FALSE(c.status.timed_out);
}

TEST_CASE(
    "A fork bomb stops at the pids limit, the parent stays responsive, and everything is killed "
    "after") {
  PRISN_REQUIRE_ROOT();
  testing::TestCgroupBase base;
  REQUIRE(base.layout.version != CgroupVersion::kNone);
  auto cg = Cgroup::Create(base.layout, "forkbomb", {.pids = 32});
  REQUIRE(cg);
  SpawnOptions o;
  o.argv = {"/bin/bash", "-c", "bomb() { bomb | bomb & }; bomb; sleep 1000"};
  o.isolation_level = 1;
  o.cgroup = &*cg;
  auto bomb = Spawn(o);
  REQUIRE(bomb);
  REQUIRE(testing::PollUntil([&] { return cg->PidsCurrent().value_or(0) >= 30; }));
  // Still responsive: this process starts and finishes other work.
  for (int i = 0; i < 3; ++i) {
    auto c = RunCapture(Shell("echo alive", 0), 10s);
    CHECK(c.out == std::vector<std::string>{"alive"});
  }
  CHECK(cg->PidsCurrent().value() <= 32);
  bomb->Kill();
  auto st = bomb->Wait();
  REQUIRE(st);
  CHECK(st->signal == SIGKILL);
  CHECK(cg->Pids().value().empty());
}

TEST_CASE("A CPU quota throttles a busy loop without killing it") {
  PRISN_REQUIRE_ROOT();
  testing::TestCgroupBase base;
  REQUIRE(base.layout.version != CgroupVersion::kNone);
  auto cg = Cgroup::Create(base.layout, "cpu", {.cpu_millis = 100});
  REQUIRE(cg);
  SpawnOptions o = Shell("while :; do :; done", 1);
  o.cgroup = &*cg;
  auto busy = Spawn(o);
  REQUIRE(busy);
  CHECK(testing::PollUntil([&] { return cg->ThrottledCount().value_or(0) >= 3; }));
  CHECK(busy->TryWait().value() == std::nullopt);  // throttled, still running
  busy->Kill();
  CHECK(busy->Wait().value().signal == SIGKILL);
}

// Starts `script` and returns once it printed its first line (its traps are
// set by then).
Child SpawnReady(const std::string& script, int level) {
  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  SpawnOptions o = Shell(script, level);
  o.stdout_fd = write_end.Get();
  auto child = Spawn(o);
  REQUIRE(child);
  write_end.Reset();
  char buf[64];
  REQUIRE(::read(read_end.Get(), buf, sizeof buf) > 0);
  return std::move(*child);
}

TEST_CASE("Stop sends SIGTERM first, and SIGKILL after the grace period when it is ignored") {
  for (int level : Levels()) {
    INFO("level " << level);
    Child polite =
        SpawnReady("trap 'exit 0' TERM; echo ready; while :; do sleep 0.05; done", level);
    auto stopped = Stop(polite, 10s);
    REQUIRE(stopped);
    CHECK(stopped->code == 0);
    CHECK(stopped->signal == 0);

    Child stubborn = SpawnReady("trap '' TERM; echo ready; while :; do sleep 0.05; done", level);
    auto killed = Stop(stubborn, 200ms);
    REQUIRE(killed);
    CHECK(killed->signal == SIGKILL);
  }
}

}  // namespace prisn::executor
