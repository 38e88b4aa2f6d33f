#pragma once
// How observed state reads in text: runs (`prisn get jobs`), workload status
// and replicas (`prisn status`, `describe`), the `prisn status` overview and
// the --why chain. Inputs are the API's JSON (docs/API.md "Status", "Runs").

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cli/printer.h"

namespace prisn::cli {

using Clock = std::chrono::system_clock;

// Milliseconds since the epoch of an RFC 3339 time (fraction kept); nullopt
// for null or anything malformed.
std::optional<std::int64_t> TimeMs(const nlohmann::ordered_json& time);

// "850ms", "1.2s", "45s", "2m30s", "1h5m", "3d4h".
std::string HumanDuration(std::int64_t ms);

// ID, JOB, NAMESPACE, STATUS, EXIT, ATTEMPTS, STARTED, DURATION (a running
// run's duration counts up to `now`).
Table RunTable(const nlohmann::ordered_json& runs, Clock::time_point now);

// The state a replica shows: "crashloop (next retry in 4s)" while it waits.
std::string ReplicaStateCell(const nlohmann::ordered_json& replica, Clock::time_point now);
// NAME, STATE, READY, PID, PORT, RESTARTS, AGE, VERSION; `indent` spaces
// before every line.
Table ReplicaTable(const nlohmann::ordered_json& replicas, Clock::time_point now, int indent = 0);

// "deployment/api", "job/report" of a status.
std::string StatusLabel(const nlohmann::ordered_json& status);

// Is the workload where it should be: a Deployment "running" (or "stopped"
// at 0 replicas), a Job "running" or "succeeded".
bool IsHealthy(const nlohmann::ordered_json& status);

// A rollout of `version` is done: running, every desired replica updated and
// ready, at that version (0 desired: stopped).
bool RolloutDone(const nlohmann::ordered_json& status, const std::string& version);

// `prisn status` without a name: DEPLOYMENTS, JOBS, RECENT RUNS.
// `with_namespace` prefixes names with their namespace (-A).
std::string OverviewText(const nlohmann::ordered_json& answer, bool with_namespace,
                         Clock::time_point now);

// `prisn status NAME`: the headline, reason, rollout and the replicas.
std::string WorkloadText(const nlohmann::ordered_json& status, Clock::time_point now);

// One line of the --why chain: "deployment/db: degraded (0/1 ready): reason".
std::string WhyLine(const nlohmann::ordered_json& status);

}  // namespace prisn::cli
