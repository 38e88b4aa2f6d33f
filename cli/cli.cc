#include "cli/cli.h"

#include <fmt/core.h>

#include <algorithm>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/command.h"
#include "util/strings.h"

namespace prisn::cli {
namespace {

// The verb of `prisn [ROOT OPTIONS] VERB ...`. Empty when there is none or
// another option comes first (CLI11's own message explains that one).
std::string VerbOf(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (!a.starts_with("-")) return std::string(a);
    if (a == "--server" || a == "--token") {
      ++i;  // its value
    } else if (!a.starts_with("--server=") && !a.starts_with("--token=") && a != "--no-color") {
      return {};
    }
  }
  return {};
}

// "unknown command" for a mistyped verb, with the nearest command when one
// is a near miss; nullopt when the verb is known (the error is elsewhere).
std::optional<std::string> UnknownVerb(const CLI::App& app, const std::string& verb) {
  if (verb.empty()) return std::nullopt;
  std::vector<std::string> names = {"server"};  // main hands it to the server library
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    names.push_back(sub->get_name());
  }
  if (std::find(names.begin(), names.end(), verb) != names.end()) return std::nullopt;
  std::string best;
  std::size_t best_distance = verb.size() <= 3 ? 2 : 3;  // near misses only
  for (const std::string& name : names) {
    std::size_t d = EditDistance(verb, name);
    if (d < best_distance) {
      best_distance = d;
      best = name;
    }
  }
  std::string message = fmt::format("unknown command \"{}\"", verb);
  if (!best.empty()) message += fmt::format("; did you mean \"{}\"?", best);
  return message + " (prisn --help lists the commands)";
}

}  // namespace

void AddOutputOption(CLI::App& cmd, Context& ctx) {
  cmd.add_option("-o,--output", ctx.global.output, "Output format")
      ->check(CLI::IsMember({"text", "json", "yaml"}))
      ->capture_default_str();
}

int Main(int argc, char** argv) {
  Context ctx;
  CLI::App app{"prisn: a GitOps reconciler for scripts", "prisn"};
  app.require_subcommand(1);
  app.footer(
      "Examples:\n"
      "  prisn validate -f examples/        check manifests before you commit them\n"
      "  prisn version\n");
  app.add_flag("--no-color", ctx.global.no_color, "Never color output");
  AddConnectionOptions(app, ctx);  // daemon client commands: --server, --token

  RegisterVersion(app, ctx);
  RegisterValidate(app, ctx);
  // daemon client commands
  RegisterApply(app, ctx);
  RegisterDiff(app, ctx);
  RegisterGet(app, ctx);
  RegisterHistory(app, ctx);
  RegisterDelete(app, ctx);
  RegisterEvents(app, ctx);
  RegisterToken(app, ctx);
  RegisterSecret(app, ctx);
  RegisterSource(app, ctx);
  // workload commands
  RegisterRun(app, ctx);
  RegisterDeploy(app, ctx);
  RegisterScale(app, ctx);
  RegisterLogs(app, ctx);
  RegisterStatus(app, ctx);
  RegisterNetwork(app, ctx);
  RegisterCron(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Checked on the words themselves: CLI11 may have taken a later word
    // ("status" in `prisn sever status`) for the command.
    if (auto unknown = UnknownVerb(app, VerbOf(argc, argv))) {
      fmt::print(stderr, "error: {}\n", *unknown);
      return kExitError;
    }
    int code = app.exit(e);
    // CLI11 answers --help with 0; a usage mistake is a bad input (2).
    return code == 0 ? kExitOk : kExitError;
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return kExitError;
  }
  return ctx.exit_code;
}

}  // namespace prisn::cli
