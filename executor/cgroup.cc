#include "executor/cgroup.h"

#include <fcntl.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "executor/sysfs.h"
#include "util/files.h"

namespace prisn::executor {
namespace {

using Clock = std::chrono::steady_clock;

bool Has(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

std::vector<pid_t> ParsePids(const std::string& text) {
  std::vector<pid_t> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    if (auto v = ParseLeadingInt(std::string_view(text).substr(pos, end - pos)); v && *v > 0) {
      out.push_back(static_cast<pid_t>(*v));
    }
    pos = end + 1;
  }
  return out;
}

// A short pause between polls of the kernel's view while processes die;
// bounded by the caller's deadline.
void Pause() { std::this_thread::sleep_for(std::chrono::milliseconds(1)); }

}  // namespace

Result<Cgroup> Cgroup::Create(const CgroupLayout& layout, std::string_view name,
                              const CgroupLimits& limits) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string_view::npos) {
    return Fail(ErrorCode::kInvalid, "a cgroup name is one path component", std::string(name));
  }
  if (layout.version == CgroupVersion::kNone) {
    return Fail(ErrorCode::kUnavailable, "no cgroup hierarchy is mounted", std::string(name));
  }
  struct Need {
    bool wanted;
    std::string_view controller;
  };
  for (Need n : {Need{limits.memory_bytes > 0, "memory"}, Need{limits.cpu_millis > 0, "cpu"},
                 Need{limits.pids > 0, "pids"}}) {
    if (n.wanted && !layout.HasController(n.controller)) {
      return Fail(ErrorCode::kUnavailable,
                  fmt::format("the cgroup controller '{}' is not available for prisn's cgroups; "
                              "enable it (cgroup v2: cgroup.subtree_control of the parents) or "
                              "drop the limit",
                              n.controller),
                  std::string(name));
    }
  }

  Cgroup cg;
  cg.version_ = layout.version;
  if (layout.version == CgroupVersion::kV2) {
    cg.dirs_.push_back(layout.v2_base + "/" + std::string(name));
    std::vector<std::string> enabled;
    for (std::string_view c : {"memory", "cpu", "pids"}) {
      if (layout.HasController(c)) enabled.emplace_back(c);
    }
    cg.controllers_.push_back(std::move(enabled));
  } else {
    for (const auto& h : layout.v1) {
      cg.dirs_.push_back(h.base + "/" + std::string(name));
      cg.controllers_.push_back(h.controllers);
    }
  }
  // From here on a failure destroys `cg`, which removes what was created.
  for (size_t i = 0; i < cg.dirs_.size(); ++i) {
    if (::mkdir(cg.dirs_[i].c_str(), 0755) != 0) {
      int err = errno;
      std::string dir = cg.dirs_[i];
      cg.dirs_.resize(i);  // remove only what this call created
      cg.controllers_.resize(i);
      Error e = ErrnoError("create cgroup " + dir, err);
      if (err == ENOENT) e.message += " (the base directory is missing: CgroupLayout::Prepare)";
      return std::unexpected(std::move(e));
    }
  }
  auto write = [&](std::string_view controller, std::string_view file, const std::string& value,
                   bool optional) -> Status {
    std::string path = cg.FileIn(controller, file);
    if (optional && !PathExists(path)) return {};
    return WriteSysFile(path, value, !optional);
  };
  bool v2 = layout.version == CgroupVersion::kV2;
  if (limits.memory_bytes > 0) {
    std::string bytes = std::to_string(limits.memory_bytes);
    if (auto st = write("memory", v2 ? "memory.max" : "memory.limit_in_bytes", bytes, false); !st) {
      return std::unexpected(st.error());
    }
    // No escape into swap: v1 memsw caps memory+swap at the same value.
    auto st = v2 ? write("memory", "memory.swap.max", "0", true)
                 : write("memory", "memory.memsw.limit_in_bytes", bytes, true);
    if (!st) return std::unexpected(st.error());
  }
  if (limits.cpu_millis > 0) {
    constexpr std::int64_t kPeriodUs = 100000;
    std::int64_t quota = limits.cpu_millis * kPeriodUs / 1000;
    Status st;
    if (v2) {
      st = write("cpu", "cpu.max", fmt::format("{} {}", quota, kPeriodUs), false);
    } else {
      st = write("cpu", "cpu.cfs_period_us", std::to_string(kPeriodUs), false);
      if (st) st = write("cpu", "cpu.cfs_quota_us", std::to_string(quota), false);
    }
    if (!st) return std::unexpected(st.error());
  }
  if (limits.pids > 0) {
    if (auto st = write("pids", "pids.max", std::to_string(limits.pids), false); !st) {
      return std::unexpected(st.error());
    }
  }
  for (const std::string& dir : cg.dirs_) {
    std::string procs = dir + "/cgroup.procs";
    UniqueFd fd(::open(procs.c_str(), O_WRONLY | O_CLOEXEC | O_CREAT, 0644));
    if (!fd) return std::unexpected(ErrnoError("open " + procs, errno));
    cg.procs_fds_.push_back(std::move(fd));
  }
  return cg;
}

Cgroup& Cgroup::operator=(Cgroup&& other) noexcept {
  if (this != &other) {
    Destroy();
    version_ = other.version_;
    dirs_ = std::move(other.dirs_);
    controllers_ = std::move(other.controllers_);
    procs_fds_ = std::move(other.procs_fds_);
    other.dirs_.clear();
  }
  return *this;
}

