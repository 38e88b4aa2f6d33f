#include "executor/runner.h"

#include <sys/stat.h>

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
using testing::TempDir;

void Executable(const std::string& path, const std::string& text = "#!/bin/sh\nexit 0\n") {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path) << text;
  ::chmod(path.c_str(), 0755);
}

}  // namespace

TEST_CASE("RunnerRegistry: the runtime is the named runner, else inferred from the extension") {
  RunnerRegistry runners("/usr/bin:/bin");
  CHECK(runners.Select("", "app/main.py").value().name == "python3");
  CHECK(runners.Select("", "server.mjs").value().name == "node");
  CHECK(runners.Select("", "index.js").value().name == "node");
  CHECK(runners.Select("", "backup.sh").value().name == "bash");
  CHECK(runners.Select("bash", "script.py").value().name == "bash");
  CHECK(runners.Select("", "README").error().code == ErrorCode::kInvalid);
  auto unknown_ext = runners.Select("", "x.lua");
  REQUIRE_FALSE(unknown_ext);
  CHECK(unknown_ext.error().message.find("\".lua\"") != std::string::npos);
  auto unknown = runners.Select("ruby", "x.rb");
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().code == ErrorCode::kNotFound);
  CHECK(unknown.error().message.find("bash, node, python3") != std::string::npos);
}

TEST_CASE("FindOnPath skips shim directories and returns the real path") {
  TempDir dir;
  Executable(dir / "pyenv/shims/tool");
  Executable(dir / "real/bin/tool-1.2");
  fs::create_symlink(dir / "real/bin/tool-1.2", dir / "real/bin/tool");
  std::string path = dir / "pyenv/shims" + ":relative/dir:" + (dir / "real/bin");
  auto found = FindOnPath("tool", path);
  REQUIRE(found);
  CHECK(*found == dir / "real/bin/tool-1.2");
  CHECK(FindOnPath("tool", dir / "pyenv/shims").error().code == ErrorCode::kNotFound);
  CHECK(FindOnPath(dir / "real/bin/tool", "").value() == dir / "real/bin/tool-1.2");
}

TEST_CASE(
    "RunnerRegistry::Interpreter resolves once, and a missing one names the runner and what to "
    "install") {
  TempDir dir;
  // A name no system folder has, so that the given PATH decides.
  Executable(dir / "bin/prisn-test-interp");
  RunnerRegistry runners(dir / "bin" + ":" + (dir / "bin2"));
  REQUIRE(runners.Add(RunnerDef{"interp", {"prisn-test-interp"}, {"{script}"}, {".x"}, {}}));
  auto interp = runners.Interpreter(runners.Find("interp").value());
  REQUIRE(interp);
  CHECK(*interp == dir / "bin/prisn-test-interp");

  REQUIRE(runners.Add(RunnerDef{"node", {"prisn-no-such-node"}, {"{script}"}, {".js"}, {}}));
  auto node = runners.Interpreter(runners.Find("node").value());
  REQUIRE_FALSE(node);
  CHECK(node.error().code == ErrorCode::kUnavailable);
  CHECK(node.error().message ==
        "runner node: interpreter prisn-no-such-node not found on PATH; install it (apt-get "
        "install nodejs) or declare a Runner with an absolute command");

  REQUIRE(runners.Add(RunnerDef{"lua", {"/nonexistent/lua5.4"}, {"{script}"}, {".lua"}, {}}));
  auto lua = runners.Interpreter(runners.Find("lua").value());
  REQUIRE_FALSE(lua);
  CHECK(lua.error().message.find("apt-get install lua5.4") != std::string::npos);

  // Cached, and re-resolved once the cached file is gone.
  Executable(dir / "bin2/prisn-test-interp-1.1");
  fs::create_symlink(dir / "bin2/prisn-test-interp-1.1", dir / "bin2/prisn-test-interp");
  CHECK(runners.Interpreter(runners.Find("interp").value()).value() ==
        dir / "bin/prisn-test-interp");
  fs::remove(dir / "bin/prisn-test-interp");
  CHECK(runners.Interpreter(runners.Find("interp").value()).value() ==
        dir / "bin2/prisn-test-interp-1.1");
}

TEST_CASE(
    "RunnerRegistry: a PATH whose first python3 is in a folder only root may enter resolves to "
    "the system python3") {
  if (!fs::exists("/usr/bin/python3")) {
    WARN("skipped: /usr/bin/python3 is missing");
    return;
  }
  // The shape of a root shell with pyenv: ~/.pyenv/versions/X/bin under a
  // home of mode 0700, first on PATH.
  TempDir dir;
  Executable(dir / "home/.pyenv/versions/3.12.0/bin/python3");
  ::chmod((dir / "home").c_str(), 0700);
  RunnerRegistry runners(dir / "home/.pyenv/versions/3.12.0/bin:/usr/bin:/bin");
  auto python = runners.Interpreter(runners.Find("python3").value());
  REQUIRE(python);
  CHECK(*python == fs::canonical("/usr/bin/python3").string());
  CHECK(runners.Summary().find("python3 " + *python) != std::string::npos);
}

