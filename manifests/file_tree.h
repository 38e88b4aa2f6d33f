#pragma once
// Read-only views of a tree of files that manifests and their sources come
// from: a directory on disk, files held in memory (sent over the API), or a
// git tree at a commit (manifests/git_tree.h). All paths are '/'-separated and
// relative to the tree root ("" or "." is the root itself); a path that
// leaves the root ("..", absolute, or a symlink resolving outside) is refused.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"

namespace prisn::manifests {

// Largest file a tree hands out; bigger files fail with kInvalid.
inline constexpr std::size_t kMaxTreeFileBytes = 64u << 20;

class FileTree {
 public:
  virtual ~FileTree() = default;

  // Every regular file under `dir`, recursively, sorted, as paths relative to
  // the tree ROOT (so they can be passed to ReadFile). A symlink whose target
  // leaves the root is listed (ReadFile on it fails), never followed.
  // Fails with kNotFound when `dir` does not exist, kInvalid when it is not a
  // directory, kPermission when it leaves the root.
  virtual Result<std::vector<std::string>> ListFiles(std::string_view dir) const = 0;
  // Whole content. kNotFound, kInvalid (a directory, too large),
  // kPermission (leaves the root), kIo.
  virtual Result<std::string> ReadFile(std::string_view path) const = 0;
  virtual bool IsDirectory(std::string_view path) const = 0;
  virtual bool Exists(std::string_view path) const = 0;
};

// A directory on disk. The root itself may be reached through symlinks;
// everything under it must resolve inside its real path.
class DiskTree final : public FileTree {
 public:
  explicit DiskTree(std::string root);
  Result<std::vector<std::string>> ListFiles(std::string_view dir) const override;
  Result<std::string> ReadFile(std::string_view path) const override;
  bool IsDirectory(std::string_view path) const override;
  bool Exists(std::string_view path) const override;
  const std::string& root() const { return root_; }

 private:
  // The absolute real path of `path` if it exists and stays inside the root.
  Result<std::string> Resolve(std::string_view path) const;
  std::string root_;
  std::string real_root_;
};

// Files held in memory: path -> content. Directories are implied by paths.
class MemoryTree final : public FileTree {
 public:
  explicit MemoryTree(std::map<std::string, std::string> files);
  Result<std::vector<std::string>> ListFiles(std::string_view dir) const override;
  Result<std::string> ReadFile(std::string_view path) const override;
  bool IsDirectory(std::string_view path) const override;
  bool Exists(std::string_view path) const override;

 private:
  std::map<std::string, std::string> files_;
};

// Lexically normalises `path` ("a/./b/../c/" -> "a/c", "." -> "") relative to
// the tree root. nullopt when it is absolute or climbs above the root.
std::optional<std::string> NormalizeTreePath(std::string_view path);
// Joins a directory and a relative path and normalises the result; nullopt
// when the result climbs above the root or `rel` is absolute.
std::optional<std::string> JoinTreePath(std::string_view dir, std::string_view rel);
// "a/b/c.yaml" -> "a/b"; "c.yaml" -> "".
std::string ParentDir(std::string_view path);

}  // namespace prisn::manifests
