#pragma once
// The pid file <state-dir>/prisn.pid: an exclusive flock on it is what makes a
// daemon "the" daemon of a state directory. The lock, not the file's
// existence, decides: a file left behind by a killed daemon is taken over.

#include <sys/types.h>

#include <optional>
#include <string>

#include "util/error.h"
#include "util/unique_fd.h"

namespace prisn::server {

class PidFile {
 public:
  // Creates (0600) and locks the file. Fails kConflict, naming the pid, when
  // a running daemon holds it; kIo/kPermission when it cannot be opened.
  // The lock survives fork(): the child inherits it with the descriptor.
  static Result<PidFile> Acquire(const std::string& path);

  PidFile(PidFile&&) noexcept = default;
  PidFile& operator=(PidFile&&) noexcept = default;
  ~PidFile();

  // Replaces the content with `pid` and syncs it.
  Status WritePid(pid_t pid);
  // Unlinks the file while the lock is still held, then releases it.
  void Remove();

 private:
  PidFile(UniqueFd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}
  UniqueFd fd_;
  std::string path_;
};

// The pid of the daemon holding `path`, or nullopt when no daemon holds it
// (missing file, or a stale one).
Result<std::optional<pid_t>> RunningPid(const std::string& path);

}  // namespace prisn::server
