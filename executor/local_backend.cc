// The local backend's construction, its public entry points (any thread)
// and its shutdown. The event loop is in backend_loop.cc.
#include "executor/local_backend.h"

#include <fmt/format.h>
#include <pthread.h>
#include <sodium.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "executor/env_spec.h"
#include "executor/local_backend_impl.h"
#include "executor/log_read.h"

namespace prisn::executor {
namespace {

namespace fs = std::filesystem;

// Workspaces of an earlier daemon on this state directory (killed without
// a shutdown): their processes died with it, their tmpfs mounts did not
// when it shared the host's mount namespace. The run directory's own bind
// (see WorkspacesParent) goes first, and every workspace mounted below it
// with it.
void RemoveStaleWorkspaces(const std::string& run_dir) {
  for (int i = 0; i < 16 && ::umount2(run_dir.c_str(), MNT_DETACH) == 0; ++i) {
  }
  std::vector<std::string> stale;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(run_dir, ec))
    stale.push_back(entry.path().string());
  for (const std::string& path : stale) {
    ::umount2(path.c_str(), MNT_DETACH);  // EINVAL when it is no mount point: fine
    std::error_code rm;
    fs::remove_all(path, rm);
    if (rm) spdlog::warn("remove stale workspace {}: {}", path, rm.message());
  }
}

void RemoveStaleCgroups(const CgroupLayout& layout) {
  std::vector<std::string> bases;
  if (layout.version == CgroupVersion::kV2) bases.push_back(layout.v2_base);
  for (const auto& h : layout.v1) bases.push_back(h.base);
  for (const auto& base : bases) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(base, ec)) {
      if (entry.is_directory(ec)) ::rmdir(entry.path().c_str());  // only empty ones go
    }
  }
}

// Makes the run directory a mount point (a private bind of itself), so that
// a workload's start can remove every other workspace from its mount
// namespace with one unmount: /proc/self/mountinfo would otherwise name them
// all. Returns the mount point, or "" (and why in `degraded`) when it could
// not: without root there are no workspace mounts to hide.
std::string WorkspacesParent(const std::string& run_dir, std::string& degraded) {
  if (::geteuid() != 0) return {};
  if (::mount(run_dir.c_str(), run_dir.c_str(), nullptr, MS_BIND, nullptr) != 0 ||
      ::mount(nullptr, run_dir.c_str(), nullptr, MS_PRIVATE, nullptr) != 0) {
    std::string why = fmt::format("cannot bind {} onto itself ({}): workloads see the other "
                                  "workloads' workspace mounts",
                                  run_dir, std::strerror(errno));
    degraded = degraded.empty() ? why : degraded + "; " + why;
    return {};
  }
  return run_dir;
}

// Which limits the layout can enforce; the rest is named in `degraded`.
void CheckControllers(const CgroupLayout& layout, internal::PrepareContext& ctx,
                      std::string& degraded) {
  ctx.limit_memory = layout.HasController("memory");
  ctx.limit_cpu = layout.HasController("cpu");
  ctx.limit_pids = layout.HasController("pids");
  std::vector<std::string> missing;
  if (!ctx.limit_memory) missing.push_back("memory");
  if (!ctx.limit_cpu) missing.push_back("cpu");
  if (!ctx.limit_pids) missing.push_back("pids");
  if (!missing.empty()) {
    degraded =
        fmt::format("the host's cgroups lack the {} controller(s): those limits are not enforced",
                    fmt::join(missing, ", "));
  }
}

}  // namespace