TEST_CASE("FindOnPath takes only files every user may execute, in folders every user may enter") {
  TempDir dir;
  Executable(dir / "private/bin/tool");  // the file is fine, its folder is not
  ::chmod((dir / "private").c_str(), 0700);
  Executable(dir / "owner-only/tool");  // the folder is fine, the file is not
  ::chmod((dir / "owner-only/tool").c_str(), 0750);
  Executable(dir / "public/tool");
  std::string path = dir / "private/bin" + ":" + (dir / "owner-only") + ":" + (dir / "public");
  CHECK(FindOnPath("tool", path).value() == dir / "public/tool");
  CHECK(FindOnPath("tool", dir / "private/bin").error().code == ErrorCode::kNotFound);
  CHECK(FindOnPath("tool", dir / "owner-only").error().code == ErrorCode::kNotFound);
  CHECK(FindOnPath(dir / "private/bin/tool", "").error().code == ErrorCode::kNotFound);
  // A symlink is judged by where it leads.
  fs::create_symlink(dir / "private/bin/tool", dir / "public/link");
  CHECK(FindOnPath(dir / "public/link", "").error().code == ErrorCode::kNotFound);
  CHECK(SystemPathFirst("/root/.pyenv/shims") == "/usr/local/bin:/usr/bin:/bin:/root/.pyenv/shims");
}

TEST_CASE("RunnerRegistry::Add validates, and replaces a built-in of the same name") {
  RunnerRegistry runners("/usr/bin:/bin");
  CHECK(runners.Add(RunnerDef{"", {"x"}, {"{script}"}, {}, {}}).error().code ==
        ErrorCode::kInvalid);
  CHECK(runners.Add(RunnerDef{"x", {}, {"{script}"}, {}, {}}).error().code == ErrorCode::kInvalid);
  CHECK(runners.Add(RunnerDef{"x", {"x"}, {"run"}, {}, {}}).error().code == ErrorCode::kInvalid);
  CHECK(runners.Add(RunnerDef{"x", {"x"}, {"{script}"}, {"lua"}, {}}).error().code ==
        ErrorCode::kInvalid);
  REQUIRE(runners.Add(
      RunnerDef{"python3", {"/usr/bin/python3", "-X", "utf8"}, {"{script}"}, {".py"}, {}}));
  auto argv = runners.Command(runners.Find("python3").value(), "main.py", {"--flag", "v"});
  REQUIRE(argv);
  CHECK(argv->at(0).starts_with("/usr/bin/python3"));
  CHECK(std::vector<std::string>(argv->begin() + 1, argv->end()) ==
        std::vector<std::string>{"-X", "utf8", "main.py", "--flag", "v"});
  auto venv = runners.Command(runners.Find("python3").value(), "a.py", {}, "/envs/x/bin/python3");
  CHECK(venv->front() == "/envs/x/bin/python3");
}

TEST_CASE("A custom Lua runner from a Runner definition runs a .lua script") {
  if (!fs::exists("/usr/bin/lua5.4")) {
    WARN("skipped: /usr/bin/lua5.4 is missing (apt-get install lua5.4)");
    return;
  }
  TempDir dir;
  std::ofstream(dir / "hello.lua")
      << "print('hello from ' .. _VERSION)\nprint(arg[1])\nos.exit(4)\n";
  RunnerRegistry runners("/usr/bin:/bin");
  REQUIRE(runners.Add(RunnerDef{"lua", {"/usr/bin/lua5.4"}, {"{script}"}, {".lua"}, {}}));
  auto def = runners.Select("", "hello.lua");
  REQUIRE(def);
  CHECK(def->name == "lua");
  auto argv = runners.Command(*def, "hello.lua", {"an-arg"});
  REQUIRE(argv);
  for (int level : ::geteuid() == 0 ? std::vector<int>{0, 1} : std::vector<int>{0}) {
    SpawnOptions o;
    o.argv = *argv;
    o.workspace = dir.path();
    o.isolation_level = level;
    auto c = RunCapture(o);
    INFO(Joined(c.err));
    CHECK(c.out == std::vector<std::string>{"hello from Lua 5.4", "an-arg"});
    CHECK(c.status.code == 4);
  }
}

}  // namespace prisn::executor
