#include "executor/env_cache.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <gnu/libc-version.h>
#include <sodium.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "util/files.h"
#include "util/unique_fd.h"

namespace prisn::executor {
namespace fs = std::filesystem;

namespace {

constexpr const char* kReady = ".prisn-ready";
constexpr const char* kUsed = ".prisn-used";

std::string KindName(EnvKind kind) { return kind == EnvKind::kPython ? "python" : "node"; }

std::string Platform() {
  struct utsname u {};
  ::uname(&u);
  return fmt::format("{} glibc {}", u.machine, ::gnu_get_libc_version());
}

// An flock held on <root>/<name>.lock: exclusive for builders and the
// collector, shared for users that only check the marker.
Result<UniqueFd> Lock(const std::string& path, int operation) {
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!fd) return std::unexpected(ErrnoError("open lock " + path, errno));
  while (::flock(fd.Get(), operation) != 0) {
    if (errno == EINTR) continue;
    return std::unexpected(ErrnoError("lock " + path, errno));
  }
  return fd;
}

void Touch(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
  if (fd) ::futimens(fd.Get(), nullptr);
}

Environment Describe(EnvKind kind, const std::string& key, const std::string& dir,
                     const std::string& interpreter) {
  Environment env;
  env.kind = kind;
  env.key = key;
  env.dir = dir;
  if (kind == EnvKind::kPython) {
    env.interpreter = dir + "/bin/python3";
    env.env = {"VIRTUAL_ENV=" + dir};
    env.path_prefix = dir + "/bin";
  } else {
    env.interpreter = interpreter;
    env.env = {"NODE_PATH=" + dir + "/node_modules"};
    env.path_prefix = dir + "/node_modules/.bin";
  }
  return env;
}

}  // namespace

std::vector<std::string> PackageIndexEnv(char** environ) {
  std::vector<std::string> out;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    std::string_view name = kv.substr(0, kv.find('='));
    bool pass = name == "PATH" || name == "HOME" || name == "LANG" || name.starts_with("PIP_") ||
                name.starts_with("npm_config_") || name.starts_with("NPM_CONFIG_") ||
                name == "HTTP_PROXY" || name == "HTTPS_PROXY" || name == "NO_PROXY" ||
                name == "http_proxy" || name == "https_proxy" || name == "no_proxy" ||
                name == "SSL_CERT_FILE" || name == "SSL_CERT_DIR" || name == "REQUESTS_CA_BUNDLE" ||
                name == "NODE_EXTRA_CA_CERTS";
    if (pass) out.emplace_back(kv);
  }
  return out;
}

EnvCache::EnvCache(EnvCacheOptions options) : options_(std::move(options)) {
  if (::sodium_init() < 0) spdlog::error("libsodium failed to initialise");
}

Result<EnvCache::Identity> EnvCache::InterpreterIdentity(const std::string& interpreter) {
  struct stat st {};
  if (::stat(interpreter.c_str(), &st) != 0) {
    return std::unexpected(ErrnoError("stat interpreter " + interpreter, errno));
  }
  // An upgrade in place changes mtime or size, and so the memo key.
  std::string memo = fmt::format("{} {} {}", interpreter, st.st_mtim.tv_sec, st.st_size);
  auto known = identities_.With([&](auto& m) -> std::optional<Identity> {
    auto it = m.find(memo);
    if (it == m.end()) return std::nullopt;
    return it->second;
  });
  if (known) return *known;
  auto version = RunTool({interpreter, "--version"}, "/", "version of " + interpreter);
  if (!version) return std::unexpected(version.error());
  Identity id{fs::weakly_canonical(interpreter).string(), *version};
  while (!id.version.empty() && (id.version.back() == '\n' || id.version.back() == ' '))
    id.version.pop_back();
  identities_.With([&](auto& m) { m.insert_or_assign(memo, id); });
  return id;
}

Result<std::optional<Environment>> EnvCache::EnsurePython(const std::string& source_dir,
                                                          const std::string& python) {
  auto spec = ReadPythonDependencies(source_dir);
  if (!spec) return std::unexpected(spec.error());
  if (!*spec) return std::optional<Environment>();
  auto id = InterpreterIdentity(python);
  if (!id) return std::unexpected(id.error());
  auto env = Ensure(**spec, *id, python);
  if (!env) return std::unexpected(env.error());
  return std::optional<Environment>(std::move(*env));
}

Result<std::optional<Environment>> EnvCache::EnsureNode(const std::string& source_dir,
                                                        const std::string& node) {
  auto spec = ReadNodeDependencies(source_dir);
  if (!spec) return std::unexpected(spec.error());
  if (!*spec) return std::optional<Environment>();
  auto id = InterpreterIdentity(node);
  if (!id) return std::unexpected(id.error());
  auto env = Ensure(**spec, *id, node);
  if (!env) return std::unexpected(env.error());
  return std::optional<Environment>(std::move(*env));
}

