#include "cli/get_runs.h"

#include <fmt/core.h>

#include "api/routes.h"
#include "cli/log_target.h"
#include "cli/printer.h"
#include "cli/workload_view.h"

namespace prisn::cli {

std::optional<std::string> RunIdIn(const std::vector<std::string>& words) {
  std::string kind, name;
  if (words.size() == 2) {
    kind = words[0];
    name = words[1];
  } else if (words.size() == 1 && words[0].find('/') != std::string::npos) {
    kind = words[0].substr(0, words[0].find('/'));
    name = words[0].substr(words[0].find('/') + 1);
  } else {
    return std::nullopt;
  }
  auto k = ResolveKind(kind);
  if (!k || k->kind != "Job" || !IsRunId(name)) return std::nullopt;
  return name;
}

int ListRuns(Context& ctx, ApiClient& client, const NamespaceOptions& ns, int limit) {
  std::vector<std::pair<std::string_view, std::string>> query;
  if (!ns.all) query.emplace_back(api::query::kNamespace, ns.name);
  query.emplace_back(api::query::kLimit, std::to_string(limit));
  auto answer = client.Get(std::string(api::path::kRuns) + api::Query(query));
  if (!answer) {
    Report(ctx, answer.error(), client.details());
    return ctx.exit_code;
  }
  auto list = DecodeAnswer<api::RunList>(*answer);
  if (!list) {
    Report(ctx, list.error());
    return ctx.exit_code;
  }
  const std::vector<api::RunView>& runs = list->runs;
  if (ctx.global.output == "text" && runs.empty()) {
    if (ns.all) {
      fmt::print(stderr, "No runs found.\n");
    } else {
      fmt::print(stderr, "No runs found in namespace {}.\n", ns.name);
    }
    return kExitOk;
  }
  auto now = Clock::now();
  PrintOutput(ctx.global.output, *answer, [&] { return RunTable(runs, now).Render(); });
  return kExitOk;
}

int ShowRun(Context& ctx, ApiClient& client, const std::string& id) {
  auto answer = client.Get(api::Path(api::path::kRun, {id}));
  if (!answer) {
    Report(ctx, answer.error(), client.details());
    return ctx.exit_code;
  }
  auto run = DecodeAnswer<api::RunView>(*answer);
  if (!run) {
    Report(ctx, run.error());
    return ctx.exit_code;
  }
  auto now = Clock::now();
  PrintOutput(ctx.global.output, *answer, [&] {
    std::string out = RunTable({*run}, now).Render();
    if (!run->reason.empty()) out += "Reason: " + run->reason + "\n";
    return out;
  });
  return kExitOk;
}

}  // namespace prisn::cli
