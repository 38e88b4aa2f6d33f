// prisn diff -f PATH... [--prune] [--against REV] [-o json].
// Exit status: 0 no changes, 1 changes, 2 any error (an error never exits 1).
#include <fmt/core.h>

#include <filesystem>
#include <memory>

#include "api/routes.h"
#include "cli/command_util.h"
#include "cli/diff_render.h"
#include "cli/offline_diff.h"
#include "cli/printer.h"
#include "cli/set_request.h"
#include "cli/unified_diff.h"
#include "manifests/git_tree.h"
#include "manifests/load.h"

namespace prisn::cli {
namespace {

using json = nlohmann::ordered_json;

struct DiffCommandOptions {
  std::vector<std::string> files;
  std::string set;
  bool prune = false;
  std::string against;
};

int PrintPlan(const Context& ctx, const Plan& plan) {
  if (ctx.global.output == "json") {
    fmt::print("{}", ToJson(api::Encode(PlanJson(plan))));
  } else if (ctx.global.output == "yaml") {
    fmt::print("{}", ToYaml(api::Encode(PlanJson(plan))));
  } else {
    fmt::print("{}", RenderPlanText(plan, StdoutWantsColor(ctx.global.no_color)));
  }
  std::fflush(stdout);
  return PlanHasChanges(plan) ? kExitFailure : kExitOk;
}

// Loads `paths` of `tree`; references to Secrets the set does not define are
// taken as held by the daemon, since no server is asked.
Result<manifests::LoadedSet> LoadOffline(const manifests::FileTree& tree,
                                         const std::vector<std::string>& paths,
                                         const std::string& display_prefix,
                                         std::string_view where) {
  manifests::LoadedSet set = manifests::LoadSet(tree, paths);
  if (!set.ok()) {
    auto assumed = AssumedSecrets(set);
    if (!assumed.keys.empty()) set = manifests::LoadSet(tree, paths, assumed);
  }
  if (!set.ok()) {
    fmt::print(stderr, "{}", FormatErrors(set, display_prefix));
    return Fail(ErrorCode::kInvalid,
                fmt::format("{} problem{} in the manifests {}", set.errors.size(),
                            set.errors.size() == 1 ? "" : "s", where));
  }
  return set;
}

Result<Plan> AgainstPlan(const DiffCommandOptions& opts) {
  std::string cwd = CurrentDirectory();
  auto inputs = ResolveInputs(opts.files, cwd);
  if (!inputs) return std::unexpected(inputs.error());
  auto repo = FindRepositoryRoot(inputs->root);
  if (!repo) return std::unexpected(repo.error());
  std::string inside =
      std::filesystem::path(inputs->root).lexically_relative(*repo).generic_string();
  if (inside == ".") inside.clear();

  manifests::DiskTree disk(inputs->root);
  auto after = LoadOffline(disk, inputs->paths, inputs->display_prefix, "in the working files");
  if (!after) return std::unexpected(after.error());

  auto git = manifests::GitTree::Open(*repo, opts.against);
  if (!git) return std::unexpected(git.error());
  SubTree at_rev(*git, inside);
  // Paths that did not exist at REV hold no objects there: all is new.
  std::vector<std::string> existing;
  for (const auto& p : inputs->paths) {
    if (at_rev.Exists(p == "." ? "" : p)) existing.push_back(p);
  }
  manifests::LoadedSet before;
  if (!existing.empty()) {
    auto loaded =
        LoadOffline(at_rev, existing, inputs->display_prefix, fmt::format("at {}", opts.against));
    if (!loaded) return std::unexpected(loaded.error());
    before = std::move(*loaded);
  }
  Plan plan{LocalPlan(before.objects, after->objects, opts.prune),
            api::PlanAgainst{opts.against, git->CommitId()}};
  plan.answer.set = opts.set.empty() ? DefaultSetName(opts.files.front(), cwd) : opts.set;
  return plan;
}

// `details` receives the server's error details (diagnostics) on failure.
Result<Plan> ServerPlan(const Context& ctx, const DiffCommandOptions& opts, json& details) {
  auto client = Connect(ctx);
  if (!client) return std::unexpected(client.error());
  auto prepared = PrepareSet(opts.files, opts.set, &*client);
  if (!prepared) return std::unexpected(prepared.error());
  const api::ApplyRequest& set = prepared->request;
  api::DiffRequest request{set.set, opts.prune, set.paths, set.files};
  auto answer = client->Post<api::DiffAnswer>(api::path::kDiff, request);
  if (!answer) {
    details = client->details();
    return std::unexpected(answer.error());
  }
  return Plan{std::move(*answer), std::nullopt};
}

int RunDiff(Context& ctx, const DiffCommandOptions& opts) {
  json details;
  auto plan = opts.against.empty() ? ServerPlan(ctx, opts, details) : AgainstPlan(opts);
  if (!plan) {
    PrintError(plan.error(), details);
    return kExitError;  // never 1: a pipeline must not read an error as "changes"
  }
  return PrintPlan(ctx, *plan);
}

}  // namespace

void RegisterDiff(CLI::App& app, Context& ctx) {
  auto opts = std::make_shared<DiffCommandOptions>();
  auto* cmd = app.add_subcommand(
      "diff", "Show what applying the manifests would change, per object, with its change class");
  cmd->add_option("-f,--filename", opts->files, "Manifest files or folders (repeatable)")
      ->required();
  cmd->add_option("--set", opts->set, "Apply set to compare with (default: as `prisn apply`)");
  cmd->add_flag("--prune", opts->prune, "Also list the objects `apply --prune` would delete");
  cmd->add_option("--against", opts->against,
                  "Compare with the same files at this git revision instead of a server "
                  "(a branch, tag, commit, HEAD~1); needs no server");
  AddOutputOption(*cmd, ctx);
  cmd->footer(
      "Examples:\n"
      "  prisn diff -f app/                           against the running server\n"
      "  prisn diff -f app/ --prune -o json\n"
      "  prisn diff -f app/ --against origin/main     in a pull-request job, no server\n"
      "Prints a unified diff of the canonical YAML per changed object (Secret values\n"
      "masked), its change class (in place, rolling restart, recreate, create, delete)\n"
      "and a summary with the state index to pass to `apply --check-index`.\n"
      "Exit status: 0 no changes, 1 changes, 2 any error (never 1 on an error).");
  cmd->callback([&ctx, opts] { ctx.exit_code = RunDiff(ctx, *opts); });
}

}  // namespace prisn::cli
