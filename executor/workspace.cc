#include "executor/workspace.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "executor/spawn.h"
#include "util/unique_fd.h"

namespace prisn::executor {
namespace fs = std::filesystem;

namespace {

// Rejects "..": what CopyIn and WriteFile write must stay inside.
Result<std::string> Inside(const std::string& root, const std::string& relative) {
  fs::path rel = fs::path(relative).lexically_normal();
  if (rel.is_absolute() || (!rel.empty() && *rel.begin() == "..")) {
    return Fail(ErrorCode::kInvalid, "a path inside the workspace must be relative and stay inside",
                relative);
  }
  std::string out = (fs::path(root) / rel).lexically_normal().string();
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

Status Chown(const std::string& path, uid_t uid, gid_t gid) {
  if (::lchown(path.c_str(), uid, gid) != 0)
    return std::unexpected(ErrnoError("chown " + path, errno));
  return {};
}

}  // namespace

Result<Workspace> Workspace::Create(const WorkspaceOptions& o) {
  if (o.path.empty() || o.path.front() != '/') {
    return Fail(ErrorCode::kInvalid, "the workspace path must be absolute", o.path);
  }
  std::error_code ec;
  fs::create_directories(fs::path(o.path).parent_path(), ec);
  if (ec) return Fail(ErrorCode::kIo, "create workspace parent: " + ec.message(), o.path);
  if (::mkdir(o.path.c_str(), 0711) != 0) {
    return std::unexpected(ErrnoError("create workspace " + o.path, errno));
  }
  Workspace ws;
  ws.path_ = fs::path(o.path).lexically_normal().string();
  while (ws.path_.size() > 1 && ws.path_.back() == '/') ws.path_.pop_back();
  ws.home_ = ws.path_ + "/home";
  ws.uid_ = o.uid;
  ws.gid_ = o.gid;
  bool root = ::geteuid() == 0;
  if (o.size_bytes > 0 && root) {
    std::string data = fmt::format("size={},mode=0711", o.size_bytes);
    if (::mount("tmpfs", ws.path_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, data.c_str()) != 0) {
      return std::unexpected(ErrnoError("mount the workspace tmpfs on " + ws.path_, errno));
    }
    ws.mounted_ = true;
  }
  // Explicit modes: the daemon's umask (077) would keep the workload out.
  auto make = [](const std::string& dir, mode_t mode) -> Status {
    if (::mkdir(dir.c_str(), mode) != 0 || ::chmod(dir.c_str(), mode) != 0)
      return std::unexpected(ErrnoError("create " + dir, errno));
    return {};
  };
  if (auto st = make(ws.path_ + "/private", 0711); !st) return std::unexpected(st.error());
  for (const char* folder : kPrivateFolders) {
    // Sticky and world-writable like the host's: the workload's user and
    // anything it runs as (setuid helpers aside) may create files there.
    if (auto st = make(ws.private_dirs() + "/" + PrivateFolderName(folder), 01777); !st)
      return std::unexpected(st.error());
  }
  if (auto st = make(ws.home_, 0755); !st) return std::unexpected(st.error());
  if (root) {
    if (auto st = Chown(ws.home_, o.uid, o.gid); !st) return std::unexpected(st.error());
  }
  return ws;
}

Workspace::Workspace(Workspace&& o) noexcept
    : path_(std::move(o.path_)),
      home_(std::move(o.home_)),
      mounted_(o.mounted_),
      uid_(o.uid_),
      gid_(o.gid_) {
  o.path_.clear();
}

Workspace& Workspace::operator=(Workspace&& o) noexcept {
  if (this != &o) {
    Remove();
    path_ = std::move(o.path_);
    home_ = std::move(o.home_);
    mounted_ = o.mounted_;
    uid_ = o.uid_;
    gid_ = o.gid_;
    o.path_.clear();
  }
  return *this;
}

Workspace::~Workspace() { Remove(); }

void Workspace::Remove() {
  if (path_.empty()) return;
  // Unmount first, so that removal sees an empty mount point and never
  // walks into a mount. MNT_DETACH: a workload's namespace may still hold it.
  if (mounted_ && ::umount2(path_.c_str(), MNT_DETACH) != 0) {
    spdlog::warn("unmount workspace {}: {}", path_, std::strerror(errno));
    path_.clear();  // never remove_all through a mount we failed to take away
    return;
  }
  std::error_code ec;
  fs::remove_all(path_, ec);
  if (ec) spdlog::warn("remove workspace {}: {}", path_, ec.message());
  path_.clear();
}

Status Workspace::CopyIn(const std::string& source, const std::string& relative) const {
  auto target = Inside(home_, relative);
  if (!target) return std::unexpected(target.error());
  std::error_code ec;
  fs::copy(source, *target,
           fs::copy_options::recursive | fs::copy_options::overwrite_existing |
               fs::copy_options::copy_symlinks,
           ec);
  if (ec) return Fail(ErrorCode::kIo, "copy into the workspace: " + ec.message(), source);
  if (::geteuid() != 0) return {};
  if (auto st = Chown(*target, uid_, gid_); !st) return st;
  if (fs::is_directory(*target, ec)) {
    for (auto it = fs::recursive_directory_iterator(*target, ec); !ec && it != fs::end(it);
         it.increment(ec)) {
      if (auto st = Chown(it->path().string(), uid_, gid_); !st) return st;
    }
    if (ec) return Fail(ErrorCode::kIo, "walk the workspace copy: " + ec.message(), *target);
  }
  return {};
}

Status Workspace::WriteFile(const std::string& relative, std::string_view content, int mode) const {
  auto target = Inside(home_, relative);
  if (!target) return std::unexpected(target.error());
  // Folders on the way are the workload's, 0755 whatever the daemon's
  // umask (077) would make them: a folder only root may enter hides the
  // sources in it from the workload.
  fs::path dir = home_;
  for (const fs::path& part : fs::path(relative).parent_path()) {
    dir /= part;
    if (::mkdir(dir.c_str(), 0755) != 0) {
      if (errno == EEXIST) continue;
      return std::unexpected(ErrnoError("mkdir " + dir.string(), errno));
    }
    if (::chmod(dir.c_str(), 0755) != 0) return std::unexpected(ErrnoError("chmod " + dir.string(), errno));
    if (::geteuid() == 0 && ::lchown(dir.c_str(), uid_, gid_) != 0)
      return std::unexpected(ErrnoError("chown " + dir.string(), errno));
  }
  UniqueFd fd(::open(target->c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode));
  if (!fd) return std::unexpected(ErrnoError("open " + *target, errno));
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd.Get(), content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::unexpected(ErrnoError("write " + *target, errno));
    }
    done += static_cast<size_t>(n);
  }
  if (::fchmod(fd.Get(), static_cast<mode_t>(mode)) != 0) {
    return std::unexpected(ErrnoError("chmod " + *target, errno));
  }
  if (::geteuid() == 0 && ::fchown(fd.Get(), uid_, gid_) != 0) {
    return std::unexpected(ErrnoError("chown " + *target, errno));
  }
  return {};
}

}  // namespace prisn::executor
