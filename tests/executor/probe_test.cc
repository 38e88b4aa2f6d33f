#include "executor/probe.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "tests/executor/probe_test_util.h"
#include "tests/executor/test_util.h"
#include "util/unique_fd.h"

namespace prisn::executor {
namespace {

using namespace std::chrono_literals;
using manifests::ExecProbe;
using manifests::HttpProbe;
using manifests::TcpProbe;
using testing::FreePort;
using testing::HttpServer;
using testing::Listener;
using testing::TempDir;

ProbeRequest Request(std::variant<TcpProbe, HttpProbe, ExecProbe> probe, int default_port = 0,
                     std::chrono::milliseconds timeout = 1000ms) {
  ProbeRequest r;
  r.probe = std::move(probe);
  r.default_port = default_port;
  r.timeout = timeout;
  r.exec.env = {"PATH=/usr/local/bin:/usr/bin:/bin"};
  r.exec.cwd = "/";
  r.exec.isolation_level = 0;
  return r;
}

}  // namespace

TEST_CASE(
    "ProbeCounter readiness: ready after success_threshold successes in a row, unready after "
    "failure_threshold failures in a row") {
  using T = ProbeTransition;
  ProbeCounter c(ProbeRole::kReadiness, 3, 2);
  CHECK_FALSE(c.ready());
  CHECK(c.Record(false) == T::kNone);  // not ready yet: failures report nothing
  CHECK(c.Record(false) == T::kNone);
  CHECK(c.Record(false) == T::kNone);
  CHECK(c.Record(true) == T::kNone);
  CHECK(c.Record(false) == T::kNone);  // the success streak is broken
  CHECK(c.Record(true) == T::kNone);
  CHECK(c.Record(true) == T::kReady);
  CHECK(c.ready());
  CHECK(c.Record(true) == T::kNone);  // once
  CHECK(c.Record(false) == T::kNone);
  CHECK(c.Record(false) == T::kNone);
  CHECK(c.Record(true) == T::kNone);  // the failure streak is broken
  CHECK(c.Record(false) == T::kNone);
  CHECK(c.Record(false) == T::kNone);
  CHECK(c.Record(false) == T::kUnready);
  CHECK_FALSE(c.ready());
  CHECK(c.Record(false) == T::kNone);
  CHECK(c.Record(true) == T::kNone);
  CHECK(c.Record(true) == T::kReady);
}

TEST_CASE("ProbeCounter liveness: one report per streak of failure_threshold failures") {
  using T = ProbeTransition;
  ProbeCounter c(ProbeRole::kLiveness, 2, 1);
  CHECK(c.Record(false) == T::kNone);
  CHECK(c.Record(false) == T::kLivenessFailed);
  CHECK(c.Record(false) == T::kNone);
  CHECK(c.Record(false) == T::kNone);
  CHECK(c.Record(true) == T::kNone);
  CHECK(c.Record(false) == T::kNone);
  CHECK(c.Record(false) == T::kLivenessFailed);
}

TEST_CASE("ProbeCounter: thresholds below 1 count as 1") {
  ProbeCounter c(ProbeRole::kReadiness, 0, 0);
  CHECK(c.Record(true) == ProbeTransition::kReady);
  CHECK(c.Record(false) == ProbeTransition::kUnready);
}

TEST_CASE("RunProbe tcp: a listening port passes, a closed one fails saying why") {
  Listener l;
  auto ok = RunProbe(Request(TcpProbe{l.port}));
  CHECK(ok.success);
  auto by_default = RunProbe(Request(TcpProbe{0}, l.port));  // port 0: the instance's PORT
  CHECK(by_default.success);
  auto refused = RunProbe(Request(TcpProbe{FreePort()}));
  CHECK_FALSE(refused.success);
  CHECK_THAT(refused.message, Catch::Contains("Connection refused"));
  auto no_port = RunProbe(Request(TcpProbe{0}, 0));
  CHECK_FALSE(no_port.success);
  CHECK_THAT(no_port.message, Catch::Contains("no port"));
}

TEST_CASE(
    "RunProbe http: 200-399 pass, others fail, expected_status overrides, the path is asked") {
  {
    HttpServer server(200);
    auto r = RunProbe(Request(HttpProbe{"/healthz", 0, 0}, server.port()));
    CHECK(r.success);
    REQUIRE(server.requests().size() == 1);
    CHECK(server.requests().front() == "GET /healthz HTTP/1.1");
  }
  {
    HttpServer server(302);
    CHECK(RunProbe(Request(HttpProbe{"/", server.port(), 0})).success);
  }
  {
    HttpServer server(500);
    auto r = RunProbe(Request(HttpProbe{"/", 0, 0}, server.port()));
    CHECK_FALSE(r.success);
    CHECK_THAT(r.message, Catch::Contains("HTTP 500"));
    CHECK_THAT(r.message, Catch::Contains("body"));
    CHECK(RunProbe(Request(HttpProbe{"/", 0, 500}, server.port())).success);
    CHECK_FALSE(RunProbe(Request(HttpProbe{"/", 0, 204}, server.port())).success);
  }
  auto refused = RunProbe(Request(HttpProbe{"/", FreePort(), 0}));
  CHECK_FALSE(refused.success);
}

TEST_CASE("RunProbe http: a server that never answers fails at the timeout") {
  HttpServer server(200, /*silent=*/true);
  auto started = std::chrono::steady_clock::now();
  auto r = RunProbe(Request(HttpProbe{"/", server.port(), 0}, 0, 200ms));
  auto took = std::chrono::steady_clock::now() - started;
  CHECK_FALSE(r.success);
  CHECK(took >= 190ms);
  CHECK(took < 2s);
}

TEST_CASE("RunProbe exec: exit 0 passes, a failure reports its status and output") {
  TempDir dir;
  CHECK(RunProbe(Request(ExecProbe{{"true"}})).success);
  auto failed = RunProbe(Request(ExecProbe{{"sh", "-c", "echo not yet; exit 2"}}));
  CHECK_FALSE(failed.success);
  CHECK_THAT(failed.message, Catch::Contains("exit 2"));
  CHECK_THAT(failed.message, Catch::Contains("not yet"));
  auto missing = RunProbe(Request(ExecProbe{{"prisn-no-such-command"}}));
  CHECK_FALSE(missing.success);
  CHECK_THAT(missing.message, Catch::Contains("not found"));
  CHECK_FALSE(RunProbe(Request(ExecProbe{})).success);
}

TEST_CASE("RunProbe exec: runs in the instance's cwd with its env") {
  TempDir dir;
  std::ofstream(dir / "check.sh") << "#!/bin/sh\ntest \"$MARK\" = yes && test -e flag\n";
  ::chmod((dir / "check.sh").c_str(), 0755);
  ProbeRequest r = Request(ExecProbe{{"./check.sh"}});
  r.exec.cwd = dir.path();
  r.exec.env.push_back("MARK=yes");
  CHECK_FALSE(RunProbe(r).success);  // no flag yet
  std::ofstream(dir / "flag") << "";
  CHECK(RunProbe(r).success);
  r.exec.env.pop_back();
  CHECK_FALSE(RunProbe(r).success);
}

TEST_CASE("RunProbe exec: runs with the instance's isolation, as its user") {
  PRISN_REQUIRE_ROOT();
  TempDir dir;
  ProbeRequest r = Request(ExecProbe{{"sh", "-c", "test \"$(id -u)\" = 65534 && test -w ."}});
  r.exec.isolation_level = 1;
  r.exec.uid = kNobodyUid;
  r.exec.gid = kNobodyGid;
  r.exec.workspace = dir.path();
  r.exec.cwd = dir.path();
  CHECK_FALSE(RunProbe(r).success);  // the workspace belongs to root
  ::chown(dir.path().c_str(), kNobodyUid, kNobodyGid);
  auto ok = RunProbe(r);
  INFO(ok.message);
  CHECK(ok.success);
}

TEST_CASE("RunProbe exec: a command that hangs fails at the timeout and is killed") {
  auto started = std::chrono::steady_clock::now();
  auto r = RunProbe(Request(ExecProbe{{"sleep", "30"}}, 0, 200ms));
  CHECK_FALSE(r.success);
  CHECK_THAT(r.message, Catch::Contains("timed out"));
  CHECK(std::chrono::steady_clock::now() - started < 5s);
}

}  // namespace prisn::executor
