#include "executor/cgroup.h"

#include <signal.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "executor/spawn.h"
#include "tests/executor/test_util.h"

namespace prisn::executor {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void Write(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path) << text;
}

// A v1 tree as a hybrid host mounts it: cpu and cpuacct together.
CgroupLayout FakeV1(const TempDir& root) {
  return CgroupLayout::V1({
      {{"memory"}, root / "memory/prisn"},
      {{"cpu", "cpuacct"}, root / "cpu,cpuacct/prisn"},
      {{"pids"}, root / "pids/prisn"},
      {{"freezer"}, root / "freezer/prisn"},
  });
}

}  // namespace

TEST_CASE("Cgroup v1 on a fake tree: limits land in the v1 files of each hierarchy") {
  TempDir root;
  CgroupLayout layout = FakeV1(root);
  REQUIRE(layout.Prepare());
  {
    auto cg =
        Cgroup::Create(layout, "run-1", {.memory_bytes = 32 << 20, .cpu_millis = 500, .pids = 32});
    REQUIRE(cg);
    CHECK(cg->version() == CgroupVersion::kV1);
    CHECK(cg->dirs().size() == 4);
    CHECK(cg->ProcsFds().size() == 4);
    CHECK(Read(root / "memory/prisn/run-1/memory.limit_in_bytes") == "33554432");
    CHECK(Read(root / "cpu,cpuacct/prisn/run-1/cpu.cfs_period_us") == "100000");
    CHECK(Read(root / "cpu,cpuacct/prisn/run-1/cpu.cfs_quota_us") == "50000");
    CHECK(Read(root / "pids/prisn/run-1/pids.max") == "32");
    // memsw is written only where the host has it (swap accounting on).
    CHECK_FALSE(fs::exists(root / "memory/prisn/run-1/memory.memsw.limit_in_bytes"));

    Write(root / "memory/prisn/run-1/memory.oom_control",
          "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
    CHECK(cg->OomKillCount().value() == 2);
    Write(root / "cpu,cpuacct/prisn/run-1/cpu.stat",
          "nr_periods 10\nnr_throttled 7\nthrottled_time 5\n");
    CHECK(cg->ThrottledCount().value() == 7);
    Write(root / "pids/prisn/run-1/pids.current", "12\n");
    CHECK(cg->PidsCurrent().value() == 12);
    Write(root / "memory/prisn/run-1/memory.max_usage_in_bytes", "4096\n");
    CHECK(cg->MemoryPeak().value() == 4096);
    CHECK(cg->Pids().value().empty());
    Write(root / "freezer/prisn/run-1/freezer.state", "THAWED");
    CHECK(cg->KillAll());
    // Frozen around the kill loop, and thawed again.
    CHECK(Read(root / "freezer/prisn/run-1/freezer.state") == "THAWED");
  }
}

TEST_CASE(
    "Cgroup v2 on a fake tree: Prepare enables the controllers down to the base, limits use v2 "
    "files") {
  TempDir root;
  Write(root / "own/cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc\n");
  CgroupLayout layout = CgroupLayout::V2(root / "own", "prisn");
  REQUIRE(layout.Prepare());
  CHECK(Read(root / "own/cgroup.subtree_control") == "+memory +cpu +pids");
  CHECK(Read(root / "own/prisn/cgroup.subtree_control") == "+memory +cpu +pids");
  CHECK(layout.HasController("memory"));
  CHECK_FALSE(layout.HasController("io"));

  auto cg =
      Cgroup::Create(layout, "run-2", {.memory_bytes = 64 << 20, .cpu_millis = 1500, .pids = 100});
  REQUIRE(cg);
  CHECK(cg->dirs() == std::vector<std::string>{root / "own/prisn/run-2"});
  CHECK(Read(root / "own/prisn/run-2/memory.max") == "67108864");
  CHECK(Read(root / "own/prisn/run-2/cpu.max") == "150000 100000");
  CHECK(Read(root / "own/prisn/run-2/pids.max") == "100");
  Write(root / "own/prisn/run-2/memory.events", "low 0\nhigh 0\nmax 9\noom 1\noom_kill 1\n");
  CHECK(cg->OomKillCount().value() == 1);
}

TEST_CASE("Cgroup: a limit without its controller, or a bad name, is refused and leaves nothing") {
  TempDir root;
  Write(root / "own/cgroup.controllers", "cpu\n");
  CgroupLayout layout = CgroupLayout::V2(root / "own");
  REQUIRE(layout.Prepare());
  auto cg = Cgroup::Create(layout, "run-3", {.memory_bytes = 1 << 20});
  REQUIRE_FALSE(cg);
  CHECK(cg.error().code == ErrorCode::kUnavailable);
  CHECK(cg.error().message.find("memory") != std::string::npos);
  CHECK_FALSE(fs::exists(root / "own/prisn/run-3"));
  for (std::string bad : {"", "..", "a/b"})
    CHECK(Cgroup::Create(layout, bad, {}).error().code == ErrorCode::kInvalid);
  CHECK(Cgroup::Create(CgroupLayout{}, "x", {}).error().code == ErrorCode::kUnavailable);
}

TEST_CASE("CgroupLayout::Detect finds this host's hierarchies below the own cgroup") {
  auto layout = CgroupLayout::Detect("prisn");
  REQUIRE(layout);
  if (layout->version == CgroupVersion::kV1) {
    CHECK(layout->HasController("memory"));
    for (const auto& h : layout->v1) CHECK(h.base.ends_with("/prisn"));
  } else if (layout->version == CgroupVersion::kV2) {
    CHECK(layout->v2_base == layout->v2_own + "/prisn");
  }
}

TEST_CASE(
    "Cgroup on the host: a joined process is listed, KillAll kills it, the directories go away") {
  PRISN_REQUIRE_ROOT();
  testing::TestCgroupBase base;
  REQUIRE(base.layout.version != CgroupVersion::kNone);
  std::vector<std::string> dirs;
  {
    auto cg = Cgroup::Create(base.layout, "member", {.memory_bytes = 64 << 20, .pids = 16});
    REQUIRE(cg);
    dirs = cg->dirs();
    SpawnOptions o = testing::Shell("exec sleep 1000", 0);
    o.cgroup = &*cg;
    auto child = Spawn(o);
    REQUIRE(child);
    auto pids = cg->Pids();
    REQUIRE(pids);
    CHECK(*pids == std::vector<pid_t>{child->pid()});
    CHECK(cg->PidsCurrent().value() == 1);
    REQUIRE(cg->KillAll());
    CHECK(cg->Pids().value().empty());
    CHECK(child->Wait().value().signal == SIGKILL);
  }
  for (const auto& d : dirs) CHECK_FALSE(fs::exists(d));
}

TEST_CASE("Cgroup v2 on this host's unified mount: join, cgroup.kill and removal work") {
  PRISN_REQUIRE_ROOT();
  // Hybrid hosts keep their controllers on v1 and mount an empty v2
  // hierarchy: membership and cgroup.kill work there, limits cannot.
  std::string unified = "/sys/fs/cgroup/unified";
  if (!fs::exists(unified + "/cgroup.procs")) {
    auto detected = CgroupLayout::Detect("x");
    REQUIRE(detected);
    if (detected->version != CgroupVersion::kV2) {
      WARN("skipped: no cgroup v2 hierarchy on this host");
      return;
    }
    unified = detected->v2_own;
  }
  CgroupLayout layout = CgroupLayout::V2(unified, testing::UniqueName("prisn-test"));
  REQUIRE(layout.Prepare());
  std::string dir;
  {
    if (!layout.HasController("memory")) {
      CHECK(Cgroup::Create(layout, "limited", {.memory_bytes = 1 << 20}).error().code ==
            ErrorCode::kUnavailable);
    }
    auto cg = Cgroup::Create(layout, "member", {});
    REQUIRE(cg);
    dir = cg->dirs().front();
    SpawnOptions o = testing::Shell("sleep 1000 & exec sleep 1000", 0);
    o.cgroup = &*cg;
    auto child = Spawn(o);
    REQUIRE(child);
    REQUIRE(testing::PollUntil([&] { return cg->Pids().value().size() == 2; }));
    CHECK(Read(dir + "/cgroup.events").find("populated 1") != std::string::npos);
    REQUIRE(cg->KillAll());
    CHECK(cg->Pids().value().empty());
    CHECK(child->Wait().value().signal == SIGKILL);
  }
  CHECK_FALSE(fs::exists(dir));
  ::rmdir(layout.v2_base.c_str());
}

}  // namespace prisn::executor
