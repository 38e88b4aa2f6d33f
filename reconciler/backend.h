#pragma once
// The seam between deciding and doing. The converge loop asks a Backend for
// instances (one replica of a Deployment, or one attempt of a Job run) to
// exist or to stop, and learns what happened to them only from Observations
// the backend reports. The loop never forks, touches cgroups or opens sockets
// to workloads; the local executor (executor/local_backend.h) implements
// this, tests use fakes, and another backend (remote nodes) could too.
//
// Header-only on purpose: the executor implements it without linking the
// reconciler.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "manifests/types.h"
#include "util/error.h"

namespace prisn::reconciler {

// Everything a backend needs to start one instance; self-contained (no store
// access needed). Where it runs and listens is the backend's choice.
struct InstanceSpec {
  // Unique for the daemon's lifetime and across restarts, e.g.
  // "Deployment/default/api/0#17". The backend's key for Stop and
  // Observations.
  std::string id;
  manifests::Kind kind = manifests::Kind::kDeployment;  // or kJob
  std::string ns;         // "default"
  std::string owner;      // the object's name: "api"
  std::string replica;    // "api-0" for a Deployment; the run id for a Job attempt
  std::string version;    // "v-1a2b3c4d"
  manifests::WorkloadSpec workload;            // runtime, entrypoint, args, env, limits
  std::map<std::string, std::string> sources;  // path (relative to the source root) -> bytes
  // The Runner object named by workload.runtime when it is not built in.
  std::optional<manifests::RunnerSpec> runner;
  // Added over workload.env: PORT, secret values, PRISN_* variables.
  std::map<std::string, std::string> env;
  // The instance serves on a port: the backend chooses the address and the
  // port, passes the port as PORT, and reports both in kStarted.
  bool wants_port = false;
  std::optional<manifests::HealthCheck> readiness;  // none: ready after min_ready
  // Without a readiness probe: kReady once the instance has run this long
  // (0: at once). An instance that exits sooner never reports ready.
  std::chrono::milliseconds min_ready{0};
  std::optional<manifests::HealthCheck> liveness;  // none: never restarted for health
  // Per attempt (Jobs): the backend stops the instance after this long and
  // reports timed_out. 0: none.
  std::chrono::milliseconds timeout{0};
};

struct Observation {
  enum class Type {
    kStarted,         // the process runs (pid set)
    kStartFailed,     // it could not be started (message says why); no kExited follows
    kReady,           // readiness passed success_threshold times (or: no readiness probe)
    kUnready,         // readiness failed failure_threshold times
    kLivenessFailed,  // liveness failed failure_threshold times; the backend does not act
    kExited,          // it ended (after a Stop too); the last observation of an instance
  };
  std::string id;
  Type type = Type::kStarted;
  std::int64_t pid = 0;
  int exit_code = 0;  // kExited: exit code, 128+N for a signal
  int signal = 0;
  bool oom_killed = false;
  bool timed_out = false;
  std::string message;  // human text: why it failed, "exit 3", probe output
  std::string degraded; // kStarted: why isolation is lower than asked; empty when not
  // kStarted of an instance that wants a port: where the proxy reaches it.
  std::string host;
  int port = 0;
};

// An instance a backend runs, as List() reports it.
struct ListedInstance {
  std::string id;  // the InstanceSpec id it was started with
  manifests::Kind kind = manifests::Kind::kDeployment;
  std::string ns, owner, replica, version;
  std::int64_t pid = 0;
  std::string host;  // where it listens; empty with no port
  int port = 0;
  bool ready = false;  // its readiness passed (or it has no probe)
};

std::string_view ObservationTypeName(Observation::Type type);

// One line an instance wrote.
struct LogLine {
  std::string name;    // the replica ("api-0") or the run id that wrote it
  std::string time;    // RFC 3339 with milliseconds, UTC; empty when unknown
  std::string stream;  // "out" | "err"
  std::string text;
};

// Logs outlive their instances: they are found by workload and name (a
// replica name or a run id), whether the instance still runs or not.
struct LogQuery {
  std::string ns, owner;
  std::vector<std::string> names;  // one log each; a name never written reads empty
  // Without a cursor: the last `tail` lines of each log (only those written
  // at or after since_ms when given), merged by time.
  std::size_t tail = 100;
  std::optional<std::int64_t> since_ms;
  // From an earlier page: only what was written after it.
  std::optional<std::string> cursor;
  // Without a cursor: from each log's start, a page at a time, not a tail.
  bool from_start = false;
};

struct LogPage {
  std::vector<LogLine> lines;  // merged by time; a log's own order is kept
  std::string cursor;          // opaque; pass it back to read on from here
  bool truncated = false;      // a log had more than one page holds: read again
};

class Backend {
 public:
  using Observer = std::function<void(Observation)>;
  virtual ~Backend() = default;

  // Called from the backend's own threads, in order per instance; must not
  // block. Set once, before the first Start.
  virtual void SetObserver(Observer observer) = 0;
  // Starts asynchronously (an environment build may take minutes): kStarted
  // or kStartFailed follows. An id already running is ignored.
  virtual void Start(InstanceSpec spec) = 0;
  // SIGTERM to every process of the instance, `grace`, then SIGKILL of all
  // of it; kExited follows. Unknown or finished ids are ignored.
  virtual void Stop(std::string_view id, std::chrono::milliseconds grace) = 0;
  // Stops everything with each instance's grace and returns once all have
  // exited (daemon shutdown). Observations still arrive.
  virtual void StopAll(std::chrono::milliseconds max_grace) = 0;
  // The instances this backend runs now, including any it found running
  // when it was made (left by Detach of an earlier daemon), so that a loop
  // that starts takes them over instead of starting them again. Called
  // after SetObserver and before the first Start; observations of a listed
  // instance follow as for any other.
  virtual std::vector<ListedInstance> List() = 0;
  // Stops watching every instance and leaves it running, for a daemon
  // restart that adopts them (List). No observation follows; Start and Stop
  // are ignored afterwards. Returns how many were left running.
  virtual std::size_t Detach() = 0;

  // Logs, read from any thread. kInvalid for a cursor this backend did not
  // make. A remote backend serves its own.
  virtual Result<LogPage> ReadLogs(const LogQuery& query) = 0;
  // The replica logs kept for a workload ("api-0", "api-1", ...: not runs),
  // by replica number, whether or not the replicas still run.
  virtual std::vector<std::string> ReplicaLogNames(const std::string& ns,
                                                   const std::string& owner) = 0;
  // Deletes one log (a run trimmed from history). From the loop's thread.
  virtual void RemoveLog(const std::string& ns, const std::string& owner,
                         const std::string& name) = 0;
};

inline std::string_view ObservationTypeName(Observation::Type type) {
  switch (type) {
    case Observation::Type::kStarted: return "started";
    case Observation::Type::kStartFailed: return "start-failed";
    case Observation::Type::kReady: return "ready";
    case Observation::Type::kUnready: return "unready";
    case Observation::Type::kLivenessFailed: return "liveness-failed";
    case Observation::Type::kExited: return "exited";
  }
  return "?";
}

}  // namespace prisn::reconciler
