// prisn source add | ls | get | reconcile | suspend | resume | delete.
#include <fmt/core.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <thread>

#include "api/routes.h"
#include "api/types_sources.h"
#include "cli/command_util.h"
#include "cli/object_view.h"
#include "cli/printer.h"

namespace prisn::cli {
namespace {

using json = nlohmann::ordered_json;

struct SourceOptions {
  std::string name;
  std::string git;
  std::string dir;
  std::string branch;
  std::string tag;
  std::string commit;
  std::string path;
  std::string interval;
  std::string secret;
  std::string hook_secret;
  bool allow_mass_prune = false;
  bool update = false;
  bool no_wait = false;
  int timeout_s = 120;
};

std::string Short(const std::string& commit) {
  return commit.empty() ? "-" : commit.substr(0, 12);
}

std::string Where(const api::SourceView& item) {
  const api::SourceSpecView& spec = item.spec;
  if (item.type == "dir") return spec.dir.value_or("");
  std::string ref = spec.branch.value_or("");
  if (ref.empty()) ref = spec.tag.value_or("");
  if (ref.empty()) ref = spec.commit.value_or("");
  std::string out = spec.url.value_or("");
  if (!ref.empty()) out += "@" + ref;
  if (!spec.path.value_or("").empty()) out += " (" + *spec.path + ")";
  return out;
}

std::string ErrorText(const json& error) {
  if (error.is_null()) return {};
  auto e = api::Decode<api::SourceErrorView>(error, api::DecodeMode::kLenient);
  if (!e) return error.dump();
  std::string out = e->stage + ": " + e->message;
  for (const std::string& p : e->problems) out += "\n  " + p;
  return out;
}

// A time that may be missing, as LocalTime reads it.
json TimeOrNull(const std::optional<std::string>& time) { return time ? json(*time) : json(); }

// "COMMIT at TIME", or "-" before the first one.
std::string CommitAt(const std::optional<std::string>& commit,
                     const std::optional<std::string>& time) {
  if (commit.value_or("").empty()) return "-";
  return *commit + " at " + LocalTime(TimeOrNull(time));
}

std::string Describe(const api::SourceView& item) {
  const api::SourceStatusView& status = item.status;
  std::string error = ErrorText(status.last_error);
  std::vector<std::pair<std::string, std::string>> fields{
      {"Name", item.name},
      {"Type", item.type},
      {"Source", Where(item)},
      {"Interval", item.spec.interval.value_or("")},
      {"Suspended", item.suspended ? "yes" : "no"},
      {"Webhook", item.webhook ? "POST /v1/hooks/" + item.name : "-"},
      {"Last fetched", CommitAt(status.last_fetched_commit, status.last_fetched_at)},
      {"Last applied", CommitAt(status.last_applied_commit, status.last_applied_at)},
      {"Objects", std::to_string(status.objects)},
      {"Error", error.empty() ? "-" : error}};
  return RenderFields(fields);
}

template <class Fn>
int WithClient(Context& ctx, Fn&& fn) {
  auto client = Connect(ctx);
  if (!client) {
    Report(ctx, client.error());
    return kExitError;
  }
  return fn(*client);
}

int Fail(Context& ctx, ApiClient& client, const Error& error) {
  Report(ctx, error, client.details());
  return ctx.exit_code == kExitOk ? kExitError : ctx.exit_code;
}

int RunAdd(Context& ctx, const SourceOptions& o) {
  if (o.git.empty() == o.dir.empty()) {
    Report(ctx, Error{ErrorCode::kInvalid, "give exactly one of --git URL and --dir PATH", o.name});
    return kExitError;
  }
  api::SourceSpecView body;
  body.name = o.name;
  if (!o.git.empty()) {
    body.type = "git";
    body.url = o.git;
  } else {
    body.type = "dir";
    body.dir = std::filesystem::absolute(o.dir).lexically_normal().string();
  }
  for (auto [field, value] : {std::pair{&body.branch, &o.branch},
                              {&body.tag, &o.tag},
                              {&body.commit, &o.commit},
                              {&body.path, &o.path},
                              {&body.interval, &o.interval},
                              {&body.secret, &o.secret},
                              {&body.hook_secret, &o.hook_secret}}) {
    if (!value->empty()) *field = *value;
  }
  if (o.allow_mass_prune) body.allow_mass_prune = true;
  return WithClient(ctx, [&](ApiClient& client) {
    auto answer = o.update ? client.Put(api::Path(api::path::kSource, {o.name}), api::Encode(body))
                           : client.Post(api::path::kSources, api::Encode(body));
    if (!answer) return Fail(ctx, client, answer.error());
    auto source = DecodeAnswer<api::SourceView>(*answer);
    if (!source) return Fail(ctx, client, source.error());
    PrintOutput(ctx.global.output, *answer, [&] {
      std::string out = fmt::format("source {} {} ({}); it syncs within seconds\n", o.name,
                                    o.update ? "updated" : "added", Where(*source));
      if (auto secret = source->hook_secret.value_or(""); !secret.empty()) {
        out += fmt::format(
            "webhook: POST /v1/hooks/{} signed with this secret (shown only once):\n{}\n", o.name,
            secret);
      }
      return out;
    });
    return kExitOk;
  });
}

int RunSourceList(Context& ctx) {
  return WithClient(ctx, [&](ApiClient& client) {
    auto answer = client.Get(api::path::kSources);
    if (!answer) return Fail(ctx, client, answer.error());
    auto list = DecodeAnswer<api::SourceList>(*answer);
    if (!list) return Fail(ctx, client, list.error());
    PrintOutput(ctx.global.output, *answer, [&] {
      Table t({"NAME", "TYPE", "SOURCE", "APPLIED", "OBJECTS", "STATUS"});
      for (const api::SourceView& item : list->items) {
        const api::SourceStatusView& status = item.status;
        std::string applied = status.last_applied_commit.value_or("");
        std::string state = item.suspended                 ? "suspended"
                            : !status.last_error.is_null() ? "failed"
                            : applied.empty()              ? "pending"
                                                           : "ready";
        t.AddRow({item.name, item.type, Where(item), Short(applied), std::to_string(status.objects),
                  state});
      }
      return t.empty() ? std::string("No sources (add one with prisn source add)\n") : t.Render();
    });
    return kExitOk;
  });
}

int RunSourceGet(Context& ctx, const SourceOptions& o) {
  return WithClient(ctx, [&](ApiClient& client) {
    auto answer = client.Get(api::Path(api::path::kSource, {o.name}));
    if (!answer) return Fail(ctx, client, answer.error());
    auto source = DecodeAnswer<api::SourceView>(*answer);
    if (!source) return Fail(ctx, client, source.error());
    PrintOutput(ctx.global.output, *answer, [&] { return Describe(*source); });
    bool failed = !source->status.last_error.is_null();
    return failed ? kExitFailure : kExitOk;
  });
}

// Asks for a sync and, unless --no-wait, waits for its outcome.
int RunReconcile(Context& ctx, const SourceOptions& o) {
  return WithClient(ctx, [&](ApiClient& client) {
    std::string path = api::Path(api::path::kSource, {o.name});
    auto answer = client.Post(api::Path(api::path::kSourceReconcile, {o.name}), json::object());
    if (!answer) return Fail(ctx, client, answer.error());
    if (o.no_wait) {
      PrintOutput(ctx.global.output, *answer,
                  [&] { return fmt::format("source {}: sync requested\n", o.name); });
      return kExitOk;
    }
    auto requested = DecodeAnswer<api::SourceReconcileAnswer>(*answer);
    if (!requested) return Fail(ctx, client, requested.error());
    int64_t before = requested->updated_at_ms;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(o.timeout_s);
    for (auto pause = std::chrono::milliseconds(20);;
         pause = std::min(pause * 2, std::chrono::milliseconds(500))) {
      auto now = client.Get(path);
      if (!now) return Fail(ctx, client, now.error());
      auto source = DecodeAnswer<api::SourceView>(*now);
      if (!source) return Fail(ctx, client, source.error());
      if (source->updated_at_ms > before) {
        const api::SourceStatusView& status = source->status;
        const json& error = status.last_error;
        std::string applied = Short(status.last_applied_commit.value_or(""));
        PrintOutput(ctx.global.output, *now, [&] {
          if (!error.is_null()) {
            return fmt::format("source {}: sync failed; {} stays in force\n{}\n", o.name, applied,
                               ErrorText(error));
          }
          return fmt::format("source {}: {} applied ({} objects)\n", o.name, applied,
                             status.objects);
        });
        return error.is_null() ? kExitOk : kExitFailure;
      }
      if (std::chrono::steady_clock::now() > deadline) {
        Report(ctx, Error{ErrorCode::kTimeout,
                          fmt::format("the sync did not finish within {} s (it goes on; see "
                                      "prisn source get {})",
                                      o.timeout_s, o.name),
                          o.name});
        return kExitError;
      }
      std::this_thread::sleep_for(pause);
    }
  });
}

int RunSimple(Context& ctx, const SourceOptions& o, const std::string& verb) {
  return WithClient(ctx, [&](ApiClient& client) {
    std::string_view pattern = verb == "delete"    ? api::path::kSource
                               : verb == "suspend" ? api::path::kSourceSuspend
                                                   : api::path::kSourceResume;
    std::string path = api::Path(pattern, {o.name});
    auto answer = verb == "delete" ? client.Delete(path) : client.Post(path, json::object());
    if (!answer) return Fail(ctx, client, answer.error());
    PrintOutput(ctx.global.output, *answer, [&] {
      std::string done = verb == "delete" ? "deleted (its objects stay; delete them or apply "
                                            "them elsewhere)"
                                          : verb + (verb == "suspend" ? "ed" : "d");
      return fmt::format("source {} {}\n", o.name, done);
    });
    return kExitOk;
  });
}

}  // namespace

void RegisterSource(CLI::App& app, Context& ctx) {
  auto* source =
      app.add_subcommand("source", "GitOps sources: converge to a git repository or a folder");
  source->require_subcommand(1);
  source->footer(
      "Examples:\n"
      "  prisn source add web --git https://github.com/acme/deploy.git --branch main --path prod\n"
      "  prisn source add local --dir ./manifests\n"
      "  prisn source get web\n"
      "  prisn source reconcile web");
  auto opts = std::make_shared<SourceOptions>();

  auto* add = source->add_subcommand("add", "Add a source; it syncs at once, then on its interval");
  add->add_option("NAME", opts->name, "The source's name (a DNS label)")->required();
  add->add_option("--git", opts->git, "Remote URL: file://, git://, http(s)://, ssh://");
  add->add_option("--dir", opts->dir, "A folder on the daemon's host, watched with inotify");
  add->add_option("--branch", opts->branch, "Branch to follow (default: the remote's HEAD)");
  add->add_option("--tag", opts->tag, "Tag to pin");
  add->add_option("--commit", opts->commit, "Commit to pin");
  add->add_option("--path", opts->path, "Folder of the manifests inside the repository");
  add->add_option("--interval", opts->interval, "How often to fetch (default 30s)");
  add->add_option("--secret", opts->secret,
                  "Secret (NAME or NS/NAME) with fetch credentials: token, username + password, "
                  "or sshKey");
  add->add_option("--hook-secret", opts->hook_secret,
                  "Key webhooks are signed with (default: generated, shown once)");
  add->add_flag("--update", opts->update,
                "Replace the definition of an existing source (switch branch, path, interval); "
                "its objects, webhook key and suspension stay");
  add->add_flag("--allow-mass-prune", opts->allow_mass_prune,
                "Let a sync remove more than half of the source's objects");
  AddOutputOption(*add, ctx);
  add->callback([&ctx, opts] { ctx.exit_code = RunAdd(ctx, *opts); });

  auto* ls = source->add_subcommand("ls", "List sources and their state");
  AddOutputOption(*ls, ctx);
  ls->callback([&ctx] { ctx.exit_code = RunSourceList(ctx); });

  auto* get = source->add_subcommand(
      "get", "Show a source: last fetched and applied commit, objects, errors");
  get->add_option("NAME", opts->name, "The source")->required();
  AddOutputOption(*get, ctx);
  get->footer("Exit status: 0 ok, 1 the last sync failed, 2 any other error.");
  get->callback([&ctx, opts] { ctx.exit_code = RunSourceGet(ctx, *opts); });

  auto* reconcile = source->add_subcommand(
      "reconcile", "Sync now and re-apply what the source says (overrides --force edits)");
  reconcile->add_option("NAME", opts->name, "The source")->required();
  reconcile->add_flag("--no-wait", opts->no_wait, "Return once the sync is requested");
  reconcile->add_option("--timeout", opts->timeout_s, "Seconds to wait for the outcome (120)");
  AddOutputOption(*reconcile, ctx);
  reconcile->footer("Exit status: 0 applied, 1 the sync failed, 2 any other error.");
  reconcile->callback([&ctx, opts] { ctx.exit_code = RunReconcile(ctx, *opts); });

  for (const char* verb : {"suspend", "resume", "delete"}) {
    auto* cmd = source->add_subcommand(
        verb, std::string(verb == std::string("suspend")  ? "Stop syncing a source"
                          : verb == std::string("resume") ? "Sync a suspended source again"
                                                          : "Delete a source (its objects stay)"));
    cmd->add_option("NAME", opts->name, "The source")->required();
    AddOutputOption(*cmd, ctx);
    std::string v = verb;
    cmd->callback([&ctx, opts, v] { ctx.exit_code = RunSimple(ctx, *opts, v); });
  }
}

}  // namespace prisn::cli
