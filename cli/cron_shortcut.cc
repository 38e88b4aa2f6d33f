#include "cli/cron_shortcut.h"

#include <date/date.h>
#include <date/tz.h>
#include <fmt/core.h>

#include "api/routes.h"
#include "cli/local_set.h"
#include "cli/printer.h"
#include "manifests/cron.h"
#include "manifests/file_tree.h"
#include "manifests/load.h"

namespace prisn::cli {
namespace {

using json = nlohmann::ordered_json;

// prisn.toml keys that belong to a Deployment only.
constexpr const char* kServiceOnly[] = {"replicas",      "port",     "protocol",
                                        "healthCheck",   "livenessCheck", "strategy",
                                        "progressDeadline", "autoRevert", "restartPolicy"};

std::string NextFireLine(const CronFlags& flags) {
  auto schedule = flags.every.empty() ? cron::Schedule::Parse(flags.schedule)
                                      : cron::Schedule::ParseEvery(flags.every);
  auto zone = cron::LocateZone(flags.time_zone);
  if (!schedule || !zone) return {};
  auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  auto next = schedule->Next(now, *zone);
  if (!next) return {};
  auto local = date::make_zoned(*zone, *next);
  return fmt::format("next fire: {} ({})", date::format("%FT%T%Ez", local), (*zone)->name());
}

}  // namespace

std::string CronSetName(const std::string& ns, const std::string& name) {
  return "cron/" + ns + "/" + name;
}

Result<DeployPlan> PlanCronJob(const CronFlags& flags, const DeploySources& sources) {
  if (flags.schedule.empty() == flags.every.empty())
    return Fail(ErrorCode::kInvalid, "give a schedule (\"0 * * * *\") or --every, not both");
  DeployFlags deploy = flags.deploy;
  deploy.port.clear();
  deploy.replicas.reset();
  auto plan = PlanDeploy(deploy, sources);
  if (!plan) return plan;
  json& spec = plan->manifest["spec"];
  for (const char* key : kServiceOnly) spec.erase(key);
  if (!flags.schedule.empty()) spec["schedule"] = flags.schedule;
  if (!flags.every.empty()) spec["every"] = flags.every;
  if (!flags.time_zone.empty()) spec["timeZone"] = flags.time_zone;
  if (!flags.timeout.empty()) spec["timeout"] = flags.timeout;
  if (!flags.args.empty()) spec["args"] = flags.args;
  plan->manifest["kind"] = "CronJob";
  plan->files.erase(plan->manifest_path);
  plan->manifest_path = "cron.yaml";
  plan->files[plan->manifest_path] = ToYaml(plan->manifest);
  return plan;
}

int ApplyCronShortcut(Context& ctx, const CronFlags& flags) {
  auto sources = ReadDeploySources(flags.deploy.path);
  if (!sources) {
    PrintError(sources.error());
    return kExitError;
  }
  auto plan = PlanCronJob(flags, *sources);
  if (!plan) {
    PrintError(plan.error());
    return kExitError;
  }
  manifests::MemoryTree tree(plan->files);
  manifests::LoadedSet set = manifests::LoadSet(tree, {plan->manifest_path});
  if (!set.ok()) {
    fmt::print(stderr, "{}", FormatErrors(set, ""));
    fmt::print(stderr, "the CronJob built from the flags and prisn.toml was:\n{}",
               plan->files.at(plan->manifest_path));
    PrintError({ErrorCode::kInvalid, "the cronjob is invalid; nothing was sent", {}});
    return kExitError;
  }
  auto files = CollectFiles(tree, set);
  if (!files) {
    PrintError(files.error());
    return kExitError;
  }
  LocalInputs inputs;
  inputs.paths = {plan->manifest_path};
  api::ApplyRequest request = ApplyRequestFor(CronSetName(plan->ns, plan->name), inputs, *files);
  request.prune = false;
  request.dry_run = false;
  auto client = Connect(ctx);
  if (!client) {
    PrintError(client.error());
    return kExitError;
  }
  auto applied = client->Post<api::ApplyAnswer>(api::path::kApply, request);
  if (!applied) {
    PrintError(applied.error(), client->details());
    return kExitError;
  }
  if (applied->results.empty()) {
    PrintError({ErrorCode::kInternal, "the server applied nothing", {}});
    return kExitError;
  }
  std::string next = NextFireLine(flags);
  PrintOutput(ctx.global.output, api::Encode(*applied), [&] {
    const api::ApplyResult& r = applied->results[0];
    std::string out =
        fmt::format("{} {} ({})\n", Label("CronJob", plan->name), r.action, r.version);
    if (!next.empty()) out += next + "\n";
    return out;
  });
  return kExitOk;
}

}  // namespace prisn::cli
