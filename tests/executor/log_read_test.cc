// Reading workload logs: tails, cursors across appends and rotations, merge
// by time, and the replica files of a deployment.
#include "executor/log_read.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "tests/executor/test_util.h"

namespace prisn::executor {
namespace {

using testing::TempDir;

void Append(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::app | std::ios::binary);
  out << text;
}

std::string Line(const std::string& time, const std::string& stream, const std::string& text) {
  return "2024-01-21T10:30:" + time + "Z " + stream + " " + text + "\n";
}

std::vector<std::string> Texts(const LogRead& read) {
  std::vector<std::string> out;
  for (const auto& l : read.lines) out.push_back(l.name + ":" + l.text);
  return out;
}

}  // namespace

TEST_CASE("log cursor round-trips and refuses what the server did not issue") {
  LogCursors cursors{{"api-0", {1234, 56}}, {"r-0123456789", {7, 0}}};
  std::string text = EncodeLogCursor(cursors);
  auto back = DecodeLogCursor(text);
  REQUIRE(back);
  REQUIRE(back->size() == 2);
  CHECK(back->at("api-0").inode == 1234);
  CHECK(back->at("api-0").offset == 56);
  CHECK(back->at("r-0123456789").inode == 7);
  CHECK(text.rfind("v1,", 0) == 0);
  CHECK(EncodeLogCursor({}) == "v1");
  CHECK(DecodeLogCursor("v1")->empty());
  for (const char* bad : {"", "api-0:1:2", "v1,api-0", "v1,api-0:1", "v1,:1:2", "v1,api-0:x:2",
                          "v1,api-0:1:-2", "v1,a:1:2,b", "v2,a:1:2", "v1a:1:2"}) {
    INFO(bad);
    auto r = DecodeLogCursor(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::kInvalid);
  }
}

TEST_CASE("tail of several files returns the last lines of each, merged by time") {
  TempDir dir;
  std::string a = dir.path() + "/api-0.log";
  std::string b = dir.path() + "/api-1.log";
  Append(a,
         Line("01.000", "out", "a1") + Line("03.000", "out", "a2") + Line("05.000", "err", "a3"));
  Append(b, Line("02.000", "out", "b1") + Line("04.000", "out", "b2"));
  std::vector<LogFile> files{{"api-0", a}, {"api-1", b}};

  auto all = TailLogs(files, 100, std::nullopt);
  REQUIRE(all);
  CHECK(Texts(*all) ==
        std::vector<std::string>{"api-0:a1", "api-1:b1", "api-0:a2", "api-1:b2", "api-0:a3"});
  CHECK(all->lines.back().stream == "err");
  CHECK(all->lines.front().time == "2024-01-21T10:30:01.000Z");

  auto last = TailLogs(files, 1, std::nullopt);
  REQUIRE(last);
  CHECK(Texts(*last) == std::vector<std::string>{"api-1:b2", "api-0:a3"});

  SECTION("since drops older lines") {
    // 10:30:03 UTC on 2024-01-21.
    auto since = TailLogs(files, 100, int64_t{1705833003000});
    REQUIRE(since);
    CHECK(Texts(*since) == std::vector<std::string>{"api-0:a2", "api-1:b2", "api-0:a3"});
  }

  SECTION("a follower continues right after the tail") {
    Append(a, Line("06.000", "out", "a4"));
    Append(b, "2024-01-21T10:30:07.000Z out partial");  // not complete yet
    auto next = ReadNewLogs(files, last->cursors);
    REQUIRE(next);
    CHECK(Texts(*next) == std::vector<std::string>{"api-0:a4"});
    Append(b, " line\n");
    auto rest = ReadNewLogs(files, next->cursors);
    REQUIRE(rest);
    CHECK(Texts(*rest) == std::vector<std::string>{"api-1:partial line"});
    auto none = ReadNewLogs(files, rest->cursors);
    REQUIRE(none);
    CHECK(none->lines.empty());
  }
}

TEST_CASE("a tail excludes a line still being written and a follower gets it whole") {
  TempDir dir;
  std::string a = dir.path() + "/r-0000000001.log";
  Append(a, Line("01.000", "out", "done") + "2024-01-21T10:30:02.000Z out hal");
  std::vector<LogFile> files{{"r-0000000001", a}};
  auto tail = TailLogs(files, 10, std::nullopt);
  REQUIRE(tail);
  CHECK(Texts(*tail) == std::vector<std::string>{"r-0000000001:done"});
  Append(a, "f\n");
  auto next = ReadNewLogs(files, tail->cursors);
  REQUIRE(next);
  CHECK(Texts(*next) == std::vector<std::string>{"r-0000000001:half"});
}

