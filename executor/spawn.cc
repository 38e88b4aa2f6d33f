// The parent's side of a start: everything the children will read is
// prepared here, then one clone, then (levels 1, 2) a wait for the reaper to
// report that the workload exec'd.
#include "executor/spawn.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>

#include "executor/cgroup.h"
#include "executor/raw_syscall.h"
#include "executor/spawn_mounts.h"
#include "executor/spawn_plan.h"

namespace prisn::executor {
namespace {

using internal::Plan;
using internal::Shared;

using internal::kMappingSize;
using internal::kPage;
using internal::kStack;

// The children's stacks and status block. Owned by the parent until handed
// to the Child (levels 1, 2: the reaper uses them until it exits).
class Mapping {
 public:
  static Result<Mapping> Create() {
    void* p = ::mmap(nullptr, kMappingSize, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (p == MAP_FAILED) return std::unexpected(ErrnoError("mmap child stacks", errno));
    Mapping m(static_cast<char*>(p));
    // A stack overflow in a child must fault, not scribble on our memory.
    if (::mprotect(m.base_, kPage, PROT_NONE) != 0 ||
        ::mprotect(m.base_ + kPage + kStack, kPage, PROT_NONE) != 0) {
      return std::unexpected(ErrnoError("mprotect child stack guards", errno));
    }
    new (m.shared()) Shared();
    return m;
  }
  Mapping(Mapping&& o) noexcept : base_(std::exchange(o.base_, nullptr)) {}
  Mapping& operator=(Mapping&&) = delete;
  ~Mapping() {
    if (base_) ::munmap(base_, kMappingSize);
  }
  void* workload_stack_top() const { return base_ + kPage + kStack; }
  void* reaper_stack_top() const { return base_ + 2 * kPage + 2 * kStack; }
  Shared* shared() const { return internal::SharedIn(base_); }
  void* Release() { return std::exchange(base_, nullptr); }

 private:
  explicit Mapping(char* base) : base_(base) {}
  char* base_;
};

// stdio for the child: /dev/null for -1, and never a descriptor below 3 (the
// child's dup3 onto 0..2 would clobber it).
Result<int> ChildFd(int fd, int null_flags, UniqueFd& holder) {
  if (fd < 0) {
    holder.Reset(::open("/dev/null", null_flags | O_CLOEXEC));
    if (!holder) return std::unexpected(ErrnoError("open /dev/null", errno));
    fd = holder.Get();
  } else if (fd < 3) {
    holder.Reset(::fcntl(fd, F_DUPFD_CLOEXEC, 3));
    if (!holder) return std::unexpected(ErrnoError("dup stdio descriptor", errno));
    fd = holder.Get();
  }
  if (fd < 3) {  // /dev/null landed on 0..2: the process had them closed
    UniqueFd moved(::fcntl(fd, F_DUPFD_CLOEXEC, 3));
    if (!moved) return std::unexpected(ErrnoError("dup stdio descriptor", errno));
    holder = std::move(moved);
    fd = holder.Get();
  }
  return fd;
}

std::vector<char*> CStrings(const std::vector<std::string>& v) {
  std::vector<char*> out;
  out.reserve(v.size() + 1);
  for (const auto& s : v) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

// Blocks every signal for the clone, so that no handler of ours runs in the
// child before it resets them.
class SignalsBlocked {
 public:
  SignalsBlocked() {
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old_);
  }
  ~SignalsBlocked() { pthread_sigmask(SIG_SETMASK, &old_, nullptr); }

 private:
  sigset_t old_;
};

void Reap(pid_t pid) {
  siginfo_t info{};
  while (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED) != 0 && errno == EINTR) {
  }
}

}  // namespace

std::string PrivateFolderName(std::string_view folder) {
  std::string out(folder.substr(folder.starts_with('/') ? 1 : 0));
  for (char& c : out) {
    if (c == '/') c = '-';
  }
  return out;
}

IsolationSupport ProbeIsolation() {
  if (::geteuid() == 0) return IsolationSupport{2, {}};
  return IsolationSupport{
      0,
      "prisn is not running as root: workloads run at isolation level 0 (own process group and "
      "cgroup where delegated, no namespaces, no user switch, no size-limited workspace); run "
      "the daemon as root for levels 1 and 2"};
}

Result<Child> Spawn(const SpawnOptions& o) {
  if (o.argv.empty() || o.argv.front().empty() || o.argv.front().front() != '/') {
    return Fail(ErrorCode::kInvalid, "argv[0] must be an absolute path",
                o.argv.empty() ? std::string() : o.argv.front());
  }
  if (o.isolation_level < 0 || o.isolation_level > 2) {
    return Fail(ErrorCode::kInvalid,
                fmt::format("isolation level {} is not 0, 1 or 2", o.isolation_level));
  }
  int level = o.isolation_level;
  std::string degraded;
  if (level > 0) {
    IsolationSupport support = ProbeIsolation();
    if (support.max_level < level) {
      degraded = support.reason;
      level = support.max_level;
    }
  }

  UniqueFd in_holder, out_holder, err_holder;
  auto in = ChildFd(o.stdin_fd, O_RDONLY, in_holder);
  if (!in) return std::unexpected(in.error());
  auto out = ChildFd(o.stdout_fd, O_WRONLY, out_holder);
  if (!out) return std::unexpected(out.error());
  auto err = ChildFd(o.stderr_fd, O_WRONLY, err_holder);
  if (!err) return std::unexpected(err.error());

  std::vector<char*> argv = CStrings(o.argv);
  std::vector<char*> envp = CStrings(o.env);
  std::vector<int> cgroup_fds = o.cgroup ? o.cgroup->ProcsFds() : std::vector<int>{};
  std::string hostname = o.hostname;
  internal::MountPlan mounts;
  if (level >= 1) {
    auto built = internal::BuildMountPlan(o, level);
    if (!built) return std::unexpected(built.error());
    mounts = std::move(*built);
  }
  auto mapping = Mapping::Create();
  if (!mapping) return std::unexpected(mapping.error());

  Plan plan;
  plan.level = level;
  plan.path = o.argv.front().c_str();
  plan.argv = argv.data();
  plan.envp = envp.data();
  plan.cwd = !o.cwd.empty() ? o.cwd.c_str() : !o.workspace.empty() ? o.workspace.c_str() : "/";
  plan.stdio[0] = *in;
  plan.stdio[1] = *out;
  plan.stdio[2] = *err;
  plan.cgroup_fds = cgroup_fds.data();
  plan.cgroup_fd_count = static_cast<int>(cgroup_fds.size());
  plan.die_with_parent = o.die_with_parent;
  plan.set_user = level >= 1;
  plan.uid = o.uid;
  plan.gid = o.gid;
  plan.mounts = mounts.ops.data();
  plan.mount_count = static_cast<int>(mounts.ops.size());
  plan.hostname = level >= 1 && !hostname.empty() ? hostname.c_str() : nullptr;
  plan.workload_stack_top = mapping->workload_stack_top();
  plan.shared = mapping->shared();

  int pidfd = -1;
  pid_t pid;
  UniqueFd status_read;
  if (level == 0) {
    SignalsBlocked blocked;
    pid = static_cast<pid_t>(sys::Clone(CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD,
                                        mapping->workload_stack_top(), &pidfd,
                                        internal::DirectChildMain, &plan));
  } else {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return std::unexpected(ErrnoError("pipe", errno));
    status_read.Reset(fds[0]);
    UniqueFd status_write(fds[1]);
    plan.status_pipe = fds[1];
    {
      SignalsBlocked blocked;
      pid = static_cast<pid_t>(sys::Clone(CLONE_VM | CLONE_PIDFD | CLONE_NEWPID | CLONE_NEWNS |
                                              CLONE_NEWIPC | CLONE_NEWUTS | SIGCHLD,
                                          mapping->reaper_stack_top(), &pidfd, internal::ReaperMain,
                                          &plan));
    }
    status_write.Reset();
    if (pid > 0) {
      // EOF: the reaper closed its end once the workload exec'd or failed.
      char byte;
      while (::read(status_read.Get(), &byte, 1) < 0 && errno == EINTR) {
      }
    }
  }
  if (pid < 0) return std::unexpected(ErrnoError("clone " + o.argv.front(), -pid));
  UniqueFd pidfd_holder(pidfd);

  Shared* shared = mapping->shared();
  if (const char* step = shared->failed_step.load(std::memory_order_acquire)) {
    int child_errno = shared->failed_errno.load(std::memory_order_relaxed);
    Reap(pid);
    Error e = ErrnoError(step, child_errno);
    e.context = o.argv.front();
    if (std::strcmp(step, "exec") == 0 && child_errno == ENOENT) {
      e.message = "the program does not exist: " + o.argv.front();
    }
    return std::unexpected(std::move(e));
  }
  if (level >= 1 && shared->workload_pid.load(std::memory_order_relaxed) == 0) {
    Reap(pid);
    return Fail(ErrorCode::kInternal, "the workload's reaper died while starting it",
                o.argv.front());
  }

  Child child;
  child.pid_ = pid;
  child.pidfd_ = std::move(pidfd_holder);
  child.level_ = level;
  child.degraded_reason_ = std::move(degraded);
  child.cgroup_ = o.cgroup;
  if (level >= 1) {
    child.mapping_ = mapping->Release();
    child.mapping_size_ = kMappingSize;
  }
  return child;
}

}  // namespace prisn::executor
