// `prisn server start`: detaching, readiness, and the daemon's main loop.
#include "server/daemon.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "api/context.h"
#include "executor/env_cache.h"
#include "executor/local_backend.h"
#include "executor/spawn.h"
#include "net/dns_resolv.h"
#include "net/service_address.h"
#include "reconciler/converge.h"
#include "reconciler/secret_box.h"
#include "reconciler/source_manager.h"
#include "reconciler/store.h"
#include "server/api.h"
#include "server/api_internal.h"
#include "server/draining_backend.h"
#include "server/http_server.h"
#include "server/network.h"
#include "server/paths.h"
#include "server/pid_file.h"
#include "util/files.h"
#include "util/unique_fd.h"

#ifndef PRISN_VERSION
#define PRISN_VERSION "0.0.0"
#endif

namespace prisn::server {
namespace {

constexpr auto kReadyTimeout = std::chrono::seconds(60);
constexpr auto kDrainTimeout = std::chrono::seconds(30);
// Workloads get their own termination grace on stop, at most this.
constexpr auto kWorkloadGrace = std::chrono::seconds(30);

// A run attempt holds about eight descriptors (its output pipes, pidfd, log,
// cgroup); half the open-file limit goes to runs, the rest to replicas,
// clients and the store.
int RunSlots(int asked) {
  if (asked > 0) return asked;
  struct rlimit limit {};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 64;
  auto slots = static_cast<long long>(limit.rlim_cur == RLIM_INFINITY ? 1 << 20 : limit.rlim_cur) / 16;
  return static_cast<int>(std::clamp<long long>(slots, 32, 256));
}

// The daemon's half of the readiness pipe. Lines: "token T", "ready URL PID",
// "error MESSAGE". In the foreground the same news goes to stdout/stderr.
class Reporter {
 public:
  explicit Reporter(UniqueFd pipe) : pipe_(std::move(pipe)) {}

  void Token(const std::string& token, const std::string& context_path) {
    if (pipe_) return Send("token " + token);
    std::printf("Admin token: %s\n  (shown once; also saved in %s)\n", token.c_str(),
                context_path.c_str());
    std::fflush(stdout);
  }
  void Ready(const std::string& url, const std::string& state_dir) {
    if (pipe_) {
      Send("ready " + url + " " + std::to_string(::getpid()));
      pipe_.Reset();
      return;
    }
    std::printf("prisn server listening on %s (pid %d, state dir %s)\n", url.c_str(), ::getpid(),
                state_dir.c_str());
    std::fflush(stdout);
  }
  int Error(const prisn::Error& error) {
    if (pipe_) {
      std::string message = error.ToString();
      for (char& c : message) {
        if (c == '\n') c = ' ';
      }
      Send("error " + message);
    } else {
      std::fprintf(stderr, "error: %s\n", error.ToString().c_str());
    }
    spdlog::error("start-up failed: {}", error.ToString());
    return 2;
  }

 private:
  void Send(const std::string& line) {
    std::string data = line + "\n";
    size_t done = 0;
    while (done < data.size()) {
      ssize_t n = ::write(pipe_.Get(), data.data() + done, data.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;  // the parent is gone; nothing more to tell
      done += static_cast<size_t>(n);
    }
  }
  UniqueFd pipe_;
};

Status SetUpLogging(const StatePaths& paths, bool foreground, const std::string& level) {
  if (auto st = MakeDirs(paths.log_dir, 0700); !st) return st;
  try {
    std::vector<spdlog::sink_ptr> sinks;
    sinks.push_back(
        std::make_shared<spdlog::sinks::rotating_file_sink_mt>(paths.log_file, 10 << 20, 5));
    if (foreground) sinks.push_back(std::make_shared<spdlog::sinks::stderr_sink_mt>());
    auto logger = std::make_shared<spdlog::logger>("prisn", sinks.begin(), sinks.end());
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %l %v");
    logger->set_level(spdlog::level::from_str(level));
    logger->flush_on(spdlog::level::info);
    spdlog::set_default_logger(logger);
  } catch (const spdlog::spdlog_ex& e) {
    return Fail(ErrorCode::kIo, std::string("cannot open the log: ") + e.what(), paths.log_file);
  }
  return {};
}

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A first start that fails leaves the state directory as fresh as it found
// it: otherwise the key or database it made would be "history" without its
// partner, and the next start would refuse (CheckStateDir).
class FreshStartUndo {
 public:
  FreshStartUndo(const StatePaths& paths, bool fresh) : paths_(paths), armed_(fresh) {}
  FreshStartUndo(const FreshStartUndo&) = delete;
  FreshStartUndo& operator=(const FreshStartUndo&) = delete;
  ~FreshStartUndo() {
    if (!armed_) return;
    for (const std::string& path :
         {paths_.db, paths_.db + "-wal", paths_.db + "-shm", paths_.key, paths_.context}) {
      ::unlink(path.c_str());
    }
  }
  void Keep() { armed_ = false; }

