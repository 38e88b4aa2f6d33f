// The code that runs in the clone children, in the daemon's address space.
// Rules: raw system calls only (executor/raw_syscall.h says why), no
// allocation, no libc state, no sanitizer instrumentation; read the plan,
// write the status block and the own stack, nothing else.
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "executor/raw_syscall.h"
#include "executor/spawn_plan.h"

namespace prisn::executor::internal {
namespace {

// The kernel's struct sigaction (x86_64 and arm64 share this layout).
struct KernelSigaction {
  void* handler;
  unsigned long flags;
  void* restorer;
  unsigned long mask;
};

constexpr unsigned long Bit(int sig) { return 1ul << (sig - 1); }
constexpr unsigned long kForwarded =
    Bit(SIGTERM) | Bit(SIGINT) | Bit(SIGHUP) | Bit(SIGQUIT) | Bit(SIGUSR1) | Bit(SIGUSR2);

[[noreturn]] PRISN_CHILD_FN void Exit(int code) {
  for (;;) sys::Call(SYS_exit_group, code);
}

PRISN_CHILD_FN void Record(Shared* shared, const char* step, long ret) {
  shared->failed_errno.store(static_cast<int>(-ret), std::memory_order_relaxed);
  shared->failed_step.store(step, std::memory_order_release);
}

// Records the failed step for the parent and ends this child with 127.
[[noreturn]] PRISN_CHILD_FN void Die(const Plan* p, const char* step, long ret) {
  Record(p->shared, step, ret);
  Exit(127);
}

PRISN_CHILD_FN void ResetSignalHandlers() {
  KernelSigaction dfl{};  // SIG_DFL is 0
  for (int sig = 1; sig < 65; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    sys::Call(SYS_rt_sigaction, sig, &dfl, nullptr, sizeof(unsigned long));
  }
}

PRISN_CHILD_FN long StrLen(const char* s) {
  long n = 0;
  while (s[n] != '\0') ++n;
  return n;
}

PRISN_CHILD_FN long SetAttr(int dfd, const char* path, unsigned flags, bool read_only) {
  struct mount_attr attr;
  attr.attr_set = read_only ? MOUNT_ATTR_RDONLY : 0;
  attr.attr_clr = read_only ? 0 : MOUNT_ATTR_RDONLY;
  attr.propagation = 0;
  attr.userns_fd = 0;
  return sys::Call(SYS_mount_setattr, dfd, path, flags, &attr, sizeof attr);
}

PRISN_CHILD_FN long RunMountOp(const MountOp& op, int* trees) {
  switch (op.kind) {
    case MountKind::kMakePrivate:
      return sys::Call(SYS_mount, "none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr);
    case MountKind::kOpenTree: {
      long fd = sys::Call(SYS_open_tree, AT_FDCWD, op.path,
                          OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
      if (fd >= 0) trees[op.slot] = static_cast<int>(fd);
      return fd;
    }
    case MountKind::kReadOnlyRoot:
      return SetAttr(AT_FDCWD, "/", AT_RECURSIVE, true);
    case MountKind::kMount:
      return sys::Call(SYS_mount, op.source, op.path, op.fstype, op.flags, op.data);
    case MountKind::kMkdir: {
      long r = sys::Call(SYS_mkdirat, AT_FDCWD, op.path, 0711);
      if (r == -EEXIST) return 0;
      // The daemon's umask (077) would make the mount point untraversable
      // for the workload's user.
      if (r == 0) r = sys::Call(SYS_fchmodat, AT_FDCWD, op.path, 0711);
      return r;
    }
    case MountKind::kTouch: {
      long fd = sys::Call(SYS_openat, AT_FDCWD, op.path, O_WRONLY | O_CREAT | O_CLOEXEC, 0444);
      if (fd < 0) return fd;
      sys::Call(SYS_close, fd);
      return 0;
    }
    case MountKind::kAttachTree: {
      int fd = trees[op.slot];
      long r = SetAttr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, !op.writable);
      if (r < 0) return r;
      r = sys::Call(SYS_move_mount, fd, "", AT_FDCWD, op.path,
                    MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_SYMLINKS);
      sys::Call(SYS_close, fd);
      trees[op.slot] = -1;
      return r;
    }
    case MountKind::kSetReadOnly:
      return SetAttr(AT_FDCWD, op.path, 0, true);
    case MountKind::kDetach:
      return sys::Call(SYS_umount2, op.path, MNT_DETACH);
  }
  return -EINVAL;
}

// Closes every descriptor the reaper inherited from the daemon except the
// plan's: it would otherwise hold other runs' pipes and the daemon's sockets
// open for the workload's whole life.
PRISN_CHILD_FN void CloseAllBut(const Plan* p) {
  int keep[16];
  int n = 0;
  for (int fd : p->stdio) keep[n++] = fd;
  for (int i = 0; i < p->cgroup_fd_count && n < 15; ++i) keep[n++] = p->cgroup_fds[i];
  keep[n++] = p->status_pipe;
  for (int i = 1; i < n; ++i) {  // insertion sort: n is tiny
    for (int j = i; j > 0 && keep[j - 1] > keep[j]; --j) {
      int t = keep[j];
      keep[j] = keep[j - 1];
      keep[j - 1] = t;
    }
  }
  unsigned next = 0;
  for (int i = 0; i < n; ++i) {
    if (keep[i] < 0 || static_cast<unsigned>(keep[i]) < next) continue;
    if (static_cast<unsigned>(keep[i]) > next) sys::Call(SYS_close_range, next, keep[i] - 1, 0);
    next = static_cast<unsigned>(keep[i]) + 1;
  }
  sys::Call(SYS_close_range, next, ~0u, 0);
}

// The steps both the level-0 child and the namespaced workload take before
// exec: own session, cgroups, stdio, directory.
PRISN_CHILD_FN void CommonSetup(const Plan* p) {
  long r = sys::Call(SYS_setsid);
  if (r < 0) Die(p, "setsid", r);
  for (int i = 0; i < p->cgroup_fd_count; ++i) {
    r = sys::Call(SYS_write, p->cgroup_fds[i], "0", 1);
    if (r < 0) Die(p, "join cgroup", r);
  }
  for (int i = 0; i < 3; ++i) {
    r = sys::Call(SYS_dup3, p->stdio[i], i, 0);
    if (r < 0) Die(p, "dup stdio", r);
  }
  // Whatever else is open (a library's descriptor without O_CLOEXEC) must
  // not reach the workload.
  sys::Call(SYS_close_range, 3, ~0u, CLOSE_RANGE_CLOEXEC);
  r = sys::Call(SYS_chdir, p->cwd);
  if (r < 0) Die(p, "chdir", r);
}

[[noreturn]] PRISN_CHILD_FN void Exec(const Plan* p) {
  unsigned long none = 0;
  sys::Call(SYS_rt_sigprocmask, SIG_SETMASK, &none, nullptr, sizeof none);
  long r = sys::Call(SYS_execve, p->path, p->argv, p->envp);
  Die(p, "exec", r);
}

PRISN_CHILD_FN void BecomeUser(const Plan* p) {
  long r;
  for (int cap = 0; cap < 64; ++cap) {
    r = sys::Call(SYS_prctl, PR_CAPBSET_DROP, cap, 0, 0, 0);
    if (r == -EINVAL) break;  // past the kernel's last capability
    if (r < 0) Die(p, "drop capability bounding set", r);
  }
  sys::Call(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  r = sys::Call(SYS_setgroups, 0, nullptr);
  if (r < 0) Die(p, "setgroups", r);
  r = sys::Call(SYS_setresgid, p->gid, p->gid, p->gid);
  if (r < 0) Die(p, "setresgid", r);
  r = sys::Call(SYS_setresuid, p->uid, p->uid, p->uid);
  if (r < 0) Die(p, "setresuid", r);
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {{0, 0, 0}, {0, 0, 0}};
  r = sys::Call(SYS_capset, &header, data);
  if (r < 0) Die(p, "capset", r);
}

// The workload, cloned by the reaper with CLONE_VM|CLONE_VFORK.
PRISN_CHILD_FN int WorkloadMain(void* arg) {
  const Plan* p = static_cast<const Plan*>(arg);
  // Our copy of the status pipe would close only when exec has finished
  // loading the program (the last fput runs on the way back to user space):
  // close it now, so that the parent resumes as soon as the reaper knows
  // the exec went through.
  sys::Call(SYS_close, p->status_pipe);
  CommonSetup(p);
  if (p->set_user) BecomeUser(p);
  long r = sys::Call(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  if (r < 0) Die(p, "no_new_privs", r);
  Exec(p);
}

// Ends a failed start: the parent sees the step in the status block and EOF
// on the pipe. The plan is the parent's and may be gone once the pipe is
// closed: record first, close last.
[[noreturn]] PRISN_CHILD_FN void ReaperDie(const Plan* p, const char* step, long ret) {
  Record(p->shared, step, ret);
  sys::Call(SYS_close, p->status_pipe);
  Exit(127);
}

PRISN_CHILD_FN void BlockAllSignals() {
  unsigned long all = ~0ul;
  sys::Call(SYS_rt_sigprocmask, SIG_SETMASK, &all, nullptr, sizeof all);
}

}  // namespace

PRISN_CHILD_FN int DirectChildMain(void* arg) {
  const Plan* p = static_cast<const Plan*>(arg);
  BlockAllSignals();
  ResetSignalHandlers();
  if (p->die_with_parent) sys::Call(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  CommonSetup(p);
  Exec(p);
}

PRISN_CHILD_FN int ReaperMain(void* arg) {
  const Plan* p = static_cast<const Plan*>(arg);
  BlockAllSignals();
  CloseAllBut(p);
  ResetSignalHandlers();  // the mask stays fully blocked: signals are taken below
  if (p->die_with_parent) sys::Call(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  int trees[kMaxTrees];
  for (int& t : trees) t = -1;
  for (int i = 0; i < p->mount_count; ++i) {
    long r = RunMountOp(p->mounts[i], trees);
    if (r < 0) ReaperDie(p, p->mounts[i].what, r);
  }
  if (p->hostname != nullptr) {
    long r = sys::Call(SYS_sethostname, p->hostname, StrLen(p->hostname));
    if (r < 0) ReaperDie(p, "sethostname", r);
  }
  long main_pid = sys::Clone(CLONE_VM | CLONE_VFORK | SIGCHLD, p->workload_stack_top, nullptr,
                             WorkloadMain, const_cast<Plan*>(p));
  if (main_pid < 0) ReaperDie(p, "clone the workload", main_pid);

  // After the close below the plan may be freed: keep what the loop needs.
  Shared* shared = p->shared;
  if (shared->failed_step.load(std::memory_order_acquire) != nullptr) {
    int status = 0;
    sys::Call(SYS_wait4, main_pid, &status, 0, nullptr);
    sys::Call(SYS_close, p->status_pipe);
    Exit(127);
  }
  shared->workload_pid.store(static_cast<int>(main_pid), std::memory_order_relaxed);
  // The start is decided: closing the status pipe resumes the parent. Close
  // the rest too (stdio, cgroup files): the workload's output must reach EOF
  // when the workload is gone, not when the reaper is.
  sys::Call(SYS_close_range, 0, ~0u, 0);
  p = nullptr;

  // PID 1 from here on: take the forwarded signals and SIGCHLD synchronously
  // (they stay blocked, which also makes the kernel queue them for an init).
  unsigned long wanted = kForwarded | Bit(SIGCHLD);
  for (;;) {
    siginfo_t info;
    long sig = sys::Call(SYS_rt_sigtimedwait, &wanted, &info, nullptr, sizeof wanted);
    if (sig < 0) continue;
    if (sig != SIGCHLD) {
      sys::Call(SYS_kill, -1, sig);  // every process of the namespace but this one
      continue;
    }
    for (;;) {
      int status = 0;
      long pid = sys::Call(SYS_wait4, -1, &status, WNOHANG, nullptr);
      if (pid <= 0) break;
      if (pid != main_pid) continue;
      shared->workload_status.store(status, std::memory_order_relaxed);
      shared->workload_reaped.store(true, std::memory_order_release);
      // Exiting takes the rest of the namespace down with this process.
      Exit(WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status));
    }
  }
}

}  // namespace prisn::executor::internal
