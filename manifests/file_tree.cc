#include "manifests/file_tree.h"

#include <fmt/core.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <system_error>

#include "util/files.h"

namespace prisn::manifests {
namespace fs = std::filesystem;

std::optional<std::string> NormalizeTreePath(std::string_view path) {
  if (path.starts_with('/')) return std::nullopt;
  std::vector<std::string_view> parts;
  std::size_t pos = 0;
  while (pos <= path.size()) {
    std::size_t slash = path.find('/', pos);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view part = path.substr(pos, slash - pos);
    if (part == "..") {
      if (parts.empty()) return std::nullopt;
      parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    pos = slash + 1;
  }
  std::string out;
  for (auto p : parts) {
    if (!out.empty()) out += '/';
    out += p;
  }
  return out;
}

std::optional<std::string> JoinTreePath(std::string_view dir, std::string_view rel) {
  if (rel.starts_with('/')) return std::nullopt;
  if (dir.empty() || dir == ".") return NormalizeTreePath(rel);
  return NormalizeTreePath(std::string(dir) + "/" + std::string(rel));
}

std::string ParentDir(std::string_view path) {
  auto slash = path.rfind('/');
  return slash == std::string_view::npos ? std::string() : std::string(path.substr(0, slash));
}

// ---- DiskTree -------------------------------------------------------------

namespace {

bool Inside(const std::string& real, const std::string& root) {
  if (root == "/") return true;
  return real == root || (real.size() > root.size() && real.starts_with(root) && real[root.size()] == '/');
}

std::string RealPath(const std::string& p) {
  char buf[PATH_MAX];
  if (::realpath(p.c_str(), buf) == nullptr) return {};
  return buf;
}

}  // namespace

DiskTree::DiskTree(std::string root) : root_(std::move(root)) {
  if (root_.empty()) root_ = ".";
  real_root_ = RealPath(root_);
}

Result<std::string> DiskTree::Resolve(std::string_view path) const {
  auto norm = NormalizeTreePath(path);
  if (!norm) {
    return Fail(ErrorCode::kPermission, "the path leaves the manifest root", std::string(path));
  }
  if (real_root_.empty()) {
    return Fail(ErrorCode::kNotFound, "the manifest root does not exist", root_);
  }
  std::string full = norm->empty() ? real_root_ : real_root_ + "/" + *norm;
  std::string real = RealPath(full);
  if (real.empty()) {
    int err = errno;
    struct stat st;
    if (::lstat(full.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
      return Fail(ErrorCode::kNotFound, "a symlink points to a file that does not exist", *norm);
    }
    return std::unexpected(ErrnoError(*norm, err));
  }
  if (!Inside(real, real_root_)) {
    return Fail(ErrorCode::kPermission,
                fmt::format("is a symlink to {}, outside the manifest root", real), *norm);
  }
  return real;
}

Result<std::vector<std::string>> DiskTree::ListFiles(std::string_view dir) const {
  auto base = Resolve(dir);
  if (!base) return std::unexpected(base.error());
  std::error_code ec;
  if (!fs::is_directory(*base, ec)) {
    return Fail(ErrorCode::kInvalid, "not a directory", std::string(dir));
  }
  std::string prefix = NormalizeTreePath(dir).value_or("");
  std::vector<std::string> out;
  std::set<std::string> visited{*base};
  // Depth-first over real directories; symlinked directories inside the root
  // are followed once (the visited set stops loops).
  std::vector<std::pair<std::string, std::string>> stack{{*base, prefix}};
  while (!stack.empty()) {
    auto [real_dir, rel_dir] = stack.back();
    stack.pop_back();
    fs::directory_iterator it(real_dir, ec), end;
    if (ec) return std::unexpected(ErrnoError(rel_dir.empty() ? "." : rel_dir, ec.value()));
    for (; it != end; it.increment(ec)) {
      if (ec) return std::unexpected(ErrnoError(rel_dir, ec.value()));
      std::string name = it->path().filename().string();
      std::string rel = rel_dir.empty() ? name : rel_dir + "/" + name;
      std::error_code e2;
      if (it->is_symlink(e2)) {
        std::string real = RealPath(it->path().string());
        if (real.empty() || !Inside(real, real_root_)) {
          out.push_back(rel);  // ReadFile explains the problem
          continue;
        }
        if (fs::is_directory(real, e2)) {
          if (visited.insert(real).second) stack.emplace_back(real, rel);
          continue;
        }
        if (fs::is_regular_file(real, e2)) out.push_back(rel);
        continue;
      }
      if (it->is_directory(e2)) {
        if (visited.insert(it->path().string()).second) stack.emplace_back(it->path().string(), rel);
      } else if (it->is_regular_file(e2)) {
        out.push_back(rel);
      }
    }
    if (out.size() > 1000000) return Fail(ErrorCode::kInvalid, "too many files", std::string(dir));
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<std::string> DiskTree::ReadFile(std::string_view path) const {
  auto real = Resolve(path);
  if (!real) return std::unexpected(real.error());
  std::error_code ec;
  if (fs::is_directory(*real, ec)) return Fail(ErrorCode::kInvalid, "is a directory", std::string(path));
  auto size = fs::file_size(*real, ec);
  if (!ec && size > kMaxTreeFileBytes) {
    return Fail(ErrorCode::kInvalid,
                fmt::format("the file is too large ({} bytes; the limit is {})", size, kMaxTreeFileBytes),
                std::string(path));
  }
  auto data = prisn::ReadFile(*real);
  if (!data) return std::unexpected(Error{data.error().code, data.error().message, std::string(path)});
  return data;
}

bool DiskTree::IsDirectory(std::string_view path) const {
  auto real = Resolve(path);
  std::error_code ec;
  return real && fs::is_directory(*real, ec);
}

bool DiskTree::Exists(std::string_view path) const {
  auto norm = NormalizeTreePath(path);
  if (!norm || real_root_.empty()) return false;
  std::string full = norm->empty() ? real_root_ : real_root_ + "/" + *norm;
  struct stat st;
  return ::lstat(full.c_str(), &st) == 0;
}

// ---- MemoryTree -----------------------------------------------------------

MemoryTree::MemoryTree(std::map<std::string, std::string> files) {
  for (auto& [path, data] : files) {
    auto norm = NormalizeTreePath(path);
    if (norm && !norm->empty()) files_.emplace(*norm, std::move(data));
  }
}

Result<std::vector<std::string>> MemoryTree::ListFiles(std::string_view dir) const {
  auto norm = NormalizeTreePath(dir);
  if (!norm) return Fail(ErrorCode::kPermission, "the path leaves the manifest root", std::string(dir));
  if (files_.count(*norm)) return Fail(ErrorCode::kInvalid, "not a directory", std::string(dir));
  std::string prefix = norm->empty() ? std::string() : *norm + "/";
  std::vector<std::string> out;
  for (auto it = files_.lower_bound(prefix); it != files_.end() && it->first.starts_with(prefix); ++it) {
    out.push_back(it->first);
  }
  if (out.empty() && !norm->empty()) return Fail(ErrorCode::kNotFound, "no such directory", std::string(dir));
  return out;
}

Result<std::string> MemoryTree::ReadFile(std::string_view path) const {
  auto norm = NormalizeTreePath(path);
  if (!norm) return Fail(ErrorCode::kPermission, "the path leaves the manifest root", std::string(path));
  auto it = files_.find(*norm);
  if (it == files_.end()) {
    if (IsDirectory(*norm)) return Fail(ErrorCode::kInvalid, "is a directory", std::string(path));
    return Fail(ErrorCode::kNotFound, "no such file", std::string(path));
  }
  if (it->second.size() > kMaxTreeFileBytes) {
    return Fail(ErrorCode::kInvalid, "the file is too large", std::string(path));
  }
  return it->second;
}

bool MemoryTree::IsDirectory(std::string_view path) const {
  auto norm = NormalizeTreePath(path);
  if (!norm) return false;
  if (norm->empty()) return true;
  std::string prefix = *norm + "/";
  auto it = files_.lower_bound(prefix);
  return it != files_.end() && it->first.starts_with(prefix);
}

bool MemoryTree::Exists(std::string_view path) const {
  auto norm = NormalizeTreePath(path);
  if (!norm) return false;
  return files_.count(*norm) > 0 || IsDirectory(*norm);
}

}  // namespace prisn::manifests
