// `prisn run` against a real daemon: streamed output, exit codes, timeouts,
// --detach with `logs job/ID` and `get jobs`, and starting a daemon when none
// answers.
#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "tests/integration/daemon.h"

namespace prisn::testing {
namespace {

using nlohmann::json;

struct CliRunFixture {
  TempDir dir;
  Daemon daemon{dir.path() / "state"};
  std::map<std::string, std::string> env = IsolatedEnv(dir.path() / "home");
  CliRunFixture() { env["PRISN_STATE_DIR"] = (dir.path() / "state").string(); }
  RunResult operator()(const std::vector<std::string>& args) const {
    return Prisn(args, env, dir.path().string());
  }
  json Json(const std::vector<std::string>& args) const {
    auto r = (*this)(args);
    INFO(r.all());
    REQUIRE(r.exit_code == 0);
    return json::parse(r.out);
  }
};

// Polls `done` every 50 ms until it holds or `limit` passes.
}  // namespace

TEST_CASE("prisn run streams a script's output and exits with its code") {
  CliRunFixture prisn;
  prisn.dir.Write(
      "hello.sh",
      "echo \"hello $1 $MODE\"\necho 'to stderr' >&2\necho second\nexit \"${CODE:-0}\"\n");

  SECTION("exit 0, stdout and stderr kept apart, args and env passed") {
    auto r = prisn({"run", "hello.sh", "--env", "MODE=test", "--", "world"});
    INFO(r.all());
    CHECK(r.exit_code == 0);
    CHECK(r.out == "hello world test\nsecond\n");
    CHECK(r.err == "to stderr\n");
  }

  SECTION("the script's exit code is prisn's") {
    auto r = prisn({"run", "hello.sh", "-e", "CODE=3"});
    INFO(r.all());
    CHECK(r.exit_code == 3);
    CHECK(r.out.find("second\n") != std::string::npos);
  }

  SECTION("--timeout stops it and exits 124") {
    prisn.dir.Write("slow.sh", "echo started\nsleep 30\necho never\n");
    auto start = std::chrono::steady_clock::now();
    auto r = prisn({"run", "slow.sh", "--timeout", "1s"});
    INFO(r.all());
    CHECK(r.exit_code == 124);
    CHECK(r.out == "started\n");
    CHECK(r.err.find("timed out") != std::string::npos);
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(25));
  }

  SECTION("lines arrive while the script still runs") {
    // The script waits for a file that the test writes only after it saw the
    // first line: a run that buffered its output until the end would hang.
    std::string flag = prisn.dir / "go";
    prisn.dir.Write("wait.sh", "echo ready\nfor i in $(seq 1 300); do [ -e " + flag +
                                   " ] && break; sleep 0.1; done\necho done\n");
    std::string out_file = prisn.dir / "out.txt";
    std::thread writer([&] {
      // Runs in parallel with `prisn run` below; polls its captured stdout.
      Eventually([&] {
        std::ifstream in(out_file);
        std::string line;
        return std::getline(in, line) && line == "ready";
      });
      std::ofstream(flag) << "x";
    });
    auto r = Run({"/bin/sh", "-c", std::string("\"$0\" run wait.sh > ") + out_file, PRISN_BINARY},
                 prisn.env, prisn.dir.path().string());
    writer.join();
    INFO(r.all());
    CHECK(r.exit_code == 0);
    std::ifstream in(out_file);
    std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(all == "ready\ndone\n");
  }

  SECTION("a script that cannot start is a prisn error") {
    prisn.dir.Write("x.unknownext", "whatever\n");
    auto r = prisn({"run", "x.unknownext"});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("cannot tell which runtime") != std::string::npos);
  }
}

TEST_CASE("a detached run is followed with logs job/ID and listed by get jobs") {
  CliRunFixture prisn;
  prisn.dir.Write("report.sh", "echo line one\necho line two >&2\n");
  auto r = prisn({"run", "report.sh", "--detach"});
  INFO(r.all());
  REQUIRE(r.exit_code == 0);
  REQUIRE(std::regex_match(r.out, std::regex("r-[0-9a-f]{10}\n")));
  std::string id = r.out.substr(0, r.out.size() - 1);

  json run;
  REQUIRE(Eventually([&] {
    run = prisn.Json({"get", "job", id, "-o", "json"});
    return run["state"] == "succeeded";
  }));
  CHECK(run["job"] == "report");
  CHECK(run["exitCode"] == 0);
  CHECK(run["adhoc"] == true);

  auto logs = prisn({"logs", "job/" + id});
  INFO(logs.all());
  CHECK(logs.exit_code == 0);
  CHECK(logs.out == "line one\n");
  CHECK(logs.err == "line two\n");
  CHECK(prisn({"logs", id}).out == "line one\n");
  CHECK(prisn({"logs", "report", "--run", "latest"}).out == "line one\n");

  auto list = prisn({"get", "jobs"});
  INFO(list.all());
  CHECK(list.exit_code == 0);
  CHECK(list.out.rfind("ID             JOB      NAMESPACE   STATUS      EXIT   ATTEMPTS", 0) == 0);
  CHECK(list.out.find(id + "   report   default     succeeded   0      1") != std::string::npos);
  json listed = prisn.Json({"get", "jobs", "-o", "json"});
  REQUIRE(listed["runs"].size() == 1);
  CHECK(listed["runs"][0]["id"] == id);
  CHECK(prisn({"get", "job", "r-0000000000"}).exit_code == 1);
  CHECK(prisn({"logs", "job/r-0000000000"}).exit_code == 1);
}

TEST_CASE("prisn run starts a daemon when none answers") {
  TempDir dir;
  auto env = IsolatedEnv(dir.path() / "home");
  env["PRISN_STATE_DIR"] = (dir.path() / "state").string();
  env["PRISN_LISTEN"] = "127.0.0.1:0";
  // Whatever happens below, the daemon this test caused is stopped.
  struct Stopper {
    const std::map<std::string, std::string>& env;
    std::string cwd;
    ~Stopper() { Prisn({"server", "stop"}, env, cwd); }
  } stopper{env, dir.path().string()};
  dir.Write("hi.sh", "echo hi\n");
  auto r = Prisn({"run", "hi.sh"}, env, dir.path().string());
  INFO(r.all());
  CHECK(r.exit_code == 0);
  CHECK(r.out == "hi\n");
  CHECK(r.err == "prisn: no server was running; started one (state dir " +
                     (dir.path() / "state").string() + ")\n");
  // The next run finds it running and says nothing about it.
  auto again = Prisn({"run", "hi.sh"}, env, dir.path().string());
  CHECK(again.exit_code == 0);
  CHECK(again.err.empty());
  // A server named explicitly is never replaced by a local one.
  env["PRISN_SERVER"] = "http://127.0.0.1:9";
  auto named = Prisn({"run", "hi.sh"}, env, dir.path().string());
  CHECK(named.exit_code == 2);
  CHECK(named.err.find("no prisn server answers at http://127.0.0.1:9") != std::string::npos);
}

}  // namespace prisn::testing
