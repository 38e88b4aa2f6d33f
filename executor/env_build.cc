// Building environments: the pip and npm invocations.
#include <fmt/format.h>
#include <sys/stat.h>

#include <filesystem>

#include "executor/env_cache.h"
#include "executor/run.h"
#include "executor/runner.h"
#include "util/files.h"

namespace prisn::executor {
namespace fs = std::filesystem;

namespace {

constexpr std::size_t kKeptOutput = 16 * 1024;

bool HasVar(const std::vector<std::string>& env, std::string_view name) {
  for (const auto& kv : env) {
    if (kv.size() > name.size() && kv.starts_with(name) && kv[name.size()] == '=') return true;
  }
  return false;
}

// Workloads run as another user: everything in an environment must be
// readable, and directories and executables traversable.
Status MakeReadable(const std::string& dir) {
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0 || S_ISLNK(st.st_mode)) continue;
    mode_t want = st.st_mode | S_IRUSR | S_IRGRP | S_IROTH;
    if (S_ISDIR(st.st_mode) || (st.st_mode & S_IXUSR)) want |= S_IXUSR | S_IXGRP | S_IXOTH;
    if (want != st.st_mode) ::chmod(it->path().c_str(), want & 07777);
  }
  if (ec) return Fail(ErrorCode::kIo, "walk the environment: " + ec.message(), dir);
  ::chmod(dir.c_str(), 0755);
  return {};
}

}  // namespace

Result<std::string> EnvCache::RunTool(const std::vector<std::string>& argv, const std::string& cwd,
                                      const std::string& what,
                                      const std::vector<std::string>& extra_env) {
  RunOptions run;
  run.spawn.argv = argv;
  run.spawn.env = options_.build_env;
  run.spawn.env.insert(run.spawn.env.end(), extra_env.begin(), extra_env.end());
  run.spawn.cwd = cwd;
  run.spawn.isolation_level = 0;
  run.timeout = options_.build_timeout;
  run.grace = std::chrono::seconds(5);
  std::string output;
  run.on_line = [&](LogStream, std::string_view line) {
    output.append(line);
    output.push_back('\n');
    // Keep the end: that is where pip and npm say what went wrong.
    if (output.size() > 2 * kKeptOutput) output.erase(0, output.size() - kKeptOutput);
  };
  auto result = RunToCompletion(run);
  if (!result) return std::unexpected(result.error());
  if (!result->status.Success()) {
    if (output.size() > kKeptOutput) output = "..." + output.substr(output.size() - kKeptOutput);
    return Fail(ErrorCode::kUnavailable,
                fmt::format("{} failed ({}):\n{}", what, result->status.ToString(), output));
  }
  return output;
}

Status EnvCache::Build(const DependencySpec& spec, const std::string& interpreter,
                       const std::string& dir) {
  Status st = spec.kind == EnvKind::kPython ? BuildPython(spec, interpreter, dir)
                                            : BuildNode(spec, interpreter, dir);
  if (!st) return st;
  return MakeReadable(dir);
}

Status EnvCache::BuildPython(const DependencySpec& spec, const std::string& python,
                             const std::string& dir) {
  auto venv =
      RunTool({python, "-m", "venv", "--without-pip", dir}, options_.root, "python -m venv");
  if (!venv) return std::unexpected(venv.error());
  std::string requirements;
  for (const auto& line : spec.lines) requirements += line + "\n";
  std::string req_path = dir + "/prisn-requirements.txt";
  if (auto st = WriteFileAtomic(req_path, requirements, 0644); !st) return st;

  // The interpreter's own pip installs into the venv (--python, pip >= 22.3):
  // no pip inside every environment, one pip to upgrade. Wheels only: the
  // install runs as the daemon's user, and building a source distribution
  // would run the package's setup code there (env_spec.cc refuses a
  // --no-binary line that would undo this).
  std::vector<std::string> extra;
  if (!HasVar(options_.build_env, "PIP_CACHE_DIR"))
    extra.push_back("PIP_CACHE_DIR=" + options_.root + "/.pip-cache");
  auto pip = RunTool(
      {python, "-m", "pip", "--python", dir + "/bin/python3", "install",
       "--disable-pip-version-check", "--no-input", "--root-user-action=ignore",
       "--only-binary=:all:", "-r", req_path},
      dir, "pip install (" + spec.origin + ")", extra);
  if (!pip) {
    Error e = pip.error();
    if (e.message.find("No module named pip") != std::string::npos) {
      e.message += "\ninstall pip for this interpreter (apt-get install python3-pip)";
    }
    return std::unexpected(std::move(e));
  }
  return {};
}

Status EnvCache::BuildNode(const DependencySpec& spec, const std::string& node,
                           const std::string& dir) {
  auto npm = FindOnPath("npm", options_.search_path);
  if (!npm) {
    return Fail(ErrorCode::kUnavailable, "npm not found on PATH; install it (apt-get install npm)",
                options_.search_path);
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Fail(ErrorCode::kIo, "create " + dir + ": " + ec.message());
  if (auto st = WriteFileAtomic(dir + "/package.json", spec.manifest, 0644); !st) return st;
  bool locked = !spec.lockfile.empty();
  if (locked) {
    if (auto st = WriteFileAtomic(dir + "/package-lock.json", spec.lockfile, 0644); !st) return st;
  }
  // npm is a node script: run it with the resolved node, not through its
  // "#!/usr/bin/env node" line.
  std::vector<std::string> argv;
  auto head = ReadFile(*npm);
  if (head && head->starts_with("#!") &&
      head->substr(0, head->find('\n')).find("node") != std::string::npos) {
    argv = {node, *npm};
  } else {
    argv = {*npm};
  }
  // --ignore-scripts: the install runs as the daemon's user, and a package's
  // (pre|post)install script would run there with it.
  for (const char* arg :
       {locked ? "ci" : "install", "--no-audit", "--no-fund", "--omit=dev", "--ignore-scripts"})
    argv.emplace_back(arg);
  std::vector<std::string> extra;
  if (!HasVar(options_.build_env, "npm_config_cache") &&
      !HasVar(options_.build_env, "NPM_CONFIG_CACHE")) {
    extra.push_back("npm_config_cache=" + options_.root + "/.npm-cache");
  }
  auto out = RunTool(argv, dir, locked ? "npm ci" : "npm install", extra);
  if (!out) return std::unexpected(out.error());
  return {};
}

}  // namespace prisn::executor