Cgroup::~Cgroup() { Destroy(); }

void Cgroup::Destroy() {
  if (dirs_.empty()) return;
  procs_fds_.clear();
  if (auto st = KillAll(); !st) spdlog::warn("cgroup {}: {}", dirs_.front(), st.error().ToString());
  for (const std::string& dir : dirs_) {
    // Killed tasks leave the group a moment after they die: retry EBUSY.
    auto deadline = Clock::now() + std::chrono::seconds(2);
    while (::rmdir(dir.c_str()) != 0) {
      int err = errno;
      if (err == ENOENT) break;
      if (err != EBUSY || Clock::now() > deadline) {
        // ENOTEMPTY: not cgroupfs (a test's fake tree); the owner cleans it.
        if (err != ENOTEMPTY) spdlog::warn("remove cgroup {}: {}", dir, std::strerror(err));
        break;
      }
      Pause();
    }
  }
  dirs_.clear();
}

std::string Cgroup::FileIn(std::string_view controller, std::string_view file) const {
  for (size_t i = 0; i < dirs_.size(); ++i) {
    if (version_ == CgroupVersion::kV2 || Has(controllers_[i], controller)) {
      return dirs_[i] + "/" + std::string(file);
    }
  }
  return {};
}

std::vector<int> Cgroup::ProcsFds() const {
  std::vector<int> out;
  for (const auto& fd : procs_fds_) out.push_back(fd.Get());
  return out;
}

Status Cgroup::AddPid(pid_t pid) const {
  for (const std::string& dir : dirs_) {
    if (auto st = WriteSysFile(dir + "/cgroup.procs", std::to_string(pid), false); !st) return st;
  }
  return {};
}

Result<std::vector<pid_t>> Cgroup::Pids() const {
  if (dirs_.empty()) return std::vector<pid_t>{};
  auto text = ReadFile(dirs_.front() + "/cgroup.procs");
  if (!text) return std::unexpected(text.error());
  return ParsePids(*text);
}

Result<std::uint64_t> Cgroup::OomKillCount() const {
  bool v2 = version_ == CgroupVersion::kV2;
  std::string path = FileIn("memory", v2 ? "memory.events" : "memory.oom_control");
  if (path.empty()) return 0;
  auto text = ReadFile(path);
  if (!text) {
    if (text.error().code == ErrorCode::kNotFound) return 0;
    return std::unexpected(text.error());
  }
  return FindKeyValue(*text, "oom_kill").value_or(0);
}

Result<std::uint64_t> Cgroup::ThrottledCount() const {
  std::string path = FileIn("cpu", "cpu.stat");
  if (path.empty()) return Fail(ErrorCode::kUnavailable, "no cpu controller", dirs_.front());
  auto text = ReadFile(path);
  if (!text) return std::unexpected(text.error());
  return FindKeyValue(*text, "nr_throttled").value_or(0);
}

Result<std::int64_t> Cgroup::PidsCurrent() const {
  std::string path = FileIn("pids", "pids.current");
  if (path.empty()) return Fail(ErrorCode::kUnavailable, "no pids controller", dirs_.front());
  auto text = ReadFile(path);
  if (!text) return std::unexpected(text.error());
  return ParseLeadingInt(*text).value_or(0);
}

Result<std::int64_t> Cgroup::MemoryPeak() const {
  bool v2 = version_ == CgroupVersion::kV2;
  std::string path = FileIn("memory", v2 ? "memory.peak" : "memory.max_usage_in_bytes");
  if (path.empty()) return Fail(ErrorCode::kUnavailable, "no memory controller", dirs_.front());
  auto text = ReadFile(path);
  if (!text) return std::unexpected(text.error());
  return ParseLeadingInt(*text).value_or(0);
}

Status Cgroup::KillAll(int deadline_ms) const {
  if (dirs_.empty()) return {};
  auto deadline = Clock::now() + std::chrono::milliseconds(deadline_ms);
  if (version_ == CgroupVersion::kV2) {
    // cgroup.kill (Linux 5.14) kills atomically, forks in flight included.
    std::string kill_file = dirs_.front() + "/cgroup.kill";
    if (PathExists(kill_file)) (void)WriteSysFile(kill_file, "1", false);
  }
  std::string freezer = FileIn("freezer", "freezer.state");
  bool frozen = false;
  if (version_ == CgroupVersion::kV1 && !freezer.empty() && PathExists(freezer)) {
    // Freeze so that no member forks while the loop below kills; a frozen
    // task takes its SIGKILL when thawed.
    if (WriteSysFile(freezer, "FROZEN", false)) {
      frozen = true;
      while (Clock::now() < deadline) {
        auto state = ReadFile(freezer);
        if (!state || state->starts_with("FROZEN")) break;
        Pause();
      }
    }
  }
  for (;;) {
    auto pids = Pids();
    if (!pids) return std::unexpected(pids.error());
    if (pids->empty()) break;
    for (pid_t p : *pids) ::kill(p, SIGKILL);
    if (frozen) {
      (void)WriteSysFile(freezer, "THAWED", false);
      frozen = false;
    }
    if (Clock::now() > deadline) {
      return Fail(ErrorCode::kTimeout,
                  fmt::format("{} processes still alive after SIGKILL", pids->size()),
                  dirs_.front());
    }
    Pause();
  }
  if (frozen) (void)WriteSysFile(freezer, "THAWED", false);
  return {};
}

}  // namespace prisn::executor
