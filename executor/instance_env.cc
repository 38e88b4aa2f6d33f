#include "executor/instance_env.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <map>

#include "executor/env_spec.h"
#include "executor/log_read.h"

namespace prisn::executor::internal {
namespace {

namespace fs = std::filesystem;

constexpr const char* kBasePath = "/usr/local/bin:/usr/bin:/bin";

struct Pipe {
  UniqueFd read;
  UniqueFd write;
};

Result<Pipe> MakePipe() {
  int fds[2];
  // Non-blocking for the event loop that reads it; the workload's end stays
  // blocking (O_NONBLOCK is per open file description, set on the read end
  // only).
  if (::pipe2(fds, O_CLOEXEC) != 0) return std::unexpected(ErrnoError("pipe", errno));
  Pipe p{UniqueFd(fds[0]), UniqueFd(fds[1])};
  int flags = ::fcntl(p.read.Get(), F_GETFL);
  if (flags < 0 || ::fcntl(p.read.Get(), F_SETFL, flags | O_NONBLOCK) != 0) {
    return std::unexpected(ErrnoError("make the output pipe non-blocking", errno));
  }
  return p;
}

enum class Deps { kNone, kPython, kNode };

Deps DependencyKind(const RunnerDef& runner, const std::string& interpreter) {
  std::string program = fs::path(interpreter).filename().string();
  if (runner.name == "python3" || program.starts_with("python")) return Deps::kPython;
  if (runner.name == "node" || program == "node" || program == "nodejs") return Deps::kNode;
  return Deps::kNone;
}

// A relative path inside the sources: no "..", not absolute.
bool Contained(const std::string& path) {
  fs::path p = fs::path(path).lexically_normal();
  return !path.empty() && !p.is_absolute() && (p.empty() || *p.begin() != "..");
}

void Set(std::map<std::string, std::string>& env, const std::string& kv) {
  size_t eq = kv.find('=');
  if (eq == std::string::npos || eq == 0) return;
  env.insert_or_assign(kv.substr(0, eq), kv.substr(eq + 1));
}

}  // namespace

RunnerDef RunnerFromSpec(std::string name, const manifests::RunnerSpec& spec) {
  RunnerDef def;
  def.name = std::move(name);
  def.args.clear();
  if (!spec.command.empty()) {
    def.command = {spec.command.front()};
    def.args.assign(spec.command.begin() + 1, spec.command.end());
  }
  def.args.insert(def.args.end(), spec.args.begin(), spec.args.end());
  def.extensions = spec.extensions;
  def.env = spec.env;
  return def;
}

int PickLoopbackPort() {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd.Get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return 0;
  socklen_t len = sizeof addr;
  if (::getsockname(fd.Get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) return 0;
  return ntohs(addr.sin_port);
}

std::vector<std::string> WorkloadEnv(const reconciler::InstanceSpec& spec, const RunnerDef& runner,
                                     const std::string& home, const Environment* deps) {
  std::map<std::string, std::string> env = {
      {"PATH", kBasePath}, {"HOME", home}, {"LANG", "C.UTF-8"}};
  if (deps) {
    for (const auto& kv : deps->env) Set(env, kv);
  }
  for (const auto& [k, v] : runner.env) env.insert_or_assign(k, v);
  for (const auto& [k, v] : spec.workload.env) env.insert_or_assign(k, v);
  env.insert_or_assign("PRISN_NAMESPACE", spec.ns);
  env.insert_or_assign("PRISN_NAME", spec.owner);
  env.insert_or_assign("PRISN_REPLICA", spec.replica);
  env.insert_or_assign("PRISN_VERSION", spec.version);
  for (const auto& [k, v] : spec.env) env.insert_or_assign(k, v);
  if (deps && !deps->path_prefix.empty()) {
    std::string& path = env["PATH"];
    path = path.empty() ? deps->path_prefix : deps->path_prefix + ":" + path;
  }
  std::vector<std::string> out;
  out.reserve(env.size());
  for (const auto& [k, v] : env) out.push_back(k + "=" + v);
  return out;
}

std::string InstanceDirName(std::string_view id) {
  std::string name;
  for (char c : id.substr(0, 96)) {
    bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '.' || c == '_' || c == '-';
    name.push_back(keep ? c : '_');
  }
  if (name.empty() || name.front() == '.') name.insert(name.begin(), '_');
  return name + "-" + Sha256Hex(id).substr(0, 8);
}

std::string EnvValue(const std::vector<std::string>& env, std::string_view name) {
  for (const auto& kv : env) {
    if (kv.size() > name.size() && kv[name.size()] == '=' && kv.starts_with(name)) {
      return kv.substr(name.size() + 1);
    }
  }
  return {};
}

Result<PreparedInstance> PrepareInstance(const PrepareContext& ctx,
                                         const reconciler::InstanceSpec& spec) {
  const manifests::WorkloadSpec& w = spec.workload;
  auto runner = spec.runner ? Result<RunnerDef>(RunnerFromSpec(
                                  w.runtime.empty() ? "custom" : w.runtime, *spec.runner))
                            : ctx.runners->Select(w.runtime, w.entrypoint);
  if (!runner) return std::unexpected(runner.error());
  auto interpreter = ctx.runners->Interpreter(*runner);
  if (!interpreter) return std::unexpected(interpreter.error());

  if (!Contained(w.entrypoint)) {
    return Fail(ErrorCode::kInvalid, "the entrypoint must be a relative path inside the source",
                w.entrypoint);
  }
  if (!spec.sources.contains(w.entrypoint)) {
    return Fail(ErrorCode::kInvalid,
                fmt::format("the entrypoint {} is not among the {} source file(s)", w.entrypoint,
                            spec.sources.size()));
  }
  RunAs user;
  // A host user runs with the host as it sees it; a namespace's user owns
  // nothing there, so a read-only host takes nothing from it but the
  // world-writable folders and files that would be a channel to others.
  bool namespace_user = false;
  if (!w.isolation.user.empty()) {
    auto resolved = ResolveRunAs(w.isolation.user);
    if (!resolved) return std::unexpected(resolved.error());
    user = *resolved;
  } else if (ctx.user) {
    user = *ctx.user;
  } else if (ctx.namespace_users) {
    auto resolved = ctx.namespace_users->For(spec.ns);
    if (!resolved) return std::unexpected(resolved.error());
    user = *resolved;
    namespace_user = true;
  } else {
    return Fail(ErrorCode::kInternal, "no user to run the workload as");
  }

  PreparedInstance p;
  std::string name = InstanceDirName(spec.id);
  auto ws = Workspace::Create({.path = ctx.run_dir + "/" + name,
                               .size_bytes = w.resources.disk.value,
                               .uid = user.uid,
                               .gid = user.gid});
  if (!ws) return std::unexpected(ws.error());
  p.workspace.emplace(std::move(*ws));
  for (const auto& [path, bytes] : spec.sources) {
    // The entrypoint may be a program a custom runner executes directly.
    auto st = p.workspace->WriteFile(path, bytes, path == w.entrypoint ? 0755 : 0644);
    if (!st) return std::unexpected(st.error());
  }

  std::optional<Environment> deps;
  switch (DependencyKind(*runner, *interpreter)) {
    case Deps::kPython: {
      auto env = ctx.envs->EnsurePython(p.workspace->path(), *interpreter);
      if (!env) return std::unexpected(env.error());
      deps = std::move(*env);
      break;
    }
    case Deps::kNode: {
      auto env = ctx.envs->EnsureNode(p.workspace->path(), *interpreter);
      if (!env) return std::unexpected(env.error());
      deps = std::move(*env);
      break;
    }
    case Deps::kNone:
      break;
  }

  if (ctx.cgroups) {
    CgroupLimits limits;
    if (ctx.limit_memory) limits.memory_bytes = w.resources.memory.value;
    if (ctx.limit_cpu) limits.cpu_millis = w.resources.cpu.value;
    if (ctx.limit_pids) limits.pids = w.resources.pids;
    auto cg = Cgroup::Create(*ctx.cgroups, name, limits);
    if (!cg) return std::unexpected(cg.error());
    p.cgroup.emplace(std::move(*cg));
  }
  std::string log_path = LogPathOf(ctx.log_dir, spec.ns, spec.owner, spec.replica);
  {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(log_path).parent_path(), ec);
  }
  auto log = LogWriter::Open({.path = log_path});
  if (!log) return std::unexpected(log.error());
  p.log.emplace(std::move(*log));
  auto out = MakePipe();
  if (!out) return std::unexpected(out.error());
  auto err = MakePipe();
  if (!err) return std::unexpected(err.error());
  p.out_read = std::move(out->read);
  p.out_write = std::move(out->write);
  p.err_read = std::move(err->read);
  p.err_write = std::move(err->write);

  const std::string& home = p.workspace->path();
  auto argv = ctx.runners->Command(*runner, home + "/" + w.entrypoint, w.args,
                                   deps ? std::string_view(deps->interpreter) : std::string_view());
  if (!argv) return std::unexpected(argv.error());
  SpawnOptions& o = p.spawn;
  o.argv = std::move(*argv);
  o.env = WorkloadEnv(spec, *runner, home, deps ? &*deps : nullptr);
  o.cwd = home;
  o.workspace = home;
  o.isolation_level = w.isolation.level;
  o.uid = user.uid;
  o.gid = user.gid;
  o.hidden_path = ctx.hidden_path;
  o.private_dirs = p.workspace->private_dirs();
  o.read_only_host = namespace_user;
  o.detach_path = ctx.detach_path;
  o.binds = ctx.binds;
  if (deps) {
    o.binds.push_back(BindPath{deps->dir, deps->dir, false});
    p.env_key = deps->key;
  }
  o.hostname = spec.replica.substr(0, 63);
  o.die_with_parent = true;
  return p;
}

}  // namespace prisn::executor::internal
