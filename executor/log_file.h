#pragma once
// Log files of runs and replicas: one line per output line,
//   2026-11-26T06:44:29.817Z out hello
// (RFC 3339 UTC time, stream "out" or "err", the text), size-capped and
// rotated (name.log, name.log.1 ... name.log.<keep>), readable while they
// are written: a follower keeps a LogCursor and asks for what is new, and is
// carried across a rotation.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"
#include "util/unique_fd.h"

namespace prisn::executor {

enum class LogStream { kOut, kErr };

struct LogOptions {
  std::string path;                     // name.log; the directory must exist
  std::int64_t max_bytes = 10ll << 20;  // per file; a line is never split across files
  int keep = 3;                         // rotated files kept besides the current one
};

// Not thread-safe: one writer per file (the run's output pump).
class LogWriter {
 public:
  static Result<LogWriter> Open(LogOptions options);

  // Appends one line (a trailing '\n' in `line` is dropped), rotating first
  // when it would push the file past max_bytes.
  Status Write(LogStream stream, std::string_view line,
               std::chrono::system_clock::time_point at = std::chrono::system_clock::now());
  const std::string& path() const { return options_.path; }

 private:
  explicit LogWriter(LogOptions options) : options_(std::move(options)) {}
  Status Rotate();

  LogOptions options_;
  UniqueFd fd_;
  std::int64_t size_ = 0;
};

// "2026-11-26T06:44:29.817Z".
std::string FormatLogTime(std::chrono::system_clock::time_point at);

struct LogLine {
  std::string time;
  LogStream stream = LogStream::kOut;
  std::string text;
};
// Splits a stored line; a line not in the format comes back whole as text.
LogLine ParseLogLine(std::string_view line);

// Where a follower is: the file (by inode) and the offset of the first byte
// not yet returned. A default cursor starts at the oldest line of the
// current file.
struct LogCursor {
  ino_t inode = 0;
  std::int64_t offset = 0;
};

// Complete lines written after `cursor` (at most `max_lines`), advancing it.
// After a rotation the rest of the rotated file comes first. A missing log
// file yields no lines.
Result<std::vector<std::string>> ReadNewLogLines(const std::string& path, LogCursor& cursor,
                                                 std::size_t max_lines = 10000);

// The last `n` lines over the rotated files and the current one, oldest
// first.
Result<std::vector<std::string>> TailLogLines(const std::string& path, std::size_t n, int keep = 3);

// Splits a byte stream into lines: whole lines go to `emit` as they
// complete; a partial line waits for its end (or Flush). A line longer than
// `max_line` is cut into pieces of that size.
class LineSplitter {
 public:
  explicit LineSplitter(std::size_t max_line = 64 * 1024) : max_line_(max_line) {}
  template <class Emit>
  void Feed(std::string_view data, Emit&& emit) {
    for (char c : data) {
      if (c == '\n') {
        emit(std::string_view(partial_));
        partial_.clear();
        continue;
      }
      partial_.push_back(c);
      if (partial_.size() >= max_line_) {
        emit(std::string_view(partial_));
        partial_.clear();
      }
    }
  }
  template <class Emit>
  void Flush(Emit&& emit) {
    if (!partial_.empty()) emit(std::string_view(partial_));
    partial_.clear();
  }

 private:
  std::size_t max_line_;
  std::string partial_;
};

}  // namespace prisn::executor
