#include "executor/log_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "tests/executor/test_util.h"

namespace prisn::executor {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

}  // namespace

TEST_CASE(
    "LogWriter writes RFC 3339 UTC timestamps and the stream tag, and ParseLogLine splits them") {
  TempDir dir;
  auto log = LogWriter::Open({.path = dir / "a.log"});
  REQUIRE(log);
  auto at = std::chrono::system_clock::time_point(std::chrono::milliseconds(1764139469817));
  REQUIRE(log->Write(LogStream::kOut, "hello\n", at));
  REQUIRE(log->Write(LogStream::kErr, "", at));
  auto lines = TailLogLines(dir / "a.log", 10);
  REQUIRE(lines);
  CHECK(*lines == std::vector<std::string>{"2025-11-26T06:44:29.817Z out hello",
                                           "2025-11-26T06:44:29.817Z err "});
  LogLine parsed = ParseLogLine(lines->front());
  CHECK(parsed.time == "2025-11-26T06:44:29.817Z");
  CHECK(parsed.stream == LogStream::kOut);
  CHECK(parsed.text == "hello");
  CHECK(ParseLogLine(lines->back()).stream == LogStream::kErr);
  CHECK(ParseLogLine(lines->back()).text.empty());
  CHECK(ParseLogLine("not a log line").text == "not a log line");
}

TEST_CASE("LogWriter rotates at the size cap and keeps only `keep` old files") {
  TempDir dir;
  std::string path = dir / "r.log";
  auto log = LogWriter::Open({.path = path, .max_bytes = 1000, .keep = 2});
  REQUIRE(log);
  for (int i = 0; i < 200; ++i) REQUIRE(log->Write(LogStream::kOut, "line " + std::to_string(i)));
  CHECK(fs::exists(path));
  CHECK(fs::exists(path + ".1"));
  CHECK(fs::exists(path + ".2"));
  CHECK_FALSE(fs::exists(path + ".3"));
  for (const auto& p : {path, path + ".1", path + ".2"}) CHECK(fs::file_size(p) <= 1000);
  auto tail = TailLogLines(path, 5, 2);
  REQUIRE(tail);
  REQUIRE(tail->size() == 5);
  CHECK(ParseLogLine(tail->back()).text == "line 199");
  CHECK(ParseLogLine(tail->front()).text == "line 195");
}

TEST_CASE(
    "A follower reads new lines as they are written, across rotations, without loss or "
    "repetition") {
  TempDir dir;
  std::string path = dir / "f.log";
  LogCursor cursor;
  CHECK(ReadNewLogLines(path, cursor).value().empty());  // not created yet
  auto log = LogWriter::Open({.path = path, .max_bytes = 600, .keep = 3});
  REQUIRE(log);
  std::vector<std::string> seen;
  int next = 0;
  for (int round = 0; round < 10; ++round) {
    for (int i = 0; i < 4; ++i) REQUIRE(log->Write(LogStream::kOut, "n" + std::to_string(next++)));
    auto got = ReadNewLogLines(path, cursor);
    REQUIRE(got);
    for (const auto& l : *got) seen.push_back(ParseLogLine(l).text);
  }
  REQUIRE(seen.size() == 40);
  for (int i = 0; i < 40; ++i) CHECK(seen[i] == "n" + std::to_string(i));
  CHECK(fs::exists(path + ".1"));  // it did rotate on the way
  CHECK(ReadNewLogLines(path, cursor).value().empty());
}

TEST_CASE("A follower never gets half a line") {
  TempDir dir;
  std::string path = dir / "p.log";
  {
    auto fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    REQUIRE(::write(fd, "complete\npart", 13) == 13);
    LogCursor cursor;
    CHECK(ReadNewLogLines(path, cursor).value() == std::vector<std::string>{"complete"});
    CHECK(ReadNewLogLines(path, cursor).value().empty());
    REQUIRE(::write(fd, "ial\n", 4) == 4);
    CHECK(ReadNewLogLines(path, cursor).value() == std::vector<std::string>{"partial"});
    ::close(fd);
  }
}

TEST_CASE("LineSplitter joins chunks into lines and cuts overlong ones") {
  LineSplitter split(8);
  std::vector<std::string> lines;
  auto emit = [&](std::string_view l) { lines.emplace_back(l); };
  split.Feed("ab", emit);
  split.Feed("c\nde", emit);
  split.Feed("\n\n0123456789", emit);
  split.Flush(emit);
  CHECK(lines == std::vector<std::string>{"abc", "de", "", "01234567", "89"});
}

}  // namespace prisn::executor
