#pragma once
// Internal to spawn: what the clone children read (the plan, prepared and
// owned by the parent) and write (the status block, in memory the Child
// owns). The children run in the daemon's address space: they read the plan,
// write the status block and their own stacks, and nothing else.

#include <sys/types.h>

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace prisn::executor::internal {

enum class MountKind : std::uint8_t {
  kMakePrivate,   // "/" recursively private: nothing propagates back to the host
  kOpenTree,      // capture `path` (recursive clone) into tree slot `slot`
  kReadOnlyRoot,  // every mount under "/" read-only (level 2)
  kMount,         // mount(source, path, fstype, flags, data)
  kMkdir,         // mkdir(path, 0711): a mount point inside the hiding tmpfs
  kTouch,         // create an empty file: a mount point for a file bind
  kAttachTree,    // attach tree `slot` at `path`; read-only unless `writable`
  kSetReadOnly,   // the mount at `path` (not below it) read-only
  kDetach,        // umount2(path, MNT_DETACH): the mount and everything below it
};

struct MountOp {
  MountKind kind;
  bool writable = false;
  int slot = -1;
  const char* path = nullptr;
  const char* source = nullptr;
  const char* fstype = nullptr;
  unsigned long flags = 0;
  const char* data = nullptr;
  const char* what = nullptr;  // the step name reported on failure
};

inline constexpr int kMaxTrees = 32;

// The children's memory: [guard][workload stack][guard][reaper stack][status].
inline constexpr std::size_t kPage = 4096;
inline constexpr std::size_t kStack = 64 * 1024;
inline constexpr std::size_t kSharedOffset = 2 * kPage + 2 * kStack;
inline constexpr std::size_t kMappingSize = kSharedOffset + kPage;

struct Plan {
  int level = 0;
  const char* path = nullptr;  // what is exec'd
  char* const* argv = nullptr;
  char* const* envp = nullptr;
  const char* cwd = nullptr;
  int stdio[3] = {-1, -1, -1};  // all >= 3, so that dup3 onto 0..2 never collides
  const int* cgroup_fds = nullptr;
  int cgroup_fd_count = 0;
  bool die_with_parent = true;
  bool set_user = false;
  uid_t uid = 0;
  gid_t gid = 0;
  const MountOp* mounts = nullptr;
  int mount_count = 0;
  const char* hostname = nullptr;
  int status_pipe = -1;                // level 1, 2: the reaper closes it when the start is decided
  void* workload_stack_top = nullptr;  // level 1, 2: stack of the workload's clone
  struct Shared* shared = nullptr;
};

// Written by the children; read by the parent after the start (pipe EOF or
// vfork return) and after the reaper's exit (waitid).
struct Shared {
  std::atomic<const char*> failed_step{nullptr};  // a string literal
  std::atomic<int> failed_errno{0};
  std::atomic<int> workload_pid{0};  // inside the namespace
  std::atomic<int> workload_status{0};
  std::atomic<bool> workload_reaped{false};
};

inline Shared* SharedIn(void* mapping) {
  return reinterpret_cast<Shared*>(static_cast<char*>(mapping) + kSharedOffset);
}

// Entry points for clone(): the level-0 child, and the reaper.
int DirectChildMain(void* plan);
int ReaperMain(void* plan);

}  // namespace prisn::executor::internal
