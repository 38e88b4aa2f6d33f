// The local backend's event loop: messages, spawning, output and exits.
// Everything here runs on the loop thread (timers and probes:
// backend_timers.cc).
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "executor/local_backend_impl.h"

namespace prisn::executor {

using backend_internal::Instance;
using backend_internal::Make;
using backend_internal::Message;
using reconciler::Observation;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

namespace {

using backend_internal::kTimerKey;
using backend_internal::kWakeKey;

// The rest of the epoll keys: serial << 2 | role (serials start at 1).
enum Role : std::uint64_t { kPid = 0, kOut = 1, kErr = 2 };

// Output still held by a straggler after the exit (only possible at level 0
// without a cgroup) is read for this long, then the exit is reported.
constexpr milliseconds kDrainLimit{2000};

std::uint64_t Key(std::uint64_t serial, Role role) { return serial << 2 | role; }

// A Stop that came while the instance was being prepared: it never ran, and
// ends the way a stopped one does.
Observation StoppedBeforeStart(const Instance& in) {
  Observation o = Make(in, Observation::Type::kExited, "stopped before it started");
  o.exit_code = 128 + SIGTERM;
  o.signal = SIGTERM;
  return o;
}

// The error for a person: its context only when the message lacks it.
std::string Describe(const Error& e) {
  if (e.context.empty() || e.message.find(e.context) != std::string::npos) return e.message;
  return e.context + ": " + e.message;
}

std::string JoinReasons(const std::string& a, const std::string& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  return a + "; " + b;
}

}  // namespace

void LocalBackend::Impl::Run() {
  epoll_event events[64];
  while (!quit) {
    ArmTimerfd();
    int n = ::epoll_wait(epoll.Get(), events, 64, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      spdlog::error("backend loop: epoll_wait: {}", std::strerror(errno));
      continue;
    }
    for (int i = 0; i < n && !quit; ++i) {
      std::uint64_t key = events[i].data.u64;
      if (key == kWakeKey) {
        std::uint64_t count;
        while (::read(wake.Get(), &count, sizeof count) < 0 && errno == EINTR) {
        }
        std::vector<Message> messages;
        {
          MutexLock lock(inbox_mutex);
          messages.swap(inbox);
        }
        for (auto& m : messages) HandleMessage(m);
      } else if (key == kTimerKey) {
        std::uint64_t expirations;
        while (::read(timer.Get(), &expirations, sizeof expirations) < 0 && errno == EINTR) {
        }
        timerfd_at = Clock::time_point::max();
        FireTimers();
      } else if (Instance* in = Find(key >> 2)) {
        auto role = static_cast<Role>(key & 3);
        if (role == kPid) {
          OnPidfd(*in);
        } else {
          OnOutput(*in, role == kOut ? 0 : 1, false);
        }
      }
      Deliver();
    }
  }
  // Shutdown: whatever is left is killed and reaped by its Child. The
  // pools are gone, so Forget destroys on this thread.
  while (!instances.empty()) Forget(*instances.begin()->second);
  Deliver();
}

void LocalBackend::Impl::HandleMessage(Message& message) {
  using namespace backend_internal;
  if (auto* start = std::get_if<StartMsg>(&message)) {
    HandleStart(std::move(start->spec));
  } else if (auto* stop = std::get_if<StopMsg>(&message)) {
    auto it = by_id.find(stop->id);
    if (it != by_id.end()) BeginStop(*instances.at(it->second), stop->grace);
  } else if (auto* all = std::get_if<StopAllMsg>(&message)) {
    for (auto& [serial, in] : instances) {
      BeginStop(*in, std::min(in->spec.workload.termination_grace_period, all->max_grace));
    }
    stop_all_processed = std::max(stop_all_processed, all->generation);
  } else if (auto* prepared = std::get_if<PreparedMsg>(&message)) {
    HandlePrepared(prepared->serial, std::move(prepared->result));
  } else if (auto* probe = std::get_if<ProbeMsg>(&message)) {
    HandleProbe(probe->serial, probe->which, std::move(probe->result));
  } else if (auto* list = std::get_if<ListMsg>(&message)) {
    list->reply.set_value(ListInstances());
  } else if (auto* detach = std::get_if<DetachMsg>(&message)) {
    detach->reply.set_value(DetachAll());
  } else {
    quit = true;
  }
}

void LocalBackend::Impl::HandleStart(reconciler::InstanceSpec spec) {
  if (by_id.contains(spec.id)) {
    spdlog::debug("backend: {} is already known; Start ignored", spec.id);
    return;
  }
  if (detached) return;  // a detached backend starts nothing
  auto in = std::make_unique<Instance>();
  in->serial = next_serial++;
  for (auto& t : in->armed) t = Clock::time_point::max();
  if (spec.wants_port) {
    in->port = internal::PickLoopbackPort();
    if (in->port == 0) {
      in->spec = spec;
      in->spec.sources.clear();
      Observe(Make(*in, Observation::Type::kStartFailed, "no free port on 127.0.0.1"));
      return;
    }
    spec.env["PORT"] = std::to_string(in->port);
  }
  auto sources = std::move(spec.sources);
  spec.sources.clear();
  in->spec = spec;
  spec.sources = std::move(sources);
  std::uint64_t serial = in->serial;
  by_id.emplace(spec.id, serial);
  Instance& ref = *in;
  instances.emplace(serial, std::move(in));
  bool posted = prepare_pool.Post([this, serial, spec = std::move(spec)] {
    auto prepared = internal::PrepareInstance(prepare, spec);
    Post(backend_internal::PreparedMsg{serial, std::move(prepared)});
  });
  if (!posted) {
    Observe(Make(ref, Observation::Type::kStartFailed, "the backend is shutting down"));
    Forget(ref);
  }
}

void LocalBackend::Impl::HandlePrepared(std::uint64_t serial,
                                        Result<internal::PreparedInstance> result) {
  Instance* in = Find(serial);
  if (!in) return;
  if (!result) {
    if (in->stopping) {
      Observe(StoppedBeforeStart(*in));
    } else {
      Observe(Make(*in, Observation::Type::kStartFailed, Describe(result.error())));
    }
    Forget(*in);
    return;
  }
  if (in->stopping) {
    Observe(StoppedBeforeStart(*in));
    in->workspace = std::move(result->workspace);
    in->cgroup = std::move(result->cgroup);
    Forget(*in);
    return;
  }
  Launch(*in, std::move(*result));
}

void LocalBackend::Impl::Launch(Instance& in, internal::PreparedInstance p) {
  in.workspace = std::move(p.workspace);
  in.cgroup = std::move(p.cgroup);
  in.log = std::move(p.log);
  SpawnOptions& o = p.spawn;
  o.stdout_fd = p.out_write.Get();
  o.stderr_fd = p.err_write.Get();
  o.cgroup = in.cgroup ? &*in.cgroup : nullptr;
  auto child = Spawn(o);
  // Only the workload holds the write ends now: EOF means it (and all it
  // started) is done with them.
  p.out_write.Reset();
  p.err_write.Reset();
  if (!child) {
    Observe(Make(in, Observation::Type::kStartFailed, Describe(child.error())));
    Forget(in);
    return;
  }
  Clock::time_point now = Clock::now();
  in.child.emplace(std::move(*child));
  in.pid = in.child->pid();
  in.out = std::move(p.out_read);
  in.err = std::move(p.err_read);
  // Exec probes run the way the workload does, minus its cgroup and stdio.
  o.stdout_fd = o.stderr_fd = -1;
  o.cgroup = nullptr;
  o.argv.clear();
  in.probe_spawn = std::move(o);
  in.env_key = std::move(p.env_key);
  if (!in.env_key.empty()) env_keys.With([&](auto& keys) { keys.insert(in.env_key); });
  Watch(in.child->pidfd(), Key(in.serial, kPid));
  Watch(in.out.Get(), Key(in.serial, kOut));
  Watch(in.err.Get(), Key(in.serial, kErr));
  in.phase = Instance::Phase::kRunning;
  ++live;
  {
    Observation o = Make(in, Observation::Type::kStarted);
    o.degraded = JoinReasons(degraded, in.child->degraded_reason());
    if (in.port > 0) {
      o.host = "127.0.0.1";
      o.port = in.port;
    }
    Observe(std::move(o));
  }
  if (in.spec.timeout.count() > 0) Arm(in, backend_internal::kTimeout, now + in.spec.timeout);
  if (in.spec.readiness) {
    in.probes[0].emplace(*in.spec.readiness, ProbeRole::kReadiness);
    Arm(in, backend_internal::kReadinessProbe, now + in.spec.readiness->initial_delay);
  } else if (in.spec.min_ready.count() > 0) {
    Arm(in, backend_internal::kMinReady, now + in.spec.min_ready);
  } else {
    in.ready = true;
    Observe(Make(in, Observation::Type::kReady, "no readiness probe"));
  }
  if (in.spec.liveness) {
    in.probes[1].emplace(*in.spec.liveness, ProbeRole::kLiveness);
    Arm(in, backend_internal::kLivenessProbe, now + in.spec.liveness->initial_delay);
  }
}

void LocalBackend::Impl::BeginStop(Instance& in, milliseconds grace) {
  if (in.phase == Instance::Phase::kPreparing) {
    in.stopping = true;
    return;
  }
  if (in.phase != Instance::Phase::kRunning) return;
  Clock::time_point kill_at = Clock::now() + std::max(grace, milliseconds(0));
  if (in.stopping) {
    if (kill_at < in.armed[backend_internal::kKill]) Arm(in, backend_internal::kKill, kill_at);
    return;
  }
  in.stopping = true;
  // A stopping instance is neither probed nor timed any more.
  in.probes[0].reset();
  in.probes[1].reset();
  Disarm(in, backend_internal::kReadinessProbe);
  Disarm(in, backend_internal::kLivenessProbe);
  Disarm(in, backend_internal::kTimeout);
  if (auto st = in.child->Signal(SIGTERM); !st) {
    spdlog::warn("stop {}: {}", in.spec.id, st.error().ToString());
  }
  Arm(in, backend_internal::kKill, kill_at);
}

void LocalBackend::Impl::OnPidfd(Instance& in) {
  if (in.phase != Instance::Phase::kRunning) return;
  auto done = in.child->TryWait();
  if (done && !*done) return;  // not yet (a spurious wake)
  ExitStatus status;
  if (done) {
    status = **done;
  } else {
    spdlog::error("reap {} (pid {}): {}", in.spec.id, in.pid, done.error().ToString());
    in.child->Kill();
    auto waited = in.child->Wait();
    status = waited ? *waited : ExitStatus{.code = 128 + SIGKILL, .signal = SIGKILL};
  }
  OnExit(in, status);
}

void LocalBackend::Impl::OnOutput(Instance& in, int stream, bool drain) {
  UniqueFd& fd = stream == 0 ? in.out : in.err;
  LogStream log_stream = stream == 0 ? LogStream::kOut : LogStream::kErr;
  auto write = [&](std::string_view line) {
    if (!in.log) return;
    if (auto st = in.log->Write(log_stream, line); !st && !in.log_failed) {
      in.log_failed = true;
      spdlog::warn("log of {}: {}", in.spec.id, st.error().ToString());
    }
  };
  char buf[65536];
  // One read per wake keeps instances fair; after the exit, everything.
  do {
    if (!fd) return;
    ssize_t got = ::read(fd.Get(), buf, sizeof buf);
    if (got > 0) {
      in.splitters[stream].Feed(std::string_view(buf, static_cast<size_t>(got)), write);
      continue;
    }
    if (got < 0 && errno == EINTR) continue;
    if (got < 0 && errno == EAGAIN) return;
    if (got < 0) spdlog::warn("read output of {}: {}", in.spec.id, std::strerror(errno));
    in.splitters[stream].Flush(write);
    Unwatch(fd.Get());
    fd.Reset();
    if (in.phase == Instance::Phase::kDraining && !in.out && !in.err) Finalize(in);
    return;
  } while (drain);
}

void LocalBackend::Impl::OnExit(Instance& in, ExitStatus status) {
  Unwatch(in.child->pidfd());
  status.timed_out = status.timed_out || in.timed_out;
  if (in.cgroup) {
    auto ooms = in.cgroup->OomKillCount();
    if (ooms && *ooms > 0) status.oom_killed = true;
  }
  in.status = status;
  in.phase = Instance::Phase::kDraining;
  in.probes[0].reset();
  in.probes[1].reset();
  for (int kind = 0; kind < backend_internal::kTimerKinds; ++kind) Disarm(in, kind);
  // The group (and cgroup) is gone: what is left in the pipes is all there
  // is, unless a straggler escaped both.
  std::uint64_t serial = in.serial;
  OnOutput(in, 0, true);
  if (!Find(serial)) return;  // finalized by the last EOF
  OnOutput(in, 1, true);
  if (!Find(serial)) return;
  if (!in.out && !in.err) {  // both ended before the exit was seen
    Finalize(in);
    return;
  }
  Arm(in, backend_internal::kDrain, Clock::now() + kDrainLimit);
}

void LocalBackend::Impl::Finalize(Instance& in) {
  auto write = [&](LogStream stream) {
    return [&, stream](std::string_view line) {
      if (in.log) (void)in.log->Write(stream, line);
    };
  };
  if (in.out) in.splitters[0].Flush(write(LogStream::kOut));
  if (in.err) in.splitters[1].Flush(write(LogStream::kErr));
  const ExitStatus& s = *in.status;
  {
    Observation o = Make(in, Observation::Type::kExited);
    o.exit_code = s.code;
    o.signal = s.signal;
    o.oom_killed = s.oom_killed;
    o.timed_out = s.timed_out;
    o.message = s.ToString();
    Observe(std::move(o));
  }
  Forget(in);
}

void LocalBackend::Impl::Forget(Instance& in) {
  if (in.out) Unwatch(in.out.Get());
  if (in.err) Unwatch(in.err.Get());
  if (in.phase != Instance::Phase::kPreparing) --live;
  if (!in.env_key.empty()) {
    env_keys.With([&](auto& keys) {
      auto it = keys.find(in.env_key);
      if (it != keys.end()) keys.erase(it);
    });
  }
  by_id.erase(in.spec.id);
  auto node = instances.extract(in.serial);
  // Unmounting and removing a workspace, and emptying a cgroup, may take a
  // while: not on this thread. Without the pool (shutdown) it happens here.
  prepare_pool.Post([gone = std::move(node.mapped())]() mutable { gone.reset(); });
}

void LocalBackend::Impl::Watch(int fd, std::uint64_t key) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = key;
  if (::epoll_ctl(epoll.Get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
    spdlog::error("backend loop: watch fd {}: {}", fd, std::strerror(errno));
  }
}

void LocalBackend::Impl::Unwatch(int fd) { ::epoll_ctl(epoll.Get(), EPOLL_CTL_DEL, fd, nullptr); }

Instance* LocalBackend::Impl::Find(std::uint64_t serial) {
  auto it = instances.find(serial);
  return it == instances.end() ? nullptr : it->second.get();
}

void LocalBackend::Impl::Observe(Observation observation) {
  if (detached) return;  // Detach promised that nothing follows
  outbox.push_back(std::move(observation));
}

std::vector<reconciler::ListedInstance> LocalBackend::Impl::ListInstances() const {
  std::vector<reconciler::ListedInstance> out;
  for (const auto& [serial, in] : instances) {
    // Preparing instances are not running yet; stopping ones are going.
    if (in->phase != Instance::Phase::kRunning || in->stopping) continue;
    const reconciler::InstanceSpec& s = in->spec;
    out.push_back({s.id, s.kind, s.ns, s.owner, s.replica, s.version, in->pid,
                   in->port > 0 ? "127.0.0.1" : "", in->port, in->ready});
  }
  return out;
}

std::size_t LocalBackend::Impl::DetachAll() {
  std::size_t left = 0;
  for (auto& [serial, in] : instances) {
    Unwatch(in->child ? in->child->pidfd() : -1);
    if (in->out) Unwatch(in->out.Get());
    if (in->err) Unwatch(in->err.Get());
    if (in->phase == Instance::Phase::kRunning && in->child) {
      // Left running: no kill, no unmount, no cgroup removal. The output
      // pipes' read ends stay open for this process's life, so that a
      // write does not kill the workload with SIGPIPE before the next
      // daemon takes over (what it writes meanwhile is not logged).
      in->child->Detach();
      if (in->cgroup) in->cgroup->Keep();
      if (in->workspace) in->workspace->Keep();
      (void)in->out.Release();
      (void)in->err.Release();
      ++left;
    } else {
      in->stopping = true;  // a preparation in progress is dropped when it ends
    }
  }
  detached = true;
  // Running ones are forgotten here; preparing ones when their preparation
  // reports back (HandlePrepared sees `stopping`).
  std::erase_if(instances, [&](const auto& entry) {
    const Instance& in = *entry.second;
    if (in.phase == Instance::Phase::kPreparing) return false;
    by_id.erase(in.spec.id);
    return true;
  });
  live = 0;
  return left;
}

void LocalBackend::Impl::Deliver() {
  if (!outbox.empty()) {
    std::vector<Observation> batch;
    batch.swap(outbox);
    Observer copy;
    {
      MutexLock lock(observer_mutex);
      copy = observer;
    }
    if (copy) {
      for (auto& o : batch) copy(std::move(o));
    }
  }
  bool changed = false;
  {
    MutexLock lock(state_mutex);
    if (published_live != live || stop_all_done != stop_all_processed) {
      published_live = live;
      stop_all_done = stop_all_processed;
      changed = true;
    }
  }
  if (changed) state_changed.NotifyAll();
}

}  // namespace prisn::executor
