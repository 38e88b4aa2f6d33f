// prisn events [OBJECT] [--since D] [--limit N].
#include <fmt/core.h>

#include <memory>

#include "api/routes.h"
#include "api/types_events.h"
#include "cli/command_util.h"
#include "cli/object_view.h"
#include "cli/printer.h"

namespace prisn::cli {
namespace {

using json = nlohmann::ordered_json;

struct EventsOptions {
  std::string object;  // NAME or KIND/NAME; empty for all
  std::string kind;
  std::string since;
  int limit = 100;
  NamespaceOptions ns;
};

int RunEvents(Context& ctx, const EventsOptions& opts) {
  std::string kind_word = opts.kind;
  std::string name = opts.object;
  if (auto slash = name.find('/'); slash != std::string::npos) {
    if (!kind_word.empty()) {
      Report(ctx, Error{ErrorCode::kInvalid, "give the kind once: KIND/NAME or --kind", {}});
      return kExitError;
    }
    kind_word = name.substr(0, slash);
    name = name.substr(slash + 1);
  }
  std::string kind;
  if (!kind_word.empty()) {
    auto k = ResolveKind(kind_word);
    if (!k) {
      Report(ctx, k.error());
      return kExitError;
    }
    kind = std::string(k->kind);
  }
  auto client = Connect(ctx);
  if (!client) {
    Report(ctx, client.error());
    return kExitError;
  }
  auto answer = client->Get(std::string(api::path::kEvents) +
                            api::Query({{api::query::kKind, kind},
                                        {api::query::kNamespace, opts.ns.all ? "" : opts.ns.name},
                                        {api::query::kName, name},
                                        {api::query::kSince, opts.since},
                                        {api::query::kLimit, std::to_string(opts.limit)}}));
  if (!answer) {
    // No named object is looked up here: a missing event is not an answer of "no".
    PrintError(answer.error(), client->details());
    ctx.exit_code = kExitError;
    return kExitError;
  }
  auto list = DecodeAnswer<api::EventList>(*answer);
  if (!list) {
    PrintError(list.error());
    ctx.exit_code = kExitError;
    return kExitError;
  }
  const std::vector<api::EventView>& items = list->items;
  if (ctx.global.output == "text" && items.empty()) {
    fmt::print(stderr, "No events found.\n");
    return kExitOk;
  }
  PrintOutput(ctx.global.output, *answer, [&] {
    std::vector<std::string> headers = {"TIME", "TYPE", "OBJECT", "MESSAGE", "BY"};
    if (opts.ns.all) headers.insert(headers.begin() + 2, "NAMESPACE");
    Table t(headers);
    for (const api::EventView& e : items) {
      std::string name = e.name.value_or("");
      std::string object = name.empty() ? "-" : Label(e.kind.value_or(""), name);
      std::vector<std::string> row = {LocalTime(json(e.time)), e.type, object, e.message, e.actor};
      if (opts.ns.all) row.insert(row.begin() + 2, e.ns.value_or(""));
      t.AddRow(std::move(row));
    }
    return t.Render();
  });
  return kExitOk;
}

}  // namespace

void RegisterEvents(CLI::App& app, Context& ctx) {
  auto opts = std::make_shared<EventsOptions>();
  auto* cmd = app.add_subcommand("events", "Show the event log: every change prisn recorded");
  cmd->add_option("OBJECT", opts->object, "Only events of this object: NAME or KIND/NAME");
  cmd->add_option("--kind", opts->kind, "Only events of this kind");
  cmd->add_option("--since", opts->since,
                  "Only newer events: a duration back from now (30s, 15m, 2h, 7d) or an RFC "
                  "3339 time");
  cmd->add_option("--limit", opts->limit, "At most this many events (1..1000)")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  AddNamespaceOption(*cmd, opts->ns, /*listing=*/true);
  AddOutputOption(*cmd, ctx);
  cmd->footer(
      "Examples:\n"
      "  prisn events                       namespace default, oldest first\n"
      "  prisn events deploy/api --since 2h\n"
      "  prisn events -A --since 15m -o json");
  cmd->callback([&ctx, opts] { ctx.exit_code = RunEvents(ctx, *opts); });
}

}  // namespace prisn::cli
