#pragma once
// Health probes of a running instance, with Kubernetes' semantics: one probe
// is one attempt (tcp connect, http GET, or a command), and a ProbeCounter
// turns attempts into transitions (ready, unready, liveness failed) by
// consecutive successes and failures.

#include <chrono>
#include <string>
#include <variant>
#include <vector>

#include "executor/spawn.h"
#include "manifests/types.h"

namespace prisn::executor {

struct ProbeRequest {
  std::variant<manifests::TcpProbe, manifests::HttpProbe, manifests::ExecProbe> probe;
  int default_port = 0;  // the instance's PORT: used when the probe's port is 0
  std::chrono::milliseconds timeout{1000};
  // exec: how the command runs: the instance's environment, working
  // directory and isolation (level, user, workspace, hidden path, binds), so
  // that it never has more privilege than the workload whose files it may
  // run. argv, stdio and cgroup are ignored. A command name without '/' is
  // looked up on `search_path`, a relative path in `exec.cwd`.
  SpawnOptions exec;
  std::string search_path = "/usr/local/bin:/usr/bin:/bin";
};

struct ProbeResult {
  bool success = false;
  std::string message;  // "connect 127.0.0.1:8080: Connection refused", "HTTP 500", command output
};

// One attempt, blocking the calling thread for at most about `timeout`
// (an exec probe also for the kill of what it left). tcp: a connection to
// 127.0.0.1:port is accepted. http: GET http://127.0.0.1:port/path answers
// 200-399, or exactly expected_status when set; never through a proxy,
// redirects not followed, the connection not kept. exec: the command exits 0.
// A probe without a port to use fails. Thread-safe.
ProbeResult RunProbe(const ProbeRequest& request);

enum class ProbeRole { kReadiness, kLiveness };
enum class ProbeTransition { kNone, kReady, kUnready, kLivenessFailed };

// Counts consecutive results. Readiness starts not ready: kReady when
// successes in a row reach success_threshold while not ready, kUnready when
// failures in a row reach failure_threshold while ready. Liveness: one
// kLivenessFailed when failures in a row reach failure_threshold, and no
// other until a success has ended that streak. Thresholds below 1 count as 1.
class ProbeCounter {
 public:
  ProbeCounter(ProbeRole role, int failure_threshold, int success_threshold);

  ProbeTransition Record(bool success);
  bool ready() const { return ready_; }

 private:
  ProbeRole role_;
  int failure_threshold_;
  int success_threshold_;
  int successes_ = 0;
  int failures_ = 0;
  bool ready_ = false;
  bool reported_ = false;  // liveness: this failure streak was reported
};

}  // namespace prisn::executor
