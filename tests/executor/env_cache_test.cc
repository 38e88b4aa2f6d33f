// Environment builds against a local wheelhouse and a local npm tarball:
// no network. The tests build their own small packages.
#include "executor/env_cache.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "executor/runner.h"
#include "tests/executor/test_util.h"

namespace prisn::executor {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::Joined;
using testing::RunCapture;
using testing::TempDir;

constexpr const char* kPython = "/usr/bin/python3";

// A pure-Python wheel written by hand: a zip with the module, METADATA,
// WHEEL and RECORD.
void MakeWheel(const std::string& wheelhouse, const std::string& name, const std::string& value) {
  std::string script =
      "import base64, hashlib, sys, zipfile\n"
      "house, name, value = sys.argv[1:4]\n"
      "mod = name.replace('-', '_')\n"
      "info = f'{mod}-0.1.dist-info'\n"
      "files = {f'{mod}/__init__.py': f'VALUE = {value}\\n',\n"
      "         f'{info}/METADATA': f'Metadata-Version: 2.1\\nName: {name}\\nVersion: 0.1\\n',\n"
      "         f'{info}/WHEEL': 'Wheel-Version: 1.0\\nGenerator: prisn-test\\nRoot-Is-Purelib: "
      "true\\nTag: py3-none-any\\n'}\n"
      "record = []\n"
      "with zipfile.ZipFile(f'{house}/{mod}-0.1-py3-none-any.whl', 'w') as z:\n"
      "    for path, text in files.items():\n"
      "        z.writestr(path, text)\n"
      "        digest = "
      "base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b'=').decode()\n"
      "        record.append(f'{path},sha256={digest},{len(text)}')\n"
      "    record.append(f'{info}/RECORD,,')\n"
      "    z.writestr(f'{info}/RECORD', '\\n'.join(record) + '\\n')\n";
  SpawnOptions o;
  o.argv = {kPython, "-c", script, wheelhouse, name, value};
  o.isolation_level = 0;
  auto c = RunCapture(o);
  REQUIRE(c.status.Success());
}

struct Fixture {
  Fixture() {
    fs::create_directories(house);
    fs::create_directories(src);
    MakeWheel(house, "prisn-demo-a", "42");
    MakeWheel(house, "prisn-demo-b", "7");
  }
  EnvCacheOptions Options() const {
    return EnvCacheOptions{
        .root = dir / "envs",
        .build_env = {"PATH=/usr/bin:/bin", "HOME=" + dir.path(), "PIP_NO_INDEX=1",
                      "PIP_FIND_LINKS=" + house, "npm_config_offline=true"},
        .search_path = "/usr/local/bin:/usr/bin:/bin"};
  }
  TempDir dir;
  std::string house = dir / "wheelhouse";
  std::string src = dir / "src";
};

std::vector<std::string> RunIn(const Environment& env, const std::vector<std::string>& argv,
                               int level = 0) {
  SpawnOptions o;
  o.argv = argv;
  o.env = env.env;
  o.env.push_back("PATH=" + env.path_prefix + ":/usr/bin:/bin");
  o.isolation_level = level;
  auto c = RunCapture(o);
  INFO(Joined(c.err));
  CHECK(c.status.Success());
  return c.out;
}

bool Python3HasPip() {
  SpawnOptions o;
  o.argv = {kPython, "-m", "pip", "--version"};
  o.isolation_level = 0;
  return fs::exists(kPython) && RunCapture(o).status.Success();
}

}  // namespace