LocalBackend::Impl::Impl(LocalBackendOptions o, std::string why_degraded,
                         std::optional<CgroupLayout> layout,
                         std::unique_ptr<NamespaceUsers> users, std::string detach_path,
                         UniqueFd epoll_fd, UniqueFd wake_fd, UniqueFd timer_fd)
    : options(std::move(o)),
      degraded(std::move(why_degraded)),
      runners(options.search_path),
      envs(EnvCacheOptions{.root = options.state_dir + "/envs",
                           .build_env = options.build_env,
                           .search_path = SystemPathFirst(options.search_path),
                           .build_timeout = options.env_build_timeout}),
      cgroups(std::move(layout)),
      namespace_users(std::move(users)),
      epoll(std::move(epoll_fd)),
      wake(std::move(wake_fd)),
      timer(std::move(timer_fd)),
      prepare_pool(options.prepare_threads, "prisn-prepare"),
      probe_pool(options.probe_threads, "prisn-probe") {
  prepare.runners = &runners;
  prepare.envs = &envs;
  prepare.cgroups = cgroups ? &*cgroups : nullptr;
  prepare.run_dir = options.state_dir + "/run";
  prepare.log_dir = options.state_dir + "/logs";
  prepare.user = options.run_as;
  prepare.namespace_users = namespace_users.get();
  prepare.detach_path = std::move(detach_path);
  prepare.hidden_path = options.hidden_path.empty() ? options.state_dir : options.hidden_path;
  prepare.binds = options.binds;
  if (cgroups) {
    std::string missing;
    CheckControllers(*cgroups, prepare, missing);
    if (!missing.empty()) degraded = degraded.empty() ? missing : degraded + "; " + missing;
  }
  AsyncSignalsBlocked blocked;
  loop = std::thread([this] { Run(); });
  ::pthread_setname_np(loop.native_handle(), "prisn-backend");
}

void LocalBackend::Impl::Post(backend_internal::Message message) {
  {
    MutexLock lock(inbox_mutex);
    inbox.push_back(std::move(message));
  }
  std::uint64_t one = 1;
  while (::write(wake.Get(), &one, sizeof one) < 0 && errno == EINTR) {
  }
}

void LocalBackend::Impl::Shutdown() {
  {
    MutexLock lock(state_mutex);
    if (shut_down) return;
    shut_down = true;
  }
  // StopAll's own bound applies; whatever is still alive after it is
  // killed and reaped when the loop ends.
  if (loop.joinable()) {
    std::uint64_t generation;
    {
      MutexLock lock(state_mutex);
      generation = ++stop_all_requested;
    }
    Post(backend_internal::StopAllMsg{std::chrono::seconds(2), generation});
    MutexLock lock(state_mutex);
    state_changed.WaitUntil(state_mutex, Clock::now() + std::chrono::seconds(12),
                            [&]() PRISN_REQUIRES(state_mutex) {
                              return stop_all_done >= generation && published_live == 0;
                            });
  }
  prepare_pool.Shutdown();
  probe_pool.Shutdown();
  Post(backend_internal::QuitMsg{});
  if (loop.joinable()) loop.join();
}

