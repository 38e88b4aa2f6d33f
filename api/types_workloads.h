#pragma once
// What the converge loop observed of workloads and runs (docs/API.md
// "Status", "Runs", "logs"), and the bodies that change them: scale and
// `prisn run`. Times are RFC 3339 strings; null until they happen.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "api/codec.h"

namespace prisn::api {

// A field only CronJob statuses carry, null when it has no value yet: left
// out for other kinds (the outer optional), null or a value for CronJobs.
// Decoding reads null as left out, so print the raw answer rather than
// re-encoding one.
template <typename T>
using CronOnly = std::optional<std::optional<T>>;

// One replica in a workload status (replicas[]).
struct ReplicaStatus {
  std::string name;  // "api-0"
  std::string version;
  std::string state;  // "pending", "starting", "running", "crashloop", ...
  bool ready = false;
  int64_t pid = 0;
  int64_t port = 0;
  int64_t restarts = 0;
  std::optional<std::string> started;     // null when not running
  std::optional<std::string> next_retry;  // crashloop: when it starts again
  std::string last_exit;                  // "exit 1", "killed by SIGKILL (OOMKilled)"
  std::string degraded;                   // why isolation is lower than asked
};
constexpr auto Fields(std::type_identity<ReplicaStatus>) {
  return std::tuple{Field{"name", &ReplicaStatus::name},
                    Field{"version", &ReplicaStatus::version},
                    Field{"state", &ReplicaStatus::state},
                    Field{"ready", &ReplicaStatus::ready},
                    Field{"pid", &ReplicaStatus::pid},
                    Field{"port", &ReplicaStatus::port},
                    Field{"restarts", &ReplicaStatus::restarts},
                    Field{"started", &ReplicaStatus::started},
                    Field{"nextRetry", &ReplicaStatus::next_retry},
                    Field{"lastExit", &ReplicaStatus::last_exit},
                    Field{"degraded", &ReplicaStatus::degraded}};
}

// GET /v1/namespaces/{ns}/{kind}/{name}/status, and each of GET /v1/status's
// workloads: a Deployment, Job or CronJob.
struct WorkloadStatus {
  std::string kind;
  std::string ns;
  std::string name;
  std::string version;  // the desired version in effect
  int64_t desired = 0;
  int64_t ready = 0;
  int64_t updated = 0;
  int64_t available = 0;
  std::string state;
  std::string reason;
  std::vector<std::string> waiting_for;  // "Deployment/default/db"
  std::string healthy_version;           // last version fully rolled out
  std::optional<std::string> rollout_started;
  std::optional<std::string> last_run;  // Jobs and CronJobs: the newest run's id
  CronOnly<std::string> schedule;
  CronOnly<std::string> time_zone;
  CronOnly<std::string> next_fire;
  CronOnly<std::string> last_schedule;
  CronOnly<std::string> last_result;  // the last run's state
  CronOnly<int64_t> active_runs;
  std::vector<ReplicaStatus> replicas;
};
constexpr auto Fields(std::type_identity<WorkloadStatus>) {
  return std::tuple{Field{"kind", &WorkloadStatus::kind},
                    Field{"namespace", &WorkloadStatus::ns},
                    Field{"name", &WorkloadStatus::name},
                    Field{"version", &WorkloadStatus::version},
                    Field{"desired", &WorkloadStatus::desired},
                    Field{"ready", &WorkloadStatus::ready},
                    Field{"updated", &WorkloadStatus::updated},
                    Field{"available", &WorkloadStatus::available},
                    Field{"state", &WorkloadStatus::state},
                    Field{"reason", &WorkloadStatus::reason},
                    Field{"waitingFor", &WorkloadStatus::waiting_for},
                    Field{"healthyVersion", &WorkloadStatus::healthy_version},
                    Field{"rolloutStarted", &WorkloadStatus::rollout_started},
                    Field{"lastRun", &WorkloadStatus::last_run},
                    Field{"schedule", &WorkloadStatus::schedule, Empty::kOmit},
                    Field{"timeZone", &WorkloadStatus::time_zone, Empty::kOmit},
                    Field{"nextFire", &WorkloadStatus::next_fire, Empty::kOmit},
                    Field{"lastSchedule", &WorkloadStatus::last_schedule, Empty::kOmit},
                    Field{"lastResult", &WorkloadStatus::last_result, Empty::kOmit},
                    Field{"activeRuns", &WorkloadStatus::active_runs, Empty::kOmit},
                    Field{"replicas", &WorkloadStatus::replicas}};
}

// One run: GET /v1/runs/{id}, POST /v1/runs (201), POST /v1/runs/{id}/stop,
// and the items of the run lists.
struct RunView {
  std::string id;    // "r-" + 10 hex
  std::string kind;  // of the job: "Job" or "CronJob"
  std::string ns;
  std::string job;
  std::string version;
  bool adhoc = false;  // a `prisn run` script, not a Job object
  std::string state;   // "pending", "running", "succeeded", "failed"
  int64_t attempts = 0;
  std::optional<int64_t> exit_code;
  std::string reason;  // "exit 3", "timed out after 30s", ...
  std::string created;
  std::optional<std::string> started;
  std::optional<std::string> finished;
  std::optional<std::string> next_retry;
  int64_t pid = 0;
  std::string degraded;
};
constexpr auto Fields(std::type_identity<RunView>) {
  return std::tuple{Field{"id", &RunView::id},
                    Field{"kind", &RunView::kind},
                    Field{"namespace", &RunView::ns},
                    Field{"job", &RunView::job},
                    Field{"version", &RunView::version},
                    Field{"adhoc", &RunView::adhoc},
                    Field{"state", &RunView::state},
                    Field{"attempts", &RunView::attempts},
                    Field{"exitCode", &RunView::exit_code},
                    Field{"reason", &RunView::reason},
                    Field{"created", &RunView::created},
                    Field{"started", &RunView::started},
                    Field{"finished", &RunView::finished},
                    Field{"nextRetry", &RunView::next_retry},
                    Field{"pid", &RunView::pid},
                    Field{"degraded", &RunView::degraded}};
}

// GET /v1/runs: newest first.
struct RunList {
  std::vector<RunView> runs;
};
constexpr auto Fields(std::type_identity<RunList>) {
  return std::tuple{Field{"runs", &RunList::runs}};
}

// GET /v1/status: every workload the caller may see and the 10 newest runs.
struct StatusOverview {
  int64_t state_index = 0;
  std::vector<WorkloadStatus> workloads;
  std::vector<RunView> runs;
};
constexpr auto Fields(std::type_identity<StatusOverview>) {
  return std::tuple{Field{"stateIndex", &StatusOverview::state_index},
                    Field{"workloads", &StatusOverview::workloads},
                    Field{"runs", &StatusOverview::runs}};
}

// POST /v1/runs (`prisn run FILE`). The daemon checks what a type cannot
// say: paths, the entrypoint, durations, sizes, isolation 0..2.
struct RunRequest {
  std::optional<std::string> ns;    // "default" when left out
  std::optional<std::string> name;  // from the entrypoint's stem when left out
  // {"relative/path": "text"}: passed through, so that the daemon names the
  // path whose content is not a string.
  Json files;
  std::optional<Json> files_base64;       // the same, base64 (files that are not UTF-8)
  std::optional<std::string> entrypoint;  // may be left out with one file
  std::optional<std::string> runtime;     // inferred from the entrypoint when left out
  std::optional<std::vector<std::string>> args;
  std::optional<std::map<std::string, std::string>> env;
  std::optional<std::string> timeout;  // "30s"
  std::optional<int64_t> isolation;
  std::optional<std::string> memory;  // "256Mi"
  std::optional<Json> cpu;            // "500m" or a number of cores
};
constexpr auto Fields(std::type_identity<RunRequest>) {
  return std::tuple{Field{"namespace", &RunRequest::ns, Empty::kOmit},
                    Field{"name", &RunRequest::name, Empty::kOmit},
                    Field{"files", &RunRequest::files},
                    Field{"filesBase64", &RunRequest::files_base64, Empty::kOmit},
                    Field{"entrypoint", &RunRequest::entrypoint, Empty::kOmit},
                    Field{"runtime", &RunRequest::runtime, Empty::kOmit},
                    Field{"args", &RunRequest::args, Empty::kOmit},
                    Field{"env", &RunRequest::env, Empty::kOmit},
                    Field{"timeout", &RunRequest::timeout, Empty::kOmit},
                    Field{"isolation", &RunRequest::isolation, Empty::kOmit},
                    Field{"memory", &RunRequest::memory, Empty::kOmit},
                    Field{"cpu", &RunRequest::cpu, Empty::kOmit}};
}

// POST .../scale: exactly one of the three (the daemon checks it).
struct ScaleRequest {
  std::optional<int64_t> replicas;  // N >= 0; a CronJob: 0 suspends, 1 resumes
  std::optional<int64_t> add;       // any integer; never below 0 replicas
  std::optional<double> multiply;   // F >= 0, rounded half up
};
constexpr auto Fields(std::type_identity<ScaleRequest>) {
  return std::tuple{Field{"replicas", &ScaleRequest::replicas, Empty::kOmit},
                    Field{"add", &ScaleRequest::add, Empty::kOmit},
                    Field{"multiply", &ScaleRequest::multiply, Empty::kOmit}};
}
// Its answer; `suspend` only for a CronJob.
struct ScaleAnswer {
  int64_t replicas = 0;
  int64_t previous = 0;
  std::optional<bool> suspend;
  int64_t state_index = 0;
};
constexpr auto Fields(std::type_identity<ScaleAnswer>) {
  return std::tuple{Field{"replicas", &ScaleAnswer::replicas},
                    Field{"previous", &ScaleAnswer::previous},
                    Field{"suspend", &ScaleAnswer::suspend, Empty::kOmit},
                    Field{"stateIndex", &ScaleAnswer::state_index}};
}

// One line of a log page, merged by time.
struct LogLine {
  std::string replica;              // the replica ("api-0") or run id that wrote it
  std::optional<std::string> time;  // null when unknown
  std::string stream;               // "out" | "err"
  std::string text;
};
constexpr auto Fields(std::type_identity<LogLine>) {
  return std::tuple{Field{"replica", &LogLine::replica}, Field{"time", &LogLine::time},
                    Field{"stream", &LogLine::stream}, Field{"text", &LogLine::text}};
}

// GET /v1/namespaces/{ns}/{kind}/{name}/logs. `cursor` (opaque) reads on
// from here; `replicas` names the logs read (replicas or run ids).
struct WorkloadLogPage {
  std::vector<LogLine> lines;
  std::string cursor;
  std::vector<std::string> replicas;
};
constexpr auto Fields(std::type_identity<WorkloadLogPage>) {
  return std::tuple{Field{"lines", &WorkloadLogPage::lines},
                    Field{"cursor", &WorkloadLogPage::cursor},
                    Field{"replicas", &WorkloadLogPage::replicas}};
}

// GET /v1/runs/{id}/logs: `complete` once the run has finished and every
// line of its log was returned.
struct RunLogPage {
  std::vector<LogLine> lines;
  std::string cursor;
  RunView run;
  bool complete = false;
};
constexpr auto Fields(std::type_identity<RunLogPage>) {
  return std::tuple{Field{"lines", &RunLogPage::lines}, Field{"cursor", &RunLogPage::cursor},
                    Field{"run", &RunLogPage::run}, Field{"complete", &RunLogPage::complete}};
}

// The CLI's own -o json documents built from the answers above (no route
// sends them): named here so that they keep the answers' spelling.

// `prisn get cron`: {"cronjobs": [...]}, a CronJob object joined with its
// status; null where the daemon observed nothing.
struct CronJobRow {
  std::string ns;
  std::string name;
  std::optional<std::string> state;
  std::optional<std::string> schedule;
  std::optional<std::string> time_zone;
  std::optional<std::string> last_run;
  std::optional<std::string> last_result;
  std::optional<std::string> last_schedule;
  std::optional<std::string> next_fire;
  std::optional<int64_t> active_runs;
  std::optional<std::string> reason;
};
constexpr auto Fields(std::type_identity<CronJobRow>) {
  return std::tuple{Field{"namespace", &CronJobRow::ns},
                    Field{"name", &CronJobRow::name},
                    Field{"state", &CronJobRow::state},
                    Field{"schedule", &CronJobRow::schedule},
                    Field{"timeZone", &CronJobRow::time_zone},
                    Field{"lastRun", &CronJobRow::last_run},
                    Field{"lastResult", &CronJobRow::last_result},
                    Field{"lastSchedule", &CronJobRow::last_schedule},
                    Field{"nextFire", &CronJobRow::next_fire},
                    Field{"activeRuns", &CronJobRow::active_runs},
                    Field{"reason", &CronJobRow::reason}};
}
struct CronJobRows {
  std::vector<CronJobRow> cronjobs;
};
constexpr auto Fields(std::type_identity<CronJobRows>) {
  return std::tuple{Field{"cronjobs", &CronJobRows::cronjobs}};
}

// `prisn status NAME --why`: {"status": <the answer>, "why": [...]}, one
// step per dependency, depth first; `status` or `error` is null.
struct WhyStep {
  int64_t depth = 0;
  std::string key;  // "Deployment/default/db"
  Json status;      // the dependency's status answer, as it came
  std::optional<std::string> error;
};
constexpr auto Fields(std::type_identity<WhyStep>) {
  return std::tuple{Field{"depth", &WhyStep::depth}, Field{"key", &WhyStep::key},
                    Field{"status", &WhyStep::status}, Field{"error", &WhyStep::error}};
}
struct WhyAnswer {
  Json status;
  std::vector<WhyStep> why;
};
constexpr auto Fields(std::type_identity<WhyAnswer>) {
  return std::tuple{Field{"status", &WhyAnswer::status}, Field{"why", &WhyAnswer::why}};
}

// `prisn deploy -o json`: the apply's answer and the last status read (null
// with --no-wait), both as they came.
struct DeployOutput {
  Json apply;
  Json status;
};
constexpr auto Fields(std::type_identity<DeployOutput>) {
  return std::tuple{Field{"apply", &DeployOutput::apply}, Field{"status", &DeployOutput::status}};
}

}  // namespace prisn::api
