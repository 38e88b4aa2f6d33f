#include "executor/log_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <deque>

namespace prisn::executor {
namespace {

std::string Rotated(const std::string& path, int i) { return path + "." + std::to_string(i); }

Result<UniqueFd> OpenAppend(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640));
  if (!fd) return std::unexpected(ErrnoError("open log " + path, errno));
  return fd;
}

// Reads from `offset` to the end and returns the complete lines; `offset`
// moves past the last newline only.
Status ReadLines(int fd, std::int64_t& offset, std::vector<std::string>& out,
                 std::size_t max_lines) {
  std::string pending;
  char buf[65536];
  std::int64_t pos = offset;
  while (out.size() < max_lines) {
    ssize_t n = ::pread(fd, buf, sizeof buf, pos);
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::unexpected(ErrnoError("read log", errno));
    }
    if (n == 0) break;
    pos += n;
    size_t start = 0;
    for (ssize_t i = 0; i < n && out.size() < max_lines; ++i) {
      if (buf[i] != '\n') continue;
      pending.append(buf + start, static_cast<size_t>(i) - start);
      offset += static_cast<std::int64_t>(pending.size()) + 1;
      out.push_back(std::move(pending));
      pending.clear();
      start = static_cast<size_t>(i) + 1;
    }
    if (out.size() >= max_lines) break;
    pending.append(buf + start, static_cast<size_t>(n) - start);
  }
  return {};
}

struct Opened {
  UniqueFd fd;
  ino_t inode = 0;
};

Opened OpenForRead(const std::string& path) {
  Opened o;
  o.fd.Reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  struct stat st {};
  if (o.fd && ::fstat(o.fd.Get(), &st) == 0) o.inode = st.st_ino;
  return o;
}

}  // namespace

std::string FormatLogTime(std::chrono::system_clock::time_point at) {
  using namespace std::chrono;
  auto ms = duration_cast<milliseconds>(at.time_since_epoch()).count();
  time_t secs = static_cast<time_t>(ms / 1000);
  struct tm tm {};
  ::gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms % 1000);
}

LogLine ParseLogLine(std::string_view line) {
  // "<24-char time> <out|err> <text>"
  if (line.size() >= 28 && line[24] == ' ' && line[23] == 'Z' &&
      (line.substr(25, 3) == "out" || line.substr(25, 3) == "err") &&
      (line.size() == 28 || line[28] == ' ')) {
    return LogLine{std::string(line.substr(0, 24)),
                   line.substr(25, 3) == "out" ? LogStream::kOut : LogStream::kErr,
                   std::string(line.size() > 29 ? line.substr(29) : std::string_view())};
  }
  return LogLine{{}, LogStream::kOut, std::string(line)};
}

Result<LogWriter> LogWriter::Open(LogOptions options) {
  if (options.max_bytes <= 0 || options.keep < 0) {
    return Fail(ErrorCode::kInvalid, "a log needs max_bytes > 0 and keep >= 0", options.path);
  }
  LogWriter w(std::move(options));
  auto fd = OpenAppend(w.options_.path);
  if (!fd) return std::unexpected(fd.error());
  struct stat st {};
  if (::fstat(fd->Get(), &st) != 0)
    return std::unexpected(ErrnoError("stat " + w.options_.path, errno));
  w.fd_ = std::move(*fd);
  w.size_ = st.st_size;
  return w;
}

Status LogWriter::Write(LogStream stream, std::string_view line,
                        std::chrono::system_clock::time_point at) {
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  std::string record = FormatLogTime(at);
  record += stream == LogStream::kOut ? " out " : " err ";
  record += line;
  record += '\n';
  if (size_ > 0 && size_ + static_cast<std::int64_t>(record.size()) > options_.max_bytes) {
    if (auto st = Rotate(); !st) return st;
  }
  // One write per line: a follower never sees half a line as complete.
  size_t done = 0;
  while (done < record.size()) {
    ssize_t n = ::write(fd_.Get(), record.data() + done, record.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::unexpected(ErrnoError("write log " + options_.path, errno));
    }
    done += static_cast<size_t>(n);
  }
  size_ += static_cast<std::int64_t>(record.size());
  return {};
}

Status LogWriter::Rotate() {
  const std::string& path = options_.path;
  if (options_.keep == 0) {
    if (::ftruncate(fd_.Get(), 0) != 0)
      return std::unexpected(ErrnoError("truncate " + path, errno));
    size_ = 0;
    return {};
  }
  ::unlink(Rotated(path, options_.keep).c_str());
  for (int i = options_.keep - 1; i >= 1; --i) {
    ::rename(Rotated(path, i).c_str(), Rotated(path, i + 1).c_str());
  }
  if (::rename(path.c_str(), Rotated(path, 1).c_str()) != 0) {
    return std::unexpected(ErrnoError("rotate " + path, errno));
  }
  auto fd = OpenAppend(path);
  if (!fd) return std::unexpected(fd.error());
  fd_ = std::move(*fd);
  size_ = 0;
  return {};
}

Result<std::vector<std::string>> ReadNewLogLines(const std::string& path, LogCursor& cursor,
                                                 std::size_t max_lines) {
  std::vector<std::string> out;
  Opened current = OpenForRead(path);
  if (!current.fd) {
    if (errno == ENOENT) return out;
    return std::unexpected(ErrnoError("open log " + path, errno));
  }
  if (cursor.inode != 0 && cursor.inode != current.inode) {
    // Rotated since the last read: finish the file the cursor was in.
    for (int i = 1; i <= 16; ++i) {
      Opened old = OpenForRead(Rotated(path, i));
      if (!old.fd) break;
      if (old.inode != cursor.inode) continue;
      if (auto st = ReadLines(old.fd.Get(), cursor.offset, out, max_lines); !st) {
        return std::unexpected(st.error());
      }
      if (out.size() >= max_lines) return out;
      break;
    }
    cursor = LogCursor{current.inode, 0};
  }
  cursor.inode = current.inode;
  struct stat st {};
  if (::fstat(current.fd.Get(), &st) == 0 && st.st_size < cursor.offset)
    cursor.offset = 0;  // truncated
  if (auto rd = ReadLines(current.fd.Get(), cursor.offset, out, max_lines); !rd) {
    return std::unexpected(rd.error());
  }
  return out;
}

Result<std::vector<std::string>> TailLogLines(const std::string& path, std::size_t n, int keep) {
  std::deque<std::string> last;
  for (int i = keep; i >= 0; --i) {
    std::string file = i == 0 ? path : Rotated(path, i);
    Opened o = OpenForRead(file);
    if (!o.fd) continue;
    std::vector<std::string> lines;
    std::int64_t offset = 0;
    if (auto st = ReadLines(o.fd.Get(), offset, lines, SIZE_MAX); !st)
      return std::unexpected(st.error());
    for (auto& l : lines) {
      last.push_back(std::move(l));
      if (last.size() > n) last.pop_front();
    }
  }
  return std::vector<std::string>(std::make_move_iterator(last.begin()),
                                  std::make_move_iterator(last.end()));
}

}  // namespace prisn::executor
