#pragma once
// Helpers for the executor tests: temporary directories, polling with a
// deadline, root-only guards, and a test-private cgroup base.

#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "executor/cgroup.h"
#include "executor/run.h"

namespace prisn::executor::testing {

// Tests that need root say so and return (Catch2 v2 has no SKIP).
#define PRISN_REQUIRE_ROOT()                                     \
  do {                                                           \
    if (::geteuid() != 0) {                                      \
      WARN("skipped: needs root (namespaces, mounts, cgroups)"); \
      return;                                                    \
    }                                                            \
  } while (0)

inline std::string UniqueName(const std::string& prefix) {
  static std::atomic<int> counter{0};
  return prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

// A fresh directory under /tmp, removed with everything in it.
class TempDir {
 public:
  explicit TempDir(const std::string& parent = "/tmp") {
    std::string tmpl = parent + "/prisn-exec-test-XXXXXX";
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path_ = tmpl;
    std::filesystem::permissions(path_, std::filesystem::perms(0755));
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

 private:
  std::string path_;
};

// Polls `done` until it holds or `timeout` passes; true when it held.
inline bool PollUntil(const std::function<bool()>& done,
                      std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return done();
}

// Alive and not a zombie (a killed orphan may wait a moment for init).
inline bool ProcessAlive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  size_t paren = line.rfind(')');
  return paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] != 'Z';
}

// A cgroup base of this test process on the host's detected layout,
// removed at the end. `layout` is kNone when cgroups are not usable.
class TestCgroupBase {
 public:
  TestCgroupBase() {
    auto detected = CgroupLayout::Detect(UniqueName("prisn-test"));
    if (!detected || detected->version == CgroupVersion::kNone || ::geteuid() != 0) return;
    if (!detected->Prepare()) return;
    layout = *detected;
  }
  ~TestCgroupBase() {
    if (layout.version == CgroupVersion::kV2) ::rmdir(layout.v2_base.c_str());
    for (const auto& h : layout.v1) ::rmdir(h.base.c_str());
  }
  CgroupLayout layout;
};

struct Captured {
  ExitStatus status;
  std::vector<std::string> out;
  std::vector<std::string> err;
};

// Runs to completion and collects the output lines.
inline Captured RunCapture(const SpawnOptions& spawn,
                           std::chrono::milliseconds timeout = std::chrono::seconds(60),
                           std::chrono::milliseconds grace = std::chrono::seconds(5)) {
  RunOptions run;
  run.spawn = spawn;
  run.timeout = timeout;
  run.grace = grace;
  Captured c;
  run.on_line = [&](LogStream s, std::string_view line) {
    (s == LogStream::kOut ? c.out : c.err).emplace_back(line);
  };
  auto result = RunToCompletion(run);
  if (!result) FAIL(result.error().ToString());
  c.status = result->status;
  return c;
}

inline SpawnOptions Shell(const std::string& script, int level = 0) {
  SpawnOptions o;
  o.argv = {"/bin/sh", "-c", script};
  o.env = {"PATH=/usr/local/bin:/usr/bin:/bin"};
  o.isolation_level = level;
  return o;
}

inline std::string Joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

}  // namespace prisn::executor::testing
