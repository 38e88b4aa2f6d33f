// `prisn run`: the request body, --env parsing, and how a run's end maps to
// the exit code.
#include "cli/run_body.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "cli/log_stream.h"
#include "util/files.h"

namespace prisn::cli {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

struct RunBodyTempDir {
  fs::path path;
  RunBodyTempDir() {
    static int counter = 0;
    path = fs::temp_directory_path() /
           ("prisn-runbody-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::create_directories(path);
  }
  ~RunBodyTempDir() { fs::remove_all(path); }
  std::string Write(const std::string& rel, const std::string& content) const {
    fs::create_directories((path / rel).parent_path());
    REQUIRE(WriteFileAtomic((path / rel).string(), content));
    return (path / rel).string();
  }
};

}  // namespace

TEST_CASE("env assignments split at the first '=' and need a key") {
  auto kv = ParseEnvAssignment("URL=http://x/?a=b");
  REQUIRE(kv);
  CHECK(kv->first == "URL");
  CHECK(kv->second == "http://x/?a=b");
  CHECK(ParseEnvAssignment("EMPTY=")->second.empty());
  CHECK_FALSE(ParseEnvAssignment("NOVALUE"));
  CHECK_FALSE(ParseEnvAssignment("=x"));
  auto env = ParseEnvFlags({"A=1", "B=2", "A=3"});
  REQUIRE(env);
  CHECK(env->at("A") == "3");
  CHECK(env->size() == 2);
}

TEST_CASE("UTF-8 is told apart from other bytes") {
  CHECK(IsUtf8("plain ascii\n"));
  CHECK(
      IsUtf8("gr\xc3\xbc\xc3\x9f"
             "e \xe2\x82\xac \xf0\x9f\x98\x80"));
  CHECK_FALSE(IsUtf8("\xff"));
  CHECK_FALSE(IsUtf8("\xc3"));              // cut short
  CHECK_FALSE(IsUtf8("\xc0\xaf"));          // overlong
  CHECK_FALSE(IsUtf8("\xed\xa0\x80"));      // surrogate
  CHECK_FALSE(IsUtf8("\xf4\x90\x80\x80"));  // past U+10FFFF
  CHECK_FALSE(IsUtf8("\xe2\x28\xa1"));      // bad continuation
}

TEST_CASE("the run body carries the script, its dependency files and the flags") {
  RunBodyTempDir dir;
  std::string script = dir.Write("proj/hello.py", "print('hi')\n");
  dir.Write("proj/requirements.txt", "requests==2.31\n");
  dir.Write("proj/package.json", "{}");
  dir.Write("proj/other.py", "not sent\n");
  RunFlags flags;
  flags.file = script;
  flags.ns = "team-a";
  flags.timeout = "30s";
  flags.memory = "256Mi";
  flags.cpu = "500m";
  flags.isolation = 0;
  flags.env = {"A=1"};
  flags.args = {"--x", "y"};
  auto body = BuildRunBody(flags);
  REQUIRE(body);
  json b = api::Encode(*body);
  CHECK(b["namespace"] == "team-a");
  CHECK(b["name"] == "hello");
  CHECK(b["entrypoint"] == "hello.py");
  CHECK(b["files"]["hello.py"] == "print('hi')\n");
  CHECK(b["files"]["requirements.txt"] == "requests==2.31\n");
  CHECK(b["files"].contains("package.json"));
  CHECK_FALSE(b["files"].contains("other.py"));
  CHECK(b["args"] == json::array({"--x", "y"}));
  CHECK(b["env"]["A"] == "1");
  CHECK(b["timeout"] == "30s");
  CHECK(b["isolation"] == 0);
  CHECK(b["memory"] == "256Mi");
  CHECK(b["cpu"] == "500m");
  CHECK_FALSE(b.contains("runtime"));
}

TEST_CASE("a script that is not UTF-8 travels as base64") {
  RunBodyTempDir dir;
  std::string script = dir.Write("bin.sh", std::string("echo \xff\xfe\n"));
  RunFlags flags;
  flags.file = script;
  auto body = BuildRunBody(flags);
  REQUIRE(body);
  json b = api::Encode(*body);
  CHECK(b["files"].empty());
  CHECK(b["filesBase64"]["bin.sh"] == "ZWNobyD//go=");
  CHECK_NOTHROW(b.dump());
}

TEST_CASE("run refuses a missing script, a folder and a bad --env") {
  RunBodyTempDir dir;
  RunFlags flags;
  flags.file = (dir.path / "missing.py").string();
  auto missing = BuildRunBody(flags);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == ErrorCode::kNotFound);
  flags.file = dir.path.string();
  auto folder = BuildRunBody(flags);
  REQUIRE_FALSE(folder);
  CHECK(folder.error().message.find("prisn deploy") != std::string::npos);
  flags.file = dir.Write("ok.sh", "true\n");
  flags.env = {"BROKEN"};
  CHECK_FALSE(BuildRunBody(flags));
}

namespace {

// A run as the daemon's JSON, read as the CLI reads it.
api::RunView RunOf(const json& j) {
  auto run = api::Decode<api::RunView>(j, api::DecodeMode::kLenient);
  REQUIRE(run);
  return *run;
}

}  // namespace

TEST_CASE("a finished run gives prisn run its exit code") {
  CHECK(RunExitCode(RunOf({{"state", "succeeded"}, {"exitCode", 0}, {"reason", "exit 0"}})) == 0);
  CHECK(RunExitCode(RunOf({{"state", "failed"}, {"exitCode", 3}, {"reason", "exit 3"}})) == 3);
  CHECK(RunExitCode(RunOf(
            {{"state", "failed"}, {"exitCode", 137}, {"reason", "killed by SIGKILL"}})) == 137);
  CHECK(RunExitCode(RunOf(
            {{"state", "failed"}, {"exitCode", 143}, {"reason", "timed out after 1s"}})) == 124);
  CHECK(RunExitCode(RunOf(
            {{"state", "failed"}, {"exitCode", nullptr}, {"reason", "bash not found"}})) == 2);
  CHECK(
      RunEndNote(RunOf({{"id", "r-1"}, {"state", "failed"}, {"exitCode", 3}, {"reason", "exit 3"}}))
          .empty());
  CHECK(RunEndNote(RunOf({{"id", "r-1"}, {"state", "succeeded"}, {"exitCode", 0}})).empty());
  CHECK(RunEndNote(RunOf({{"id", "r-1"}, {"state", "failed"}, {"reason", "timed out after 1s"}})) ==
        "prisn: run r-1 timed out after 1s");
  CHECK(RunEndNote(RunOf({{"id", "r-1"}, {"state", "failed"}, {"exitCode", nullptr}})) ==
        "prisn: run r-1 failed without running");
}

}  // namespace prisn::cli
