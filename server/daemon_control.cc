// `prisn server stop` and `prisn server status`: they find the daemon through
// the pid file lock and its context file.
#include <signal.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <thread>

#include "api/client.h"
#include "api/context.h"
#include "api/types_daemon.h"
#include "api/types_server.h"
#include "server/daemon.h"
#include "server/paths.h"
#include "server/pid_file.h"

namespace prisn::server {
namespace {

int PrintError(const Error& e) {
  std::fprintf(stderr, "error: %s\n", e.ToString().c_str());
  return 2;
}

std::string FormatUptime(double seconds) {
  auto total = static_cast<long long>(seconds);
  long long d = total / 86400, h = total / 3600 % 24, m = total / 60 % 60, s = total % 60;
  std::string out;
  if (d) out += std::to_string(d) + "d";
  if (d || h) out += std::to_string(h) + "h";
  if (d || h || m) out += std::to_string(m) + "m";
  out += std::to_string(s) + "s";
  return out;
}

}  // namespace

int StopServer(const std::string& state_dir, int timeout_seconds) {
  auto state = ChooseStateDir(state_dir);
  if (!state) return PrintError(state.error());
  StatePaths paths = PathsFor(state->dir);
  auto pid = RunningPid(paths.pid);
  if (!pid) return PrintError(pid.error());
  if (!*pid) {
    std::printf("prisn server is not running (state dir %s)\n", paths.dir.c_str());
    return 0;
  }
  if (**pid <= 0) return PrintError(Error{ErrorCode::kIo, "the pid file holds no pid", paths.pid});
  if (::kill(**pid, SIGTERM) != 0) {
    if (errno == ESRCH) {
      std::printf("prisn server is not running (state dir %s)\n", paths.dir.c_str());
      return 0;
    }
    return PrintError(ErrnoError("signal pid " + std::to_string(**pid), errno));
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
  auto pause = std::chrono::milliseconds(5);
  for (;;) {
    auto still = RunningPid(paths.pid);
    if (!still) return PrintError(still.error());
    if (!*still) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      std::fprintf(stderr,
                   "error: prisn server (pid %d) did not stop within %d s; it may still be "
                   "finishing requests. "
                   "Force it with: kill -9 %d\n",
                   **pid, timeout_seconds, **pid);
      return 2;
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(100));
  }
  std::printf("prisn server stopped (pid %d)\n", **pid);
  return 0;
}

int ServerStatus(const std::string& state_dir, bool json) {
  auto state = ChooseStateDir(state_dir);
  if (!state) return PrintError(state.error());
  StatePaths paths = PathsFor(state->dir);
  auto pid = RunningPid(paths.pid);
  if (!pid) return PrintError(pid.error());
  if (!*pid) {
    if (json) {
      std::printf("%s\n", api::Encode(api::ServerStopped{false, paths.dir}).dump(2).c_str());
    } else {
      std::printf("prisn server is not running (state dir %s)\n", paths.dir.c_str());
    }
    return 1;
  }
  api::ServerRunning out;
  out.state_dir = paths.dir;
  out.pid = **pid;
  auto context = api::ReadContextFile(paths.context);
  if (!context) return PrintError(context.error());
  if (!*context || (*context)->server.empty()) {
    return PrintError(Error{ErrorCode::kNotFound,
                            "the daemon is running but its context file is missing",
                            paths.context});
  }
  const std::string& url = (*context)->server;
  out.server = url;
  api::ApiClient client(api::Connection{url, (*context)->token.value_or(""), paths.context});
  auto health = client.Get<api::Health>(api::path::kHealth);
  if (!health) {
    std::fprintf(stderr, "error: prisn server (pid %d) is running but does not answer at %s: %s\n",
                 **pid, url.c_str(), health.error().message.c_str());
    return 2;
  }
  out.version = health->version;
  out.uptime_seconds = health->uptime_seconds;
  if ((*context)->token) {
    if (auto st = client.Get<api::StateSummary>(api::path::kState)) {
      out.objects = st->total;
      out.index = st->index;
    }
  }
  if (json) {
    std::printf("%s\n", api::Encode(out).dump(2).c_str());
    return 0;
  }
  std::printf("prisn server is running\n");
  std::printf("  pid:          %d\n", **pid);
  std::printf("  listen:       %s\n", url.c_str());
  std::printf("  state dir:    %s\n", paths.dir.c_str());
  std::printf("  version:      %s\n", out.version.c_str());
  std::printf("  uptime:       %s\n", FormatUptime(out.uptime_seconds).c_str());
  if (out.objects && out.index) {
    std::printf("  objects:      %lld (state index %lld)\n", static_cast<long long>(*out.objects),
                static_cast<long long>(*out.index));
  } else {
    std::printf("  objects:      unknown (no token in %s)\n", paths.context.c_str());
  }
  return 0;
}

}  // namespace prisn::server
