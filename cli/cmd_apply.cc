// prisn apply -f PATH... [--set NAME] [--prune [--confirm-prune]] [--check-index N] [--dry-run].
#include <fmt/core.h>

#include <memory>
#include <optional>

#include "api/routes.h"
#include "api/types_apply.h"
#include "api/types_server.h"
#include "cli/command_util.h"
#include "cli/diff_render.h"
#include "cli/printer.h"
#include "cli/set_request.h"

namespace prisn::cli {
namespace {

using json = nlohmann::ordered_json;

struct ApplyOptions {
  std::vector<std::string> files;
  std::string set;
  bool prune = false;
  bool confirm_prune = false;
  std::optional<std::int64_t> check_index;
  bool dry_run = false;
  bool force = false;  // objects owned by a GitOps source too
};

std::string ResultLine(const api::ApplyResult& r) {
  std::string line = Label(r.kind, r.name) + " " + r.action;
  if (r.action == "configured") {
    line += fmt::format(" ({}, {} -> {})", HumanClass(NormalizeClass(r.change_class, r.action)),
                        r.previous_version.value_or(""), r.version);
  } else if (r.action == "created" || r.action == "pruned") {
    line += fmt::format(" ({})", r.version);
  }
  if (r.held) line += fmt::format(" (held at {} by a rollback)", r.version);
  if (!r.ns.empty() && r.ns != "default") line += fmt::format(" [namespace {}]", r.ns);
  return line;
}

std::string ApplyText(const api::ApplyAnswer& answer) {
  std::string out;
  for (const api::ApplyResult& r : answer.results) out += ResultLine(r) + "\n";
  const api::ApplySummary& s = answer.summary;
  out +=
      fmt::format("{} set {}: {} created, {} configured, {} unchanged, {} pruned; state index {}\n",
                  answer.dry_run ? "Dry run, nothing written:" : "Applied", answer.set, s.created,
                  s.configured, s.unchanged, s.pruned, answer.index);
  return out;
}

int RunApply(Context& ctx, const ApplyOptions& opts) {
  if (opts.confirm_prune && !opts.prune) {
    PrintError({ErrorCode::kInvalid, "--confirm-prune only makes sense with --prune", {}});
    return kExitError;
  }
  auto client = Connect(ctx);
  if (!client) {
    PrintError(client.error());
    return kExitError;
  }
  auto prepared = PrepareSet(opts.files, opts.set, &*client);
  if (!prepared) {
    PrintError(prepared.error());
    return kExitError;
  }
  api::ApplyRequest request = std::move(prepared->request);
  request.prune = opts.prune;
  request.confirm_prune = opts.confirm_prune;
  request.dry_run = opts.dry_run;
  request.check_index = opts.check_index;
  auto answer = client->Post<api::ApplyAnswer>(
      std::string(api::path::kApply) + api::Query({{api::query::kForce, opts.force ? "1" : ""}}),
      request);
  if (!answer) {
    Error error = answer.error();
    json details = client->details();
    if (error.code == ErrorCode::kConflict && opts.check_index) {
      auto state = client->Get<api::StateSummary>(api::path::kState);
      if (state && state->index > *opts.check_index) {
        error.message =
            fmt::format("state moved from {} to {} since your diff; run `prisn diff` again",
                        *opts.check_index, state->index);
      }
    } else if (error.code == ErrorCode::kConflict && opts.prune && !opts.confirm_prune &&
               error.message.find("--confirm-prune") == std::string::npos &&
               error.message.find("prune") != std::string::npos) {
      error.message += "; if that is what you want, run again with --confirm-prune";
    }
    PrintError(error, details);
    return kExitError;
  }
  PrintOutput(ctx.global.output, api::Encode(*answer), [&] { return ApplyText(*answer); });
  return kExitOk;
}

}  // namespace

void RegisterApply(CLI::App& app, Context& ctx) {
  auto opts = std::make_shared<ApplyOptions>();
  auto* cmd = app.add_subcommand(
      "apply", "Apply a set of manifests: validated locally, stored atomically (all or nothing)");
  cmd->add_option("-f,--filename", opts->files, "Manifest files or folders (repeatable)")
      ->required();
  cmd->add_option("--set", opts->set,
                  "Name of the apply set (default: derived from the first -f path: its base "
                  "name and a hash of its absolute path)");
  cmd->add_flag("--prune", opts->prune,
                "Delete objects of this set that are no longer in the files");
  cmd->add_flag("--confirm-prune", opts->confirm_prune,
                "Allow a prune that removes more than half of the set");
  cmd->add_option("--check-index", opts->check_index,
                  "Refuse if the state index moved past N (the index `prisn diff` printed)");
  cmd->add_flag("--dry-run", opts->dry_run, "Compute the result, write nothing");
  cmd->add_flag("--force", opts->force,
                "Change objects owned by a GitOps source too (its next sync restores them)");
  AddOutputOption(*cmd, ctx);
  cmd->footer(
      "Examples:\n"
      "  prisn apply -f app/\n"
      "  prisn apply -f app/ --prune                    also delete what left app/\n"
      "  prisn diff -f app/                             review; note its state index, say 42\n"
      "  prisn apply -f app/ --check-index 42           apply exactly what was reviewed\n"
      "Prints per object: created, configured (with its change class), unchanged or pruned.\n"
      "Exit status: 0 applied, 2 any error (invalid manifests, prune guard, moved state index,\n"
      "no server); after an error nothing was changed.");
  cmd->callback([&ctx, opts] { ctx.exit_code = RunApply(ctx, *opts); });
}

}  // namespace prisn::cli
