// prisn delete KIND NAME [--dry-run].
#include <fmt/core.h>

#include <memory>

#include "api/types_objects.h"
#include "cli/command_util.h"
#include "cli/printer.h"

namespace prisn::cli {
namespace {

struct DeleteOptions {
  std::vector<std::string> words;
  bool dry_run = false;
  bool force = false;
  NamespaceOptions ns;
};

int RunDelete(Context& ctx, const DeleteOptions& opts) {
  auto client = Connect(ctx);
  if (!client) {
    Report(ctx, client.error());
    return kExitError;
  }
  auto ref = ResolveObject(*client, opts.words, opts.ns.name);
  if (!ref) {
    Report(ctx, ref.error());
    return ctx.exit_code;
  }
  std::string path = ObjectPath(*ref) + api::Query({{api::query::kDryRun, opts.dry_run ? "1" : ""},
                                                    {api::query::kForce, opts.force ? "1" : ""}});
  auto raw = client->Delete(path);
  auto answer = raw ? api::Decode<api::DeleteAnswer>(*raw, api::DecodeMode::kLenient)
                    : std::unexpected(raw.error());
  if (!answer) {
    Report(ctx, answer.error(), client->details());
    return ctx.exit_code;
  }
  PrintOutput(ctx.global.output, api::Encode(*answer), [&] {
    std::string label = Label(ref->kind.singular, ref->name);
    const std::string& version = answer->deleted.version;
    if (opts.dry_run) {
      return fmt::format("{} would be deleted ({}; dry run, nothing changed)\n", label, version);
    }
    return fmt::format("{} deleted ({}; state index {}); `prisn history {}` still shows it\n",
                       label, version, answer->index, label);
  });
  return kExitOk;
}

}  // namespace

void RegisterDelete(CLI::App& app, Context& ctx) {
  auto opts = std::make_shared<DeleteOptions>();
  auto* cmd = app.add_subcommand("delete", "Delete one object");
  cmd->add_option("OBJECT", opts->words, "KIND NAME, KIND/NAME or NAME")
      ->required()
      ->expected(1, 2);
  cmd->add_flag("--dry-run", opts->dry_run, "Report what would be deleted, change nothing");
  cmd->add_flag("--force", opts->force,
                "Delete an object owned by a GitOps source too (its next sync recreates it)");
  AddNamespaceOption(*cmd, opts->ns, /*listing=*/false);
  AddOutputOption(*cmd, ctx);
  cmd->footer(
      "Examples:\n"
      "  prisn delete deploy api\n"
      "  prisn delete cronjob/backup -n ops --dry-run\n"
      "An object that a source (git, directory) manages comes back at its next sync.\n"
      "Exit status: 0 deleted, 1 no such object, 2 any other error.");
  cmd->callback([&ctx, opts] { ctx.exit_code = RunDelete(ctx, *opts); });
}

}  // namespace prisn::cli
