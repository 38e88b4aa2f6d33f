// prisn get KIND [NAME], prisn ls [KIND], prisn describe KIND NAME.
#include <fmt/core.h>

#include <memory>

#include "api/routes.h"
#include "cli/command_util.h"
#include "cli/get_cron.h"
#include "cli/get_network.h"
#include "cli/get_runs.h"
#include "cli/object_view.h"
#include "cli/printer.h"

namespace prisn::cli {
namespace {

using json = nlohmann::ordered_json;

struct GetOptions {
  std::vector<std::string> words;  // KIND [NAME], or KIND/NAME
  NamespaceOptions ns;
  int limit = 50;  // get jobs: runs listed
  std::string cron;  // get jobs --cron NAME: the runs of one CronJob
};

void PrintEmpty(const NamespaceOptions& ns, std::string_view what) {
  if (ns.all) {
    fmt::print(stderr, "No {} found.\n", what);
  } else {
    fmt::print(stderr, "No {} found in namespace {}.\n", what, ns.name);
  }
}

int RunList(Context& ctx, ApiClient& client, const std::optional<KindInfo>& kind,
            const NamespaceOptions& ns) {
  std::vector<std::pair<std::string_view, std::string>> query;
  if (kind) query.emplace_back(api::query::kKind, std::string(kind->plural));
  bool all = ns.all || (kind && !kind->namespaced);
  if (!all) query.emplace_back(api::query::kNamespace, ns.name);
  auto answer = client.Get<api::ObjectList>(std::string(api::path::kObjects) + api::Query(query));
  if (!answer) {
    Report(ctx, answer.error(), client.details());
    return ctx.exit_code;
  }
  const std::vector<api::ObjectView>& items = answer->items;
  if (ctx.global.output == "text" && items.empty()) {
    PrintEmpty({ns.name, all}, kind ? std::string(kind->plural) : "objects");
    return kExitOk;
  }
  auto now = std::chrono::system_clock::now();
  PrintOutput(ctx.global.output, api::Encode(*answer), [&] {
    return ObjectTable(items, kind ? kind->kind : std::string_view(), ns.all, now).Render();
  });
  return kExitOk;
}

int RunGet(Context& ctx, const GetOptions& opts) {
  auto client = Connect(ctx);
  if (!client) {
    Report(ctx, client.error());
    return kExitError;
  }
  if (!opts.words.empty() && opts.words.size() <= 2 && IsEndpointsWord(opts.words[0])) {
    return GetEndpoints(ctx, *client, opts.ns,
                        opts.words.size() == 2 ? std::optional(opts.words[1]) : std::nullopt);
  }
  if (opts.words.size() == 1 && opts.words[0].find('/') == std::string::npos) {
    auto kind = ResolveKind(opts.words[0]);
    if (!kind) {
      Report(ctx, kind.error());
      return kExitError;
    }
    // Jobs are listed by their runs; `get job NAME` still shows the object.
    if (kind->kind == "Job" && !opts.cron.empty())
      return ListCronRuns(ctx, *client, opts.ns, opts.cron, opts.limit);
    if (kind->kind == "Job") return ListRuns(ctx, *client, opts.ns, opts.limit);
    if (kind->kind == "CronJob") return ListCronJobs(ctx, *client, opts.ns);
    return RunList(ctx, *client, *kind, opts.ns);
  }
  if (auto run_id = RunIdIn(opts.words)) return ShowRun(ctx, *client, *run_id);
  auto ref = ResolveObject(*client, opts.words, opts.ns.name);
  if (!ref) {
    Report(ctx, ref.error());
    return ctx.exit_code;
  }
  auto object = client->Get<api::ObjectView>(ObjectPath(*ref));
  if (!object) {
    Report(ctx, object.error(), client->details());
    return ctx.exit_code;
  }
  auto now = std::chrono::system_clock::now();
  PrintOutput(ctx.global.output, api::Encode(*object),
              [&] { return ObjectTable({*object}, ref->kind.kind, false, now).Render(); });
  return kExitOk;
}

int RunLs(Context& ctx, const GetOptions& opts) {
  auto client = Connect(ctx);
  if (!client) {
    Report(ctx, client.error());
    return kExitError;
  }
  std::optional<KindInfo> kind;
  if (!opts.words.empty()) {
    auto k = ResolveKind(opts.words[0]);
    if (!k) {
      Report(ctx, k.error());
      return kExitError;
    }
    kind = *k;
  }
  if (kind) return RunList(ctx, *client, kind, opts.ns);
  // Mixed kinds: a TYPE column instead of kind-specific ones.
  std::vector<std::pair<std::string_view, std::string>> query;
  if (!opts.ns.all) query.emplace_back(api::query::kNamespace, opts.ns.name);
  auto answer = client->Get<api::ObjectList>(std::string(api::path::kObjects) + api::Query(query));
  if (!answer) {
    Report(ctx, answer.error(), client->details());
    return ctx.exit_code;
  }
  if (ctx.global.output == "text" && answer->items.empty()) {
    PrintEmpty(opts.ns, "objects");
    return kExitOk;
  }
  auto now = std::chrono::system_clock::now();
  PrintOutput(ctx.global.output, api::Encode(*answer),
              [&] { return ObjectTable(answer->items, {}, opts.ns.all, now).Render(); });
  return kExitOk;
}

int RunDescribe(Context& ctx, const GetOptions& opts) {
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
  auto object = client->Get<api::ObjectView>(ObjectPath(*ref));
  if (!object) {
    Report(ctx, object.error(), client->details());
    return ctx.exit_code;
  }
  const std::string& ns = object->ns;
  auto events = client->Get(std::string(api::path::kEvents) +
                            api::Query({{api::query::kKind, std::string(ref->kind.kind)},
                                        {api::query::kNamespace, ns},
                                        {api::query::kName, ref->name},
                                        {api::query::kLimit, "10"}}));
  if (!events) {
    Report(ctx, events.error(), client->details());
    return ctx.exit_code;
  }
  // With a limit the API answers the newest events, oldest first.
  auto recent = DecodeAnswer<api::EventList>(*events);
  if (!recent) {
    Report(ctx, recent.error());
    return ctx.exit_code;
  }
  // `describe -o json`: {"object", "events", "status" when observed}.
  json data = {{"object", api::Encode(*object)}, {"events", api::Encode(recent->items)}};
  // What the converge loop observed, when it answers (a daemon without one
  // answers 503: the page is shown without it).
  std::optional<api::WorkloadStatus> status;
  if (ref->kind.kind == "Deployment" || ref->kind.kind == "Job" || ref->kind.kind == "CronJob") {
    if (auto observed = client->Get(
            api::Path(api::path::kObjectStatus, {ref->ns, ref->kind.plural, ref->name}))) {
      data["status"] = *observed;
      if (auto typed = DecodeAnswer<api::WorkloadStatus>(*observed)) status = std::move(*typed);
    }
  }
  auto now = std::chrono::system_clock::now();
  PrintOutput(ctx.global.output, data,
              [&] { return DescribeText(*object, recent->items, now, status); });
  return kExitOk;
}

}  // namespace

void RegisterGet(CLI::App& app, Context& ctx) {
  auto get_opts = std::make_shared<GetOptions>();
  auto* get = app.add_subcommand("get", "List objects of a kind, or show one object");
  get->add_option("KIND", get_opts->words,
                  "deploy(ments), job(s), cron(jobs), runner(s), secret(s), ing(resses), ns; "
                  "then an optional NAME (or KIND/NAME)")
      ->required()
      ->expected(1, 2);
  AddNamespaceOption(*get, get_opts->ns, /*listing=*/true);
  get->add_option("--limit", get_opts->limit, "get jobs: how many runs, newest first")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  get->add_option("--cron", get_opts->cron, "get jobs: only the runs of this CronJob");
  AddOutputOption(*get, ctx);
  get->footer(
      "Examples:\n"
      "  prisn get deploy                 deployments of namespace default\n"
      "  prisn get jobs -A                runs of every namespace, newest first\n"
      "  prisn get jobs --limit 10        the last 10 runs\n"
      "  prisn get job r-1a2b3c4d5e       one run\n"
      "  prisn get job backup             the Job object backup\n"
      "  prisn get cron                   cronjobs: schedule, last run and result, next fire\n"
      "  prisn get endpoints web          service address, DNS name and the replicas behind it\n"
      "  prisn get jobs --cron backup     the runs of the CronJob backup\n"
      "  prisn get deploy api -o yaml     one object as YAML\n"
      "  prisn get cronjob/backup -n ops\n"
      "Exit status: 0 found, 1 the named object does not exist, 2 any other error.");
  get->callback([&ctx, get_opts] { ctx.exit_code = RunGet(ctx, *get_opts); });

  auto ls_opts = std::make_shared<GetOptions>();
  auto* ls = app.add_subcommand("ls", "List the objects of a namespace, every kind together");
  ls->add_option("KIND", ls_opts->words, "Only this kind")->expected(0, 1);
  AddNamespaceOption(*ls, ls_opts->ns, /*listing=*/true);
  AddOutputOption(*ls, ctx);
  ls->footer(
      "Examples:\n"
      "  prisn ls                         everything in namespace default\n"
      "  prisn ls -A -o json              everything, for scripts");
  ls->callback([&ctx, ls_opts] { ctx.exit_code = RunLs(ctx, *ls_opts); });

  auto describe_opts = std::make_shared<GetOptions>();
  auto* describe = app.add_subcommand("describe", "Show one object in detail, with recent events");
  describe->add_option("OBJECT", describe_opts->words, "KIND NAME, KIND/NAME or NAME")
      ->required()
      ->expected(1, 2);
  AddNamespaceOption(*describe, describe_opts->ns, /*listing=*/false);
  AddOutputOption(*describe, ctx);
  describe->footer(
      "Examples:\n"
      "  prisn describe deploy api\n"
      "  prisn describe cronjob/backup -n ops -o json\n"
      "Exit status: 0 found, 1 the object does not exist, 2 any other error.");
  describe->callback([&ctx, describe_opts] { ctx.exit_code = RunDescribe(ctx, *describe_opts); });
}

}  // namespace prisn::cli
