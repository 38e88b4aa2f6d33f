#include "cli/cli.h"

#include <fmt/core.h>

#include <exception>

#include "cli/command.h"

namespace prisn::cli {

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
