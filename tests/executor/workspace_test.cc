#include "executor/workspace.h"

#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "executor/spawn.h"
#include "tests/executor/test_util.h"

namespace prisn::executor {
namespace {

namespace fs = std::filesystem;
using testing::Joined;
using testing::RunCapture;
using testing::Shell;
using testing::TempDir;

constexpr long kTmpfsMagic = 0x01021994;

bool IsTmpfs(const std::string& path) {
  struct statfs st {};
  return ::statfs(path.c_str(), &st) == 0 && st.f_type == kTmpfsMagic;
}

}  // namespace

TEST_CASE(
    "Workspace: a size-limited workspace is a tmpfs owned by the run's user, removed at the end") {
  TempDir dir;
  std::string path = dir / "ws/run-1";
  {
    auto ws = Workspace::Create(
        {.path = path, .size_bytes = 1 << 20, .uid = kNobodyUid, .gid = kNobodyGid});
    REQUIRE(ws);
    CHECK(ws->root() == path);
    CHECK(ws->path() == path + "/home");
    struct stat st {};
    REQUIRE(::stat(ws->path().c_str(), &st) == 0);
    if (::geteuid() == 0) {
      CHECK(ws->size_limited());
      CHECK(IsTmpfs(path));
      CHECK(st.st_uid == kNobodyUid);
      CHECK(st.st_gid == kNobodyGid);
      // The private temp folders share the tmpfs, sticky and world-writable.
      for (const char* folder : kPrivateFolders) {
        std::string dir = ws->private_dirs() + "/" + PrivateFolderName(folder);
        REQUIRE(::stat(dir.c_str(), &st) == 0);
        CHECK((st.st_mode & 07777) == 01777);
        CHECK(st.st_uid == 0);
      }
      REQUIRE(::stat(path.c_str(), &st) == 0);
      CHECK((st.st_mode & 07777) == 0711);
    } else {
      CHECK_FALSE(ws->size_limited());
    }
    auto again = Workspace::Create({.path = path});
    REQUIRE_FALSE(again);
    CHECK(again.error().code == ErrorCode::kConflict);
  }
  CHECK_FALSE(fs::exists(path));
  CHECK(Workspace::Create({.path = "relative/ws"}).error().code == ErrorCode::kInvalid);
}

TEST_CASE("Workspace: a workload writing beyond the size limit gets ENOSPC") {
  PRISN_REQUIRE_ROOT();
  TempDir dir;
  auto ws = Workspace::Create(
      {.path = dir / "ws", .size_bytes = 1 << 20, .uid = kNobodyUid, .gid = kNobodyGid});
  REQUIRE(ws);
  SpawnOptions o = Shell(
      "dd if=/dev/zero of=small bs=64k count=4 2>/dev/null && echo small-ok; "
      "dd if=/dev/zero of=big bs=64k count=64 2>&1 | grep -o 'No space left on device'",
      1);
  o.workspace = ws->path();
  auto c = RunCapture(o);
  INFO(Joined(c.out) << Joined(c.err));
  CHECK(c.out == std::vector<std::string>{"small-ok", "No space left on device"});
  CHECK(fs::file_size(ws->path() + "/big") + fs::file_size(ws->path() + "/small") <= (1u << 20));
  // The limit holds for the daemon's own writes too.
  auto st = ws->WriteFile("more", std::string(2 << 20, 'x'));
  REQUIRE_FALSE(st);
  CHECK(st.error().message.find("No space left") != std::string::npos);
}

TEST_CASE(
    "Workspace: CopyIn and WriteFile put files inside, owned by the run's user, and refuse to "
    "escape") {
  TempDir dir;
  fs::create_directories(dir / "src/lib");
  std::ofstream(dir / "src/main.py") << "print('hi')\n";
  std::ofstream(dir / "src/lib/util.py") << "X = 1\n";
  auto ws = Workspace::Create({.path = dir / "ws", .uid = kNobodyUid, .gid = kNobodyGid});
  REQUIRE(ws);
  REQUIRE(ws->CopyIn(dir / "src"));
  REQUIRE(ws->WriteFile("conf/app.env", "A=1\n", 0600));
  CHECK(fs::exists(ws->path() + "/main.py"));
  CHECK(fs::exists(ws->path() + "/lib/util.py"));
  struct stat st {};
  REQUIRE(::stat((ws->path() + "/conf/app.env").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  if (::geteuid() == 0) {
    REQUIRE(::stat((ws->path() + "/lib/util.py").c_str(), &st) == 0);
    CHECK(st.st_uid == kNobodyUid);
  }
  CHECK(ws->WriteFile("../escape", "x").error().code == ErrorCode::kInvalid);
  CHECK(ws->CopyIn(dir / "src/main.py", "/etc/passwd").error().code == ErrorCode::kInvalid);
  CHECK_FALSE(fs::exists(dir / "escape"));
}

}  // namespace prisn::executor

namespace prisn::executor {
namespace {

TEST_CASE("Workspace: WriteFile makes folders the workload's user can enter, whatever the umask") {
  testing::TempDir dir;
  mode_t old = ::umask(077);  // the daemon's umask
  auto ws = Workspace::Create({dir.path() + "/ws", 0, kNobodyUid, kNobodyGid});
  REQUIRE(ws);
  REQUIRE(ws->WriteFile("lib/deep/mod.py", "X = 1\n"));
  ::umask(old);
  for (const char* rel : {"lib", "lib/deep"}) {
    struct stat st {};
    REQUIRE(::stat((fs::path(ws->path()) / rel).c_str(), &st) == 0);
    INFO(rel);
    CHECK((st.st_mode & 0777) == 0755);
    if (::geteuid() == 0) CHECK(st.st_uid == kNobodyUid);
  }
}

}  // namespace
}  // namespace prisn::executor
