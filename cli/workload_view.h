#pragma once
// How observed state reads in text: runs (`prisn get jobs`), workload status
// and replicas (`prisn status`, `describe`), the `prisn status` overview and
// the --why chain. Inputs are the API's answers (api/types_workloads.h).

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "api/types_workloads.h"
#include "cli/printer.h"

namespace prisn::cli {

using Clock = std::chrono::system_clock;

// Milliseconds since the epoch of an RFC 3339 time (fraction kept); nullopt
// for null or anything malformed.
std::optional<std::int64_t> TimeMs(const std::optional<std::string>& time);
std::optional<std::int64_t> TimeMs(const nlohmann::ordered_json& time);

// "850ms", "1.2s", "45s", "2m30s", "1h5m", "3d4h".
std::string HumanDuration(std::int64_t ms);

// ID, JOB, NAMESPACE, STATUS, EXIT, ATTEMPTS, STARTED, DURATION (a running
// run's duration counts up to `now`).
Table RunTable(const std::vector<api::RunView>& runs, Clock::time_point now);

// The state a replica shows: "crashloop (next retry in 4s)" while it waits.
std::string ReplicaStateCell(const api::ReplicaStatus& replica, Clock::time_point now);
// NAME, STATE, READY, PID, PORT, RESTARTS, AGE, VERSION; `indent` spaces
// before every line.
Table ReplicaTable(const std::vector<api::ReplicaStatus>& replicas, Clock::time_point now,
                   int indent = 0);

// "deployment/api", "job/report" of a status.
std::string StatusLabel(const api::WorkloadStatus& status);

// Is the workload where it should be: a Deployment "running" (or "stopped"
// at 0 replicas), a Job "running" or "succeeded".
bool IsHealthy(const api::WorkloadStatus& status);

// A rollout of `version` is done: running, every desired replica updated and
// ready, at that version (0 desired: stopped).
bool RolloutDone(const api::WorkloadStatus& status, const std::string& version);

// `prisn status` without a name: DEPLOYMENTS, JOBS, RECENT RUNS.
// `with_namespace` prefixes names with their namespace (-A).
std::string OverviewText(const api::StatusOverview& answer, bool with_namespace,
                         Clock::time_point now);

// `prisn status NAME`: the headline, reason, rollout and the replicas.
std::string WorkloadText(const api::WorkloadStatus& status, Clock::time_point now);

// One line of the --why chain: "deployment/db: degraded (0/1 ready): reason".
std::string WhyLine(const api::WorkloadStatus& status);

}  // namespace prisn::cli
