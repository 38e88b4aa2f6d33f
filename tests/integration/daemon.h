#pragma once
// Test helpers that drive the real binary: run `prisn ...` (or any program)
// as a child with its own environment and working directory and capture its
// output, and a daemon started with `prisn server start --foreground` on a
// free loopback port with its own state directory.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace prisn::testing {

// Polls `done` every 20 ms until it holds or `limit` has passed; returns its
// last answer. Tests wait with this, never with a bare sleep.
template <class F>
bool Eventually(F done, std::chrono::milliseconds limit = std::chrono::seconds(60)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

// A free TCP port on 127.0.0.1 as the kernel hands one out, for programs
// that cannot report the port they bound (git daemon, an Ingress listener).
int FreeLoopbackPort();
// True when something accepts TCP connections on 127.0.0.1:port.
bool Accepts(int port);

// A fresh directory under the system temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string operator/(const std::string& rel) const { return (path_ / rel).string(); }
  // Writes `content` to `rel`, creating parent folders.
  void Write(const std::string& rel, const std::string& content) const;

 private:
  std::filesystem::path path_;
};

struct RunResult {
  int exit_code = -1;  // -1 when killed at the deadline or by a signal
  std::string out;
  std::string err;
  std::string all() const { return out + err; }
};

// Runs `argv` (argv[0] is a path, or a name looked up on PATH) in `cwd` with
// exactly `env` as its environment, stdin from /dev/null. Kills it at the
// deadline.
RunResult Run(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
              const std::string& cwd, std::chrono::seconds deadline = std::chrono::seconds(120));

// Runs the prisn binary under test with `args`.
RunResult Prisn(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
                const std::string& cwd);

// An environment that isolates a child from the user's: HOME and
// XDG_CONFIG_HOME inside `home`, PATH kept, git identity fixed.
std::map<std::string, std::string> IsolatedEnv(const std::filesystem::path& home);

// A running daemon. The constructor returns once /health answers, or throws
// std::runtime_error with the daemon's log. The destructor stops it with
// SIGTERM (SIGKILL after a deadline) and reaps it.
class Daemon {
 public:
  // `args` are added to `prisn server start`. Unless they say otherwise, the
  // daemon runs no DNS server and takes a service range of its own
  // (127.N.0.0/16, N from the test's pid), so daemons side by side never
  // compete for an address.
  explicit Daemon(std::filesystem::path state_dir, std::vector<std::string> args = {});
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  const std::string& url() const { return url_; }
  const std::string& token() const { return token_; }
  const std::filesystem::path& state_dir() const { return state_dir_; }
  // "127.N.0.0": where this daemon's service addresses come from.
  const std::string& service_range() const { return service_range_; }
  pid_t pid() const { return pid_; }
  // SIGKILL, as a crash would, and reap.
  void Kill();

 private:
  void Stop();
  std::filesystem::path state_dir_;
  pid_t pid_ = -1;
  std::string url_;
  std::string token_;
  std::string service_range_;
};

}  // namespace prisn::testing