TEST_CASE(
    "EnvCache: a Python environment is built on a miss, reused on a hit, and imports its package") {
  if (!Python3HasPip()) {
    WARN(
        "skipped: /usr/bin/python3 -m pip is unavailable (apt-get install python3-pip "
        "python3-venv)");
    return;
  }
  Fixture f;
  EnvCache cache(f.Options());
  std::ofstream(f.src + "/requirements.txt") << "# the demo\nprisn-demo-a==0.1\n";
  auto t0 = std::chrono::steady_clock::now();
  auto miss = cache.EnsurePython(f.src, kPython);
  auto t1 = std::chrono::steady_clock::now();
  REQUIRE(miss);
  REQUIRE(miss->has_value());
  const Environment& env = **miss;
  CHECK(env.built);
  CHECK(env.dir == f.dir / ("envs/python-" + env.key));
  CHECK(fs::exists(env.dir + "/.prisn-ready"));
  CHECK(env.interpreter == env.dir + "/bin/python3");
  CHECK(RunIn(env, {env.interpreter, "-c", "import prisn_demo_a; print(prisn_demo_a.VALUE)"}) ==
        std::vector<std::string>{"42"});

  // The same dependencies written differently: the same environment.
  std::ofstream(f.src + "/requirements.txt") << "prisn-demo-a==0.1   # again\n\n";
  auto t2 = std::chrono::steady_clock::now();
  auto hit = cache.EnsurePython(f.src, kPython);
  auto t3 = std::chrono::steady_clock::now();
  REQUIRE(hit);
  REQUIRE(hit->has_value());
  CHECK_FALSE((*hit)->built);
  CHECK((*hit)->key == env.key);
  double miss_ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
  double hit_ms = std::chrono::duration<double, std::milli>(t3 - t2).count();
  WARN("environment miss " << miss_ms << " ms, hit " << hit_ms << " ms");

  // pyproject.toml declaring the same set reuses it too.
  fs::remove(f.src + "/requirements.txt");
  std::ofstream(f.src + "/pyproject.toml")
      << "[project]\nname = \"app\"\ndependencies = [\"prisn-demo-a==0.1\"]\n";
  auto from_toml = cache.EnsurePython(f.src, kPython);
  REQUIRE(from_toml);
  CHECK_FALSE((*from_toml)->built);
  CHECK((*from_toml)->key == env.key);

  // A workload at level 1 uses it from under the hidden state directory.
  if (::geteuid() == 0) {
    SpawnOptions o;
    o.argv = {env.interpreter, "-c", "import prisn_demo_a; print(prisn_demo_a.VALUE)"};
    o.env = env.env;
    o.isolation_level = 1;
    o.hidden_path = f.dir / "envs";
    o.binds = {{env.dir, env.dir, false}};
    auto c = RunCapture(o);
    INFO(Joined(c.err));
    CHECK(c.out == std::vector<std::string>{"42"});
  }
}

TEST_CASE("EnvCache: sources without declared dependencies need no environment") {
  Fixture f;
  EnvCache cache(f.Options());
  CHECK_FALSE(cache.EnsurePython(f.src, kPython).value().has_value());
  CHECK_FALSE(cache.EnsureNode(f.src, "/usr/bin/node").value().has_value());
}

TEST_CASE("EnvCache: two concurrent runs needing a new environment build it once") {
  if (!Python3HasPip()) {
    WARN("skipped: /usr/bin/python3 -m pip is unavailable");
    return;
  }
  Fixture f;
  EnvCache cache(f.Options());
  std::ofstream(f.src + "/requirements.txt") << "prisn-demo-b==0.1\n";
  std::optional<Result<std::optional<Environment>>> results[2];
  std::thread first([&] { results[0] = cache.EnsurePython(f.src, kPython); });
  std::thread second([&] { results[1] = cache.EnsurePython(f.src, kPython); });
  first.join();
  second.join();
  REQUIRE(results[0]->has_value());
  REQUIRE(results[1]->has_value());
  const Environment& a = ***results[0];
  const Environment& b = ***results[1];
  CHECK(a.key == b.key);
  CHECK(a.built != b.built);  // exactly one of them built it
  CHECK(RunIn(a, {a.interpreter, "-c", "import prisn_demo_b; print(prisn_demo_b.VALUE)"}) ==
        std::vector<std::string>{"7"});
}

