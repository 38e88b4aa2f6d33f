#include "server/pid_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <string>
#include <thread>

namespace prisn::server {
namespace {

// The recorded pid; 0 when the file is empty (a daemon between lock and
// write) or does not hold a number.
pid_t ReadPid(int fd) {
  char buf[32] = {};
  ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return 0;
  pid_t pid = 0;
  std::from_chars(buf, buf + n, pid);
  return pid;
}

// A holder's pid, waiting briefly for a daemon that has the lock but has not
// written its pid yet.
pid_t HolderPid(int fd) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  pid_t pid = ReadPid(fd);
  while (pid == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    pid = ReadPid(fd);
  }
  return pid;
}

}  // namespace

Result<PidFile> PidFile::Acquire(const std::string& path) {
  // A previous holder may unlink the file between our open and our lock; the
  // lock then sits on a dead inode, so check that the path still names it.
  for (int attempt = 0; attempt < 10; ++attempt) {
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!fd) return std::unexpected(ErrnoError("open " + path, errno));
    if (::flock(fd.Get(), LOCK_EX | LOCK_NB) != 0) {
      if (errno != EWOULDBLOCK) return std::unexpected(ErrnoError("flock " + path, errno));
      pid_t pid = HolderPid(fd.Get());
      std::string who = pid > 0 ? " (pid " + std::to_string(pid) + ")" : "";
      return Fail(ErrorCode::kConflict,
                  "a prisn server is already running on this state directory" + who +
                      "; stop it with `prisn server stop`, or use another --state-dir",
                  path);
    }
    struct stat by_fd {
    }, by_path{};
    if (::fstat(fd.Get(), &by_fd) != 0) return std::unexpected(ErrnoError("fstat " + path, errno));
    if (::stat(path.c_str(), &by_path) == 0 && by_fd.st_ino == by_path.st_ino &&
        by_fd.st_dev == by_path.st_dev) {
      return PidFile(std::move(fd), path);
    }
  }
  return Fail(ErrorCode::kConflict,
              "the pid file keeps changing under us; is another prisn starting?", path);
}

PidFile::~PidFile() = default;

Status PidFile::WritePid(pid_t pid) {
  std::string text = std::to_string(pid) + "\n";
  if (::ftruncate(fd_.Get(), 0) != 0)
    return std::unexpected(ErrnoError("truncate " + path_, errno));
  if (::pwrite(fd_.Get(), text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) {
    return std::unexpected(ErrnoError("write " + path_, errno));
  }
  if (::fsync(fd_.Get()) != 0) return std::unexpected(ErrnoError("fsync " + path_, errno));
  return {};
}

void PidFile::Remove() {
  if (!fd_) return;
  ::unlink(path_.c_str());
  fd_.Reset();
}

Result<std::optional<pid_t>> RunningPid(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return std::optional<pid_t>();
    return std::unexpected(ErrnoError("open " + path, errno));
  }
  if (::flock(fd.Get(), LOCK_SH | LOCK_NB) == 0) return std::optional<pid_t>();  // nobody holds it
  if (errno != EWOULDBLOCK) return std::unexpected(ErrnoError("flock " + path, errno));
  return std::optional<pid_t>(HolderPid(fd.Get()));
}

}  // namespace prisn::server
