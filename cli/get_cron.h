#pragma once
// `prisn get cron` lists CronJobs with their schedule, zone, last run and
// result and next fire; `prisn get jobs --cron NAME` lists one CronJob's
// runs, newest first.

#include <string>

#include "cli/command_util.h"

namespace prisn::cli {

// GET /v1/objects?kind=cronjobs joined with GET /v1/status. A daemon without
// a converge loop still lists the objects, with "-" for what it observes.
int ListCronJobs(Context& ctx, ApiClient& client, const NamespaceOptions& ns);

// GET /v1/runs?job=NAME, keeping the runs of the CronJob (not of a Job or a
// `prisn run` script of the same name).
int ListCronRuns(Context& ctx, ApiClient& client, const NamespaceOptions& ns,
                 const std::string& name, int limit);

}  // namespace prisn::cli