TEST_CASE("EnvCache: a failed build reports pip's output and leaves no environment behind") {
  if (!Python3HasPip()) {
    WARN("skipped: /usr/bin/python3 -m pip is unavailable");
    return;
  }
  Fixture f;
  EnvCache cache(f.Options());
  std::ofstream(f.src + "/requirements.txt") << "prisn-does-not-exist==9.9\n";
  auto env = cache.EnsurePython(f.src, kPython);
  REQUIRE_FALSE(env);
  CHECK(env.error().code == ErrorCode::kUnavailable);
  CHECK(env.error().message.find("pip install (requirements.txt) failed") != std::string::npos);
  CHECK(env.error().message.find("No matching distribution found for prisn-does-not-exist==9.9") !=
        std::string::npos);
  for (const auto& entry : fs::directory_iterator(f.dir / "envs")) {
    CHECK_FALSE((entry.is_directory() && entry.path().filename().string().starts_with("python-")));
  }
}

TEST_CASE("EnvCache::CollectGarbage removes environments unused for too long, except those kept") {
  if (!Python3HasPip()) {
    WARN("skipped: /usr/bin/python3 -m pip is unavailable");
    return;
  }
  Fixture f;
  EnvCache cache(f.Options());
  std::ofstream(f.src + "/requirements.txt") << "prisn-demo-a==0.1\n";
  auto env = cache.EnsurePython(f.src, kPython);
  REQUIRE(env);
  const std::string dir = (*env)->dir;
  CHECK(cache.CollectGarbage(std::chrono::hours(24 * 7)).value() == 0);  // used just now
  auto old = fs::file_time_type::clock::now() - std::chrono::hours(24 * 10);
  fs::last_write_time(dir + "/.prisn-used", old);
  CHECK(cache.CollectGarbage(std::chrono::hours(24 * 7), {(*env)->key}).value() == 0);  // in use
  CHECK(fs::exists(dir));
  CHECK(cache.CollectGarbage(std::chrono::hours(24 * 7)).value() == 1);
  CHECK_FALSE(fs::exists(dir));
  // A half build (no ready marker) of a crashed daemon is collected as well.
  fs::create_directories(f.dir / "envs/python-0123456789abcdef01234567/lib");
  CHECK(cache.CollectGarbage(std::chrono::hours(24 * 7)).value() == 1);
}

TEST_CASE(
    "EnvCache: a Node environment installs package.json dependencies into a cached node_modules") {
  RunnerRegistry runners("/usr/local/bin:/usr/bin:/bin");
  auto node = runners.Interpreter(runners.Find("node").value());
  if (!node || !FindOnPath("npm", "/usr/local/bin:/usr/bin:/bin")) {
    WARN("skipped: node or npm is missing");
    return;
  }
  Fixture f;
  // A local package tarball: npm installs it without a registry.
  std::string pkg = f.dir / "pkg";
  fs::create_directories(pkg);
  std::ofstream(pkg + "/package.json")
      << R"({"name": "prisn-demo", "version": "1.0.0", "main": "index.js"})";
  std::ofstream(pkg + "/index.js") << "module.exports = { value: 42 };\n";
  SpawnOptions pack;
  pack.argv = {*node, *FindOnPath("npm", "/usr/bin:/bin"), "pack", "--offline"};
  pack.env = {"PATH=/usr/bin:/bin", "HOME=" + f.dir.path(),
              "npm_config_cache=" + (f.dir / "npm-cache")};
  pack.cwd = pkg;
  pack.isolation_level = 0;
  REQUIRE(RunCapture(pack).status.Success());
  std::ofstream(f.src + "/package.json")
      << R"({"name": "app", "version": "1.0.0", "dependencies": {"prisn-demo": "file:)" << pkg
      << R"(/prisn-demo-1.0.0.tgz"}})";

  EnvCache cache(f.Options());
  auto env = cache.EnsureNode(f.src, *node);
  REQUIRE(env);
  REQUIRE(env->has_value());
  CHECK((*env)->built);
  CHECK(fs::exists((*env)->dir + "/node_modules/prisn-demo/index.js"));
  CHECK(RunIn(**env, {*node, "-e", "console.log(require('prisn-demo').value)"}) ==
        std::vector<std::string>{"42"});
  auto again = cache.EnsureNode(f.src, *node);
  REQUIRE(again);
  CHECK_FALSE((*again)->built);
}

