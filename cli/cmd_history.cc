// prisn history OBJECT, prisn rollback OBJECT [VERSION] [--release].
#include <fmt/core.h>

#include <memory>

#include "cli/command_util.h"
#include "cli/json_fields.h"
#include "cli/object_view.h"
#include "cli/printer.h"

namespace prisn::cli {
namespace {

using json = nlohmann::ordered_json;

struct HistoryOptions {
  std::vector<std::string> words;
  NamespaceOptions ns;
};

struct RollbackOptions {
  std::string object;
  std::string version;
  bool release = false;
  NamespaceOptions ns;
};

int RunHistory(Context& ctx, const HistoryOptions& opts) {
  auto client = Connect(ctx);
  if (!client) {
    Report(ctx, client.error());
    return kExitError;
  }
  auto ref = ResolveObject(*client, opts.words, opts.ns.name, /*allow_deleted=*/true);
  if (!ref) {
    Report(ctx, ref.error());
    return ctx.exit_code;
  }
  auto history = client->Get<api::HistoryAnswer>(ObjectPath(*ref, api::path::kObjectHistory));
  if (!history) {
    Report(ctx, history.error(), client->details());
    return ctx.exit_code;
  }
  // The object itself tells whether a rollback holds it; a deleted object
  // keeps its history but has no current version.
  std::optional<api::HoldView> hold;
  auto object = client->Get<api::ObjectView>(ObjectPath(*ref));
  if (object) {
    hold = object->hold;
  } else if (object.error().code != ErrorCode::kNotFound) {
    Report(ctx, object.error(), client->details());
    return ctx.exit_code;
  }
  PrintOutput(ctx.global.output, api::Encode(*history), [&] {
    Table t({"VERSION", "DEPLOYED", "APPLIED BY", "STATUS"});
    for (const api::RevisionView& item : history->items) {
      std::string status = "inactive";
      if (item.current && object) {
        status =
            hold ? fmt::format("active (current, rollback hold; {} was asked for)", hold->held_from)
                 : "active (current)";
      }
      t.AddRow({item.version, LocalTime(json(item.created_at), true), item.applied_by, status});
    }
    std::string out = t.Render();
    if (!object)
      out += fmt::format("{} is deleted; its history stays readable.\n",
                         Label(ref->kind.singular, ref->name));
    return out;
  });
  return kExitOk;
}

int RunRollback(Context& ctx, const RollbackOptions& opts) {
  if (opts.release && !opts.version.empty()) {
    Report(ctx, Error{ErrorCode::kInvalid, "--release lifts a hold; it takes no VERSION", {}});
    return kExitError;
  }
  auto client = Connect(ctx);
  if (!client) {
    Report(ctx, client.error());
    return kExitError;
  }
  auto ref = ResolveObject(*client, {opts.object}, opts.ns.name);
  if (!ref) {
    Report(ctx, ref.error());
    return ctx.exit_code;
  }
  api::RollbackRequest body;
  if (opts.release) {
    body.release = true;
  } else if (!opts.version.empty()) {
    body.version = opts.version;
  }
  auto answer =
      client->Post<api::RollbackAnswer>(ObjectPath(*ref, api::path::kObjectRollback), body);
  if (!answer) {
    Report(ctx, answer.error(), client->details());
    return ctx.exit_code;
  }
  std::string label = Label(ref->kind.singular, ref->name);
  PrintOutput(ctx.global.output, api::Encode(*answer), [&] {
    const std::string& from = answer->from;
    const std::string& to = answer->to;
    if (opts.release) {
      return fmt::format("{} released: the hold is lifted, now at {} (state index {})\n", label,
                         to.empty() ? answer->object.version : to, answer->index);
    }
    return fmt::format(
        "{} rolled back from {} to {} (state index {})\n"
        "It stays at {} until a newer version is applied; lift the hold with `prisn rollback "
        "{} --release`.\n",
        label, from, to, answer->index, to, label);
  });
  return kExitOk;
}

}  // namespace

void RegisterHistory(CLI::App& app, Context& ctx) {
  auto hopts = std::make_shared<HistoryOptions>();
  auto* history = app.add_subcommand("history", "List the versions an object has had");
  history->add_option("OBJECT", hopts->words, "NAME, KIND/NAME or KIND NAME")
      ->required()
      ->expected(1, 2);
  AddNamespaceOption(*history, hopts->ns, /*listing=*/false);
  AddOutputOption(*history, ctx);
  history->footer(
      "Examples:\n"
      "  prisn history api\n"
      "  prisn history cronjob/backup -n ops -o json\n"
      "A name alone is looked up among every kind (deleted objects too).\n"
      "Exit status: 0 shown, 1 no such object, 2 any other error.");
  history->callback([&ctx, hopts] { ctx.exit_code = RunHistory(ctx, *hopts); });

  auto ropts = std::make_shared<RollbackOptions>();
  auto* rollback = app.add_subcommand(
      "rollback", "Pin an object to an earlier version (a hold), or lift the hold");
  rollback->add_option("OBJECT", ropts->object, "NAME or KIND/NAME")->required();
  rollback->add_option("VERSION", ropts->version,
                       "Version to go back to (default: the one before the current)");
  rollback->add_flag("--release", ropts->release,
                     "Lift the hold: go back to what the last apply asked for");
  AddNamespaceOption(*rollback, ropts->ns, /*listing=*/false);
  AddOutputOption(*rollback, ctx);
  rollback->footer(
      "Examples:\n"
      "  prisn rollback api                   back to the previous version\n"
      "  prisn rollback api v-9a8b7c6d        back to a version from `prisn history api`\n"
      "  prisn rollback api --release         lift the hold\n"
      "The hold survives applies of the version it replaced and lifts when a newer\n"
      "version arrives.\n"
      "Exit status: 0 done, 1 no such object or version, 2 any other error.");
  rollback->callback([&ctx, ropts] { ctx.exit_code = RunRollback(ctx, *ropts); });
}

}  // namespace prisn::cli
