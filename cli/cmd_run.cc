// prisn run FILE [--detach] [--timeout D] [--env K=V]... [-- ARGS...]
#include <fmt/core.h>

#include <csignal>
#include <memory>

#include "api/routes.h"
#include "cli/autostart.h"
#include "cli/command_util.h"
#include "cli/cron_shortcut.h"
#include "cli/log_stream.h"
#include "cli/run_body.h"

namespace prisn::cli {
namespace {

struct RunOptions {
  RunFlags flags;
  bool detach = false;
  std::string cron;  // --cron EXPR: a CronJob instead of one run
};

// `prisn run FILE --cron EXPR`: the script on a schedule (see cron_shortcut.h).
int ScheduleScript(Context& ctx, const RunOptions& opts) {
  if (opts.flags.isolation || !opts.flags.memory.empty() || !opts.flags.cpu.empty() || opts.detach) {
    PrintError({ErrorCode::kInvalid,
                "--cron takes --env, --runtime, --timeout and -n; write a CronJob manifest for "
                "resources and isolation",
                {}});
    return kExitError;
  }
  CronFlags cron;
  cron.deploy.path = opts.flags.file;
  cron.deploy.ns = opts.flags.ns;
  cron.deploy.runtime = opts.flags.runtime;
  cron.deploy.env = opts.flags.env;
  cron.schedule = opts.cron;
  cron.timeout = opts.flags.timeout;
  cron.args = opts.flags.args;
  return ApplyCronShortcut(ctx, cron);
}

volatile std::sig_atomic_t g_interrupted = 0;

void OnInterrupt(int) { g_interrupted = 1; }

// The first Ctrl-C stops the run (and its output still streams to the end);
// a second one leaves at once.
void CatchInterrupt() {
  struct sigaction sa {};
  sa.sa_handler = OnInterrupt;
  sa.sa_flags = SA_RESETHAND;  // no SA_RESTART: a long poll notices sooner
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
}

// POST /v1/runs; when no daemon answers here, start one and send again (the
// request never reached a server, so nothing ran twice).
Result<api::RunView> Submit(Context& ctx, std::unique_ptr<ApiClient>& client,
                            const api::RunRequest& body) {
  auto answer = client->Post<api::RunView>(api::path::kRuns, body);
  if (answer || answer.error().code != ErrorCode::kUnavailable ||
      !MayStartServer(client->connection())) {
    return answer;
  }
  // 503 from a server that is there (its loop is not running) is no reason
  // to start another: only silence is.
  if (auto health = client->Get(api::path::kHealth);
      health || health.error().code != ErrorCode::kUnavailable) {
    return answer;
  }
  auto dir = StartServer();
  if (!dir) return std::unexpected(dir.error());
  fmt::print(stderr, "prisn: no server was running; started one (state dir {})\n", *dir);
  auto reconnected = Connect(ctx);
  if (!reconnected) return std::unexpected(reconnected.error());
  client = std::make_unique<ApiClient>(std::move(*reconnected));
  return client->Post<api::RunView>(api::path::kRuns, body);
}

int RunScript(Context& ctx, RunOptions& opts) {
  auto body = BuildRunBody(opts.flags);
  if (!body) {
    PrintError(body.error());
    return kExitError;
  }
  auto connected = Connect(ctx);
  if (!connected) {
    PrintError(connected.error());
    return kExitError;
  }
  auto client = std::make_unique<ApiClient>(std::move(*connected));
  auto run = Submit(ctx, client, *body);
  if (!run) {
    PrintError(run.error(), client->details());
    return kExitError;
  }
  const std::string id = run->id;
  if (opts.detach) {
    fmt::print("{}\n", id);
    return kExitOk;
  }
  CatchInterrupt();
  const std::string base = api::Path(api::path::kRunLogs, {id});
  std::string cursor;
  bool stop_sent = false;
  for (;;) {
    auto page = client->Get<api::RunLogPage>(
        base + api::Query({{api::query::kWait, "1000"}, {api::query::kCursor, cursor}}));
    if (g_interrupted && !stop_sent) {
      stop_sent = true;
      fmt::print(stderr, "prisn: stopping run {} (Ctrl-C again to leave it running)\n", id);
      if (auto stopped = client->Post(api::Path(api::path::kRunStop, {id}), api::Json::object());
          !stopped) {
        PrintError(stopped.error());
      }
    }
    if (!page) {
      PrintError(page.error(), client->details());
      return kExitError;
    }
    PrintLogLines(page->lines, false);
    cursor = page->cursor;
    if (page->complete) {
      if (std::string note = RunEndNote(page->run); !note.empty()) {
        fmt::print(stderr, "{}\n", note);
      }
      return RunExitCode(page->run);
    }
  }
}

}  // namespace

void RegisterRun(CLI::App& app, Context& ctx) {
  auto opts = std::make_shared<RunOptions>();
  auto* cmd = app.add_subcommand("run", "Run a script once on the server, streaming its output");
  cmd->add_option("FILE", opts->flags.file, "The script (.py, .js, .sh, or any Runner's extension)")
      ->required();
  cmd->add_option("ARGS", opts->flags.args, "Arguments for the script (after --)");
  cmd->add_flag("-d,--detach", opts->detach, "Print the run id and return; the run goes on");
  cmd->add_option("--timeout", opts->flags.timeout, "Stop the run after this long (30s, 5m)");
  cmd->add_option("-e,--env", opts->flags.env, "Environment variable KEY=VALUE (repeatable)");
  cmd->add_option("--memory", opts->flags.memory, "Memory limit (256Mi, 1Gi)");
  cmd->add_option("--cpu", opts->flags.cpu, "CPU limit (500m, 2)");
  cmd->add_option("--isolation", opts->flags.isolation,
                  "0 process group, 1 namespaces and cgroups (default), 2 also a read-only host")
      ->check(CLI::Range(0, 2));
  cmd->add_option("--runtime", opts->flags.runtime,
                  "python3, node, bash or a Runner's name (default: from the extension)");
  cmd->add_option("-n,--namespace", opts->flags.ns, "Namespace of the run")->capture_default_str();
  cmd->add_option("--cron", opts->cron,
                  "Run on this schedule instead of once: a CronJob (\"0 3 * * *\", @hourly)");
  cmd->footer(
      "Sends the script, and requirements.txt / pyproject.toml / package.json /\n"
      "package-lock.json from its folder when present, then streams its output: stdout to\n"
      "stdout, stderr to stderr. Ctrl-C stops the run. When no server answers on this machine,\n"
      "one is started (`prisn server start`) and the run goes there.\n"
      "Examples:\n"
      "  prisn run hello.py\n"
      "  prisn run backup.sh --timeout 10m --env TARGET=/srv/backup -- --verbose\n"
      "  prisn run report.py --detach           prints the run id; see `prisn logs job/ID`\n"
      "  prisn run backup.sh --cron \"0 3 * * *\"  every night at 3 (see `prisn cron`)\n"
      "Exit status: the script's own (128+N when killed by signal N), 124 when it ran past\n"
      "--timeout, 0 with --detach, 2 when prisn itself failed (no server, bad flags, the\n"
      "script could not start).");
  cmd->callback([&ctx, opts] {
    ctx.exit_code = opts->cron.empty() ? RunScript(ctx, *opts) : ScheduleScript(ctx, *opts);
  });
}

}  // namespace prisn::cli