TEST_CASE("tail reaches into rotated files and a cursor survives a rotation") {
  TempDir dir;
  std::string a = dir.path() + "/api-0.log";
  Append(a + ".1", Line("01.000", "out", "old1") + Line("02.000", "out", "old2"));
  Append(a, Line("03.000", "out", "new1"));
  std::vector<LogFile> files{{"api-0", a}};
  auto tail = TailLogs(files, 2, std::nullopt);
  REQUIRE(tail);
  CHECK(Texts(*tail) == std::vector<std::string>{"api-0:old2", "api-0:new1"});

  // The writer rotates: the current file becomes .1 and a new one starts.
  Append(a, Line("04.000", "out", "new2"));
  std::filesystem::rename(a + ".1", a + ".2");
  std::filesystem::rename(a, a + ".1");
  Append(a, Line("05.000", "out", "newest"));
  auto next = ReadNewLogs(files, tail->cursors);
  REQUIRE(next);
  CHECK(Texts(*next) == std::vector<std::string>{"api-0:new2", "api-0:newest"});
}

TEST_CASE("a large file's tail is read from its end") {
  TempDir dir;
  std::string a = dir.path() + "/big-0.log";
  std::string content;
  for (int i = 0; i < 20000; ++i) content += Line("01.000", "out", "line " + std::to_string(i));
  Append(a, content);
  auto tail = TailLogs({{"big-0", a}}, 3, std::nullopt);
  REQUIRE(tail);
  CHECK(Texts(*tail) ==
        std::vector<std::string>{"big-0:line 19997", "big-0:line 19998", "big-0:line 19999"});
  CHECK(tail->cursors.at("big-0").offset == static_cast<int64_t>(content.size()));
}

TEST_CASE("new lines of a file the cursor does not name come from its start") {
  TempDir dir;
  std::string a = dir.path() + "/api-0.log";
  std::string b = dir.path() + "/api-1.log";
  Append(a, Line("01.000", "out", "a1"));
  auto first = TailLogs({{"api-0", a}, {"api-1", b}}, 10, std::nullopt);  // api-1 has no file yet
  REQUIRE(first);
  CHECK(Texts(*first) == std::vector<std::string>{"api-0:a1"});
  Append(b, Line("02.000", "out", "b1"));
  Append(a, Line("03.000", "out", "a2"));
  std::string c = dir.path() + "/api-2.log";
  Append(c, Line("00.500", "out", "c1"));
  auto next = ReadNewLogs({{"api-0", a}, {"api-1", b}, {"api-2", c}}, first->cursors);
  REQUIRE(next);
  CHECK(Texts(*next) == std::vector<std::string>{"api-2:c1", "api-1:b1", "api-0:a2"});
  CHECK(next->cursors.size() == 3);
}

TEST_CASE("lines without a time keep their place after the line before them") {
  TempDir dir;
  std::string a = dir.path() + "/x-0.log";
  std::string b = dir.path() + "/x-1.log";
  Append(a, Line("01.000", "out", "a1") + "no time here\n" + Line("04.000", "out", "a2"));
  Append(b, Line("02.000", "out", "b1"));
  auto read = TailLogs({{"x-0", a}, {"x-1", b}}, 10, std::nullopt);
  REQUIRE(read);
  CHECK(Texts(*read) == std::vector<std::string>{"x-0:a1", "x-0:no time here", "x-1:b1", "x-0:a2"});
  CHECK(read->lines[1].time.empty());
}

TEST_CASE("replica log files are the deployment's own, ordered by number") {
  TempDir dir;
  for (const char* f : {"api-10.log", "api-2.log", "api-0.log", "api-x.log", "api-1.log.1",
                        "r-0123456789.log", "apiary-0.log", "api-.log"}) {
    Append(dir.path() + "/" + f, "");
  }
  auto files = ReplicaLogFiles(dir.path(), "api");
  std::vector<std::string> names;
  for (const auto& f : files) names.push_back(f.name);
  CHECK(names == std::vector<std::string>{"api-0", "api-2", "api-10"});
  CHECK(files[0].path == dir.path() + "/api-0.log");
  CHECK(ReplicaLogFiles(dir.path() + "/missing", "api").empty());
}

}  // namespace prisn::executor
