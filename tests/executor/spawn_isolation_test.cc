// Levels 1 and 2 as a workload sees them: namespaces, user, capabilities,
// mounts. Root only.
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "executor/spawn.h"
#include "tests/executor/test_util.h"

namespace prisn::executor {
namespace {

using testing::Joined;
using testing::RunCapture;
using testing::Shell;
using testing::TempDir;

void WriteText(const std::string& path, const std::string& text, int mode = 0644) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path) << text;
  ::chmod(path.c_str(), static_cast<mode_t>(mode));
}

bool Has(const std::vector<std::string>& lines, const std::string& line) {
  return std::find(lines.begin(), lines.end(), line) != lines.end();
}

// A state directory readable by everyone: only the hiding can keep the
// workload out of it.
struct State {
  explicit State(const std::string& parent) : dir(parent) {
    state = dir / "state";
    workspace = state + "/runs/r1";
    WriteText(state + "/secret", "token\n");
    std::filesystem::create_directories(workspace);
    ::chown(workspace.c_str(), kNobodyUid, kNobodyGid);
    for (auto p : {dir.path(), state, state + "/runs"}) ::chmod(p.c_str(), 0755);
  }
  TempDir dir;
  std::string state;
  std::string workspace;
};

}  // namespace

TEST_CASE("Level 1: the workload is PID 2 as nobody, without privileges, and sees only itself") {
  PRISN_REQUIRE_ROOT();
  for (std::string parent :
       {"/tmp", "/var/tmp"}) {  // state covered by the private /tmp, or hidden by tmpfs
    State s(parent);
    SpawnOptions o = Shell(
        "echo pid=$$; echo uid=$(id -u):$(id -g); grep -E "
        "'^(NoNewPrivs|CapEff|CapBnd|CapPrm|CapAmb)' "
        "/proc/self/status | tr -d '\\t'; echo procs=$(ls /proc | grep -c '^[0-9]'); "
        "test -e /proc/1 && echo reaper-visible || echo reaper-hidden; "
        "kill -9 " +
            std::to_string(::getpid()) +
            " 2>/dev/null && echo killed || echo kill-failed; "
            "cat " +
            s.state +
            "/secret 2>/dev/null && echo read || echo read-failed; "
            "ls " +
            s.state +
            " 2>/dev/null | grep -c secret; "
            "echo host=$(hostname); echo tmp=$(ls -A /tmp | wc -l); touch w && echo ws-ok",
        1);
    o.workspace = s.workspace;
    o.hidden_path = s.state;
    o.hostname = "run-r1";
    auto c = RunCapture(o);
    INFO(parent << "\n" << Joined(c.out) << Joined(c.err));
    CHECK(c.status.code == 0);
    CHECK(Has(c.out, "pid=2"));
    CHECK(Has(c.out, "uid=65534:65534"));
    CHECK(Has(c.out, "NoNewPrivs:1"));
    CHECK(Has(c.out, "CapEff:0000000000000000"));
    CHECK(Has(c.out, "CapPrm:0000000000000000"));
    CHECK(Has(c.out, "CapBnd:0000000000000000"));
    CHECK(Has(c.out, "CapAmb:0000000000000000"));
    // Only the workload's own processes: sh, and the $(...) pipeline's.
    CHECK((Has(c.out, "procs=3") || Has(c.out, "procs=4")));
    CHECK(Has(c.out, "reaper-hidden"));
    CHECK(Has(c.out, "kill-failed"));
    CHECK(Has(c.out, "read-failed"));
    CHECK(Has(c.out, "0"));  // "secret" not listed
    CHECK(Has(c.out, "host=run-r1"));
    CHECK(Has(c.out, "ws-ok"));
    if (parent == "/var/tmp") CHECK(Has(c.out, "tmp=0"));
    CHECK(std::filesystem::exists(s.workspace + "/w"));  // the workspace is the host's directory
  }
}

TEST_CASE("Level 1: two workloads cannot see or signal each other") {
  PRISN_REQUIRE_ROOT();
  auto first = Spawn(Shell("exec sleep 1000", 1));
  REQUIRE(first);
  auto c = RunCapture(Shell("ps -e -o pid= | wc -l; kill -TERM -1 2>/dev/null; echo $?", 1));
  CHECK(c.out.front() == "3");  // sh, ps and wc: not the first workload
  CHECK(first->TryWait().value() == std::nullopt);
  first->Kill();
  CHECK(first->Wait().value().signal == SIGKILL);
}

TEST_CASE(
    "Level 1: binds show paths from under the hidden state directory, read-only unless writable") {
  PRISN_REQUIRE_ROOT();
  State s("/var/tmp");
  std::string env = s.state + "/envs/python-abc";
  WriteText(env + "/lib/mod.py", "VALUE = 42\n");
  WriteText(s.state + "/resolv.conf", "nameserver 10.53.0.1\n");
  SpawnOptions o = Shell("cat " + env + "/lib/mod.py; touch " + env +
                             "/x 2>/dev/null && echo env-writable || echo env-ro; "
                             "cat /etc/resolv.conf; cat " +
                             s.state + "/secret 2>/dev/null || echo secret-hidden",
                         1);
  o.workspace = s.workspace;
  o.hidden_path = s.state;
  o.binds = {{env, env, false}, {s.state + "/resolv.conf", "/etc/resolv.conf", false}};
  auto c = RunCapture(o);
  INFO(Joined(c.out) << Joined(c.err));
  CHECK(c.out ==
        std::vector<std::string>{"VALUE = 42", "env-ro", "nameserver 10.53.0.1", "secret-hidden"});
}

