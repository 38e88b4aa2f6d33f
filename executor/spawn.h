#pragma once
// The one way prisn starts a process.
//
// The daemon never forks itself (a fork copies its page tables: milliseconds
// for a big daemon). Every level starts with clone(CLONE_VM) and a child stack
// that Spawn maps, the way posix_spawn does internally; everything the child
// needs (argv, envp, paths, fds, ids) is prepared beforehand, and the child
// makes raw system calls only.
//
//   level 0  clone(CLONE_VM|CLONE_VFORK): own session and process group,
//            cgroup joined before exec, die-with-parent. (posix_spawn cannot
//            join a cgroup or set the parent-death signal.)
//   level 1  clone(CLONE_VM|CLONE_NEWPID|CLONE_NEWNS|CLONE_NEWIPC|CLONE_NEWUTS):
//            the child is PID 1 of the new namespace and stays there as the
//            reaper: it sets up the mounts (own /proc showing only the
//            workload's user, a private instance of each of the host's
//            world-writable folders (PrivateFolders()), the other workloads'
//            mounts removed (detach_path), the hidden state directory, and a
//            read-only host when asked: read_only_host), starts the workload with clone(CLONE_VM|CLONE_VFORK)
//            (cgroups joined, capabilities dropped, the unprivileged user,
//            no_new_privs), forwards SIGTERM/SIGINT/SIGHUP/SIGQUIT/SIGUSR1/
//            SIGUSR2 to every process of the namespace, reaps orphans, and
//            exits with the workload's status. The reaper keeps sharing the
//            daemon's memory (it only touches its own stack and a status
//            block) and stays outside the workload's cgroup, so an OOM kill in
//            the workload's cgroup can never choose it; the workload cannot
//            signal or trace it (another user, no capabilities).
//   level 2  level 1 plus a read-only view of the host filesystem; only the
//            workspace, `writable_paths` and writable binds stay writable.
//
// Levels 1 and 2 need root (CAP_SYS_ADMIN); without it Spawn runs level 0,
// reports that in Child::degraded_reason(), and ProbeIsolation() says so
// once at start-up.
//
// Spawn blocks the calling thread only until the workload has exec'd (or
// failed to). die_with_parent follows PR_SET_PDEATHSIG: the parent is the
// spawning *thread*, so spawn from a thread that outlives the child (the
// event loop), not from a short-lived worker.

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "executor/exit_status.h"
#include "util/error.h"
#include "util/unique_fd.h"

