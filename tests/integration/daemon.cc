#include "tests/integration/daemon.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "api/client.h"
#include "tests/common/scratch_cleanup.h"
#include "util/unique_fd.h"

namespace prisn::testing {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct EnvBlock {
  std::vector<std::string> storage;
  std::vector<char*> pointers;
  explicit EnvBlock(const std::map<std::string, std::string>& env) {
    for (const auto& [k, v] : env) storage.push_back(k + "=" + v);
    for (auto& s : storage) pointers.push_back(s.data());
    pointers.push_back(nullptr);
  }
};

// Spawns with stdout/stderr going to files; returns the pid or throws.
pid_t Spawn(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
            const std::string& cwd, const fs::path& out, const fs::path& err) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
  std::vector<std::string> args = argv;
  std::vector<char*> arg_ptrs;
  for (auto& a : args) arg_ptrs.push_back(a.data());
  arg_ptrs.push_back(nullptr);
  EnvBlock block(env);
  pid_t pid = -1;
  // posix_spawnp looks a bare name up on the caller's PATH.
  int rc =
      posix_spawnp(&pid, arg_ptrs[0], &actions, nullptr, arg_ptrs.data(), block.pointers.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot spawn " + argv[0] + ": " + std::strerror(rc));
  return pid;
}

// Waits for `pid` until the deadline; returns its exit code, or -1 when it
// was killed (then it is reaped here).
int WaitFor(pid_t pid, Clock::time_point deadline) {
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (pidfd) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    pollfd p{pidfd.Get(), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(std::max<long>(0, left.count()))) == 0) {
      ::kill(pid, SIGKILL);
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

TempDir::TempDir() {
  std::string pattern = (fs::temp_directory_path() / "prisn-it-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() { RemoveScratch(path_.string()); }

void TempDir::Write(const std::string& rel, const std::string& content) const {
  fs::path p = path_ / rel;
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << content;
  if (!out) throw std::runtime_error("cannot write " + p.string());
}

RunResult Run(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
              const std::string& cwd, std::chrono::seconds deadline) {
  TempDir capture;
  fs::path out = capture.path() / "out";
  fs::path err = capture.path() / "err";
  pid_t pid = Spawn(argv, env, cwd, out, err);
  RunResult r;
  r.exit_code = WaitFor(pid, Clock::now() + deadline);
  r.out = Slurp(out);
  r.err = Slurp(err);
  return r;
}

RunResult Prisn(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
                const std::string& cwd) {
  std::vector<std::string> argv{PRISN_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return Run(argv, env, cwd);
}

std::map<std::string, std::string> IsolatedEnv(const fs::path& home) {
  const char* path = std::getenv("PATH");
  fs::create_directories(home / "config");
  return {{"PATH", path != nullptr ? path : "/usr/bin:/bin"},
          {"HOME", home.string()},
          {"XDG_CONFIG_HOME", (home / "config").string()},
          {"GIT_CONFIG_NOSYSTEM", "1"},
          {"GIT_AUTHOR_NAME", "prisn test"},
          {"GIT_AUTHOR_EMAIL", "test@prisn.invalid"},
          {"GIT_COMMITTER_NAME", "prisn test"},
          {"GIT_COMMITTER_EMAIL", "test@prisn.invalid"},
          {"LANG", "C"}};
}

int FreeLoopbackPort() {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (!fd || ::bind(fd.Get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd.Get(), reinterpret_cast<sockaddr*>(&a), &len) != 0)
    throw std::runtime_error("no free loopback port");
  return ntohs(a.sin_port);
}

bool Accepts(int port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return fd && ::connect(fd.Get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
}

Daemon::Daemon(fs::path state_dir, std::vector<std::string> args)
    : state_dir_(std::move(state_dir)) {
  fs::create_directories(state_dir_);
  auto env = IsolatedEnv(state_dir_ / "home");
  std::vector<std::string> argv = {PRISN_BINARY, "server", "start", "--foreground", "--state-dir",
                                   state_dir_.string(), "--listen", "127.0.0.1:0"};
  auto given = [&](const std::string& flag) {
    return std::find(args.begin(), args.end(), flag) != args.end();
  };
  if (!given("--dns-listen")) args.insert(args.end(), {"--dns-listen", "off"});
  if (auto it = std::find(args.begin(), args.end(), "--service-range");
      it != args.end() && it + 1 != args.end()) {
    service_range_ = *(it + 1);
  } else {
    service_range_ = "127." + std::to_string(100 + ::getpid() % 150) + ".0.0";
    args.insert(args.end(), {"--service-range", service_range_});
  }
  argv.insert(argv.end(), args.begin(), args.end());
  pid_ = Spawn(argv, env, state_dir_.string(), state_dir_ / "daemon.out",
               state_dir_ / "daemon.err");
  auto deadline = Clock::now() + std::chrono::seconds(30);
  auto fail = [&](const std::string& why) {
    Stop();
    throw std::runtime_error(why + "\n--- daemon stderr:\n" + Slurp(state_dir_ / "daemon.err"));
  };
  // The context file names the port the daemon picked; /health says it serves.
  for (;;) {
    if (Clock::now() > deadline) fail("the daemon did not answer /health within 30 s");
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      fail("the daemon exited at start");
    }
    auto j = nlohmann::json::parse(Slurp(state_dir_ / "context.json"), nullptr, false);
    if (!j.is_discarded() && j.is_object() && j.value("server", "") != "" &&
        j.value("token", "") != "") {
      url_ = j["server"].get<std::string>();
      token_ = j["token"].get<std::string>();
      api::ApiClient client({url_, "", "test"});
      if (client.Get("/health")) return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

Daemon::~Daemon() { Stop(); }

void Daemon::Kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  WaitFor(pid_, Clock::now() + std::chrono::seconds(30));
  pid_ = -1;
}

void Daemon::Stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  WaitFor(pid_, Clock::now() + std::chrono::seconds(30));
  pid_ = -1;
}

}  // namespace prisn::testing
