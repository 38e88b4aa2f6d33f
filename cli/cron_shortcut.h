#pragma once
// The CronJob shortcuts: `prisn cron FILE "0 * * * *"`, `prisn cron FILE
// --every 15m` and `prisn run FILE --cron "EXPR"`. They build a CronJob the
// way `prisn deploy` builds a Deployment (same sources, same prisn.toml
// defaults, same loader) and apply it as the set cron/<namespace>/<name>.

#include <string>
#include <vector>

#include "cli/command_util.h"
#include "cli/deploy_plan.h"

namespace prisn::cli {

struct CronFlags {
  DeployFlags deploy;     // path, name, env, runtime, entrypoint, namespace
  std::string schedule;   // a cron expression or macro; or
  std::string every;      // "15m", "hour", "day"
  std::string time_zone;  // IANA name; empty: the server's zone
  std::string timeout;    // per run
  std::vector<std::string> args;
};

// The CronJob manifest: PlanDeploy's name, files and prisn.toml defaults,
// minus what only a Deployment has (replicas, port, probes, strategy...),
// plus the schedule. kInvalid unless exactly one of schedule and every.
Result<DeployPlan> PlanCronJob(const CronFlags& flags, const DeploySources& sources);

// "cron/<ns>/<name>".
std::string CronSetName(const std::string& ns, const std::string& name);

// Reads, plans, validates (a bad expression is reported with its position,
// nothing is sent) and applies; prints the result and the next fire time.
// Returns the exit code: 0 applied, 2 anything else.
int ApplyCronShortcut(Context& ctx, const CronFlags& flags);

}  // namespace prisn::cli