TEST_CASE("EnvCache: no code of a dependency runs at install, neither a Python sdist's setup nor an npm install script") {
  Fixture f;
  std::string marker = f.dir / "ran-as-daemon";
  // A source distribution whose setup.py would leave a marker if pip built it.
  std::string sdist = f.dir / "sdist/prisn-evil-0.1";
  fs::create_directories(sdist);
  std::ofstream(sdist + "/setup.py")
      << "open('" << marker << "', 'w').write('pip')\nfrom setuptools import setup\n"
      << "setup(name='prisn-evil', version='0.1')\n";
  SpawnOptions tar;
  tar.argv = {"/bin/tar", "-czf", f.house + "/prisn-evil-0.1.tar.gz", "-C", f.dir / "sdist",
              "prisn-evil-0.1"};
  tar.isolation_level = 0;
  REQUIRE(RunCapture(tar).status.Success());
  // setuptools in reach (Debian's python3-venv brings its wheel): without
  // --only-binary pip would build the sdist offline, running setup.py.
  bool have_setuptools = false;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/usr/share/python-wheels", ec)) {
    if (e.path().filename().string().starts_with("setuptools-")) {
      fs::copy_file(e.path(), f.house + "/" + e.path().filename().string());
      have_setuptools = true;
    }
  }
  if (!have_setuptools) WARN("setuptools wheel missing: the sdist could not be built anyway");
  MakeWheel(f.house, "wheel", "0");  // pip's build environment asks for it, nothing more
  std::ofstream(f.src + "/requirements.txt") << "prisn-evil==0.1\n";
  EnvCache cache(f.Options());
  auto py = cache.EnsurePython(f.src, kPython);
  CHECK_FALSE(py);
  CHECK_FALSE(fs::exists(marker));
  fs::remove(f.src + "/requirements.txt");

  RunnerRegistry runners("/usr/local/bin:/usr/bin:/bin");
  auto node = runners.Interpreter(runners.Find("node").value());
  if (!node || !FindOnPath("npm", "/usr/local/bin:/usr/bin:/bin")) {
    WARN("npm part skipped: node or npm is missing");
    return;
  }
  // The app's own preinstall script, and its dependency's, would run as the
  // daemon's user.
  std::string pkg = f.dir / "pkg";
  fs::create_directories(pkg);
  std::ofstream(pkg + "/package.json")
      << R"({"name": "prisn-dep", "version": "1.0.0", "scripts": {"install": "touch )" << marker
      << R"(-dep"}})";
  std::ofstream(f.src + "/package.json")
      << R"({"name": "app", "version": "1.0.0", "scripts": {"preinstall": "touch )" << marker
      << R"("}, "dependencies": {"prisn-dep": "file:)" << pkg << R"("}})";
  auto js = cache.EnsureNode(f.src, *node);
  INFO((js ? std::string("built") : js.error().message));
  CHECK(js);
  CHECK_FALSE(fs::exists(marker));
  CHECK_FALSE(fs::exists(marker + "-dep"));
}

TEST_CASE("EnvCache::SuggestPython names undeclared imports, leaving out the standard library and local modules") {
  if (!fs::exists(kPython)) {
    WARN("skipped: /usr/bin/python3 is missing");
    return;
  }
  Fixture f;
  std::ofstream(f.src + "/main.py") << "import json, os\nimport yaml\nimport helper\nfrom requests import get\n";
  std::ofstream(f.src + "/helper.py") << "X = 1\n";
  EnvCache cache(f.Options());
  auto suggested = cache.SuggestPython(f.src, "main.py", kPython);
  REQUIRE(suggested);
  CHECK(*suggested == std::vector<std::string>{"requests", "PyYAML"});
  CHECK_FALSE(fs::exists(f.dir / "envs"));  // nothing was built or installed
}

}  // namespace prisn::executor
