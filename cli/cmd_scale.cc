// prisn scale NAME N | --add N | --multiply F
#include <fmt/core.h>

#include <memory>
#include <optional>

#include "cli/command_util.h"
#include "cli/printer.h"
#include "cli/scale_args.h"
#include "cli/workload_view.h"

namespace prisn::cli {
namespace {

struct ScaleOptions {
  std::vector<std::string> words;  // NAME [N]
  ScaleArgs args;
  std::string ns = "default";
  bool force = false;
};

int RunScale(Context& ctx, ScaleOptions& opts) {
  auto parsed = ParseScaleWords(opts.words, opts.args);
  if (!parsed) {
    PrintError(parsed.error());
    return kExitError;
  }
  auto client = Connect(ctx);
  if (!client) {
    PrintError(client.error());
    return kExitError;
  }
  const std::string force = api::Query({{api::query::kForce, opts.force ? "1" : ""}});
  std::string path =
      api::Path(api::path::kObjectScale, {opts.ns, "deployments", parsed->name}) + force;
  const api::Json body = api::Encode(parsed->body);
  auto answer = client->Post(path, body);
  bool cron = false;
  if (!answer && answer.error().code == ErrorCode::kNotFound) {
    // A CronJob scales between 0 (suspended) and 1 (scheduled).
    auto suspended = client->Post(
        api::Path(api::path::kObjectScale, {opts.ns, "cronjobs", parsed->name}) + force, body);
    if (suspended || suspended.error().code != ErrorCode::kNotFound) {
      answer = std::move(suspended);
      cron = true;
    }
  }
  if (!answer) {
    Error error = answer.error();
    if (error.code == ErrorCode::kNotFound) {
      error.message =
          fmt::format("no deployment named \"{}\" in namespace {}", parsed->name, opts.ns);
    }
    Report(ctx, error, client->details());
    return ctx.exit_code;
  }
  auto scaled = DecodeAnswer<api::ScaleAnswer>(*answer);
  if (!scaled) {
    Report(ctx, scaled.error());
    return ctx.exit_code;
  }
  PrintOutput(ctx.global.output, *answer, [&] {
    if (cron)
      return fmt::format("cronjob/{} {}\n", parsed->name,
                         scaled->suspend.value_or(false) ? "suspended" : "resumed");
    return ScaleText(parsed->name, scaled->previous, scaled->replicas);
  });
  return kExitOk;
}

}  // namespace

void RegisterScale(CLI::App& app, Context& ctx) {
  auto opts = std::make_shared<ScaleOptions>();
  auto* cmd = app.add_subcommand("scale", "Change how many replicas a deployment runs");
  cmd->add_option("NAME", opts->words, "NAME (or deploy/NAME), then the replica count")
      ->required()
      ->expected(1, 2);
  cmd->add_option("--add", opts->args.add, "Add N replicas (negative removes; never below 0)");
  cmd->add_option("--multiply", opts->args.multiply,
                  "Multiply the replicas by F, rounded half up (1.5 turns 3 into 5)");
  cmd->add_option("-n,--namespace", opts->ns, "Namespace of the deployment")->capture_default_str();
  cmd->add_flag("--force", opts->force,
                "Scale a deployment owned by a GitOps source too (its next sync restores it)");
  AddOutputOption(*cmd, ctx);
  cmd->footer(
      "Replicas are not part of the version: scaling restarts nothing, and replicas that run\n"
      "keep running.\n"
      "Examples:\n"
      "  prisn scale api 5\n"
      "  prisn scale api 0                     stop every replica, keep the deployment\n"
      "  prisn scale api --add 2\n"
      "  prisn scale api --multiply 1.5\n"
      "  prisn scale nightly 0                 suspend a CronJob (1 resumes it)\n"
      "Exit status: 0 scaled, 1 no such deployment, 2 any other error.");
  cmd->callback([&ctx, opts] { ctx.exit_code = RunScale(ctx, *opts); });
}

}  // namespace prisn::cli
