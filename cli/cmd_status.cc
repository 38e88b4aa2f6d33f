// prisn status [NAME] [--why] [-n NS | -A]
#include <fmt/core.h>

#include <memory>
#include <set>

#include "api/routes.h"
#include "cli/command_util.h"
#include "cli/workload_view.h"

namespace prisn::cli {
namespace {

using json = nlohmann::ordered_json;

struct StatusOptions {
  std::string name;
  bool why = false;
  NamespaceOptions ns;
};

constexpr int kMaxWhyDepth = 8;

std::string StatusPath(const std::string& ns, std::string_view plural, const std::string& name) {
  return api::Path(api::path::kObjectStatus, {ns, plural, name});
}

// A status answer as it came (printed with -o json) and as its type.
struct StatusAnswer {
  json raw;
  api::WorkloadStatus status;
};

Result<StatusAnswer> GetWorkloadStatus(ApiClient& client, const std::string& path) {
  auto raw = client.Get(path);
  if (!raw) return std::unexpected(raw.error());
  auto status = DecodeAnswer<api::WorkloadStatus>(*raw);
  if (!status) return std::unexpected(status.error());
  return StatusAnswer{std::move(*raw), std::move(*status)};
}

// The status of NAME (or KIND/NAME): a deployment, else a job, else a cronjob.
Result<StatusAnswer> FetchStatus(ApiClient& client, const std::string& ns,
                                 const std::string& word) {
  if (auto slash = word.find('/'); slash != std::string::npos) {
    auto kind = ResolveKind(word.substr(0, slash));
    if (!kind) return std::unexpected(kind.error());
    if (kind->kind != "Deployment" && kind->kind != "Job" && kind->kind != "CronJob") {
      return Fail(ErrorCode::kInvalid, "status is shown for deployments, jobs and cronjobs", word);
    }
    return GetWorkloadStatus(client, StatusPath(ns, kind->plural, word.substr(slash + 1)));
  }
  auto deployment = GetWorkloadStatus(client, StatusPath(ns, "deployments", word));
  if (deployment || deployment.error().code != ErrorCode::kNotFound) return deployment;
  auto job = GetWorkloadStatus(client, StatusPath(ns, "jobs", word));
  if (job || job.error().code != ErrorCode::kNotFound) return job;
  auto cron = GetWorkloadStatus(client, StatusPath(ns, "cronjobs", word));
  if (cron || cron.error().code != ErrorCode::kNotFound) return cron;
  return Fail(ErrorCode::kNotFound,
              fmt::format("no deployment, job or cronjob named \"{}\" in namespace {}", word, ns));
}

// One step of the chain, with the dependency's status as its type when read.
struct WhyChainStep {
  api::WhyStep wire;
  std::optional<api::WorkloadStatus> status;
};

// The dependsOn chain: the status of everything `status` waits for, and of
// what those wait for, depth first.
void Why(ApiClient& client, const api::WorkloadStatus& status, int depth,
         std::set<std::string>& seen, std::vector<WhyChainStep>& chain) {
  if (depth > kMaxWhyDepth) return;
  for (const std::string& key : status.waiting_for) {  // "Deployment/default/db"
    if (!seen.insert(key).second) continue;
    auto first = key.find('/');
    auto last = key.rfind('/');
    WhyChainStep entry;
    entry.wire.depth = depth;
    entry.wire.key = key;
    auto kind = ResolveKind(key.substr(0, first));
    if (first == std::string::npos || first == last || !kind) {
      chain.push_back(std::move(entry));
      continue;
    }
    auto dep = GetWorkloadStatus(client, StatusPath(key.substr(first + 1, last - first - 1),
                                                    kind->plural, key.substr(last + 1)));
    if (dep) {
      entry.wire.status = dep->raw;
      entry.status = dep->status;
      chain.push_back(std::move(entry));
      Why(client, dep->status, depth + 1, seen, chain);
    } else {
      entry.wire.error =
          dep.error().code == ErrorCode::kNotFound ? "does not exist" : dep.error().message;
      chain.push_back(std::move(entry));
    }
  }
}

std::string WhyText(const api::WorkloadStatus& status, const std::vector<WhyChainStep>& chain) {
  std::string out = "\nWhy:\n  " + WhyLine(status) + "\n";
  for (const WhyChainStep& e : chain) {
    std::string pad(static_cast<size_t>(2 + 2 * e.wire.depth), ' ');
    if (e.status) {
      out += pad + WhyLine(*e.status) + "\n";
    } else {
      out += pad + e.wire.key + ": " + e.wire.error.value_or("unknown") + "\n";
    }
  }
  if (chain.empty() && status.waiting_for.empty()) {
    out += "  it waits for nothing";
    out += IsHealthy(status) ? " and is healthy\n" : "\n";
  }
  return out;
}

int Overview(Context& ctx, ApiClient& client, const StatusOptions& opts) {
  std::vector<std::pair<std::string_view, std::string>> q;
  if (!opts.ns.all) q.emplace_back(api::query::kNamespace, opts.ns.name);
  auto answer = client.Get(std::string(api::path::kStatus) + api::Query(q));
  if (!answer) {
    Report(ctx, answer.error(), client.details());
    return kExitError;
  }
  auto overview = DecodeAnswer<api::StatusOverview>(*answer);
  if (!overview) {
    Report(ctx, overview.error());
    return kExitError;
  }
  auto now = Clock::now();
  PrintOutput(ctx.global.output, *answer,
              [&] { return OverviewText(*overview, opts.ns.all, now); });
  return kExitOk;
}

int RunStatus(Context& ctx, const StatusOptions& opts) {
  auto client = Connect(ctx);
  if (!client) {
    PrintError(client.error());
    return kExitError;
  }
  if (opts.name.empty()) {
    if (opts.why) {
      PrintError({ErrorCode::kInvalid, "--why explains one workload: prisn status NAME --why", {}});
      return kExitError;
    }
    return Overview(ctx, *client, opts);
  }
  auto fetched = FetchStatus(*client, opts.ns.name, opts.name);
  if (!fetched) {
    Report(ctx, fetched.error(), client->details());
    return ctx.exit_code;
  }
  const api::WorkloadStatus& status = fetched->status;
  std::vector<WhyChainStep> chain;
  if (opts.why) {
    std::set<std::string> seen;
    Why(*client, status, 1, seen, chain);
  }
  auto now = Clock::now();
  json data = fetched->raw;
  if (opts.why) {
    api::WhyAnswer why{fetched->raw, {}};
    for (const WhyChainStep& e : chain) why.why.push_back(e.wire);
    data = api::Encode(why);
  }
  PrintOutput(ctx.global.output, data, [&] {
    std::string text = WorkloadText(status, now);
    if (opts.why) text += WhyText(status, chain);
    return text;
  });
  return IsHealthy(status) ? kExitOk : kExitFailure;
}

}  // namespace

void RegisterStatus(CLI::App& app, Context& ctx) {
  auto opts = std::make_shared<StatusOptions>();
  auto* cmd = app.add_subcommand("status", "What runs: every workload, or one in detail");
  cmd->add_option("NAME", opts->name, "A deployment or job (or KIND/NAME)");
  cmd->add_flag("--why", opts->why, "Explain the state: the reason and what it waits for");
  AddNamespaceOption(*cmd, opts->ns, /*listing=*/true);
  AddOutputOption(*cmd, ctx);
  cmd->footer(
      "Examples:\n"
      "  prisn status                        deployments, jobs and recent runs\n"
      "  prisn status -A\n"
      "  prisn status api                    one deployment and its replicas\n"
      "  prisn status worker --why           why it is not running: its dependsOn chain\n"
      "Exit status: 0; with NAME, 1 when the workload is not healthy (not running, or a job\n"
      "that failed) or does not exist, like `systemctl is-active`; 2 on errors.");
  cmd->callback([&ctx, opts] { ctx.exit_code = RunStatus(ctx, *opts); });
}

}  // namespace prisn::cli