 private:
  const StatePaths& paths_;
  bool armed_;
};

// The store, the API and the listener live in here: when this returns, the
// database is closed.
int Serve(const StartOptions& options, const StateDirChoice& state, const ListenAddress& listen,
          const StatePaths& paths, Reporter& report) {
  // Checked again under the pid file's lock: StartServer's check ran before
  // another start could have raced it.
  auto checked = CheckStateDir(paths);
  if (!checked) return report.Error(checked.error());
  // Declared first, so that it runs after the store is closed.
  FreshStartUndo undo(paths, checked->fresh);
  auto box = checked->fresh ? SecretBox::LoadOrCreate(paths.key) : SecretBox::Load(paths.key);
  if (!box) return report.Error(box.error());
  store::StoreOptions store_options;
  store_options.revision_limit = options.revision_limit;
  auto store = store::Store::Open(paths.db, std::move(*box), store_options);
  if (!store) return report.Error(store.error());

  HostAccessPolicy host_access{{options.allow_host_users.begin(), options.allow_host_users.end()},
                               executor::ProbeIsolation().max_level >= 1};
  ApiInfo info{PRISN_VERSION, ::getpid(), NowMillis(), options.revision_limit, state.dir,
               std::move(host_access)};
  Api api(std::move(*store), info);
  auto admin_token = api.EnsureAdminToken();
  if (!admin_token) return report.Error(admin_token.error());

  // Workloads do not outlive the daemon: they are stopped on a clean stop and
  // die with it on a crash (die-with-parent, PID namespaces), and the next
  // start runs what the store asks for. See docs/ARCHITECTURE.md.
  // The service network first: workloads get its DNS server in resolv.conf.
  auto range = net::ParseServiceRange(options.service_range);
  if (!range) return report.Error(range.error());
  NetworkOptions network_options;
  network_options.range_base = *range;
  if (options.dns_listen == "auto") {
    network_options.dns_listen = net::DnsAddress(*range) + ":53";
  } else if (options.dns_listen != "off") {
    network_options.dns_listen = options.dns_listen;
  }
  auto network = Network::Start(api.store(), network_options);
  if (!network) return report.Error(network.error());

  executor::LocalBackendOptions backend_options;
  backend_options.state_dir = state.dir;
  // resolv.conf carries no port: only a server on port 53 can be the
  // workloads' resolver. Names it does not own go to the host's resolvers.
  if ((*network)->dns_port() == 53) {
    std::string resolv = state.dir + "/resolv.conf";
    if (auto st = WriteFileAtomic(resolv, net::ResolvConfFor((*network)->dns_address(),
                                                             {"prisn.local"}),
                                  0644);
        st) {
      backend_options.binds.push_back({resolv, "/etc/resolv.conf", false});
    } else {
      spdlog::warn("workloads keep the host's resolv.conf: {}", st.error().ToString());
    }
  }
  if (const char* path = std::getenv("PATH"); path && *path) backend_options.search_path = path;
  backend_options.build_env = executor::PackageIndexEnv(environ);
  auto backend = executor::LocalBackend::Create(backend_options);
  if (!backend) return report.Error(backend.error());
  reconciler::ConvergeOptions converge_options;
  converge_options.state_dir = state.dir;
  converge_options.max_running_runs = RunSlots(options.max_running_runs);
  converge_options.on_reconcile = [&api](std::string_view kind, double seconds) {
    api.metrics().ObserveReconcile(kind, seconds);
  };
  converge_options.on_event = [&api](std::string_view type) { api.metrics().CountLoopEvent(type); };
  converge_options.on_endpoints = [&n = **network](const reconciler::ServiceEndpoints& view) {
    n.OnEndpoints(view);
  };
  converge_options.on_ingress = [&n = **network](const store::ObjectKey& key,
                                                 const std::optional<manifests::Object>& object) {
    n.OnIngress(key, object);
  };
  // Stops go through the proxy's drain: a replica gets SIGTERM once the
  // requests in flight to it are done.
  DrainingBackend draining(**backend, **network);
  reconciler::Converger converger(api.store(), draining, converge_options);
  api.SetNetwork(network->get());
  api.metrics().SetCollector([&n = **network] { return n.MetricFamilies(); });
  api.SetConverger(&converger);
  api.SetBackend(&draining);
  if (auto st = converger.Start(); !st) return report.Error(st.error());

  // GitOps sources apply through the store like `prisn apply`, and wake the
  // converge loop for what changed.
  reconciler::StoreSourceTarget source_target(
      api.store(), [&converger](const store::ObjectKey& key) { converger.Wake(key); });
  reconciler::SourceManagerOptions source_options;
  source_options.state_dir = state.dir;
  source_options.max_parallel = options.source_parallel;
  source_options.fetch_limits.total = std::chrono::seconds(options.source_fetch_timeout);
  source_options.fetch_limits.connect =
      std::min(source_options.fetch_limits.connect, source_options.fetch_limits.total);
  source_options.on_sync = [&api](std::string_view type, std::string_view outcome,
                                  std::string_view stage, double seconds) {
    api.metrics().ObserveSourceSync(type, outcome, stage, seconds);
  };
  reconciler::SourceManager sources(api.store(), source_target, source_options);
  if (auto st = sources.Start(); !st) return report.Error(st.error());
  api.SetSourceManager(&sources);

  boost::asio::io_context io(1);
  struct rlimit open_files {};
  if (::getrlimit(RLIMIT_NOFILE, &open_files) != 0) open_files.rlim_cur = 1024;
  auto limits = ConnectionLimits(
      options.max_connections, options.max_connections_per_peer,
      open_files.rlim_cur == RLIM_INFINITY ? uint64_t{1} << 20 : open_files.rlim_cur);
  if (!limits) return report.Error(limits.error());
  limits->workers = options.workers;
  limits->idle_timeout = std::chrono::seconds(options.idle_timeout);
  spdlog::info("API connections: at most {}, {} per address; idle ones closed after {} s",
               limits->max_connections, limits->max_connections_per_peer, options.idle_timeout);
  HttpServer http(io, api, *limits);
  auto bound = http.Listen(listen);
  if (!bound) return report.Error(bound.error());
  std::string url = "http://" + bound->ToString();

  if (auto st = api::WriteContextFile(paths.context, url, *admin_token); !st)
    return report.Error(st.error());
  if (state.is_default) {
    if (auto user = UserContextPath()) {
      if (auto st = api::WriteContextFile(*user, url, *admin_token); !st) {
        spdlog::warn("cannot write the user context file {}: {}", *user, st.error().ToString());
      }
    }
  }
  if (auto old = api::ReadContextFile(paths.context); old && *old && !(*old)->token) {
    spdlog::warn("{} holds no admin token (it was removed after the first start)", paths.context);
  }

  // One shutdown path: a signal starts the drain; the drain's end (or its
  // deadline) stops the loop.
  boost::asio::signal_set signals(io, SIGTERM, SIGINT);
  boost::asio::steady_timer drain_deadline(io);
  signals.async_wait([&](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    drain_deadline.expires_after(kDrainTimeout);
    drain_deadline.async_wait([&](const boost::system::error_code& e) {
      if (e) return;
      spdlog::warn("drain took longer than {} s; closing the remaining connections",
                   kDrainTimeout.count());
      io.stop();
    });
    http.Drain([&] {
      drain_deadline.cancel();
      io.stop();
    });
    // Logged once the listener is closed: from here on, no new connection.
    spdlog::info("signal {}: draining (no new connections)", signo);
  });

  if (auto st = api.RecordEvent(
          "server-started", "listening on " + url + " (pid " + std::to_string(::getpid()) +
                                ", schema " + std::to_string(store::Store::SchemaVersion()) + ")");
      !st) {
    return report.Error(st.error());
  }
  http.Start();
  spdlog::info("prisn {} listening on {} (state dir {})", PRISN_VERSION, url, state.dir);
  if (*admin_token) report.Token(**admin_token, paths.context);
  undo.Keep();
  report.Ready(url, state.dir);

  io.run();
  http.Shutdown();
  api.SetSourceManager(nullptr);
  sources.Stop();
  spdlog::info("stopping workloads (grace up to {} s)", kWorkloadGrace.count());
  converger.Shutdown(kWorkloadGrace);
  api.SetConverger(nullptr);
  api.SetBackend(nullptr);
  api.SetNetwork(nullptr);
  api.metrics().SetCollector(nullptr);
  if (auto st = api.RecordEvent("server-stopped", "stopped by signal"); !st) {
    spdlog::error("cannot record the stop: {}", st.error().ToString());
  }
  return 0;
}

// Workspaces are tmpfs mounts the daemon makes. In a mount namespace of its
// own (a slave of the host's: mounts made on the host later still show) they
// never enter the host's mount table, where every namespace a workload start
// creates would have to copy them (1000 replicas: 1000 mounts copied per
// start), and they vanish with the daemon however it ends: a daemon killed
// by SIGKILL used to leave them mounted on the host for good. Must run before
// any thread exists, so that every thread lives in the new namespace.
// Returns why it could not (empty when done, or when not root: no mounts).
std::string PrivateMounts() {
  if (::geteuid() != 0) return {};
  if (::unshare(CLONE_NEWNS) != 0) return std::string("unshare(CLONE_NEWNS): ") + std::strerror(errno);
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0)
    return std::string("make / a slave mount: ") + std::strerror(errno);
  return {};
}

// Everything after the (optional) fork: the daemon proper.
int RunDaemon(const StartOptions& options, const StateDirChoice& state, const ListenAddress& listen,
              PidFile pid_file, Reporter& report) {
  StatePaths paths = PathsFor(state.dir);
  ::umask(077);
  std::string mounts_shared = PrivateMounts();
  if (auto st = SetUpLogging(paths, options.foreground, options.log_level); !st)
    return report.Error(st.error());
  if (!mounts_shared.empty())
    spdlog::warn("workspaces are mounted in the host's mount namespace ({})", mounts_shared);
  if (auto st = pid_file.WritePid(::getpid()); !st) return report.Error(st.error());
  int rc = Serve(options, state, listen, paths, report);
  if (rc == 0) spdlog::info("stopped; the database is closed");
  // Last: `prisn server stop` waits for this lock, so it returns only once
  // the database is closed.
  pid_file.Remove();
  return rc;
}

// The parent's half: waits for the child's report and prints it.
int AwaitReady(UniqueFd pipe, pid_t child, const StatePaths& paths) {
  std::string received;
  auto deadline = std::chrono::steady_clock::now() + kReadyTimeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      std::fprintf(stderr,
                   "error: the daemon (pid %d) did not report ready within %lld s; see %s\n", child,
                   static_cast<long long>(kReadyTimeout.count()), paths.log_file.c_str());
      return 2;
    }
    struct pollfd pfd {
      pipe.Get(), POLLIN, 0
    };
    int n = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) continue;
    char buf[4096];
    ssize_t got = ::read(pipe.Get(), buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    received.append(buf, static_cast<size_t>(got));
  }
  bool ready = false;
  size_t pos = 0;
  while (pos < received.size()) {
    size_t eol = received.find('\n', pos);
    if (eol == std::string::npos) eol = received.size();
    std::string line = received.substr(pos, eol - pos);
    pos = eol + 1;
    if (line.starts_with("token ")) {
      std::printf("Admin token: %s\n  (shown once; also saved in %s)\n", line.substr(6).c_str(),
                  paths.context.c_str());
    } else if (line.starts_with("ready ")) {
      std::string rest = line.substr(6);
      size_t space = rest.find(' ');
      std::printf("prisn server started: listening on %s (pid %s, state dir %s)\n",
                  rest.substr(0, space).c_str(),
                  space == std::string::npos ? "?" : rest.substr(space + 1).c_str(),
                  paths.dir.c_str());
      ready = true;
    } else if (line.starts_with("error ")) {
      std::fprintf(stderr, "error: %s\n", line.substr(6).c_str());
      ::waitpid(child, nullptr, 0);
      return 2;
    }
  }
  if (!ready) {
    int status = 0;
    ::waitpid(child, &status, 0);
    std::fprintf(stderr, "error: the daemon exited during start-up (status %d); see %s\n",
                 WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
                 paths.log_file.c_str());
    return 2;
  }
  return 0;
}

