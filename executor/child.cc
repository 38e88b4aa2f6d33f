// Child: signalling, reaping and cleaning up a started workload.
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "executor/cgroup.h"
#include "executor/spawn.h"
#include "executor/spawn_plan.h"

namespace prisn::executor {
namespace {

int PidfdSignal(int pidfd, int sig) {
  return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

}  // namespace

Child::Child(Child&& o) noexcept
    : pid_(std::exchange(o.pid_, -1)),
      pidfd_(std::move(o.pidfd_)),
      level_(o.level_),
      degraded_reason_(std::move(o.degraded_reason_)),
      cgroup_(std::exchange(o.cgroup_, nullptr)),
      mapping_(std::exchange(o.mapping_, nullptr)),
      mapping_size_(std::exchange(o.mapping_size_, 0)),
      status_(std::move(o.status_)) {}

Child& Child::operator=(Child&& o) noexcept {
  if (this != &o) {
    Release();
    pid_ = std::exchange(o.pid_, -1);
    pidfd_ = std::move(o.pidfd_);
    level_ = o.level_;
    degraded_reason_ = std::move(o.degraded_reason_);
    cgroup_ = std::exchange(o.cgroup_, nullptr);
    mapping_ = std::exchange(o.mapping_, nullptr);
    mapping_size_ = std::exchange(o.mapping_size_, 0);
    status_ = std::move(o.status_);
  }
  return *this;
}

Child::~Child() { Release(); }

void Child::Detach() {
  pid_ = -1;
  pidfd_ = UniqueFd();
  mapping_ = nullptr;  // never unmapped: a level 1/2 reaper runs on it
  mapping_size_ = 0;
  cgroup_ = nullptr;
}

void Child::Release() {
  if (pid_ > 0 && !status_) {
    Kill();
    if (auto st = Wait(); !st) spdlog::warn("reap pid {}: {}", pid_, st.error().ToString());
  }
  // Only after the reaper is gone: it runs on this memory until then.
  if (mapping_ != nullptr) ::munmap(mapping_, mapping_size_);
  mapping_ = nullptr;
  pid_ = -1;
}

Status Child::Signal(int sig) {
  if (pid_ <= 0 || status_) return {};
  // Level 0: the process group (the child called setsid, so its pid is the
  // group id, held by us until we reap). Levels 1, 2: the reaper forwards to
  // every process of the namespace.
  int rc = level_ == 0 ? ::kill(-pid_, sig) : PidfdSignal(pidfd_.Get(), sig);
  if (rc != 0 && errno != ESRCH) {
    return std::unexpected(
        ErrnoError("signal " + std::to_string(sig) + " to pid " + std::to_string(pid_), errno));
  }
  return {};
}

void Child::Kill() {
  if (pid_ <= 0 || status_) return;
  if (level_ == 0) {
    ::kill(-pid_, SIGKILL);
  } else {
    PidfdSignal(pidfd_.Get(), SIGKILL);  // the kernel then kills the whole namespace
  }
  if (cgroup_) {
    if (auto st = cgroup_->KillAll(); !st) spdlog::warn("kill cgroup: {}", st.error().ToString());
  }
}

Result<std::optional<ExitStatus>> Child::TryWait() {
  if (status_) return status_;
  if (pid_ <= 0) return Fail(ErrorCode::kInvalid, "no child to wait for");
  siginfo_t info{};
  if (::waitid(P_PIDFD, static_cast<id_t>(pidfd_.Get()), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
    return std::unexpected(ErrnoError("waitid pid " + std::to_string(pid_), errno));
  }
  if (info.si_pid == 0) return std::optional<ExitStatus>();
  return std::optional<ExitStatus>(Finish(info.si_code, info.si_status));
}

Result<ExitStatus> Child::Wait() {
  if (status_) return *status_;
  if (pid_ <= 0) return Fail(ErrorCode::kInvalid, "no child to wait for");
  siginfo_t info{};
  while (::waitid(P_PIDFD, static_cast<id_t>(pidfd_.Get()), &info, WEXITED | WNOWAIT) != 0) {
    if (errno != EINTR)
      return std::unexpected(ErrnoError("waitid pid " + std::to_string(pid_), errno));
  }
  return Finish(info.si_code, info.si_status);
}

// Called when the child has exited but is not reaped yet (WNOWAIT): its pid,
// and so its process group id, cannot be reused while we clean up.
ExitStatus Child::Finish(int child_code, int child_status) {
  ExitStatus status = ExitStatusFromSiginfo(child_code, child_status);
  if (level_ >= 1 && mapping_ != nullptr) {
    internal::Shared* shared = internal::SharedIn(mapping_);
    if (shared->workload_reaped.load(std::memory_order_acquire)) {
      status = ExitStatusFromWait(shared->workload_status.load(std::memory_order_relaxed));
    }
  }
  // Nothing outlives the main process: at level 0 its group, and in every
  // case its cgroup (levels 1, 2 lose their namespace with the reaper).
  if (level_ == 0) ::kill(-pid_, SIGKILL);
  if (cgroup_) {
    auto ooms = cgroup_->OomKillCount();
    status.oom_killed = ooms && *ooms > 0;
    if (auto st = cgroup_->KillAll(); !st) spdlog::warn("kill cgroup: {}", st.error().ToString());
  }
  siginfo_t info{};
  while (::waitid(P_PIDFD, static_cast<id_t>(pidfd_.Get()), &info, WEXITED) != 0 &&
         errno == EINTR) {
  }
  status_ = status;
  if (mapping_ != nullptr) {
    ::munmap(mapping_, mapping_size_);
    mapping_ = nullptr;
  }
  return status;
}

}  // namespace prisn::executor