Result<std::unique_ptr<LocalBackend>> LocalBackend::Create(LocalBackendOptions options) {
  if (options.state_dir.empty() || options.state_dir.front() != '/') {
    return Fail(ErrorCode::kInvalid, "the state directory must be an absolute path",
                options.state_dir);
  }
  options.state_dir = fs::path(options.state_dir).lexically_normal().string();
  while (options.state_dir.size() > 1 && options.state_dir.back() == '/') {
    options.state_dir.pop_back();
  }
  std::string run_dir = options.state_dir + "/run";
  for (const std::string& dir : {run_dir, options.state_dir + "/envs"}) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return Fail(ErrorCode::kIo, "create directory: " + ec.message(), dir);
  }
  // Traversable, not listable: workspaces hold sources.
  ::chmod(run_dir.c_str(), 0711);
  RemoveStaleWorkspaces(run_dir);
  auto users = NamespaceUsers::Open(options.state_dir + "/uids");
  if (!users) return std::unexpected(users.error());

  if (::sodium_init() < 0) return Fail(ErrorCode::kInternal, "libsodium failed to initialise");
  std::string degraded;
  std::string detach_path = WorkspacesParent(run_dir, degraded);
  std::optional<CgroupLayout> layout;
  if (!options.use_cgroups) {
    degraded = "cgroups are turned off: workloads run without memory, CPU and process limits";
  } else {
    std::string subdir = options.cgroup_subdir.empty()
                             ? "prisn-" + Sha256Hex(options.state_dir).substr(0, 8)
                             : options.cgroup_subdir;
    auto detected = CgroupLayout::Detect(subdir);
    Status prepared = detected ? Status() : Status(std::unexpected(detected.error()));
    if (detected && detected->version == CgroupVersion::kNone) {
      prepared = Fail(ErrorCode::kUnavailable, "no cgroup hierarchy is mounted");
    } else if (detected) {
      prepared = detected->Prepare(options.cgroup_move_self_if_busy);
    }
    if (prepared) {
      RemoveStaleCgroups(*detected);
      layout = std::move(*detected);
    } else {
      degraded = "cgroups are unavailable (" + prepared.error().ToString() +
                 "): workloads run without memory, CPU and process limits";
    }
  }

  UniqueFd epoll(::epoll_create1(EPOLL_CLOEXEC));
  if (!epoll) return std::unexpected(ErrnoError("epoll_create1", errno));
  UniqueFd wake(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!wake) return std::unexpected(ErrnoError("eventfd", errno));
  UniqueFd timer(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
  if (!timer) return std::unexpected(ErrnoError("timerfd_create", errno));
  for (auto [fd, key] : {std::pair{wake.Get(), backend_internal::kWakeKey},
                         std::pair{timer.Get(), backend_internal::kTimerKey}}) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = key;
    if (::epoll_ctl(epoll.Get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
      return std::unexpected(ErrnoError("epoll_ctl", errno));
    }
  }
  auto impl = std::make_unique<Impl>(std::move(options), std::move(degraded), std::move(layout),
                                     std::move(*users), std::move(detach_path), std::move(epoll),
                                     std::move(wake), std::move(timer));
  // Which interpreter each runtime gets, once, where the daemon logs its
  // start: a surprise here (a python only root may run) fails every start.
  spdlog::info("interpreters: {}", impl->runners.Summary());
  return std::unique_ptr<LocalBackend>(new LocalBackend(std::move(impl)));
}

