#include <fmt/core.h>

#include <nlohmann/json.hpp>

#include "cli/command.h"

#ifndef PRISN_VERSION
#define PRISN_VERSION "0.0.0"
#endif

namespace prisn::cli {

void RegisterVersion(CLI::App& app, Context& ctx) {
  // `prisn --version`, as most tools answer it; `prisn version -o json` for scripts.
  app.set_version_flag("--version", fmt::format("prisn {} (prisn.io/v1)", PRISN_VERSION));
  auto* cmd = app.add_subcommand("version", "Print prisn's version");
  cmd->footer("Example:\n  prisn version -o json");
  AddOutputOption(*cmd, ctx);
  cmd->callback([&ctx] {
    if (ctx.global.output == "json") {
      nlohmann::json j{{"version", PRISN_VERSION}, {"apiVersion", "prisn.io/v1"}};
      fmt::print("{}\n", j.dump());
    } else if (ctx.global.output == "yaml") {
      fmt::print("version: {}\napiVersion: prisn.io/v1\n", PRISN_VERSION);
    } else {
      fmt::print("prisn {} (prisn.io/v1)\n", PRISN_VERSION);
    }
  });
}

}  // namespace prisn::cli
