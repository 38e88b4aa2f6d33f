#include "executor/runner.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <filesystem>
#include <optional>

namespace prisn::executor {
namespace {

std::optional<std::string> RealPath(const std::string& path) {
  char buf[PATH_MAX];
  if (::realpath(path.c_str(), buf) == nullptr) return std::nullopt;
  return std::string(buf);
}

// The real path of `path` when a workload's user can execute it: a regular
// file with the "others" execute bit, in folders every one of which others
// may enter. access(X_OK) is no test: the daemon is root, for whom any x bit
// will do, while the workload runs as a uid that owns nothing on the host
// (a python under /root/.pyenv, mode 0700, failed every start with EACCES).
std::optional<std::string> ExecutableByWorkloads(const std::string& path) {
  auto real = RealPath(path);
  if (!real) return std::nullopt;
  struct stat st {};
  if (::stat(real->c_str(), &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & S_IXOTH) == 0) {
    return std::nullopt;
  }
  for (std::filesystem::path dir = std::filesystem::path(*real).parent_path();;
       dir = dir.parent_path()) {
    if (::stat(dir.c_str(), &st) != 0 || (st.st_mode & S_IXOTH) == 0) return std::nullopt;
    if (dir == dir.parent_path()) break;
  }
  return real;
}

std::string InstallHint(const RunnerDef& def) {
  std::string program = std::filesystem::path(def.command.front()).filename().string();
  if (def.name == "python3" || program.starts_with("python3")) return "apt-get install python3";
  if (def.name == "node" || program == "node" || program == "nodejs")
    return "apt-get install nodejs";
  if (def.name == "bash" || program == "bash") return "apt-get install bash";
  return "apt-get install " + program;
}

std::string Extension(std::string_view path) {
  std::string name = std::filesystem::path(path).filename().string();
  size_t dot = name.rfind('.');
  if (dot == std::string::npos || dot == 0) return {};
  return name.substr(dot);
}

}  // namespace

std::vector<RunnerDef> BuiltinRunners() {
  return {
      RunnerDef{"python3", {"python3"}, {"{script}"}, {".py"}, {{"PYTHONUNBUFFERED", "1"}}},
      RunnerDef{"node", {"node"}, {"{script}"}, {".js", ".mjs", ".cjs"}, {}},
      RunnerDef{"bash", {"bash"}, {"{script}"}, {".sh", ".bash"}, {}},
  };
}

std::string SystemPathFirst(std::string_view search_path) {
  std::string out(kSystemPath);
  if (!search_path.empty()) out += ":" + std::string(search_path);
  return out;
}

Result<std::string> FindOnPath(std::string_view name, std::string_view search_path) {
  if (name.find('/') != std::string_view::npos) {
    auto found = ExecutableByWorkloads(std::string(name));
    if (!found) {
      return Fail(ErrorCode::kNotFound,
                  "not a file every user may execute (it and each folder above it need the "
                  "execute bit for others)",
                  std::string(name));
    }
    return *found;
  }
  size_t pos = 0;
  while (pos <= search_path.size()) {
    size_t end = search_path.find(':', pos);
    if (end == std::string_view::npos) end = search_path.size();
    std::string dir(search_path.substr(pos, end - pos));
    pos = end + 1;
    if (dir.empty() || dir.front() != '/') continue;  // "" and relative entries mean the cwd: never
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    if (std::filesystem::path(dir).filename() == "shims") continue;
    if (auto found = ExecutableByWorkloads(dir + "/" + std::string(name))) return *found;
  }
  return Fail(ErrorCode::kNotFound, "not found on PATH (as a file every user may execute)",
              std::string(name));
}

RunnerRegistry::RunnerRegistry(std::string search_path)
    : search_path_(SystemPathFirst(search_path)) {
  runners_.With([](auto& m) {
    for (auto& def : BuiltinRunners()) m.emplace(def.name, std::move(def));
  });
}

Status RunnerRegistry::Add(RunnerDef def) {
  if (def.name.empty()) return Fail(ErrorCode::kInvalid, "a runner needs a name");
  if (def.command.empty() || def.command.front().empty()) {
    return Fail(ErrorCode::kInvalid, "a runner needs a command", "runner " + def.name);
  }
  if (std::none_of(def.args.begin(), def.args.end(),
                   [](const std::string& a) { return a.find("{script}") != std::string::npos; })) {
    return Fail(ErrorCode::kInvalid, "the runner's args must contain {script}",
                "runner " + def.name);
  }
  for (const auto& ext : def.extensions) {
    if (ext.size() < 2 || ext.front() != '.') {
      return Fail(ErrorCode::kInvalid, "an extension starts with '.', like \".lua\"",
                  "runner " + def.name + ": " + ext);
    }
  }
  runners_.With([&](auto& m) { m.insert_or_assign(def.name, std::move(def)); });
  return {};
}

Result<RunnerDef> RunnerRegistry::Find(std::string_view name) const {
  auto found = runners_.With([&](const auto& m) -> std::optional<RunnerDef> {
    auto it = m.find(std::string(name));
    if (it == m.end()) return std::nullopt;
    return it->second;
  });
  if (!found) {
    std::string known = runners_.With([](const auto& m) {
      std::string out;
      for (const auto& [n, d] : m) out += (out.empty() ? "" : ", ") + n;
      return out;
    });
    return Fail(
        ErrorCode::kNotFound,
        fmt::format("no runner '{}' (known: {}); declare a Runner manifest for it", name, known));
  }
  return *found;
}

Result<RunnerDef> RunnerRegistry::Select(std::string_view runtime,
                                         std::string_view entrypoint) const {
  if (!runtime.empty()) return Find(runtime);
  std::string ext = Extension(entrypoint);
  if (ext.empty()) {
    return Fail(ErrorCode::kInvalid,
                "the entrypoint has no extension to infer the runtime from; set runtime",
                std::string(entrypoint));
  }
  auto found = runners_.With([&](const auto& m) -> std::optional<RunnerDef> {
    for (const auto& [name, def] : m) {
      if (std::find(def.extensions.begin(), def.extensions.end(), ext) != def.extensions.end())
        return def;
    }
    return std::nullopt;
  });
  if (!found) {
    return Fail(ErrorCode::kInvalid,
                fmt::format("no runner handles '{}' files; set runtime or declare a Runner with "
                            "extensions: [\"{}\"]",
                            ext, ext),
                std::string(entrypoint));
  }
  return *found;
}

Result<std::string> RunnerRegistry::Interpreter(const RunnerDef& def) const {
  if (def.command.empty())
    return Fail(ErrorCode::kInvalid, "a runner needs a command", "runner " + def.name);
  const std::string& command = def.command.front();
  auto cached = resolved_.With([&](const auto& m) -> std::optional<std::string> {
    auto it = m.find(command);
    if (it == m.end()) return std::nullopt;
    return it->second;
  });
  // One access() keeps the cache honest when an interpreter is uninstalled.
  if (cached && ::access(cached->c_str(), X_OK) == 0) return *cached;
  // The search is system folders first: see SystemPathFirst.
  auto found = FindOnPath(command, search_path_);
  if (!found) {
    bool absolute = command.find('/') != std::string::npos;
    return Fail(ErrorCode::kUnavailable,
                absolute
                    ? fmt::format("runner {}: interpreter {} does not exist or is not executable; "
                                  "install it ({})",
                                  def.name, command, InstallHint(def))
                    : fmt::format("runner {}: interpreter {} not found on PATH; install it ({}) "
                                  "or declare a Runner with an absolute command",
                                  def.name, command, InstallHint(def)),
                "runner " + def.name);
  }
  resolved_.With([&](auto& m) { m.insert_or_assign(command, *found); });
  return *found;
}

std::string RunnerRegistry::Summary() const {
  std::vector<RunnerDef> defs = runners_.With([](const auto& m) {
    std::vector<RunnerDef> out;
    for (const auto& [name, def] : m) out.push_back(def);
    return out;
  });
  std::string out;
  for (const RunnerDef& def : defs) {
    auto found = Interpreter(def);
    out += fmt::format("{}{} {}", out.empty() ? "" : ", ", def.name,
                       found ? *found : "(not found: " + InstallHint(def) + ")");
  }
  return out;
}

Result<std::vector<std::string>> RunnerRegistry::Command(
    const RunnerDef& def, std::string_view script, const std::vector<std::string>& script_args,
    std::string_view interpreter) const {
  std::vector<std::string> argv;
  if (interpreter.empty()) {
    auto resolved = Interpreter(def);
    if (!resolved) return std::unexpected(resolved.error());
    argv.push_back(*resolved);
  } else {
    argv.emplace_back(interpreter);
  }
  argv.insert(argv.end(), def.command.begin() + 1, def.command.end());
  for (std::string arg : def.args) {
    for (size_t at = arg.find("{script}"); at != std::string::npos;
         at = arg.find("{script}", at + script.size())) {
      arg.replace(at, 8, script);
    }
    argv.push_back(std::move(arg));
  }
  argv.insert(argv.end(), script_args.begin(), script_args.end());
  return argv;
}

}  // namespace prisn::executor