TEST_CASE("Level 2: the host is read-only except the workspace, data volumes and /tmp") {
  PRISN_REQUIRE_ROOT();
  // Not under a private folder (/tmp, /var/tmp): "outside" must be the host's.
  State s("/var/lib");
  std::string data = s.dir / "data";
  std::filesystem::create_directories(data);
  ::chown(data.c_str(), kNobodyUid, kNobodyGid);
  std::string outside = s.dir / "outside";
  std::filesystem::create_directories(outside);
  ::chmod(outside.c_str(), 0777);  // writable by anyone: only the read-only view stops it
  SpawnOptions o = Shell("for p in " + s.workspace + "/a " + data + "/b /tmp/c " + outside +
                             "/d /var/tmp/prisn-l2-probe; do "
                             "touch $p 2>/dev/null && echo ok $p || echo denied $p; done; "
                             "touch " +
                             outside + "/e 2>&1 | grep -o 'Read-only file system'",
                         2);
  o.workspace = s.workspace;
  o.hidden_path = s.state;
  o.writable_paths = {data};
  auto c = RunCapture(o);
  INFO(Joined(c.out) << Joined(c.err));
  CHECK(Has(c.out, "ok " + s.workspace + "/a"));
  CHECK(Has(c.out, "ok " + data + "/b"));
  CHECK(Has(c.out, "ok /tmp/c"));
  CHECK(Has(c.out, "denied " + outside + "/d"));
  // /var/tmp is one of the private folders: writable, and not the host's.
  CHECK(Has(c.out, "ok /var/tmp/prisn-l2-probe"));
  CHECK_FALSE(std::filesystem::exists("/var/tmp/prisn-l2-probe"));
  CHECK(Has(c.out, "Read-only file system"));
  CHECK(std::filesystem::exists(data + "/b"));
  CHECK_FALSE(std::filesystem::exists(outside + "/d"));
  CHECK_FALSE(std::filesystem::exists("/tmp/c"));  // the private /tmp stayed private
}

TEST_CASE(
    "Level 1: private folders come from private_dirs, read_only_host closes the rest, and "
    "detach_path drops the mounts below it") {
  PRISN_REQUIRE_ROOT();
  State s("/var/lib");
  // The caller's folders for /tmp, /var/tmp, ...
  std::string priv = s.state + "/runs/private";
  for (const char* folder : kPrivateFolders) {
    std::filesystem::create_directories(priv + "/" + PrivateFolderName(folder));
    ::chmod((priv + "/" + PrivateFolderName(folder)).c_str(), 01777);
  }
  // Another workload's workspace: a mount below the detach path.
  std::string runs = s.state + "/runs";
  std::string other = runs + "/other-workload";
  std::filesystem::create_directories(other);
  REQUIRE(::mount(runs.c_str(), runs.c_str(), nullptr, MS_BIND, nullptr) == 0);
  REQUIRE(::mount(nullptr, runs.c_str(), nullptr, MS_PRIVATE, nullptr) == 0);
  REQUIRE(::mount("tmpfs", other.c_str(), "tmpfs", 0, "size=64k") == 0);
  std::string outside = s.dir / "outside";
  std::filesystem::create_directories(outside);
  ::chmod(outside.c_str(), 01777);
  SpawnOptions o = Shell("echo x > /var/tmp/v && echo wrote-var-tmp; touch /run/lock/l; touch " +
                             outside + "/o 2>/dev/null && echo outside-writable || "
                             "echo outside-closed; touch w && echo ws-ok; "
                             "grep -c other-workload /proc/self/mountinfo",
                         1);
  o.workspace = s.workspace;
  o.hidden_path = s.state;
  o.private_dirs = priv;
  o.read_only_host = true;
  o.detach_path = runs;
  auto c = RunCapture(o);
  ::umount2(other.c_str(), MNT_DETACH);
  ::umount2(runs.c_str(), MNT_DETACH);
  INFO(Joined(c.out) << Joined(c.err));
  CHECK(Has(c.out, "wrote-var-tmp"));
  CHECK(Has(c.out, "outside-closed"));
  CHECK(Has(c.out, "ws-ok"));
  CHECK(Has(c.out, "0"));  // no mount names the other workload
  CHECK(std::filesystem::exists(priv + "/var-tmp/v"));
  CHECK(std::filesystem::exists(priv + "/run-lock/l"));
  CHECK(std::filesystem::exists(s.workspace + "/w"));
  CHECK_FALSE(std::filesystem::exists(outside + "/o"));
}

TEST_CASE("Spawn: a bad bind is refused before anything starts") {
  PRISN_REQUIRE_ROOT();
  SpawnOptions o = Shell("true", 1);
  o.binds = {{"/nonexistent/prisn/src", "/tmp/x", false}};
  CHECK(Spawn(o).error().code == ErrorCode::kInvalid);
  o.binds = {{"relative", "/tmp/x", false}};
  CHECK(Spawn(o).error().code == ErrorCode::kInvalid);
  o.binds.clear();
  o.hidden_path = "/";
  CHECK(Spawn(o).error().code == ErrorCode::kInvalid);
}

}  // namespace prisn::executor
