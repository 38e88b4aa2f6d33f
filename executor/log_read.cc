#include "executor/log_read.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <filesystem>

#include "util/unique_fd.h"

namespace prisn::executor {
namespace {

// Complete lines of a file, newest last, counted back from `end`.
struct TailPart {
  std::vector<std::string> lines;
  bool reached_start = false;  // no older line exists in this file
};

// The last `n` complete lines of [0, end) of `fd`, read backwards in chunks so
// that a large file costs only what is returned.
Result<TailPart> TailOfFd(int fd, std::int64_t end, std::size_t n) {
  TailPart part;
  if (n == 0 || end <= 0) {
    part.reached_start = end <= 0;
    return part;
  }
  constexpr std::int64_t kChunk = 64 * 1024;
  std::vector<std::string> chunks;  // newest first
  std::size_t newlines = 0;
  std::int64_t pos = end;
  while (pos > 0 && newlines <= n) {
    std::int64_t size = std::min(kChunk, pos);
    pos -= size;
    std::string chunk(static_cast<std::size_t>(size), '\0');
    std::int64_t done = 0;
    while (done < size) {
      ssize_t r =
          ::pread(fd, chunk.data() + done, static_cast<std::size_t>(size - done), pos + done);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return std::unexpected(ErrnoError("read log", errno));
      if (r == 0) break;
      done += r;
    }
    chunk.resize(static_cast<std::size_t>(done));
    newlines += static_cast<std::size_t>(std::count(chunk.begin(), chunk.end(), '\n'));
    chunks.push_back(std::move(chunk));
  }
  std::string data;
  for (auto it = chunks.rbegin(); it != chunks.rend(); ++it) data += *it;
  // `data` ends with the newline of the last complete line (the caller cut
  // `end` there); a fragment before the first newline is part of an older,
  // unread line unless the file's start was reached.
  std::size_t start = 0;
  if (pos > 0) {
    start = data.find('\n');
    start = start == std::string::npos ? data.size() : start + 1;
  }
  part.reached_start = pos == 0;
  std::vector<std::string> lines;
  while (start < data.size()) {
    std::size_t nl = data.find('\n', start);
    if (nl == std::string::npos) break;
    lines.push_back(data.substr(start, nl - start));
    start = nl + 1;
  }
  if (lines.size() > n) {
    lines.erase(lines.begin(), lines.end() - static_cast<std::ptrdiff_t>(n));
    part.reached_start = false;
  }
  part.lines = std::move(lines);
  return part;
}

// The offset just past the last newline before `size` (0 when none).
Result<std::int64_t> CompleteEnd(int fd, std::int64_t size) {
  constexpr std::int64_t kChunk = 4096;
  std::int64_t pos = size;
  char buf[kChunk];
  while (pos > 0) {
    std::int64_t len = std::min(kChunk, pos);
    pos -= len;
    ssize_t r = ::pread(fd, buf, static_cast<std::size_t>(len), pos);
    if (r < 0 && errno == EINTR) {
      pos += len;
      continue;
    }
    if (r < 0) return std::unexpected(ErrnoError("read log", errno));
    for (ssize_t i = r - 1; i >= 0; --i) {
      if (buf[i] == '\n') return pos + i + 1;
    }
  }
  return 0;
}

struct OpenFile {
  UniqueFd fd;
  ino_t inode = 0;
  std::int64_t size = 0;
};

// nullopt when the file does not exist.
Result<std::optional<OpenFile>> Open(const std::string& path) {
  OpenFile f;
  f.fd.Reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!f.fd) {
    if (errno == ENOENT) return std::optional<OpenFile>();
    return std::unexpected(ErrnoError("open log " + path, errno));
  }
  struct stat st {};
  if (::fstat(f.fd.Get(), &st) != 0) return std::unexpected(ErrnoError("stat log " + path, errno));
  f.inode = st.st_ino;
  f.size = st.st_size;
  return std::optional<OpenFile>(std::move(f));
}

LogEntry ToEntry(const std::string& replica, std::string_view raw) {
  executor::LogLine line = executor::ParseLogLine(raw);
  return LogEntry{replica, std::move(line.time),
                  line.stream == executor::LogStream::kErr ? "err" : "out", std::move(line.text)};
}

// Stable merge by time: lines of one file keep their order, and lines without
// a time stay next to the line before them.
void MergeByTime(std::vector<std::vector<LogEntry>>& per_file, std::vector<LogEntry>& out) {
  struct Keyed {
    std::string time;
    std::size_t file;
    std::size_t index;
  };
  std::vector<Keyed> keys;
  for (std::size_t f = 0; f < per_file.size(); ++f) {
    std::string last;
    for (std::size_t i = 0; i < per_file[f].size(); ++i) {
      if (!per_file[f][i].time.empty()) last = per_file[f][i].time;
      keys.push_back({last, f, i});
    }
  }
  std::stable_sort(keys.begin(), keys.end(),
                   [](const Keyed& a, const Keyed& b) { return a.time < b.time; });
  out.reserve(out.size() + keys.size());
  for (const Keyed& k : keys) out.push_back(std::move(per_file[k.file][k.index]));
}

constexpr std::string_view kCursorVersion = "v1";

bool ParseInt(std::string_view text, std::int64_t& out) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && out >= 0;
}

}  // namespace

std::string LogPathOf(const std::string& log_dir, const std::string& ns, const std::string& owner,
                      const std::string& name) {
  return log_dir + "/" + ns + "/" + owner + "/" + name + ".log";
}

bool IsLogName(std::string_view name) {
  if (name.empty() || name.size() > 253 || name.front() == '.') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
  });
}

