#include "executor/spawn.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/executor/test_util.h"

namespace prisn::executor {
namespace {

using testing::Joined;
using testing::RunCapture;
using testing::Shell;
using testing::TempDir;

std::vector<int> Levels() {
  return ::geteuid() == 0 ? std::vector<int>{0, 1, 2} : std::vector<int>{0};
}

}  // namespace

TEST_CASE("Spawn: exit codes come back as they were, at every level") {
  for (int level : Levels()) {
    for (int code : {0, 3, 255}) {
      auto c = RunCapture(Shell("exit " + std::to_string(code), level));
      INFO("level " << level);
      CHECK(c.status.code == code);
      CHECK(c.status.signal == 0);
      CHECK(c.status.Success() == (code == 0));
    }
  }
}

TEST_CASE("Spawn: a workload killed by a signal reports 128+N and the signal") {
  for (int level : Levels()) {
    auto c = RunCapture(Shell("kill -9 $$", level));
    INFO("level " << level);
    CHECK(c.status.code == 128 + 9);
    CHECK(c.status.signal == SIGKILL);
    CHECK(c.status.ToString() == "killed by SIGKILL");
  }
}

TEST_CASE("Spawn: a missing program is an error naming it, at every level") {
  for (int level : Levels()) {
    SpawnOptions o;
    o.argv = {"/nonexistent/interpreter", "x"};
    o.isolation_level = level;
    auto child = Spawn(o);
    REQUIRE_FALSE(child);
    CHECK(child.error().message.find("/nonexistent/interpreter") != std::string::npos);
  }
}

TEST_CASE("Spawn: a relative argv[0] or a bad level is refused") {
  SpawnOptions o;
  o.argv = {"sh", "-c", "true"};
  CHECK(Spawn(o).error().code == ErrorCode::kInvalid);
  o.argv = {"/bin/true"};
  o.isolation_level = 3;
  CHECK(Spawn(o).error().code == ErrorCode::kInvalid);
}

TEST_CASE("Spawn: the environment is exactly the one given, and cwd is honoured") {
  TempDir dir;
  for (int level : Levels()) {
    SpawnOptions o = Shell("env | sort; pwd", level);
    o.env = {"A=1", "PATH=/usr/bin:/bin", "Z=last"};
    o.workspace = dir.path();  // what a namespaced workload may see of the host's /tmp
    o.cwd = dir.path();
    auto c = RunCapture(o);
    INFO("level " << level);
    CHECK(Joined(c.out).find("A=1\nPATH=/usr/bin:/bin\n") != std::string::npos);
    CHECK(Joined(c.out).find("Z=last\n") != std::string::npos);
    CHECK(c.out.back() == dir.path());
    CHECK(c.out.size() == 5);  // A, PATH, PWD (set by sh), Z, and pwd's line: nothing inherited
  }
}

TEST_CASE("Spawn: a descriptor the parent opened without O_CLOEXEC does not reach the workload") {
  TempDir dir;
  int opened = ::open((dir / "f").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  REQUIRE(opened >= 0);
  int leaked = ::dup2(opened, 100);  // dup2: no O_CLOEXEC on purpose
  ::close(opened);
  REQUIRE(leaked == 100);
  for (int level : Levels()) {
    auto c = RunCapture(Shell("ls /proc/self/fd", level));
    INFO("level " << level);
    for (const auto& fd : c.out) CHECK(fd != std::to_string(leaked));
    CHECK(c.out.size() <= 4);  // 0, 1, 2 and ls's own directory descriptor
  }
  ::close(leaked);
}

TEST_CASE("Spawn: stdin is /dev/null unless given") {
  for (int level : Levels()) {
    auto c = RunCapture(Shell("cat; echo done", level));
    CHECK(c.out == std::vector<std::string>{"done"});
  }
}

TEST_CASE("Child::Signal reaches the workload at every level, and SIGTERM ends a sleeping one") {
  for (int level : Levels()) {
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    UniqueFd read_end(fds[0]), write_end(fds[1]);
    SpawnOptions o = Shell("echo ready; exec sleep 1000", level);
    o.stdout_fd = write_end.Get();
    auto child = Spawn(o);
    REQUIRE(child);
    write_end.Reset();
    char buf[16];
    REQUIRE(::read(read_end.Get(), buf, sizeof buf) > 0);  // started and running
    REQUIRE(child->TryWait().value() == std::nullopt);
    REQUIRE(child->Signal(SIGTERM));
    auto st = child->Wait();
    REQUIRE(st);
    INFO("level " << level);
    CHECK(st->signal == SIGTERM);
    CHECK(st->code == 128 + SIGTERM);
    CHECK(child->Signal(SIGTERM));  // after the end: a no-op, not an error
  }
}

TEST_CASE(
    "Child destructor kills and reaps what is still running, children of the child included") {
  TempDir dir;
  for (int level : {0}) {
    pid_t leader;
    pid_t grandchild;
    {
      SpawnOptions o =
          Shell("sleep 1000 & echo $! > " + (dir / "pid") + "; exec sleep 1000", level);
      auto child = Spawn(o);
      REQUIRE(child);
      leader = child->pid();
      REQUIRE(testing::PollUntil([&] {
        std::ifstream in(dir / "pid");
        return in >> grandchild && grandchild > 0;
      }));
      REQUIRE(testing::ProcessAlive(grandchild));
    }
    CHECK_FALSE(testing::ProcessAlive(leader));
    CHECK(testing::PollUntil([&] { return !testing::ProcessAlive(grandchild); }));
    std::filesystem::remove(dir / "pid");
  }
}

TEST_CASE("Spawn: die_with_parent kills the workload when the spawning thread ends") {
  for (int level : Levels()) {
    std::optional<Child> child;
    std::thread spawner([&] {
      auto c = Spawn(Shell("exec sleep 1000", level));
      REQUIRE(c);
      child.emplace(std::move(*c));
    });
    spawner.join();
    REQUIRE(child);
    auto st = child->Wait();
    REQUIRE(st);
    INFO("level " << level);
    CHECK(st->signal == SIGKILL);
  }
}

TEST_CASE("Spawn runs the asked level as root, and level 0 with the reason otherwise") {
  auto child = Spawn(Shell("true", 1));
  REQUIRE(child);
  if (::geteuid() == 0) {
    CHECK(child->level() == 1);
    CHECK(child->degraded_reason().empty());
  } else {
    CHECK(child->level() == 0);
    CHECK(child->degraded_reason().find("not running as root") != std::string::npos);
  }
  CHECK(child->Wait().value().Success());
}

TEST_CASE("ProbeIsolation reports level 2 as root and explains level 0 otherwise") {
  IsolationSupport s = ProbeIsolation();
  if (::geteuid() == 0) {
    CHECK(s.max_level == 2);
    CHECK(s.reason.empty());
  } else {
    CHECK(s.max_level == 0);
    CHECK(s.reason.find("root") != std::string::npos);
  }
}

}  // namespace prisn::executor
