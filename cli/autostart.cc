#include "cli/autostart.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "util/unique_fd.h"

extern char** environ;

namespace prisn::cli {
namespace {

// The host part of "http://HOST:PORT/...".
std::string_view HostOf(std::string_view url) {
  auto scheme = url.find("://");
  if (scheme != std::string_view::npos) url.remove_prefix(scheme + 3);
  url = url.substr(0, url.find('/'));
  if (url.starts_with('[')) return url.substr(0, url.find(']') + 1);
  return url.substr(0, url.rfind(':'));
}

// Everything `fd` holds from its start (a small temp file).
std::string ReadAll(int fd) {
  std::string out;
  char buf[4096];
  off_t pos = 0;
  for (;;) {
    ssize_t n = ::pread(fd, buf, sizeof buf, pos);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
    pos += n;
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

}  // namespace

bool MayStartServer(const Connection& connection) {
  if (connection.origin == "--server" || connection.origin == api::kEnvServer) return false;
  std::string_view host = HostOf(connection.server);
  return host == "127.0.0.1" || host == "localhost" || host == "[::1]";
}

std::string DefaultStateDirForStart(const EnvLookup& env) {
  if (auto dir = env(api::kEnvStateDir); dir && !dir->empty()) return *dir;
  return api::DefaultStateDir(env).value_or("(the default state directory)");
}

Result<std::string> StartServer() {
  // The daemon's own report (errors) goes to a temp file: a pipe could be
  // held open by the detached daemon and never reach end of file.
  char errs[] = "/tmp/prisn-start-XXXXXX";
  UniqueFd err(::mkstemp(errs));
  if (!err) return std::unexpected(ErrnoError("create a temp file", errno));
  ::unlink(errs);
  UniqueFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!null) return std::unexpected(ErrnoError("open /dev/null", errno));

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, null.Get(), STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, null.Get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err.Get(), STDERR_FILENO);
  const char* argv[] = {"prisn", "server", "start", nullptr};
  pid_t pid = 0;
  int rc =
      ::posix_spawn(&pid, "/proc/self/exe", &actions, nullptr, const_cast<char**>(argv), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return std::unexpected(ErrnoError("start /proc/self/exe server start", rc));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return std::unexpected(ErrnoError("wait for prisn server start", errno));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string why = ReadAll(err.Get());
    return Fail(ErrorCode::kUnavailable,
                "no server was running and starting one failed" + (why.empty() ? "" : ": " + why));
  }
  return DefaultStateDirForStart(ProcessEnv());
}

}  // namespace prisn::cli
