#pragma once
// cgroups for workloads: memory (the kernel OOM-kills on breach), CPU quota
// (throttled, never killed) and a process count limit (fork bombs stop
// there). Works on cgroup v1 (one directory per controller hierarchy) and v2
// (one directory); the version is detected at runtime, and every path is
// configurable so that tests can point a layout at a fake tree.

#include <sys/types.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"
#include "util/unique_fd.h"

namespace prisn::executor {

enum class CgroupVersion { kNone, kV1, kV2 };

// One v1 hierarchy: the controllers mounted together and prisn's base
// directory in it.
struct CgroupHierarchy {
  std::vector<std::string> controllers;  // "memory"; "cpu", "cpuacct"; "pids"; "freezer"
  std::string base;                      // e.g. /sys/fs/cgroup/memory/<own>/prisn
};

// Where prisn's cgroups are created.
struct CgroupLayout {
  CgroupVersion version = CgroupVersion::kNone;
  std::string v2_base;              // v2: <mount>/<own cgroup>/<subdir>
  std::string v2_own;               // v2: <mount>/<own cgroup>; Prepare starts here
  std::vector<CgroupHierarchy> v1;  // v1: memory, cpu, pids and freezer hierarchies

  // Reads /proc/self/mountinfo and /proc/self/cgroup. Prefers v1 when a v1
  // memory, cpu or pids hierarchy is mounted (hybrid hosts keep their
  // controllers there), else v2; kNone when neither is mounted. prisn's
  // cgroups go below the daemon's own cgroup, in `subdir`, which is how a
  // delegated service (systemd Delegate=yes, a container) is meant to use
  // its subtree.
  static Result<CgroupLayout> Detect(std::string_view subdir = "prisn");
  // Explicit layouts, for configuration and tests.
  static CgroupLayout V2(std::string own, std::string_view subdir = "prisn");
  static CgroupLayout V1(std::vector<CgroupHierarchy> hierarchies);

  // Creates the base directories. On v2 also enables the memory, cpu and pids
  // controllers (those the own cgroup offers) in cgroup.subtree_control from
  // the own cgroup down to the base. v2 forbids that while the own cgroup
  // (not the root) holds processes; with `move_self_if_busy` the calling
  // process then moves itself into the leaf <own>/daemon and retries.
  Status Prepare(bool move_self_if_busy = false) const;

  bool HasController(std::string_view controller) const;
};

struct CgroupLimits {
  std::int64_t memory_bytes = 0;  // 0: no limit; also caps swap where the host has it
  std::int64_t cpu_millis = 0;    // 0: no quota; 1000 is one core
  std::int64_t pids = 0;          // 0: no limit
};

// A workload's cgroup: <base>/<name> in every hierarchy. Move-only; the
// destructor kills what is left inside and removes the directories.
class Cgroup {
 public:
  // Creates the directories and writes the limits. A limit whose controller
  // the layout lacks fails with kUnavailable (an unenforced limit is worse
  // than an error); nothing is left behind on failure. `name` is one path
  // component.
  static Result<Cgroup> Create(const CgroupLayout& layout, std::string_view name,
                               const CgroupLimits& limits);

  Cgroup(Cgroup&&) noexcept = default;
  Cgroup& operator=(Cgroup&& other) noexcept;
  Cgroup(const Cgroup&) = delete;
  Cgroup& operator=(const Cgroup&) = delete;
  ~Cgroup();

  // Forgets the cgroup without killing or removing it (Backend::Detach).
  void Keep() {
    dirs_.clear();
    procs_fds_.clear();
  }

  CgroupVersion version() const { return version_; }
  // Every directory of this cgroup (one on v2).
  const std::vector<std::string>& dirs() const { return dirs_; }
  // Open cgroup.procs of every hierarchy (close-on-exec). A process joins by
  // writing "0" to each: the spawner does that in the child before exec, so
  // that nothing the workload forks escapes.
  std::vector<int> ProcsFds() const;

  Status AddPid(pid_t pid) const;
  // Processes inside (from the first directory: every member is in all).
  Result<std::vector<pid_t>> Pids() const;
  // Times the kernel OOM killer killed a process inside (v1 memory.oom_control
  // "oom_kill", v2 memory.events "oom_kill"); 0 without a memory controller.
  Result<std::uint64_t> OomKillCount() const;
  // Periods in which the CPU quota throttled the group (cpu.stat nr_throttled).
  Result<std::uint64_t> ThrottledCount() const;
  Result<std::int64_t> PidsCurrent() const;
  // Highest memory use seen, in bytes (v1 memory.max_usage_in_bytes, v2
  // memory.peak where the kernel has it).
  Result<std::int64_t> MemoryPeak() const;

  // SIGKILLs every process inside and waits (up to `deadline_ms`) until the
  // group is empty. v2 uses cgroup.kill; v1 freezes first when a freezer
  // hierarchy exists, so that a fork bomb cannot outrun the loop.
  Status KillAll(int deadline_ms = 5000) const;

 private:
  Cgroup() = default;
  std::string FileIn(std::string_view controller, std::string_view file) const;
  void Destroy();

  CgroupVersion version_ = CgroupVersion::kNone;
  std::vector<std::string> dirs_;
  std::vector<std::vector<std::string>> controllers_;  // per dir (v1); v2: enabled ones
  std::vector<UniqueFd> procs_fds_;
};

}  // namespace prisn::executor
