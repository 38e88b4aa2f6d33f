#include "manifests/git_tree.h"

#include <fmt/core.h>
#include <git2.h>

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace prisn::manifests {

namespace git {

void Free::operator()(git_repository* p) const { git_repository_free(p); }
void Free::operator()(git_tree* p) const { git_tree_free(p); }
void Free::operator()(git_object* p) const { git_object_free(p); }
void Free::operator()(git_blob* p) const { git_blob_free(p); }

void EnsureInit() {
  // A function-local static runs its initialiser exactly once, even when
  // threads race here; libgit2's init costs milliseconds, so not per call.
  static const int initialised = git_libgit2_init();
  (void)initialised;
}

}  // namespace git

namespace {

// Linux stops at 40 symlinks in one lookup (ELOOP); so does a tree.
constexpr int kMaxSymlinkHops = 40;

std::string LastGitError() {
  const git_error* e = git_error_last();
  return e != nullptr && e->message != nullptr ? std::string(e->message) : "unknown libgit2 error";
}

std::vector<std::string> Split(std::string_view path) {
  std::vector<std::string> parts;
  size_t pos = 0;
  while (pos < path.size()) {
    size_t slash = path.find('/', pos);
    if (slash == std::string_view::npos) slash = path.size();
    if (slash > pos) parts.emplace_back(path.substr(pos, slash - pos));
    pos = slash + 1;
  }
  return parts;
}

std::string Join(const std::string& dir, std::string_view name) {
  return dir.empty() ? std::string(name) : dir + "/" + std::string(name);
}

bool IsFile(git_filemode_t mode) {
  return mode == GIT_FILEMODE_BLOB || mode == GIT_FILEMODE_BLOB_EXECUTABLE;
}

}  // namespace

struct GitTree::Entry {
  git_filemode_t mode;  // tree, blob, executable blob, link or commit (submodule)
  git_oid oid;
  std::string path;  // where it really is, after symlinks ("" = the root)
};

GitTree::GitTree(git::Repository repo, git::Tree root, std::string commit_id)
    : repo_(std::move(repo)), root_(std::move(root)), commit_id_(std::move(commit_id)) {}

Result<GitTree> GitTree::Open(const std::string& repo_path, const std::string& rev) {
  git::EnsureInit();
  git_repository* raw_repo = nullptr;
  int rc =
      git_repository_open_ext(&raw_repo, repo_path.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr);
  git::Repository repo(raw_repo);
  if (rc == GIT_ENOTFOUND) {
    return Fail(ErrorCode::kNotFound, "not a git repository", repo_path);
  }
  if (rc < 0) {
    return Fail(ErrorCode::kIo, fmt::format("cannot open the git repository: {}", LastGitError()),
                repo_path);
  }

  git_object* raw_object = nullptr;
  rc = git_revparse_single(&raw_object, repo.get(), rev.c_str());
  git::Object object(raw_object);
  switch (rc) {
    case 0:
      break;
    case GIT_ENOTFOUND:
      return Fail(ErrorCode::kNotFound,
                  fmt::format("revision \"{}\" not found (no such branch, tag or commit)", rev),
                  repo_path);
    case GIT_EAMBIGUOUS:
      return Fail(ErrorCode::kInvalid,
                  fmt::format("revision \"{}\" is ambiguous: give more digits of the SHA", rev),
                  repo_path);
    case GIT_EINVALIDSPEC:
      return Fail(ErrorCode::kInvalid,
                  fmt::format("invalid revision \"{}\": {}", rev, LastGitError()), repo_path);
    default:
      return Fail(ErrorCode::kIo,
                  fmt::format("cannot resolve revision \"{}\": {}", rev, LastGitError()),
                  repo_path);
  }

  git_object* raw_commit = nullptr;
  rc = git_object_peel(&raw_commit, object.get(), GIT_OBJECT_COMMIT);
  git::Object commit(raw_commit);
  if (rc < 0) {
    return Fail(ErrorCode::kInvalid,
                fmt::format("revision \"{}\" names a {}, not a commit", rev,
                            git_object_type2string(git_object_type(object.get()))),
                repo_path);
  }
  git_object* raw_tree = nullptr;
  rc = git_object_peel(&raw_tree, commit.get(), GIT_OBJECT_TREE);
  // A git_tree is a git_object underneath; libgit2 hands trees out this way.
  git::Tree tree(reinterpret_cast<git_tree*>(raw_tree));
  if (rc < 0) {
    return Fail(ErrorCode::kIo,
                fmt::format("cannot read the tree of \"{}\": {}", rev, LastGitError()), repo_path);
  }
  char hex[GIT_OID_HEXSZ + 1];
  git_oid_tostr(hex, sizeof hex, git_object_id(commit.get()));
  return GitTree(std::move(repo), std::move(tree), std::string(hex));
}

Result<std::string> GitTree::ReadBlob(const Entry& entry, std::string_view path) const {
  git_blob* raw = nullptr;
  if (git_blob_lookup(&raw, repo_.get(), &entry.oid) < 0) {
    return Fail(ErrorCode::kIo, fmt::format("cannot read the file: {}", LastGitError()),
                std::string(path));
  }
  git::Blob blob(raw);
  const auto size = static_cast<size_t>(git_blob_rawsize(blob.get()));
  if (size > kMaxTreeFileBytes) {
    return Fail(
        ErrorCode::kInvalid,
        fmt::format("the file is too large ({} bytes; the limit is {})", size, kMaxTreeFileBytes),
        std::string(path));
  }
  return std::string(static_cast<const char*>(git_blob_rawcontent(blob.get())), size);
}

Result<GitTree::Entry> GitTree::Resolve(std::string_view path, bool follow_last) const {
  auto norm = NormalizeTreePath(path);
  if (!norm) {
    return Fail(ErrorCode::kPermission, "the path leaves the manifest root", std::string(path));
  }
  std::string pending = *norm;
  // Each round walks from the root; meeting a symlink rewrites the path and
  // starts a new round, as the kernel's path lookup does.
  for (int hops = 0; hops <= kMaxSymlinkHops; ++hops) {
    const std::vector<std::string> parts = Split(pending);
    if (parts.empty()) return Entry{GIT_FILEMODE_TREE, *git_tree_id(root_.get()), ""};
    const git_tree* current = root_.get();
    git::Tree held;  // owns `current` below the root
    std::string resolved;
    bool rewritten = false;
    for (size_t i = 0; i < parts.size() && !rewritten; ++i) {
      const git_tree_entry* te = git_tree_entry_byname(current, parts[i].c_str());
      if (te == nullptr) {
        return Fail(ErrorCode::kNotFound,
                    fmt::format("no such file or directory in commit {}", commit_id_.substr(0, 12)),
                    std::string(path));
      }
      const git_filemode_t mode = git_tree_entry_filemode(te);
      const git_oid oid = *git_tree_entry_id(te);
      const bool last = i + 1 == parts.size();
      const std::string here = Join(resolved, parts[i]);
      if (mode == GIT_FILEMODE_LINK && (!last || follow_last)) {
        auto target = ReadBlob(Entry{mode, oid, here}, here);
        if (!target) return std::unexpected(target.error());
        std::optional<std::string> joined;
        if (!target->empty() && target->front() != '/') joined = JoinTreePath(resolved, *target);
        if (!joined) {
          return Fail(ErrorCode::kPermission,
                      fmt::format("a symlink points outside the tree (to {})", *target), here);
        }
        std::string rest;
        for (size_t j = i + 1; j < parts.size(); ++j) rest = Join(rest, parts[j]);
        pending = rest.empty() ? *joined : Join(*joined, rest);
        rewritten = true;
        continue;
      }
      if (last) return Entry{mode, oid, here};
      if (mode != GIT_FILEMODE_TREE) {
        return Fail(ErrorCode::kNotFound, fmt::format("{} is not a directory", here),
                    std::string(path));
      }
      git_tree* sub = nullptr;
      if (git_tree_lookup(&sub, repo_.get(), &oid) < 0) {
        return Fail(ErrorCode::kIo, fmt::format("cannot read a tree: {}", LastGitError()), here);
      }
      held.reset(sub);  // `te` pointed into the previous tree; it is no longer used
      current = held.get();
      resolved = here;
    }
  }
  return Fail(ErrorCode::kInvalid, "too many levels of symbolic links", std::string(path));
}

Result<std::vector<std::string>> GitTree::ListFiles(std::string_view dir) const {
  auto start = Resolve(dir, true);
  if (!start) return std::unexpected(start.error());
  if (start->mode != GIT_FILEMODE_TREE) {
    return Fail(ErrorCode::kInvalid, "not a directory", std::string(dir));
  }
  struct Frame {
    git_oid tree;
    std::string listed;                 // the path the listing shows
    std::vector<std::string> resolved;  // real paths of the directories down to here
  };
  std::vector<Frame> stack{{start->oid, NormalizeTreePath(dir).value_or(""), {start->path}}};
  std::vector<std::string> out;
  while (!stack.empty()) {
    Frame frame = std::move(stack.back());
    stack.pop_back();
    git_tree* raw = nullptr;
    if (git_tree_lookup(&raw, repo_.get(), &frame.tree) < 0) {
      return Fail(ErrorCode::kIo, fmt::format("cannot read a tree: {}", LastGitError()),
                  frame.listed);
    }
    git::Tree tree(raw);
    const size_t count = git_tree_entrycount(tree.get());
    for (size_t i = 0; i < count; ++i) {
      const git_tree_entry* te = git_tree_entry_byindex(tree.get(), i);
      const std::string listed = Join(frame.listed, git_tree_entry_name(te));
      const git_filemode_t mode = git_tree_entry_filemode(te);
      if (IsFile(mode)) {
        out.push_back(listed);
      } else if (mode == GIT_FILEMODE_TREE) {
        Frame next{*git_tree_entry_id(te), listed, frame.resolved};
        next.resolved.push_back(Join(frame.resolved.back(), git_tree_entry_name(te)));
        stack.push_back(std::move(next));
      } else if (mode == GIT_FILEMODE_LINK) {
        auto target = Resolve(listed, true);
        if (!target) {
          out.push_back(listed);  // ReadFile explains what is wrong with it
        } else if (IsFile(target->mode)) {
          out.push_back(listed);
        } else if (target->mode == GIT_FILEMODE_TREE &&
                   std::find(frame.resolved.begin(), frame.resolved.end(), target->path) ==
                       frame.resolved.end()) {
          // Followed unless it leads back into a directory being listed.
          Frame next{target->oid, listed, frame.resolved};
          next.resolved.push_back(target->path);
          stack.push_back(std::move(next));
        }
      }
      // Submodules (GIT_FILEMODE_COMMIT) hold no files of this repository.
    }
    if (out.size() > 1000000) return Fail(ErrorCode::kInvalid, "too many files", std::string(dir));
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<std::string> GitTree::ReadFile(std::string_view path) const {
  auto entry = Resolve(path, true);
  if (!entry) return std::unexpected(entry.error());
  if (entry->mode == GIT_FILEMODE_TREE) {
    return Fail(ErrorCode::kInvalid, "is a directory", std::string(path));
  }
  if (!IsFile(entry->mode)) {
    return Fail(ErrorCode::kInvalid, "is a git submodule; prisn reads only this repository's files",
                std::string(path));
  }
  return ReadBlob(*entry, path);
}

bool GitTree::IsDirectory(std::string_view path) const {
  auto entry = Resolve(path, true);
  return entry && entry->mode == GIT_FILEMODE_TREE;
}

bool GitTree::Exists(std::string_view path) const { return Resolve(path, false).has_value(); }

}  // namespace prisn::manifests
