#pragma once
// A FileTree read straight from a commit in a git repository's object
// database: no checkout, no work tree needed (bare repositories work), so a
// sync or `prisn diff --against REV` sees exactly what the commit holds.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "manifests/file_tree.h"
#include "util/error.h"

struct git_repository;
struct git_tree;
struct git_object;
struct git_blob;

namespace prisn::manifests {

namespace git {

// Frees each libgit2 handle with its own free function.
struct Free {
  void operator()(git_repository* p) const;
  void operator()(git_tree* p) const;
  void operator()(git_object* p) const;
  void operator()(git_blob* p) const;
};

// Move-only owners of libgit2 handles.
using Repository = std::unique_ptr<git_repository, Free>;
using Tree = std::unique_ptr<git_tree, Free>;
using Object = std::unique_ptr<git_object, Free>;
using Blob = std::unique_ptr<git_blob, Free>;

// Initialises libgit2 on first use; later calls cost nothing. libgit2 is
// never shut down: its global state lives as long as the process.
void EnsureInit();

}  // namespace git

// The tree of one commit. Symlinks are followed when their target stays in
// the tree (as DiskTree does); a symlink leaving the tree is listed, and
// reading through it fails with kPermission. Submodules are not listed and
// cannot be read (kInvalid). Files are regular and executable blobs.
//
// One GitTree must not be used from several threads at once (libgit2
// repository handles are not safe for concurrent use); open one per thread.
class GitTree final : public FileTree {
 public:
  // Opens the repository at `repo_path` (its work tree root, its .git
  // directory, or a bare repository; parent directories are not searched)
  // and resolves `rev` with git's revision syntax: a branch ("main",
  // "origin/main"), a tag, a full or short SHA, "HEAD~1", ...
  // kNotFound: no repository there, or no such revision. kInvalid: a
  // malformed or ambiguous revision, or one that names no commit (a blob).
  // kIo: the repository cannot be read.
  static Result<GitTree> Open(const std::string& repo_path, const std::string& rev);

  // The resolved commit, 40 hex digits.
  std::string CommitId() const { return commit_id_; }

  Result<std::vector<std::string>> ListFiles(std::string_view dir) const override;
  Result<std::string> ReadFile(std::string_view path) const override;
  bool IsDirectory(std::string_view path) const override;
  bool Exists(std::string_view path) const override;

 private:
  struct Entry;  // a resolved tree entry (defined in git_tree.cc)

  GitTree(git::Repository repo, git::Tree root, std::string commit_id);

  // Walks `path` from the root, following symlinks in directory components
  // and, when `follow_last`, in the last one.
  Result<Entry> Resolve(std::string_view path, bool follow_last) const;
  Result<std::string> ReadBlob(const Entry& entry, std::string_view path) const;

  git::Repository repo_;  // declared first: outlives the tree below
  git::Tree root_;
  std::string commit_id_;
};

}  // namespace prisn::manifests
