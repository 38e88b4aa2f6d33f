// prisn source add | ls | get | reconcile | suspend | resume | delete.
#include <fmt/core.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <thread>

#include "api/routes.h"
#include "cli/command_util.h"
#include "cli/json_fields.h"
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

std::string Where(const json& item) {
  const json& spec = item.value("spec", json::object());
  if (StrOrDump(item, "type") == "dir") return StrOrDump(spec, "dir");
  std::string ref = StrOrDump(spec, "branch");
  if (ref.empty()) ref = StrOrDump(spec, "tag");
  if (ref.empty()) ref = StrOrDump(spec, "commit");
  std::string out = StrOrDump(spec, "url");
  if (!ref.empty()) out += "@" + ref;
  if (!StrOrDump(spec, "path").empty()) out += " (" + StrOrDump(spec, "path") + ")";
  return out;
}

std::string ErrorText(const json& error) {
  if (error.is_null()) return {};
  std::string out = StrOrDump(error, "stage") + ": " + StrOrDump(error, "message");
  for (const auto& p : error.value("problems", json::array()))
    out += "\n  " + (p.is_string() ? p.get<std::string>() : p.dump());
  return out;
}

std::string Describe(const json& item) {
  const json& status = item.value("status", json::object());
  const json& spec = item.value("spec", json::object());
  std::string error = ErrorText(status.value("lastError", json()));
  std::vector<std::pair<std::string, std::string>> fields{
      {"Name", StrOrDump(item, "name")},
      {"Type", StrOrDump(item, "type")},
      {"Source", Where(item)},
      {"Interval", StrOrDump(spec, "interval")},
      {"Suspended", item.value("suspended", false) ? "yes" : "no"},
      {"Webhook", item.value("webhook", false) ? "POST /v1/hooks/" + StrOrDump(item, "name") : "-"},
      {"Last fetched", StrOrDump(status, "lastFetchedCommit").empty()
                           ? "-"
                           : StrOrDump(status, "lastFetchedCommit") + " at " +
                                 LocalTime(status.value("lastFetchedAt", json()))},
      {"Last applied", StrOrDump(status, "lastAppliedCommit").empty()
                           ? "-"
                           : StrOrDump(status, "lastAppliedCommit") + " at " +
                                 LocalTime(status.value("lastAppliedAt", json()))},
      {"Objects", StrOrDump(status, "objects")},
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
  json body{{"name", o.name}};
  if (!o.git.empty()) {
    body["type"] = "git";
    body["url"] = o.git;
  } else {
    body["type"] = "dir";
    body["dir"] = std::filesystem::absolute(o.dir).lexically_normal().string();
  }
  for (auto [key, value] : {std::pair{"branch", &o.branch}, {"tag", &o.tag}, {"commit", &o.commit},
                            {"path", &o.path}, {"interval", &o.interval}, {"secret", &o.secret},
                            {"hookSecret", &o.hook_secret}}) {
    if (!value->empty()) body[key] = *value;
  }
  if (o.allow_mass_prune) body["allowMassPrune"] = true;
  return WithClient(ctx, [&](ApiClient& client) {
    auto answer = o.update ? client.Put(api::Path(api::path::kSource, {o.name}), body)
                           : client.Post(api::path::kSources, body);
    if (!answer) return Fail(ctx, client, answer.error());
    PrintOutput(ctx.global.output, *answer, [&] {
      std::string out = fmt::format("source {} {} ({}); it syncs within seconds\n", o.name,
                                    o.update ? "updated" : "added", Where(*answer));
      if (auto secret = StrOrDump(*answer, "hookSecret"); !secret.empty()) {
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
    PrintOutput(ctx.global.output, *answer, [&] {
      Table t({"NAME", "TYPE", "SOURCE", "APPLIED", "OBJECTS", "STATUS"});
      for (const auto& item : answer->value("items", json::array())) {
        const json& status = item.value("status", json::object());
        std::string state =
            item.value("suspended", false) ? "suspended"
            : !status.value("lastError", json()).is_null()
                ? "failed"
                : (StrOrDump(status, "lastAppliedCommit").empty() ? "pending" : "ready");
        t.AddRow({StrOrDump(item, "name"), StrOrDump(item, "type"), Where(item),
                  Short(StrOrDump(status, "lastAppliedCommit")), StrOrDump(status, "objects"),
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
    PrintOutput(ctx.global.output, *answer, [&] { return Describe(*answer); });
    bool failed = !answer->value("status", json::object()).value("lastError", json()).is_null();
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
    int64_t before = answer->value("updatedAtMs", int64_t{0});
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(o.timeout_s);
    for (auto pause = std::chrono::milliseconds(20);;
         pause = std::min(pause * 2, std::chrono::milliseconds(500))) {
      auto now = client.Get(path);
      if (!now) return Fail(ctx, client, now.error());
      if (now->value("updatedAtMs", int64_t{0}) > before) {
        const json& status = now->value("status", json::object());
        const json& error = status.value("lastError", json());
        PrintOutput(ctx.global.output, *now, [&] {
          if (!error.is_null()) {
            return fmt::format("source {}: sync failed; {} stays in force\n{}\n", o.name,
                               Short(StrOrDump(status, "lastAppliedCommit")), ErrorText(error));
          }
          return fmt::format("source {}: {} applied ({} objects)\n", o.name,
                             Short(StrOrDump(status, "lastAppliedCommit")),
                             StrOrDump(status, "objects"));
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
