// The local backend's timers (one timerfd over a heap of deadlines) and the
// scheduling of health probes. Runs on the loop thread; the probes
// themselves run on the probe pool.
#include <spdlog/spdlog.h>
#include <sys/timerfd.h>

#include <cerrno>
#include <cstring>

#include "executor/local_backend_impl.h"

namespace prisn::executor {

using backend_internal::Instance;
using backend_internal::Make;
using backend_internal::ProbeSlot;
using reconciler::Observation;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

namespace {

// A zero period would probe in a busy loop.
constexpr milliseconds kMinProbePeriod{10};
constexpr milliseconds kStartupProbeStep{20};
constexpr int kStartupFastProbes = 50;  // the first second
constexpr milliseconds kStartupProbeMax{500};

}  // namespace

void LocalBackend::Impl::HandleProbe(std::uint64_t serial, int which, ProbeResult result) {
  Instance* in = Find(serial);
  // Results for an instance that exited, or is stopping, are dropped.
  if (!in || in->phase != Instance::Phase::kRunning || in->stopping || !in->probes[which]) return;
  ProbeSlot& slot = *in->probes[which];
  slot.in_flight = false;
  Observation::Type type = Observation::Type::kStarted;  // kStarted: nothing to report
  switch (slot.counter.Record(result.success)) {
    case ProbeTransition::kReady:
      type = Observation::Type::kReady;
      break;
    case ProbeTransition::kUnready:
      type = Observation::Type::kUnready;
      break;
    case ProbeTransition::kLivenessFailed:
      type = Observation::Type::kLivenessFailed;
      break;
    case ProbeTransition::kNone:
      break;
  }
  if (type == Observation::Type::kReady) in->ready = true;
  if (type == Observation::Type::kUnready) in->ready = false;
  if (type != Observation::Type::kStarted) Observe(Make(*in, type, result.message));
  if (result.success) slot.passed_once = true;
  milliseconds period = std::max(slot.check.period, kMinProbePeriod);
  if (which == 0 && !slot.passed_once) {
    milliseconds step = slot.startup_attempts++ < kStartupFastProbes ? kStartupProbeStep
                                                                     : kStartupProbeMax;
    period = std::min(period, step);
  }
  Clock::time_point next = std::max(slot.attempt_started + period, Clock::now());
  Arm(*in, which == 0 ? backend_internal::kReadinessProbe : backend_internal::kLivenessProbe, next);
}

void LocalBackend::Impl::LaunchProbe(Instance& in, int which) {
  if (!in.probes[which] || in.probes[which]->in_flight) return;
  ProbeSlot& slot = *in.probes[which];
  ProbeRequest request;
  request.probe = slot.check.probe;
  request.default_port = in.port;
  request.timeout = slot.check.timeout;
  if (std::holds_alternative<manifests::ExecProbe>(request.probe)) {
    request.exec = in.probe_spawn;
    request.search_path = internal::EnvValue(in.probe_spawn.env, "PATH");
  }
  slot.in_flight = true;
  slot.attempt_started = Clock::now();
  std::uint64_t serial = in.serial;
  bool posted = probe_pool.Post([this, serial, which, request = std::move(request)] {
    Post(backend_internal::ProbeMsg{serial, which, RunProbe(request)});
  });
  if (!posted) slot.in_flight = false;
}

void LocalBackend::Impl::OnTimer(Instance& in, int kind) {
  switch (kind) {
    case backend_internal::kTimeout:
      in.timed_out = true;
      BeginStop(in, in.spec.workload.termination_grace_period);
      break;
    case backend_internal::kKill:
      if (in.phase == Instance::Phase::kRunning) in.child->Kill();
      break;
    case backend_internal::kDrain:
      if (in.phase == Instance::Phase::kDraining) Finalize(in);
      break;
    case backend_internal::kReadinessProbe:
      LaunchProbe(in, 0);
      break;
    case backend_internal::kLivenessProbe:
      LaunchProbe(in, 1);
      break;
    case backend_internal::kMinReady:
      if (in.phase == Instance::Phase::kRunning && !in.stopping) {
        in.ready = true;
        Observe(Make(in, Observation::Type::kReady,
                     fmt::format("up {} ms with no readiness probe", in.spec.min_ready.count())));
      }
      break;
  }
}

void LocalBackend::Impl::Arm(Instance& in, int kind, Clock::time_point at) {
  in.armed[kind] = at;
  timers.push({at, in.serial, kind});
}

void LocalBackend::Impl::Disarm(Instance& in, int kind) {
  in.armed[kind] = Clock::time_point::max();
}

void LocalBackend::Impl::FireTimers() {
  // Entries whose instance is gone or whose deadline moved are stale:
  // dropped as they come up.
  while (!timers.empty() && timers.top().at <= Clock::now()) {
    backend_internal::Timer t = timers.top();
    timers.pop();
    Instance* in = Find(t.serial);
    if (!in || in->armed[t.kind] != t.at) continue;
    in->armed[t.kind] = Clock::time_point::max();
    OnTimer(*in, t.kind);
  }
}

void LocalBackend::Impl::ArmTimerfd() {
  while (!timers.empty()) {
    const backend_internal::Timer& t = timers.top();
    Instance* in = Find(t.serial);
    if (in && in->armed[t.kind] == t.at) break;
    timers.pop();
  }
  Clock::time_point at = timers.empty() ? Clock::time_point::max() : timers.top().at;
  if (at == timerfd_at) return;
  itimerspec spec{};
  if (at != Clock::time_point::max()) {
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(at.time_since_epoch()).count();
    if (ns < 1) ns = 1;  // zero would disarm
    spec.it_value.tv_sec = ns / 1000000000;
    spec.it_value.tv_nsec = ns % 1000000000;
  }
  // steady_clock is CLOCK_MONOTONIC, the timerfd's clock.
  if (::timerfd_settime(timer.Get(), TFD_TIMER_ABSTIME, &spec, nullptr) != 0) {
    spdlog::error("backend loop: timerfd_settime: {}", std::strerror(errno));
    return;
  }
  timerfd_at = at;
}

}  // namespace prisn::executor
