// prisn deploy FILE|FOLDER [--name N] [--port N|auto] [--replicas N] [--env K=V]... [--no-wait]
#include <fmt/core.h>

#include <chrono>
#include <memory>
#include <thread>

#include "api/routes.h"
#include "api/types_apply.h"
#include "api/types_network.h"
#include "api/types_objects.h"
#include "cli/command_util.h"
#include "cli/deploy_plan.h"
#include "cli/local_set.h"
#include "cli/workload_view.h"
#include "manifests/file_tree.h"
#include "manifests/load.h"
#include "manifests/units.h"

namespace prisn::cli {
namespace {

struct DeployOptions {
  DeployFlags flags;
  std::string timeout = "5m";
  bool no_wait = false;
};

constexpr auto kPollEvery = std::chrono::milliseconds(100);

// The set's objects validated as `prisn apply` validates them; a Secret
// named by envFrom may be one the server holds.
Result<api::ApplyRequest> BuildApplyRequest(ApiClient& client, const DeployPlan& plan) {
  manifests::MemoryTree tree(plan.files);
  manifests::LoadedSet set = manifests::LoadSet(tree, {plan.manifest_path});
  if (!set.ok()) {
    if (auto listing = client.Get<api::ObjectList>(api::path::kObjects)) {
      manifests::KnownObjects known;
      for (const api::ObjectView& item : listing->items) {
        if (auto kind = manifests::ParseKind(item.kind))
          known.keys.insert(manifests::MakeKey(*kind, item.ns, item.name));
      }
      set = manifests::LoadSet(tree, {plan.manifest_path}, known);
    }
  }
  if (!set.ok()) {
    fmt::print(stderr, "{}", FormatErrors(set, ""));
    fmt::print(stderr, "the Deployment built from the flags and prisn.toml was:\n{}",
               plan.files.at(plan.manifest_path));
    return Fail(ErrorCode::kInvalid, "the deployment is invalid; nothing was sent");
  }
  auto files = CollectFiles(tree, set);
  if (!files) return std::unexpected(files.error());
  LocalInputs inputs;
  inputs.paths = {plan.manifest_path};
  api::ApplyRequest request = ApplyRequestFor(DeploySetName(plan.ns, plan.name), inputs, *files);
  request.prune = false;
  request.dry_run = false;
  return request;
}

std::string ApplyLine(const api::ApplyResult& result) {
  std::string line = Label("Deployment", result.name) + " " + result.action;
  if (result.action == "configured" && result.previous_version) {
    line += fmt::format(" ({} -> {})", *result.previous_version, result.version);
  } else {
    line += fmt::format(" ({})", result.version);
  }
  return line;
}

// The replica that explains a failed rollout: crashlooping or failed first,
// else the first one that is not ready.
const api::ReplicaStatus* FailingReplica(const api::WorkloadStatus& status) {
  const api::ReplicaStatus* not_ready = nullptr;
  for (const api::ReplicaStatus& r : status.replicas) {
    if (r.state == "crashloop" || r.state == "failed") return &r;
    if (!r.ready && not_ready == nullptr) not_ready = &r;
  }
  return not_ready;
}

void PrintFailure(ApiClient& client, const DeployPlan& plan, const api::WorkloadStatus& status,
                  const std::string& headline) {
  fmt::print(stderr, "{}\n", headline);
  const api::ReplicaStatus* replica = FailingReplica(status);
  if (replica == nullptr) return;
  fmt::print(
      stderr, "  {}: {}{}, {} restarts\n", replica->name, ReplicaStateCell(*replica, Clock::now()),
      replica->last_exit.empty() ? "" : ", last exit: " + replica->last_exit, replica->restarts);
  auto logs = client.Get<api::WorkloadLogPage>(
      api::Path(api::path::kObjectLogs, {plan.ns, "deployments", plan.name}) +
      api::Query({{api::query::kReplica, replica->name}, {api::query::kTail, "10"}}));
  if (!logs || logs->lines.empty()) return;
  fmt::print(stderr, "  last lines of {}:\n", replica->name);
  for (const api::LogLine& l : logs->lines) fmt::print(stderr, "    {}\n", l.text);
}

int RunDeploy(Context& ctx, DeployOptions& opts) {
  auto timeout = manifests::ParseDuration(opts.timeout);
  if (!timeout) {
    PrintError({ErrorCode::kInvalid, "--timeout takes a duration such as 90s or 5m", opts.timeout});
    return kExitError;
  }
  auto sources = ReadDeploySources(opts.flags.path);
  if (!sources) {
    PrintError(sources.error());
    return kExitError;
  }
  auto plan = PlanDeploy(opts.flags, *sources);
  if (!plan) {
    PrintError(plan.error());
    return kExitError;
  }
  auto client = Connect(ctx);
  if (!client) {
    PrintError(client.error());
    return kExitError;
  }
  auto request = BuildApplyRequest(*client, *plan);
  if (!request) {
    PrintError(request.error());
    return kExitError;
  }
  auto applied = client->Post(api::path::kApply, api::Encode(*request));
  if (!applied) {
    PrintError(applied.error(), client->details());
    return kExitError;
  }
  auto answer = DecodeAnswer<api::ApplyAnswer>(*applied);
  if (!answer) {
    PrintError(answer.error());
    return kExitError;
  }
  if (answer->results.empty()) {
    PrintError({ErrorCode::kInternal, "the server applied nothing", {}});
    return kExitError;
  }
  const api::ApplyResult& result = answer->results[0];
  const std::string& version = result.version;
  bool text = ctx.global.output == "text";
  if (text) fmt::print("{}\n", ApplyLine(result));
  if (opts.no_wait) {
    if (!text)
      PrintOutput(ctx.global.output, api::Encode(api::DeployOutput{*applied, nullptr}), {});
    return kExitOk;
  }
  std::fflush(stdout);
  const std::string path =
      api::Path(api::path::kObjectStatus, {plan->ns, "deployments", plan->name});
  auto deadline = std::chrono::steady_clock::now() + *timeout;
  for (;;) {
    auto raw = client->Get(path);
    if (!raw) {
      PrintError(raw.error(), client->details());
      return kExitError;
    }
    auto status = DecodeAnswer<api::WorkloadStatus>(*raw);
    if (!status) {
      PrintError(status.error());
      return kExitError;
    }
    const std::string& state = status->state;
    const bool current = status->version == version;
    bool done = RolloutDone(*status, version);
    bool failed = current && (state == "failed" || state == "crashloop");
    bool timed_out = std::chrono::steady_clock::now() >= deadline;
    if (done || failed || timed_out) {
      if (!text) {
        PrintOutput(ctx.global.output, api::Encode(api::DeployOutput{*applied, *raw}), {});
      } else if (done) {
        fmt::print("deployment/{} rolled out: {}/{} ready ({})\n", plan->name, status->ready,
                   status->desired, version);
        // A service: where to reach it (with --port auto, the port picked).
        if (auto ep = client->Get<api::ServiceView>(
                api::Path(api::path::kEndpoint, {plan->ns, plan->name}))) {
          fmt::print("serving at {}:{} ({})\n", ep->address, ep->port, ep->dns_name);
        }
      } else {
        const std::string& reason = status->reason;
        std::string headline =
            timed_out && !failed
                ? fmt::format("deployment/{} did not roll out within {}: {}, {}/{} ready",
                              plan->name, opts.timeout, state, status->ready, status->desired)
                : fmt::format("deployment/{} rollout failed: {}, {}/{} ready", plan->name, state,
                              status->ready, status->desired);
        if (!reason.empty()) headline += ": " + reason;
        PrintFailure(*client, *plan, *status, headline);
      }
      return done ? kExitOk : kExitFailure;
    }
    std::this_thread::sleep_for(kPollEvery);
  }
}

}  // namespace

void RegisterDeploy(CLI::App& app, Context& ctx) {
  auto opts = std::make_shared<DeployOptions>();
  auto* cmd = app.add_subcommand("deploy",
                                 "Run a script or a folder as a service, and wait until it is up");
  cmd->add_option("PATH", opts->flags.path, "A script, or a folder (with an optional prisn.toml)")
      ->required();
  cmd->add_option("--name", opts->flags.name,
                  "Deployment name (default: prisn.toml's, or the file's or folder's)");
  cmd->add_option("--port", opts->flags.port,
                  "Port the service listens on ($PORT): a number or auto");
  cmd->add_option("--replicas", opts->flags.replicas, "How many copies run")
      ->check(CLI::Range(0, 10000));
  cmd->add_option("-e,--env", opts->flags.env, "Environment variable KEY=VALUE (repeatable)");
  cmd->add_option("--runtime", opts->flags.runtime, "python3, node, bash or a Runner's name");
  cmd->add_option("--entrypoint", opts->flags.entrypoint, "The script to run inside the folder");
  cmd->add_option("-n,--namespace", opts->flags.ns, "Namespace")->capture_default_str();
  cmd->add_option("--timeout", opts->timeout, "How long to wait for the rollout")
      ->capture_default_str();
  cmd->add_flag("--no-wait", opts->no_wait, "Return once the deployment is stored");
  AddOutputOption(*cmd, ctx);
  cmd->footer(
      "Builds a Deployment (prisn.toml in a folder gives defaults: name, runtime, entrypoint,\n"
      "port, replicas, args, [env], [healthCheck], [resources], ...; flags win), applies it\n"
      "as the set deploy/<namespace>/<name> like `prisn apply`, then waits until every\n"
      "replica of the new version is ready.\n"
      "Examples:\n"
      "  prisn deploy api.py --port 8080 --replicas 3\n"
      "  prisn deploy ./my-project/\n"
      "  prisn deploy worker.js --env MODE=prod --no-wait\n"
      "Exit status: 0 rolled out, 1 the rollout failed or timed out (the failing replica's\n"
      "last exit and log lines are shown), 2 any other error.");
  cmd->callback([&ctx, opts] { ctx.exit_code = RunDeploy(ctx, *opts); });
}

}  // namespace prisn::cli