Result<Environment> EnvCache::Ensure(const DependencySpec& spec, const Identity& id,
                                     const std::string& interpreter) {
  std::string material = fmt::format("prisn-env 1\n{}\n{}\n{}\n{}\n", KindName(spec.kind),
                                     id.real_path, id.version, Platform());
  for (const auto& line : spec.lines) material += line + "\n";
  material += "manifest\n" + spec.manifest + "\nlock\n" + spec.lockfile;
  std::string key = Sha256Hex(material).substr(0, 24);
  std::string name = KindName(spec.kind) + "-" + key;
  std::string dir = options_.root + "/" + name;
  std::string lock_path = options_.root + "/" + name + ".lock";

  std::error_code ec;
  fs::create_directories(options_.root, ec);
  if (ec)
    return Fail(ErrorCode::kIo, "create the environment cache: " + ec.message(), options_.root);

  // The hit path: a shared lock (no build or collection in progress) and
  // the marker.
  {
    auto shared = Lock(lock_path, LOCK_SH);
    if (!shared) return std::unexpected(shared.error());
    if (PathExists(dir + "/" + kReady)) {
      Touch(dir + "/" + kUsed);
      return Describe(spec.kind, key, dir, interpreter);
    }
  }
  auto exclusive = Lock(lock_path, LOCK_EX);
  if (!exclusive) return std::unexpected(exclusive.error());
  Environment env = Describe(spec.kind, key, dir, interpreter);
  if (PathExists(dir + "/" + kReady)) {  // another builder finished while we waited
    Touch(dir + "/" + kUsed);
    return env;
  }
  fs::remove_all(dir, ec);  // a half build of a crashed daemon
  spdlog::info("building {} environment {} from {}", KindName(spec.kind), key, spec.origin);
  if (auto st = Build(spec, interpreter, dir); !st) {
    fs::remove_all(dir, ec);
    return std::unexpected(st.error());
  }
  if (auto st = WriteFileAtomic(dir + "/" + kReady, material, 0644); !st) {
    fs::remove_all(dir, ec);
    return std::unexpected(st.error());
  }
  Touch(dir + "/" + kUsed);
  env.built = true;
  return env;
}

Result<std::vector<std::string>> EnvCache::SuggestPython(const std::string& source_dir,
                                                         const std::string& entrypoint,
                                                         const std::string& python) {
  auto source = ReadFile(source_dir + "/" + entrypoint);
  if (!source) return std::unexpected(source.error());
  auto cached = stdlib_.With([&](auto& m) -> std::optional<std::set<std::string>> {
    auto it = m.find(python);
    if (it == m.end()) return std::nullopt;
    return it->second;
  });
  if (!cached) {
    auto names = RunTool({python, "-c", "import sys; print('\\n'.join(sys.stdlib_module_names))"},
                         "/", "standard library of " + python);
    if (!names) return std::unexpected(names.error());
    std::set<std::string> set;
    std::istringstream in(*names);
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) set.insert(line);
    }
    stdlib_.With([&](auto& m) { m.insert_or_assign(python, set); });
    cached = std::move(set);
  }
  std::set<std::string> local;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(source_dir, ec)) {
    fs::path p = entry.path();
    if (p.extension() == ".py") local.insert(p.stem().string());
    if (entry.is_directory(ec)) local.insert(p.filename().string());
  }
  return SuggestPythonPackages(*source, *cached, local);
}

Result<int> EnvCache::CollectGarbage(std::chrono::seconds max_age,
                                     const std::set<std::string>& keep) {
  std::error_code ec;
  if (!fs::exists(options_.root, ec)) return 0;
  auto now = fs::file_time_type::clock::now();
  int removed = 0;
  for (const auto& entry : fs::directory_iterator(options_.root, ec)) {
    std::string name = entry.path().filename().string();
    if (!entry.is_directory(ec) || !(name.starts_with("python-") || name.starts_with("node-")))
      continue;
    std::string key = name.substr(name.find('-') + 1);
    if (keep.count(key)) continue;
    std::string dir = entry.path().string();
    UniqueFd lock(::open((dir + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
    if (!lock || ::flock(lock.Get(), LOCK_EX | LOCK_NB) != 0) continue;  // busy: next time
    bool ready = PathExists(dir + "/" + kReady);
    if (ready) {
      std::string marker = PathExists(dir + "/" + kUsed) ? dir + "/" + kUsed : dir + "/" + kReady;
      auto used = fs::last_write_time(marker, ec);
      if (ec || now - used < max_age) continue;
    }
    fs::remove_all(dir, ec);
    if (ec) {
      spdlog::warn("remove environment {}: {}", dir, ec.message());
      continue;
    }
    ++removed;
  }
  return removed;
}

}  // namespace prisn::executor