std::string EncodeLogCursor(const LogCursors& cursors) {
  // Never empty, so that "no cursor" and "no files yet" stay apart.
  std::string out(kCursorVersion);
  for (const auto& [name, c] : cursors) {
    out += ',' + name + ':' + std::to_string(c.inode) + ':' + std::to_string(c.offset);
  }
  return out;
}

Result<LogCursors> DecodeLogCursor(std::string_view text) {
  LogCursors out;
  auto invalid = [] {
    return Fail(ErrorCode::kInvalid,
                "cursor is not one this server issued; pass the \"cursor\" of the last answer as "
                "is, or omit it");
  };
  if (!text.starts_with(kCursorVersion)) return invalid();
  text.remove_prefix(kCursorVersion.size());
  if (!text.empty() && text.front() != ',') return invalid();
  if (!text.empty()) text.remove_prefix(1);
  while (!text.empty()) {
    std::size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    std::size_t c1 = item.find(':');
    std::size_t c2 = c1 == std::string_view::npos ? c1 : item.find(':', c1 + 1);
    if (c1 == 0 || c2 == std::string_view::npos) return invalid();
    std::int64_t inode = 0, offset = 0;
    if (!ParseInt(item.substr(c1 + 1, c2 - c1 - 1), inode) ||
        !ParseInt(item.substr(c2 + 1), offset) || inode < 0 || offset < 0) {
      return invalid();
    }
    out[std::string(item.substr(0, c1))] = executor::LogCursor{static_cast<ino_t>(inode), offset};
  }
  return out;
}

Result<LogRead> TailLogs(const std::vector<LogFile>& files, std::size_t tail,
                         std::optional<int64_t> since_ms) {
  tail = std::min(tail, kMaxLogLines);
  std::string since;
  if (since_ms) {
    since = executor::FormatLogTime(
        std::chrono::system_clock::time_point(std::chrono::milliseconds(*since_ms)));
  }
  LogRead out;
  std::vector<std::vector<LogEntry>> per_file;
  for (const LogFile& file : files) {
    auto current = Open(file.path);
    if (!current) return std::unexpected(current.error());
    executor::LogCursor cursor;
    std::vector<std::string> raw;  // newest last
    bool reached_start = true;
    if (*current) {
      OpenFile& f = **current;
      auto end = CompleteEnd(f.fd.Get(), f.size);
      if (!end) return std::unexpected(end.error());
      cursor = {f.inode, *end};
      auto part = TailOfFd(f.fd.Get(), *end, tail);
      if (!part) return std::unexpected(part.error());
      raw = std::move(part->lines);
      reached_start = part->reached_start;
    }
    // Older lines come from the rotated files, newest rotation first.
    for (int i = 1; reached_start && raw.size() < tail && i <= 16; ++i) {
      auto old = Open(file.path + "." + std::to_string(i));
      if (!old) return std::unexpected(old.error());
      if (!*old) break;
      auto end = CompleteEnd((*old)->fd.Get(), (*old)->size);
      if (!end) return std::unexpected(end.error());
      auto part = TailOfFd((*old)->fd.Get(), *end, tail - raw.size());
      if (!part) return std::unexpected(part.error());
      reached_start = part->reached_start;
      raw.insert(raw.begin(), std::make_move_iterator(part->lines.begin()),
                 std::make_move_iterator(part->lines.end()));
    }
    std::vector<LogEntry> entries;
    for (const std::string& r : raw) {
      LogEntry e = ToEntry(file.name, r);
      if (!since.empty() && !e.time.empty() && e.time < since) continue;
      entries.push_back(std::move(e));
    }
    per_file.push_back(std::move(entries));
    out.cursors[file.name] = cursor;
  }
  MergeByTime(per_file, out.lines);
  return out;
}

Result<LogRead> ReadNewLogs(const std::vector<LogFile>& files, LogCursors cursors,
                            std::size_t max_lines) {
  LogRead out;
  std::vector<std::vector<LogEntry>> per_file;
  for (const LogFile& file : files) {
    executor::LogCursor cursor;
    if (auto it = cursors.find(file.name); it != cursors.end()) cursor = it->second;
    auto raw = executor::ReadNewLogLines(file.path, cursor, max_lines);
    if (!raw) return std::unexpected(raw.error());
    if (raw->size() >= max_lines) out.truncated = true;
    std::vector<LogEntry> entries;
    entries.reserve(raw->size());
    for (const std::string& r : *raw) entries.push_back(ToEntry(file.name, r));
    per_file.push_back(std::move(entries));
    cursors[file.name] = cursor;
  }
  MergeByTime(per_file, out.lines);
  out.cursors = std::move(cursors);
  return out;
}

std::vector<LogFile> ReplicaLogFiles(const std::string& dir, const std::string& name) {
  std::vector<std::pair<long, LogFile>> found;
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) return {};
  const std::string prefix = name + "-";
  for (const auto& entry : it) {
    std::string file = entry.path().filename().string();
    if (!file.starts_with(prefix) || !file.ends_with(".log")) continue;
    std::string_view number(file);
    number = number.substr(prefix.size(), number.size() - prefix.size() - 4);
    std::int64_t index = 0;
    if (number.empty() || number.size() > 6 || !ParseInt(number, index)) continue;
    found.emplace_back(static_cast<long>(index),
                       LogFile{file.substr(0, file.size() - 4), entry.path().string()});
  }
  std::sort(found.begin(), found.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<LogFile> out;
  for (auto& [i, f] : found) out.push_back(std::move(f));
  return out;
}

}  // namespace prisn::executor