void RedirectStdioToNull() {
  UniqueFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!null) return;
  ::dup2(null.Get(), STDIN_FILENO);
  ::dup2(null.Get(), STDOUT_FILENO);
  ::dup2(null.Get(), STDERR_FILENO);
}

}  // namespace

int StartServer(const StartOptions& options) {
  auto fail = [](const Error& e) {
    std::fprintf(stderr, "error: %s\n", e.ToString().c_str());
    return 2;
  };
  if (options.revision_limit < 1)
    return fail(Error{ErrorCode::kInvalid, "--revision-limit must be at least 1", {}});
  auto state = ChooseStateDir(options.state_dir);
  if (!state) return fail(state.error());
  std::string listen_text = options.listen;
  if (listen_text.empty()) listen_text = Env("PRISN_LISTEN").value_or(std::string(kDefaultListen));
  auto listen = ParseListen(listen_text);
  if (!listen) return fail(listen.error());
  StatePaths paths = PathsFor(state->dir);
  // Before anything is created: a directory that lost its database or key
  // is refused as it is.
  if (auto checked = CheckStateDir(paths); !checked) return fail(checked.error());
  if (auto st = MakeDirs(paths.dir, 0700); !st) return fail(st.error());
  // The directory holds the key and the database: nobody else may look in.
  if (::chmod(paths.dir.c_str(), 0700) != 0) return fail(ErrnoError("chmod " + paths.dir, errno));
  auto pid_file = PidFile::Acquire(paths.pid);
  if (!pid_file) return fail(pid_file.error());
  EnsureSodium();
  // Writes to a closed connection must fail with EPIPE, not kill the daemon.
  std::signal(SIGPIPE, SIG_IGN);

  if (options.foreground) {
    Reporter report{UniqueFd()};
    return RunDaemon(options, *state, *listen, std::move(*pid_file), report);
  }

  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return fail(ErrnoError("pipe", errno));
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  std::fflush(nullptr);
  // Fork before any thread exists: the child is a copy of this small process.
  pid_t child = ::fork();
  if (child < 0) return fail(ErrnoError("fork", errno));
  if (child > 0) {
    write_end.Reset();
    return AwaitReady(std::move(read_end), child, paths);
  }
  read_end.Reset();
  ::setsid();
  if (::chdir("/") != 0) {
    // Paths are absolute; staying in the old directory only pins it.
  }
  RedirectStdioToNull();
  Reporter report{std::move(write_end)};
  return RunDaemon(options, *state, *listen, std::move(*pid_file), report);
}

}  // namespace prisn::server
