// prisn deploy FILE|FOLDER [--name N] [--port N|auto] [--replicas N] [--env K=V]... [--no-wait]
#include <fmt/core.h>

#include <chrono>
#include <memory>
#include <thread>

#include "api/routes.h"
#include "cli/command_util.h"
#include "cli/deploy_plan.h"
#include "cli/local_set.h"
#include "cli/workload_view.h"
#include "manifests/file_tree.h"
#include "manifests/load.h"
#include "manifests/units.h"

namespace prisn::cli {
namespace {

using json = nlohmann::ordered_json;

struct DeployOptions {
  DeployFlags flags;
  std::string timeout = "5m";
  bool no_wait = false;
};

constexpr auto kPollEvery = std::chrono::milliseconds(100);

// The set's objects validated as `prisn apply` validates them; a Secret
// named by envFrom may be one the server holds.
Result<json> BuildApplyBody(ApiClient& client, const DeployPlan& plan) {
  manifests::MemoryTree tree(plan.files);
  manifests::LoadedSet set = manifests::LoadSet(tree, {plan.manifest_path});
  if (!set.ok()) {
    if (auto listing = client.Get(api::path::kObjects)) {
      manifests::KnownObjects known;
      for (const auto& item : listing->value("items", json::array())) {
        auto kind = manifests::ParseKind(item.value("kind", std::string()));
        json ns = item.value("namespace", json());
        if (kind)
          known.keys.insert(manifests::MakeKey(*kind, ns.is_string() ? ns.get<std::string>() : "",
                                               item.value("name", std::string())));
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
  json body = RequestBody(DeploySetName(plan.ns, plan.name), inputs, *files);
  body["prune"] = false;
  body["dryRun"] = false;
  return body;
}

std::string ApplyLine(const json& result) {
  std::string action = result.value("action", std::string());
  std::string line = Label("Deployment", result.value("name", std::string())) + " " + action;
  json previous = result.value("previousVersion", json());
  std::string version = result.value("version", std::string());
  if (action == "configured" && previous.is_string()) {
    line += fmt::format(" ({} -> {})", previous.get<std::string>(), version);
  } else {
    line += fmt::format(" ({})", version);
  }
  return line;
}

// The replica that explains a failed rollout: crashlooping or failed first,
// else the first one that is not ready.
json FailingReplica(const json& status) {
  json not_ready;
  for (const auto& r : status.value("replicas", json::array())) {
    std::string state = r.value("state", std::string());
    if (state == "crashloop" || state == "failed") return r;
    if (!r.value("ready", false) && not_ready.is_null()) not_ready = r;
  }
  return not_ready;
}

void PrintFailure(ApiClient& client, const DeployPlan& plan, const json& status,
                  const std::string& headline) {
  fmt::print(stderr, "{}\n", headline);
  json replica = FailingReplica(status);
  if (!replica.is_object()) return;
  std::string name = replica.value("name", std::string());
  std::string last = replica.value("lastExit", std::string());
  fmt::print(stderr, "  {}: {}{}, {} restarts\n", name, ReplicaStateCell(replica, Clock::now()),
             last.empty() ? "" : ", last exit: " + last, replica.value("restarts", 0));
  auto logs = client.Get(api::Path(api::path::kObjectLogs, {plan.ns, "deployments", plan.name}) +
                         api::Query({{api::query::kReplica, name}, {api::query::kTail, "10"}}));
  if (!logs) return;
  const json lines = logs->value("lines", json::array());
  if (lines.empty()) return;
  fmt::print(stderr, "  last lines of {}:\n", name);
  for (const auto& l : lines) fmt::print(stderr, "    {}\n", l.value("text", std::string()));
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
  auto body = BuildApplyBody(*client, *plan);
  if (!body) {
    PrintError(body.error());
    return kExitError;
  }
  auto applied = client->Post(api::path::kApply, *body);
  if (!applied) {
    PrintError(applied.error(), client->details());
    return kExitError;
  }
  const json results = applied->value("results", json::array());
  if (results.empty()) {
    PrintError({ErrorCode::kInternal, "the server applied nothing", {}});
    return kExitError;
  }
  const json& result = results[0];
  std::string version = result.value("version", std::string());
  bool text = ctx.global.output == "text";
  if (text) fmt::print("{}\n", ApplyLine(result));
  if (opts.no_wait) {
    if (!text) PrintOutput(ctx.global.output, json{{"apply", *applied}, {"status", nullptr}}, {});
    return kExitOk;
  }
  std::fflush(stdout);
  const std::string path =
      api::Path(api::path::kObjectStatus, {plan->ns, "deployments", plan->name});
  auto deadline = std::chrono::steady_clock::now() + *timeout;
  for (;;) {
    auto status = client->Get(path);
    if (!status) {
      PrintError(status.error(), client->details());
      return kExitError;
    }
    const std::string state = status->value("state", std::string());
    const bool current = status->value("version", std::string()) == version;
    bool done = RolloutDone(*status, version);
    bool failed = current && (state == "failed" || state == "crashloop");
    bool timed_out = std::chrono::steady_clock::now() >= deadline;
    if (done || failed || timed_out) {
      if (!text) {
        PrintOutput(ctx.global.output, json{{"apply", *applied}, {"status", *status}}, {});
      } else if (done) {
        fmt::print("deployment/{} rolled out: {}/{} ready ({})\n", plan->name,
                   status->value("ready", 0), status->value("desired", 0), version);
        // A service: where to reach it (with --port auto, the port picked).
        if (auto ep = client->Get(api::Path(api::path::kEndpoint, {plan->ns, plan->name}))) {
          fmt::print("serving at {}:{} ({})\n", ep->value("address", ""), ep->value("port", 0),
                     ep->value("dnsName", ""));
        }
      } else {
        std::string reason = status->value("reason", std::string());
        std::string headline =
            timed_out && !failed
                ? fmt::format("deployment/{} did not roll out within {}: {}, {}/{} ready",
                              plan->name, opts.timeout, state, status->value("ready", 0),
                              status->value("desired", 0))
                : fmt::format("deployment/{} rollout failed: {}, {}/{} ready", plan->name, state,
                              status->value("ready", 0), status->value("desired", 0));
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
