#include "server/server_main.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "server/daemon.h"
#include "server/token_mint.h"

namespace prisn::server {
namespace {

int MintToken(const std::string& state_dir, const std::string& ns, const std::string& name,
              bool json) {
  auto minted = MintTokenInStateDir(state_dir, ns.empty() ? std::nullopt : std::optional(ns),
                                    name.empty() ? std::nullopt : std::optional(name));
  if (!minted) {
    std::fprintf(stderr, "error: %s\n", minted.error().ToString().c_str());
    return 2;
  }
  if (json) {
    std::printf("%s\n", api::Encode(*minted).dump(2).c_str());
    return 0;
  }
  // The clear token alone on stdout, as `prisn token create` prints it.
  std::string whom = ns.empty() ? "everything (admin)" : "namespace " + ns;
  std::fprintf(stderr, "created token \"%s\" (id %lld) for %s in %s; it is shown only this once:\n",
               minted->name.c_str(), static_cast<long long>(minted->id), whom.c_str(),
               state_dir.c_str());
  std::printf("%s\n", minted->token.value_or("").c_str());
  return 0;
}

}  // namespace

int ServerMain(int argc, char** argv) {
  CLI::App app{"Run the prisn daemon", "prisn server"};
  app.require_subcommand(1);
  app.footer(
      "Examples:\n"
      "  prisn server start                        start in the background with the defaults\n"
      "  prisn server start --foreground           for systemd (docs/prisn.service)\n"
      "  prisn server start --state-dir /tmp/p --listen 127.0.0.1:0\n"
      "  prisn server status\n"
      "  prisn server stop\n");

  StartOptions start;
  auto* start_cmd = app.add_subcommand("start", "Start the daemon; returns once it answers");
  start_cmd->add_option(
      "--state-dir", start.state_dir,
      "State directory (env PRISN_STATE_DIR; default /var/lib/prisn as root, else "
      "$XDG_STATE_HOME/prisn)");
  start_cmd->add_option("--listen", start.listen,
                        "HOST:PORT to listen on; port 0 picks one (env PRISN_LISTEN; "
                        "default 127.0.0.1:7373)");
  start_cmd->add_flag("--foreground", start.foreground,
                      "Stay in the foreground and log to stderr too");
  start_cmd->add_option("--revision-limit", start.revision_limit, "Revisions kept per object")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  start_cmd->add_option("--service-range", start.service_range,
                        "Service addresses come from this 127.N.0.0/16 (env PRISN_SERVICE_RANGE)")
      ->capture_default_str()
      ->envname("PRISN_SERVICE_RANGE");
  start_cmd->add_option("--dns-listen", start.dns_listen,
                        "prisn's DNS server: auto (the service range's .0.1, port 53), off, or "
                        "ADDRESS:PORT (env PRISN_DNS_LISTEN)")
      ->capture_default_str()
      ->envname("PRISN_DNS_LISTEN");
  start_cmd->add_option("--max-running-runs", start.max_running_runs,
                        "Runs (Jobs, CronJobs, prisn run) alive at once; more wait, pending. 0: "
                        "from the open-file limit, 32 to 256")
      ->capture_default_str()
      ->check(CLI::Range(0, 100000));
  start_cmd->add_option("--source-fetch-timeout", start.source_fetch_timeout,
                        "Seconds a git source's fetch may take before it fails with \"fetch "
                        "timed out\" (env PRISN_SOURCE_FETCH_TIMEOUT)")
      ->capture_default_str()
      ->envname("PRISN_SOURCE_FETCH_TIMEOUT")
      ->check(CLI::Range(1, 86400));
  start_cmd->add_option("--source-parallel", start.source_parallel,
                        "Sources that sync at once (env PRISN_SOURCE_PARALLEL)")
      ->capture_default_str()
      ->envname("PRISN_SOURCE_PARALLEL")
      ->check(CLI::Range(1, 64));
  start_cmd->add_option("--max-connections", start.max_connections,
                        "API connections open at once; beyond, a new one replaces the oldest "
                        "idle one or is answered 503. 0: an eighth of the open-file limit, 16 to "
                        "4096 (at most half the limit)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000000));
  start_cmd->add_option("--max-connections-per-peer", start.max_connections_per_peer,
                        "API connections open at once from one address. 0: a quarter of "
                        "--max-connections")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000000));
  start_cmd->add_option("--idle-timeout", start.idle_timeout,
                        "Seconds an API connection may take to send a request head (after it "
                        "opens, and between keep-alive requests) before it is closed")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  start_cmd->add_option("--allow-host-user", start.allow_host_users,
                        "A host user (name or uid) that namespace tokens may run workloads as "
                        "(isolation.user); repeat for more. Without it only admin tokens may "
                        "name host users")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  start_cmd->add_option("--log-level", start.log_level, "Log level")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));

  std::string state_dir;
  int timeout = 60;
  auto* stop_cmd = app.add_subcommand("stop", "Drain and stop the daemon");
  stop_cmd->add_option("--state-dir", state_dir, "State directory (env PRISN_STATE_DIR)");
  stop_cmd->add_option("--timeout", timeout, "Seconds to wait for the daemon to exit")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));

  std::string output = "text";
  auto* status_cmd = app.add_subcommand("status", "Is the daemon running, where, since when");
  status_cmd->add_option("--state-dir", state_dir, "State directory (env PRISN_STATE_DIR)");
  status_cmd->add_option("-o,--output", output, "Output format")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();

  // `prisn token create --state-dir DIR` lands here: minting into the store
  // needs the engine, which the CLI does not link. Hidden: that is its name.
  std::string token_ns, token_name;
  auto* token_cmd =
      app.add_subcommand("token", "Mint an API token into a stopped daemon's state directory");
  token_cmd->group("");
  token_cmd->add_option("--state-dir", state_dir, "State directory")->required();
  token_cmd->add_option("-n,--namespace", token_ns, "Scope (none: an admin token)");
  token_cmd->add_option("--name", token_name, "Token name");
  token_cmd->add_option("-o,--output", output, "Output format")
      ->check(CLI::IsMember({"text", "json"}));

  try {
    // argv[0] + "server" become the program name.
    app.parse(argc - 1, argv + 1);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  try {
    if (start_cmd->parsed()) return StartServer(start);
    if (stop_cmd->parsed()) return StopServer(state_dir, timeout);
    if (status_cmd->parsed()) return ServerStatus(state_dir, output == "json");
    if (token_cmd->parsed()) return MintToken(state_dir, token_ns, token_name, output == "json");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  }
  return 2;
}

}  // namespace prisn::server
