#include "executor/probe.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "api/http_client.h"
#include "executor/run.h"
#include "executor/runner.h"
#include "util/unique_fd.h"

namespace prisn::executor {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kKeptOutput = 1024;

int MsLeft(Clock::time_point deadline) {
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::clamp<long long>(ms, 0, 1 << 30));
}

std::string Trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s;
}

ProbeResult Tcp(int port, std::chrono::milliseconds timeout) {
  std::string where = fmt::format("127.0.0.1:{}", port);
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) return {false, fmt::format("socket: {}", std::strerror(errno))};
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  Clock::time_point deadline = Clock::now() + timeout;
  if (::connect(fd.Get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    return {true, "connected to " + where};
  }
  if (errno != EINPROGRESS) {
    return {false, fmt::format("connect {}: {}", where, std::strerror(errno))};
  }
  pollfd p{fd.Get(), POLLOUT, 0};
  for (;;) {
    int n = ::poll(&p, 1, MsLeft(deadline));
    if (n > 0) break;
    if (n == 0)
      return {false, fmt::format("connect {}: timed out after {}ms", where, timeout.count())};
    if (errno != EINTR) return {false, fmt::format("poll: {}", std::strerror(errno))};
  }
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(fd.Get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  if (err != 0) return {false, fmt::format("connect {}: {}", where, std::strerror(err))};
  return {true, "connected to " + where};
}

ProbeResult Http(const manifests::HttpProbe& probe, int port, std::chrono::milliseconds timeout) {
  std::string path =
      probe.path.empty() || probe.path.front() != '/' ? "/" + probe.path : probe.path;
  api::HttpRequest request;
  request.url = fmt::format("http://127.0.0.1:{}{}", port, path);
  request.headers.emplace_back("User-Agent", "prisn-probe/1");
  request.connect_timeout = std::max(timeout, std::chrono::milliseconds(1));
  request.total_timeout = request.connect_timeout;
  request.max_body = 256;
  // One client per attempt: probes run on several threads, and a kept
  // connection would hide a server that no longer accepts new ones.
  api::HttpClient client;
  auto answer = client.Request(request);
  if (!answer) return {false, fmt::format("GET {}: {}", request.url, answer.error().message)};
  int status = answer->status;
  bool ok =
      probe.expected_status != 0 ? status == probe.expected_status : status >= 200 && status < 400;
  std::string message = fmt::format("GET {}: HTTP {}", request.url, status);
  if (!ok && !answer->body.empty()) message += ": " + Trimmed(std::move(answer->body));
  return {ok, message};
}

ProbeResult Exec(const ProbeRequest& request, const manifests::ExecProbe& probe) {
  if (probe.command.empty()) return {false, "the exec probe has no command"};
  std::string program = probe.command.front();
  if (program.find('/') == std::string::npos) {
    auto found = FindOnPath(program, request.search_path);
    if (!found) return {false, fmt::format("exec probe: {} not found on PATH", program)};
    program = *found;
  } else if (program.front() != '/') {
    program = request.exec.cwd + "/" + program;
  }
  RunOptions run;
  run.spawn = request.exec;
  run.spawn.argv = probe.command;
  run.spawn.argv.front() = program;
  run.spawn.stdin_fd = -1;
  run.spawn.cgroup = nullptr;
  run.spawn.die_with_parent = true;
  run.timeout = request.timeout;
  run.grace = std::chrono::milliseconds(0);
  std::string output;
  run.on_line = [&](LogStream, std::string_view line) {
    output.append(line);
    output.push_back('\n');
    if (output.size() > 2 * kKeptOutput) output.erase(0, output.size() - kKeptOutput);
  };
  auto result = RunToCompletion(run);
  if (!result) return {false, "exec probe: " + result.error().ToString()};
  if (output.size() > kKeptOutput) output = "..." + output.substr(output.size() - kKeptOutput);
  output = Trimmed(std::move(output));
  if (result->status.timed_out) {
    return {false, fmt::format("exec probe timed out after {}ms", request.timeout.count())};
  }
  if (!result->status.Success()) {
    std::string message = "exec probe: " + result->status.ToString();
    if (!output.empty()) message += ": " + output;
    return {false, message};
  }
  return {true, output};
}

}  // namespace

ProbeResult RunProbe(const ProbeRequest& request) {
  auto port_of = [&](int port) { return port != 0 ? port : request.default_port; };
  if (const auto* tcp = std::get_if<manifests::TcpProbe>(&request.probe)) {
    int port = port_of(tcp->port);
    if (port <= 0 || port > 65535) return {false, "tcp probe: no port (the instance has no PORT)"};
    return Tcp(port, request.timeout);
  }
  if (const auto* http = std::get_if<manifests::HttpProbe>(&request.probe)) {
    int port = port_of(http->port);
    if (port <= 0 || port > 65535) return {false, "http probe: no port (the instance has no PORT)"};
    return Http(*http, port, request.timeout);
  }
  return Exec(request, std::get<manifests::ExecProbe>(request.probe));
}

ProbeCounter::ProbeCounter(ProbeRole role, int failure_threshold, int success_threshold)
    : role_(role),
      failure_threshold_(std::max(1, failure_threshold)),
      success_threshold_(std::max(1, success_threshold)) {}

ProbeTransition ProbeCounter::Record(bool success) {
  if (success) {
    failures_ = 0;
    successes_ = std::min(successes_ + 1, success_threshold_);  // capped: never overflows
    if (role_ == ProbeRole::kLiveness) {
      reported_ = false;
      return ProbeTransition::kNone;
    }
    if (!ready_ && successes_ >= success_threshold_) {
      ready_ = true;
      return ProbeTransition::kReady;
    }
    return ProbeTransition::kNone;
  }
  successes_ = 0;
  failures_ = std::min(failures_ + 1, failure_threshold_);
  if (failures_ < failure_threshold_) return ProbeTransition::kNone;
  if (role_ == ProbeRole::kLiveness) {
    if (reported_) return ProbeTransition::kNone;
    reported_ = true;
    return ProbeTransition::kLivenessFailed;
  }
  if (ready_) {
    ready_ = false;
    return ProbeTransition::kUnready;
  }
  return ProbeTransition::kNone;
}

}  // namespace prisn::executor
