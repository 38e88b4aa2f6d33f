// What a workload sees of the host and of other workloads, through a real
// daemon and `prisn run`: its namespace's own uid (kept across a restart),
// private world-writable folders, a mount table without other workloads,
// and an interpreter its user can execute whatever PATH the daemon had.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>

#include "tests/integration/daemon.h"

namespace prisn::testing {
namespace {

namespace fs = std::filesystem;

std::string Slurp(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Fixture {
  TempDir dir;
  std::optional<Daemon> daemon;
  std::map<std::string, std::string> env = IsolatedEnv(dir.path() / "home");
  Fixture() {
    daemon.emplace(dir.path() / "state");
    env["PRISN_STATE_DIR"] = (dir.path() / "state").string();
  }
  RunResult operator()(const std::vector<std::string>& args) const {
    return Prisn(args, env, dir.path().string());
  }
  // The "uid=N" a run of uid.sh prints in `ns`.
  std::string UidIn(const std::string& ns) const {
    auto r = (*this)({"run", "uid.sh", "-n", ns});
    INFO(r.all());
    REQUIRE(r.exit_code == 0);
    return r.out;
  }
};

// Sets PATH for what this process starts from now on (the daemon inherits
// it), and puts the old one back.
class PathGuard {
 public:
  explicit PathGuard(const std::string& path) {
    if (const char* old = std::getenv("PATH")) old_ = old;
    ::setenv("PATH", path.c_str(), 1);
  }
  ~PathGuard() { ::setenv("PATH", old_.c_str(), 1); }

 private:
  std::string old_ = "/usr/bin:/bin";
};

}  // namespace

TEST_CASE(
    "runs of different namespaces get different uids, a namespace the same one, across a "
    "daemon restart") {
  if (::geteuid() != 0) {
    WARN("skipped: needs root (workloads run at level 0 without it)");
    return;
  }
  Fixture prisn;
  prisn.dir.Write("uid.sh", "echo uid=$(id -u):$(id -g) home=$(stat -c %u \"$HOME\")\n");
  std::string a = prisn.UidIn("team-a");
  std::string b = prisn.UidIn("team-b");
  std::smatch m;
  REQUIRE(std::regex_match(a, m, std::regex("uid=([0-9]+):\\1 home=\\1\n")));
  CHECK(m[1] != "65534");
  REQUIRE(std::regex_match(b, std::regex("uid=([0-9]+):\\1 home=\\1\n")));
  CHECK(a != b);
  CHECK(prisn.UidIn("team-a") == a);

  prisn.daemon.reset();
  prisn.daemon.emplace(prisn.dir.path() / "state");
  CHECK(prisn.UidIn("team-b") == b);
  CHECK(prisn.UidIn("team-a") == a);
}

TEST_CASE(
    "a run's /var/tmp and /run/lock are its own and gone after it, and its mountinfo names no "
    "other run") {
  if (::geteuid() != 0) {
    WARN("skipped: needs root (workloads run at level 0 without it)");
    return;
  }
  Fixture prisn;
  prisn.dir.Write("hold.sh", "echo holding\nsleep 600\n");
  auto held = prisn({"run", "hold.sh", "--detach", "-n", "team-a"});
  INFO(held.all());
  REQUIRE(held.exit_code == 0);
  std::string held_id = held.out.substr(0, held.out.size() - 1);
  REQUIRE(Eventually([&] { return prisn({"logs", "job/" + held_id}).out == "holding\n"; }));
  // The held run's workspace, as the host names it.
  std::vector<std::string> others;
  for (const auto& e : fs::directory_iterator(prisn.dir.path() / "state/run"))
    others.push_back(e.path().filename().string());
  REQUIRE(others.size() == 1);

  std::string marker = "prisn-iso-" + std::to_string(::getpid());
  prisn.dir.Write("look.sh", "for d in /var/tmp /run/lock /tmp /dev/shm; do\n"
                             "  touch $d/" + marker + " && echo wrote $d\n"
                             "done\n"
                             "cat /proc/self/mountinfo\n");
  auto look = prisn({"run", "look.sh", "-n", "team-b"});
  INFO(look.all());
  REQUIRE(look.exit_code == 0);
  for (std::string d : {"/var/tmp", "/run/lock", "/tmp", "/dev/shm"}) {
    if (!fs::exists(d)) continue;
    CHECK(look.out.find("wrote " + d + "\n") != std::string::npos);
    CHECK_FALSE(fs::exists(d + "/" + marker));
  }
  CHECK(look.out.find(" / / ") != std::string::npos);  // it is the mount table
  for (const auto& name : others) CHECK(look.out.find(name) == std::string::npos);
  CHECK(look.out.find(held_id) == std::string::npos);
  // The held run ends with the daemon.
}

TEST_CASE(
    "an interpreter first on the daemon's PATH in a folder only root may enter is passed over "
    "for the system's, and the start-up log names it") {
  if (::geteuid() != 0 || !fs::exists("/usr/bin/python3")) {
    WARN("skipped: needs root and /usr/bin/python3");
    return;
  }
  // The shape of a root shell with pyenv: a python3 under a home of mode 0700.
  TempDir home;
  home.Write(".pyenv/versions/3.12.0/bin/python3", "#!/bin/sh\necho from-the-private-python\n");
  ::chmod((home / ".pyenv/versions/3.12.0/bin/python3").c_str(), 0755);
  ::chmod(home.path().c_str(), 0700);
  const char* old = std::getenv("PATH");
  PathGuard path(home / ".pyenv/versions/3.12.0/bin" + ":" + (old ? old : "/usr/bin:/bin"));
  Fixture prisn;
  prisn.dir.Write("hello.py", "import sys\nprint('hello from', sys.version_info[0])\n");
  auto r = prisn({"run", "hello.py"});
  INFO(r.all());
  CHECK(r.exit_code == 0);
  CHECK(r.out == "hello from 3\n");
  std::string log = Slurp(prisn.dir.path() / "state/logs/prisn.log") +
                    Slurp(prisn.dir.path() / "state/daemon.err");
  std::string system = fs::canonical("/usr/bin/python3").string();
  CHECK(log.find("python3 " + system) != std::string::npos);
  CHECK(log.find(".pyenv/versions") == std::string::npos);
}

}  // namespace prisn::testing
