#pragma once
// A run's workspace: the directory its script runs in and may write to.
//
// As root with a size, the workspace is a tmpfs of that size mounted at
// `path` (the kernel enforces it: a write beyond it fails with ENOSPC; cheap
// to create, nothing to format). Its content lives in memory and is charged to
// the memory cgroup of the process that writes it, so it also counts toward
// the workload's memory limit; it is gone when the workspace is removed.
// Without root (or with size 0) it is a plain directory and the size is not
// enforced: size_limited() says which.
//
// Layout, under the root `options.path` (root's, mode 0711):
//   home/            path(): the workload's folder (HOME, cwd), its user's
//   private/tmp/     private_dirs(): one folder per spawn.h kPrivateFolders
//   private/var-tmp/ (mode 1777), shown at /tmp, /var/tmp, ... at levels 1
//   ...              and 2, so that what a workload writes there counts
//                    against the same size and is removed with the rest.

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "util/error.h"

namespace prisn::executor {

struct WorkspaceOptions {
  std::string path;             // the root: created with its parents; must not exist yet
  std::int64_t size_bytes = 0;  // 0: no limit
  uid_t uid = 0;                // owner of the workspace root and of what CopyIn adds
  gid_t gid = 0;
};

// Move-only; the destructor unmounts the tmpfs and removes the directory
// with everything in it.
class Workspace {
 public:
  // Fails when `path` exists (kConflict), is relative, or cannot be created
  // or mounted.
  static Result<Workspace> Create(const WorkspaceOptions& options);

  Workspace(Workspace&& other) noexcept;
  Workspace& operator=(Workspace&& other) noexcept;
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;
  ~Workspace();

  // The workload's folder, root() + "/home".
  const std::string& path() const { return home_; }
  const std::string& root() const { return path_; }
  // The folder SpawnOptions::private_dirs names.
  std::string private_dirs() const { return path_ + "/private"; }
  bool size_limited() const { return mounted_; }
  // Forgets the workspace without unmounting or removing it: a detached
  // workload still runs in it (Backend::Detach).
  void Keep() { path_.clear(); }

  // Copies a file or a directory tree to `relative` inside the workspace (""
  // for the root), owned by the workspace's user. Fails with ENOSPC-style kIo
  // when it does not fit.
  Status CopyIn(const std::string& source, const std::string& relative = "") const;
  // Writes one file inside the workspace, owned by the workspace's user.
  Status WriteFile(const std::string& relative, std::string_view content, int mode = 0644) const;

 private:
  Workspace() = default;
  void Remove();

  std::string path_;  // the root
  std::string home_;
  bool mounted_ = false;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
};

}  // namespace prisn::executor
