// prisn logs NAME | NAME-<i> | job/ID [-f] [--tail N] [--since 5m] [--run latest|ID]
#include <fmt/core.h>
#include <fmt/ranges.h>

#include <memory>

#include "api/routes.h"
#include "api/types_objects.h"
#include "cli/command_util.h"
#include "cli/log_stream.h"
#include "cli/log_target.h"

namespace prisn::cli {
namespace {

struct LogsOptions {
  std::string target;
  bool follow = false;
  std::optional<int> tail;
  std::string since;
  std::string run;
  std::string ns = "default";
};

// Kinds of the namespace's objects named `name` that have logs.
Result<std::vector<std::string>> WorkloadKindsNamed(ApiClient& client, const std::string& ns,
                                                    const std::string& name) {
  auto listing = client.Get<api::ObjectList>(std::string(api::path::kObjects) +
                                             api::Query({{api::query::kNamespace, ns}}));
  if (!listing) return std::unexpected(listing.error());
  std::vector<std::string> kinds;
  for (const api::ObjectView& item : listing->items) {
    const std::string& kind = item.kind;
    if (item.name == name && (kind == "Deployment" || kind == "Job" || kind == "CronJob"))
      kinds.push_back(kind);
  }
  return kinds;
}

// A bare NAME: a Deployment, Job or CronJob (`cron` set; its runs are read
// as a job's) of that name, else a replica "NAME-<i>", else the runs of
// `prisn run` scripts of that name.
Result<LogTarget> Resolve(ApiClient& client, const std::string& ns, LogTarget target, bool& cron) {
  if (target.type != LogTarget::Type::kBare) return target;
  auto kinds = WorkloadKindsNamed(client, ns, target.name);
  if (!kinds) return std::unexpected(kinds.error());
  if (kinds->size() > 1) {
    return Fail(ErrorCode::kInvalid,
                fmt::format("several workloads are named \"{}\" ({}); say deploy/{} or job/{}",
                            target.name, fmt::join(*kinds, ", "), target.name, target.name));
  }
  if (kinds->size() == 1 && kinds->front() == "CronJob") {
    target.type = LogTarget::Type::kJob;
    cron = true;
    return target;
  }
  if (kinds->size() == 1) {
    target.type =
        kinds->front() == "Deployment" ? LogTarget::Type::kDeployment : LogTarget::Type::kJob;
    return target;
  }
  if (auto base = ReplicaBase(target.name)) {
    auto owner = WorkloadKindsNamed(client, ns, *base);
    if (!owner) return std::unexpected(owner.error());
    if (owner->size() == 1 && owner->front() == "Deployment") {
      target.type = LogTarget::Type::kDeployment;
      target.replica = target.name;
      target.name = *base;
      return target;
    }
  }
  target.type = LogTarget::Type::kJob;  // runs of `prisn run NAME.py`, if any
  return target;
}

int RunLogs(Context& ctx, const std::string& id, const LogsOptions& opts, ApiClient& client) {
  const std::string base = api::Path(api::path::kRunLogs, {id});
  std::string cursor;
  for (bool first = true;; first = false) {
    std::vector<std::pair<std::string_view, std::string>> q;
    if (first && opts.tail) q.emplace_back(api::query::kTail, std::to_string(*opts.tail));
    if (!cursor.empty()) q.emplace_back(api::query::kCursor, cursor);
    if (opts.follow) q.emplace_back(api::query::kWait, "1000");
    auto page = client.Get<api::RunLogPage>(base + api::Query(q));
    if (!page) {
      Report(ctx, page.error(), client.details());
      return ctx.exit_code;
    }
    PrintLogLines(page->lines, false);
    cursor = page->cursor;
    if (page->complete || (!opts.follow && page->lines.empty())) return kExitOk;
  }
}

int WorkloadLogs(Context& ctx, const LogTarget& target, const LogsOptions& opts,
                 ApiClient& client, bool cron) {
  const std::string base =
      api::Path(api::path::kObjectLogs, {opts.ns,
                                         target.type == LogTarget::Type::kDeployment ? "deployments"
                                         : cron                                      ? "cronjobs"
                                                                                     : "jobs",
                                         target.name});
  std::vector<std::pair<std::string_view, std::string>> q{{api::query::kReplica, target.replica},
                                                          {api::query::kSince, opts.since}};
  if (opts.tail) q.emplace_back(api::query::kTail, std::to_string(*opts.tail));
  auto page = client.Get<api::WorkloadLogPage>(base + api::Query(q));
  for (;;) {
    if (!page) {
      Error error = page.error();
      if (error.code == ErrorCode::kNotFound && target.replica.empty()) {
        error.message =
            fmt::format("no deployment or job named \"{}\" in namespace {}", target.name, opts.ns);
      }
      Report(ctx, error, client.details());
      return ctx.exit_code;
    }
    bool prefix = target.replica.empty() && page->replicas.size() > 1;
    PrintLogLines(page->lines, prefix);
    if (!opts.follow) return kExitOk;
    const std::string cursor = page->cursor;
    page =
        client.Get<api::WorkloadLogPage>(base + api::Query({{api::query::kReplica, target.replica},
                                                            {api::query::kCursor, cursor},
                                                            {api::query::kWait, "2000"}}));
  }
}

int Logs(Context& ctx, const LogsOptions& opts) {
  auto parsed = ParseLogTarget(opts.target);
  if (!parsed) {
    PrintError(parsed.error());
    return kExitError;
  }
  auto client = Connect(ctx);
  if (!client) {
    PrintError(client.error());
    return kExitError;
  }
  bool cron = false;
  auto target = Resolve(*client, opts.ns, *parsed, cron);
  if (!target) {
    Report(ctx, target.error());
    return ctx.exit_code;
  }
  if (!opts.run.empty() && target->type != LogTarget::Type::kRun) {
    if (target->type != LogTarget::Type::kJob) {
      PrintError(
          {ErrorCode::kInvalid, "--run is for jobs; a deployment's replicas have no runs", {}});
      return kExitError;
    }
    std::string id = opts.run;
    if (id == "latest") {
      // Runs of a Job, of `prisn run` scripts and of a CronJob may share a
      // name: the newest of the kind asked for.
      auto runs = client->Get<api::RunList>(std::string(api::path::kRuns) +
                                            api::Query({{api::query::kNamespace, opts.ns},
                                                        {api::query::kJob, target->name},
                                                        {api::query::kLimit, "50"}}));
      if (!runs) {
        Report(ctx, runs.error(), client->details());
        return ctx.exit_code;
      }
      const api::RunView* newest = nullptr;
      for (const api::RunView& r : runs->runs) {
        if ((r.kind == "CronJob") == cron) {
          newest = &r;
          break;
        }
      }
      if (newest == nullptr) {
        Report(ctx,
               {ErrorCode::kNotFound, fmt::format("job {} has no runs yet", target->name), {}});
        return ctx.exit_code;
      }
      id = newest->id;
    }
    return RunLogs(ctx, id, opts, *client);
  }
  if (target->type == LogTarget::Type::kRun) return RunLogs(ctx, target->run_id, opts, *client);
  return WorkloadLogs(ctx, *target, opts, *client, cron);
}

}  // namespace

void RegisterLogs(CLI::App& app, Context& ctx) {
  auto opts = std::make_shared<LogsOptions>();
  auto* cmd =
      app.add_subcommand("logs", "Show the output of a deployment's replicas, a job or a run");
  cmd->add_option("TARGET", opts->target, "NAME, a replica NAME-<i>, KIND/NAME, or job/RUN-ID")
      ->required();
  cmd->add_flag("-f,--follow", opts->follow,
                "Keep printing new lines (until Ctrl-C, or a run's end)");
  cmd->add_option("--tail", opts->tail, "Only the last N lines of each replica (default 100)")
      ->check(CLI::Range(0, 10000));
  cmd->add_option("--since", opts->since,
                  "Only lines from this long ago (30s, 5m, 1h) or this time");
  cmd->add_option("--run", opts->run, "A job's run: latest, or a run id");
  cmd->add_option("-n,--namespace", opts->ns, "Namespace of the workload")->capture_default_str();
  cmd->footer(
      "Lines of several replicas are merged by time and prefixed with the replica's name;\n"
      "stdout lines go to stdout, stderr lines to stderr.\n"
      "Examples:\n"
      "  prisn logs api                      every replica, the last 100 lines each\n"
      "  prisn logs api-0 -f                 one replica, following\n"
      "  prisn logs api --since 1h\n"
      "  prisn logs job/r-1a2b3c4d5e         one run, from its start\n"
      "  prisn logs backup --run latest\n"
      "Exit status: 0, 1 no such workload or run, 2 any other error.");
  cmd->callback([&ctx, opts] { ctx.exit_code = Logs(ctx, *opts); });
}

}  // namespace prisn::cli