LocalBackend::LocalBackend(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

LocalBackend::~LocalBackend() {
  impl_->Shutdown();
  std::optional<CgroupLayout> layout = std::move(impl_->cgroups);
  std::string workspaces_parent = impl_->prepare.detach_path;
  impl_.reset();
  // Every workspace is gone by now; its parent's bind goes last.
  if (!workspaces_parent.empty()) ::umount2(workspaces_parent.c_str(), MNT_DETACH);
  // The base directories of this daemon's cgroups: empty by now.
  if (layout) {
    if (layout->version == CgroupVersion::kV2) ::rmdir(layout->v2_base.c_str());
    for (const auto& h : layout->v1) ::rmdir(h.base.c_str());
  }
}

void LocalBackend::SetObserver(Observer observer) {
  MutexLock lock(impl_->observer_mutex);
  impl_->observer = std::move(observer);
}

void LocalBackend::Start(reconciler::InstanceSpec spec) {
  impl_->Post(backend_internal::StartMsg{std::move(spec)});
}

void LocalBackend::Stop(std::string_view id, std::chrono::milliseconds grace) {
  impl_->Post(backend_internal::StopMsg{std::string(id), grace});
}

void LocalBackend::StopAll(std::chrono::milliseconds max_grace) {
  std::uint64_t generation;
  {
    MutexLock lock(impl_->state_mutex);
    generation = ++impl_->stop_all_requested;
  }
  impl_->Post(backend_internal::StopAllMsg{max_grace, generation});
  if (std::this_thread::get_id() == impl_->loop.get_id()) {
    spdlog::error("LocalBackend::StopAll called from the observer: not waiting");
    return;
  }
  MutexLock lock(impl_->state_mutex);
  bool done = impl_->state_changed.WaitFor(impl_->state_mutex, max_grace + std::chrono::seconds(10),
                                           [&]() PRISN_REQUIRES(impl_->state_mutex) {
                                             return impl_->stop_all_done >= generation &&
                                                    impl_->published_live == 0;
                                           });
  if (!done) spdlog::warn("StopAll: {} instance(s) still running", impl_->published_live);
}

std::vector<reconciler::ListedInstance> LocalBackend::List() {
  if (std::this_thread::get_id() == impl_->loop.get_id()) {
    spdlog::error("LocalBackend::List called from the observer: nothing listed");
    return {};
  }
  if (impl_->ShutDown()) return {};  // no loop left to answer
  std::promise<std::vector<reconciler::ListedInstance>> reply;
  auto listed = reply.get_future();
  impl_->Post(backend_internal::ListMsg{std::move(reply)});
  return listed.get();
}

std::size_t LocalBackend::Detach() {
  if (std::this_thread::get_id() == impl_->loop.get_id()) {
    spdlog::error("LocalBackend::Detach called from the observer: nothing detached");
    return 0;
  }
  if (impl_->ShutDown()) return 0;
  std::promise<std::size_t> reply;
  auto left = reply.get_future();
  impl_->Post(backend_internal::DetachMsg{std::move(reply)});
  return left.get();
}

Result<reconciler::LogPage> LocalBackend::ReadLogs(const reconciler::LogQuery& query) {
  const std::string log_dir = impl_->options.state_dir + "/logs";
  if (!IsLogName(query.ns) || !IsLogName(query.owner))
    return Fail(ErrorCode::kInvalid, "not a workload's name", query.ns + "/" + query.owner);
  std::vector<LogFile> files;
  for (const std::string& name : query.names) {
    if (!IsLogName(name)) return Fail(ErrorCode::kInvalid, "not a replica or run name", name);
    files.push_back({name, LogPathOf(log_dir, query.ns, query.owner, name)});
  }
  Result<LogRead> read = Fail(ErrorCode::kInternal, "unread");
  if (query.cursor) {
    auto cursors = DecodeLogCursor(*query.cursor);
    if (!cursors) return std::unexpected(cursors.error());
    read = ReadNewLogs(files, std::move(*cursors));
  } else if (query.from_start) {
    read = ReadNewLogs(files, {});
  } else {
    read = TailLogs(files, query.tail, query.since_ms);
  }
  if (!read) return std::unexpected(read.error());
  return reconciler::LogPage{std::move(read->lines), EncodeLogCursor(read->cursors),
                             read->truncated};
}

std::vector<std::string> LocalBackend::ReplicaLogNames(const std::string& ns,
                                                       const std::string& owner) {
  if (!IsLogName(ns) || !IsLogName(owner)) return {};
  std::vector<std::string> names;
  const std::string dir = impl_->options.state_dir + "/logs/" + ns + "/" + owner;
  for (LogFile& f : ReplicaLogFiles(dir, owner)) names.push_back(std::move(f.name));
  return names;
}

void LocalBackend::RemoveLog(const std::string& ns, const std::string& owner,
                             const std::string& name) {
  if (!IsLogName(ns) || !IsLogName(owner) || !IsLogName(name)) return;
  const std::string path = LogPathOf(impl_->options.state_dir + "/logs", ns, owner, name);
  std::error_code ec;
  std::filesystem::remove(path, ec);
  // Rotated parts: <name>.log.1, .2, ...
  for (int i = 1; i < 100; ++i) {
    if (!std::filesystem::remove(path + "." + std::to_string(i), ec)) break;
  }
}

const std::string& LocalBackend::degraded() const { return impl_->degraded; }

Result<int> LocalBackend::CollectEnvironments(std::chrono::seconds max_age) {
  std::set<std::string> keep = impl_->env_keys.With(
      [](const auto& keys) { return std::set<std::string>(keys.begin(), keys.end()); });
  return impl_->envs.CollectGarbage(max_age, keep);
}

}  // namespace prisn::executor