namespace prisn::executor {

class Cgroup;

inline constexpr uid_t kNobodyUid = 65534;
inline constexpr gid_t kNobodyGid = 65534;

// The host folders anyone may write (mode 1777 on Debian and most hosts) of
// which a workload at levels 1 and 2 gets a private, empty instance: what
// it writes there stays its own and is gone with it. Any other
// world-writable folder is closed by read_only_host (or level 2).
inline constexpr const char* kPrivateFolders[] = {"/tmp", "/var/tmp", "/dev/shm", "/run/lock"};
// The folder name under SpawnOptions::private_dirs for one of them: "tmp",
// "var-tmp", "dev-shm", "run-lock".
std::string PrivateFolderName(std::string_view folder);

// A path made visible inside the workload's mount namespace at `target`
// (levels 1 and 2), read-only unless `writable`. The source may lie under
// the hidden path: it is captured before the hiding. For files and
// directories.
struct BindPath {
  std::string source;
  std::string target;
  bool writable = false;
};

struct SpawnOptions {
  std::vector<std::string> argv;  // argv[0]: an absolute path, exec'd as is (no PATH search)
  std::vector<std::string> env;   // "KEY=value": exactly the workload's environment
  std::string cwd;                // default: the workspace, else "/"
  int isolation_level = 1;        // 0, 1 or 2
  uid_t uid = kNobodyUid;         // the workload's user at levels 1 and 2
  gid_t gid = kNobodyGid;
  std::string workspace;                     // stays writable at every level
  std::string hidden_path;                   // levels 1, 2: shows as an empty directory
  std::vector<std::string> writable_paths;   // level 2: data volumes that stay writable
  std::vector<BindPath> binds;               // levels 1, 2: e.g. an environment, resolv.conf
  std::string hostname;                      // levels 1, 2: UTS name; empty keeps the host's
  // Levels 1, 2: a folder holding PrivateFolderName(f) for each of
  // kPrivateFolders, shown at f (made by the caller on the workspace's
  // filesystem, so that they count against its size). Empty: a fresh tmpfs
  // of tmp_size_bytes at each.
  std::string private_dirs;
  std::int64_t tmp_size_bytes = 64ll << 20;
  // Level 1: the whole host read-only but the workspace, the private folders
  // and writable binds (level 2 always is). For a user that owns nothing on
  // the host this takes nothing away but every world-writable folder and
  // file, found or not.
  bool read_only_host = false;
  // Levels 1, 2: a mount point holding other workloads' mounts (the
  // daemon's workspaces): removed with all below it from the workload's
  // namespace once its own paths are captured, so that /proc/self/mountinfo
  // names no other workload. Empty: none.
  std::string detach_path;
  int stdin_fd = -1;                         // -1: /dev/null. Not taken over: the caller
  int stdout_fd = -1;                        // closes its copies after Spawn returns.
  int stderr_fd = -1;
  Cgroup* cgroup = nullptr;  // joined before exec; not owned, must outlive the Child
  bool die_with_parent = true;
};

// What this process can isolate: 2 as root, else 0, with the reason.
struct IsolationSupport {
  int max_level = 0;
  std::string reason;  // empty at full support
};
IsolationSupport ProbeIsolation();

// A started workload. Move-only; the destructor kills whatever is left of it
// (the process group, or the whole PID namespace, and the cgroup) and reaps.
// No one else may reap its pid: no waitpid(-1) elsewhere in the process, and
// SIGCHLD must not be ignored (SIG_IGN makes the kernel reap on its own).
class Child {
 public:
  Child(Child&& other) noexcept;
  Child& operator=(Child&& other) noexcept;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child();

  // The host pid: the workload itself at level 0, its reaper (PID 1 of its
  // namespace) at levels 1 and 2.
  pid_t pid() const { return pid_; }
  // Readable once the child has exited: for an event loop. Owned by Child.
  int pidfd() const { return pidfd_.Get(); }
  int level() const { return level_; }
  // Why the level is lower than asked; empty when it is not.
  const std::string& degraded_reason() const { return degraded_reason_; }

  // Sends `sig` to every process of the workload: its process group at
  // level 0, every process of its PID namespace at levels 1 and 2. A no-op
  // once it has been reaped.
  Status Signal(int sig);
  // SIGKILL to everything: the group or namespace, and the cgroup.
  void Kill();
  // Reaps without blocking: nullopt while it runs.
  Result<std::optional<ExitStatus>> TryWait();
  // Lets go without killing or reaping: the workload runs on, and the
  // reaper's memory stays mapped (it runs on it). For a daemon restart that
  // leaves workloads running (Backend::Detach).
  void Detach();
  Result<ExitStatus> Wait();

 private:
  friend Result<Child> Spawn(const SpawnOptions& options);
  Child() = default;
  ExitStatus Finish(int child_code, int child_status);
  void Release();

  pid_t pid_ = -1;
  UniqueFd pidfd_;
  int level_ = 0;
  std::string degraded_reason_;
  Cgroup* cgroup_ = nullptr;
  void* mapping_ = nullptr;  // the reaper's stacks and status block (levels 1, 2)
  std::size_t mapping_size_ = 0;
  std::optional<ExitStatus> status_;
};

// Starts the workload. Fails (and leaves nothing running) when the options
// are invalid, a setup step fails (the error names the step and the errno),
// or exec fails (ENOENT: the interpreter is missing).
Result<Child> Spawn(const SpawnOptions& options);

}  // namespace prisn::executor
