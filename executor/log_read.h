#pragma once
// Reading workload logs (LocalBackend::ReadLogs): the last lines of several log files
// merged by time, and what was written since a cursor, for followers.
//
// A log file is the executor's format (executor/log_file.h): one line per
// output line, "<RFC 3339 time> out|err <text>", rotated to name.log.1...
// Every reader stops at the last complete line, so a line that is being
// written is returned once, whole, by a later read.
//
// The cursor a client carries between requests is an opaque string (see
// EncodeLogCursor): per file, its name, the inode of the file being read and
// the offset of the first byte not yet returned. A file that the cursor does
// not name (a replica or a run that appeared since) is read from its start.

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "executor/log_file.h"
#include "reconciler/backend.h"
#include "util/error.h"

namespace prisn::executor {

// <log_dir>/<ns>/<owner>/<name>.log: where the local backend keeps the log
// of a replica or a run. The parts are names the manifests validated (DNS
// labels, run ids); IsLogName says whether a name from outside is one.
std::string LogPathOf(const std::string& log_dir, const std::string& ns, const std::string& owner,
                      const std::string& name);
bool IsLogName(std::string_view name);

// The most lines one read returns per file (a tail, or new lines).
inline constexpr std::size_t kMaxLogLines = 10000;

// One log file of a workload.
struct LogFile {
  std::string name;  // "api-0", or a run id: the "replica" of its lines
  std::string path;  // ".../api-0.log"; it may not exist (yet)
};

// `name` is the replica or run the line came from.
using LogEntry = reconciler::LogLine;

using LogCursors = std::map<std::string, executor::LogCursor>;

struct LogRead {
  std::vector<LogEntry> lines;  // merged by time (stable: a file's own order is kept)
  LogCursors cursors;           // one per file, after what was read
  bool truncated = false;       // a file had more than the limit: read again for the rest
};

// "v1,name:inode:offset,..." — names are replica names or run ids, which
// never hold ':' or ','. Never empty ("v1" when there are no files yet).
std::string EncodeLogCursor(const LogCursors& cursors);
// kInvalid for anything EncodeLogCursor did not produce.
Result<LogCursors> DecodeLogCursor(std::string_view text);

// The last `tail` complete lines of each file (rotated files included), only
// those written at or after `since_ms` when given, merged by time. The
// cursors point right after the last line read, so a follower continues
// exactly there. Missing files give no lines and a cursor at their start.
Result<LogRead> TailLogs(const std::vector<LogFile>& files, std::size_t tail,
                         std::optional<int64_t> since_ms);

// Lines written after `cursors` (files they do not name: from the start of
// the current file), at most `max_lines` per file, merged by time.
Result<LogRead> ReadNewLogs(const std::vector<LogFile>& files, LogCursors cursors,
                            std::size_t max_lines = kMaxLogLines);

// The log files of a Deployment's replicas in `dir`: every "<name>-<i>.log",
// ordered by replica number. Missing directory: none.
std::vector<LogFile> ReplicaLogFiles(const std::string& dir, const std::string& name);

}  // namespace prisn::executor
