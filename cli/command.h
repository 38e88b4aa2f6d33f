#pragma once
// What every subcommand file shares: the options common to all commands and
// the exit code the chosen command leaves behind. Each subcommand lives in its
// own cmd_<name>.cc and registers itself through one Register function.

#include <CLI/CLI.hpp>
#include <string>

#include "api/client.h"
#include "api/context.h"
#include "api/kinds.h"
#include "api/routes.h"

namespace prisn::cli {

// The CLI is a client of the API library (api/): its connection and client.
using api::AllKinds;
using api::ApiClient;
using api::Connection;
using api::ConnectionFlags;
using api::DecodeAnswer;
using api::EnvLookup;
using api::KindInfo;
using api::ProcessEnv;
using api::ResolveKind;
using api::UrlEncode;

// Exit codes shared by every command.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // the command ran and the answer is "no"
inline constexpr int kExitError = 2;    // bad input, unreachable server, invalid manifests

struct GlobalOptions {
  std::string output = "text";  // -o text|json|yaml
  bool no_color = false;
};

struct Context {
  GlobalOptions global;
  int exit_code = kExitOk;
  // daemon client commands: `--server` / `--token` on the root command.
  ConnectionFlags connection;
};

// Adds `-o/--output` to a command that prints a listing or a result.
void AddOutputOption(CLI::App& cmd, Context& ctx);

void RegisterVersion(CLI::App& app, Context& ctx);
void RegisterValidate(CLI::App& app, Context& ctx);
void RegisterCron(CLI::App& app, Context& ctx);
// daemon client commands
void AddConnectionOptions(CLI::App& app, Context& ctx);
void RegisterApply(CLI::App& app, Context& ctx);
void RegisterDiff(CLI::App& app, Context& ctx);
void RegisterGet(CLI::App& app, Context& ctx);  // get, ls, describe
void RegisterHistory(CLI::App& app, Context& ctx);  // history, rollback
void RegisterDelete(CLI::App& app, Context& ctx);
void RegisterEvents(CLI::App& app, Context& ctx);
void RegisterToken(CLI::App& app, Context& ctx);
void RegisterSecret(CLI::App& app, Context& ctx);
void RegisterSource(CLI::App& app, Context& ctx);  // GitOps sources
// workload commands
void RegisterRun(CLI::App& app, Context& ctx);
void RegisterDeploy(CLI::App& app, Context& ctx);
void RegisterScale(CLI::App& app, Context& ctx);
void RegisterLogs(CLI::App& app, Context& ctx);
void RegisterStatus(CLI::App& app, Context& ctx);
void RegisterNetwork(CLI::App& app, Context& ctx);  // proxy stats, dns lookup

}  // namespace prisn::cli
