#include "executor/run.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>

namespace prisn::executor {
namespace {

using Clock = std::chrono::steady_clock;

struct Pipe {
  UniqueFd read;
  UniqueFd write;
};

Result<Pipe> MakePipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return std::unexpected(ErrnoError("pipe", errno));
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

int MsUntil(Clock::time_point t) {
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(t - Clock::now()).count();
  return ms < 0 ? 0 : static_cast<int>(std::min<long long>(ms, 1 << 30));
}

}  // namespace

Result<RunResult> RunToCompletion(const RunOptions& options) {
  auto out = MakePipe();
  if (!out) return std::unexpected(out.error());
  auto err = MakePipe();
  if (!err) return std::unexpected(err.error());
  SpawnOptions spawn = options.spawn;
  spawn.stdout_fd = out->write.Get();
  spawn.stderr_fd = err->write.Get();

  Clock::time_point started = Clock::now();
  auto child = Spawn(spawn);
  if (!child) return std::unexpected(child.error());
  // Only the workload holds the write ends now: EOF means it (and everything
  // it started) closed them.
  out->write.Reset();
  err->write.Reset();

  LineSplitter splitters[2];
  auto emit = [&](LogStream stream) {
    return [&, stream](std::string_view line) {
      if (options.log) {
        if (auto st = options.log->Write(stream, line); !st) {
          spdlog::warn("run log: {}", st.error().ToString());
        }
      }
      if (options.on_line) options.on_line(stream, line);
    };
  };

  bool timed_out = false;
  bool killed = false;
  Clock::time_point deadline =
      options.timeout.count() > 0 ? started + options.timeout : Clock::time_point::max();
  std::optional<ExitStatus> status;
  pollfd fds[3] = {
      {out->read.Get(), POLLIN, 0}, {err->read.Get(), POLLIN, 0}, {child->pidfd(), POLLIN, 0}};
  for (;;) {
    bool pipes_open = fds[0].fd >= 0 || fds[1].fd >= 0;
    if (!pipes_open && status) break;
    int wait_ms = deadline == Clock::time_point::max() ? -1 : MsUntil(deadline);
    int n = ::poll(fds, 3, wait_ms);
    if (n < 0 && errno != EINTR) return std::unexpected(ErrnoError("poll", errno));
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[65536];
      ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
      if (got < 0 && errno == EINTR) continue;
      auto stream = i == 0 ? LogStream::kOut : LogStream::kErr;
      if (got <= 0) {
        splitters[i].Flush(emit(stream));
        fds[i].fd = -1;
        continue;
      }
      splitters[i].Feed(std::string_view(buf, static_cast<size_t>(got)), emit(stream));
    }
    if (fds[2].fd >= 0 && (fds[2].revents & POLLIN)) {
      // Wait() also kills what the main process left behind, which closes
      // any pipe a straggler still held.
      auto st = child->Wait();
      if (!st) return std::unexpected(st.error());
      status = *st;
      fds[2].fd = -1;
      // A straggler outside the group and cgroup (level 0 without a cgroup)
      // may hold a pipe open: read what is there, but not forever.
      deadline = Clock::now() + std::chrono::seconds(2);
    }
    if (status && Clock::now() >= deadline) break;
    if (!status && Clock::now() >= deadline) {
      if (!timed_out) {
        timed_out = true;
        if (auto st = child->Signal(SIGTERM); !st)
          spdlog::warn("timeout: {}", st.error().ToString());
        deadline = Clock::now() + options.grace;
      } else if (!killed) {
        killed = true;
        child->Kill();
        deadline = Clock::time_point::max();
      }
    }
  }
  for (int i = 0; i < 2; ++i) {
    if (fds[i].fd >= 0) splitters[i].Flush(emit(i == 0 ? LogStream::kOut : LogStream::kErr));
  }
  RunResult result;
  result.status = *status;
  result.status.timed_out = timed_out;
  result.duration = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  result.degraded_reason = child->degraded_reason();
  return result;
}

Result<ExitStatus> Stop(Child& child, std::chrono::milliseconds grace) {
  auto done = child.TryWait();
  if (!done) return std::unexpected(done.error());
  if (*done) return **done;
  if (auto st = child.Signal(SIGTERM); !st) return std::unexpected(st.error());
  Clock::time_point deadline = Clock::now() + grace;
  pollfd exited{child.pidfd(), POLLIN, 0};
  for (;;) {
    int n = ::poll(&exited, 1, MsUntil(deadline));
    if (n > 0) return child.Wait();
    if (n < 0 && errno != EINTR) return std::unexpected(ErrnoError("poll", errno));
    if (n == 0 || Clock::now() >= deadline) break;
  }
  child.Kill();
  return child.Wait();
}

}  // namespace prisn::executor
