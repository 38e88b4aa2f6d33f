// prisn token create | ls | revoke.
#include <fmt/core.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <memory>
#include <vector>

#include "api/routes.h"
#include "api/types_tokens.h"
#include "cli/command_util.h"
#include "cli/object_view.h"
#include "cli/printer.h"

namespace prisn::cli {
namespace {

using json = nlohmann::ordered_json;

struct TokenOptions {
  std::string ns;
  bool admin = false;
  std::string name;
  std::string target;     // revoke: id or name
  std::string state_dir;  // create: mint into a stopped daemon's state dir
};

// `create --state-dir`: the engine mints into the store, so the binary's own
// hidden `server token` does it. Returns only when exec fails.
int MintInStateDir(Context& ctx, const TokenOptions& opts) {
  if (ctx.global.output == "yaml") {
    Report(ctx, Error{ErrorCode::kInvalid, "--state-dir prints text or -o json", {}});
    return kExitError;
  }
  std::vector<std::string> args = {"prisn", "server", "token", "--state-dir", opts.state_dir};
  if (!opts.ns.empty()) args.insert(args.end(), {"--namespace", opts.ns});
  if (!opts.name.empty()) args.insert(args.end(), {"--name", opts.name});
  if (ctx.global.output == "json") args.insert(args.end(), {"-o", "json"});
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::fflush(stdout);
  ::execv("/proc/self/exe", argv.data());
  Report(ctx, ErrnoError("run /proc/self/exe server token", errno));
  return kExitError;
}

int RunTokenCreate(Context& ctx, const TokenOptions& opts) {
  if (opts.admin == !opts.ns.empty()) {
    Report(ctx, Error{ErrorCode::kInvalid,
                      "say whom the token is for: --namespace NAME (that namespace only) or "
                      "--admin (everything)",
                      {}});
    return kExitError;
  }
  if (!opts.state_dir.empty()) return MintInStateDir(ctx, opts);
  auto client = Connect(ctx);
  if (!client) {
    Report(ctx, client.error());
    return kExitError;
  }
  api::TokenCreateRequest body;
  if (!opts.admin) body.ns = opts.ns;
  if (!opts.name.empty()) body.name = opts.name;
  auto answer = client->Post(api::path::kTokens, api::Encode(body));
  if (!answer) {
    PrintError(answer.error(), client->details());
    return kExitError;
  }
  auto created = DecodeAnswer<api::TokenView>(*answer);
  if (!created) {
    PrintError(created.error());
    return kExitError;
  }
  // The clear token alone on stdout, so that `T=$(prisn token create ...)` works.
  PrintOutput(ctx.global.output, *answer, [&] {
    fmt::print(stderr, "created token \"{}\" (id {}) for {}; it is shown only this once:\n",
               created->name, created->id,
               opts.admin ? std::string("everything (admin)") : "namespace " + opts.ns);
    return created->token.value_or("") + "\n";
  });
  return kExitOk;
}

int RunTokenList(Context& ctx) {
  auto client = Connect(ctx);
  if (!client) {
    Report(ctx, client.error());
    return kExitError;
  }
  auto answer = client->Get(api::path::kTokens);
  if (!answer) {
    PrintError(answer.error(), client->details());
    return kExitError;
  }
  auto list = DecodeAnswer<api::TokenList>(*answer);
  if (!list) {
    PrintError(list.error());
    return kExitError;
  }
  auto now = std::chrono::system_clock::now();
  PrintOutput(ctx.global.output, *answer, [&] {
    Table t({"ID", "NAME", "NAMESPACE", "CREATED", "REVOKED"});
    for (const api::TokenView& item : list->items) {
      std::string ns = item.ns.value_or("");
      t.AddRow({std::to_string(item.id), item.name, ns.empty() ? "(admin)" : ns,
                AgeOf(json(item.created_at), now) + " ago",
                item.revoked_at ? LocalTime(json(*item.revoked_at)) : "-"});
    }
    return t.Render();
  });
  return kExitOk;
}

int RunRevoke(Context& ctx, const TokenOptions& opts) {
  auto client = Connect(ctx);
  if (!client) {
    Report(ctx, client.error());
    return kExitError;
  }
  auto answer = client->Delete(api::Path(api::path::kToken, {opts.target}));
  if (!answer) {
    Report(ctx, answer.error(), client->details());
    return ctx.exit_code;
  }
  auto revoked = DecodeAnswer<api::TokenView>(*answer);
  if (!revoked) {
    Report(ctx, revoked.error());
    return ctx.exit_code;
  }
  PrintOutput(ctx.global.output, *answer, [&] {
    return fmt::format("token \"{}\" (id {}) revoked\n", revoked->name, revoked->id);
  });
  return kExitOk;
}

}  // namespace

void RegisterToken(CLI::App& app, Context& ctx) {
  auto* token = app.add_subcommand("token", "Create, list and revoke API tokens (admin only)");
  token->require_subcommand(1);
  token->footer(
      "Examples:\n"
      "  prisn token create --namespace team-a --name ci\n"
      "  prisn token ls\n"
      "  prisn token revoke ci");

  auto opts = std::make_shared<TokenOptions>();
  auto* create = token->add_subcommand("create", "Create a token; its value is shown only once");
  create->add_option("-n,--namespace", opts->ns, "The only namespace the token may see and change");
  create->add_flag("--admin", opts->admin, "An admin token: every namespace, tokens, metrics");
  create->add_option("--name", opts->name, "A name for `token ls` and `token revoke`");
  create->add_option("--state-dir", opts->state_dir,
                     "Write the token straight into this stopped daemon's state directory "
                     "(local recovery when no admin token is left; an admin token is also "
                     "saved in its context.json)");
  AddOutputOption(*create, ctx);
  create->footer(
      "Examples:\n"
      "  prisn token create --namespace team-a --name ci\n"
      "  export PRISN_TOKEN=$(prisn token create --namespace team-a)\n"
      "  systemctl stop prisn && prisn token create --admin --state-dir /var/lib/prisn && "
      "systemctl start prisn\n"
      "The token goes to stdout, everything else to stderr.");
  create->callback([&ctx, opts] { ctx.exit_code = RunTokenCreate(ctx, *opts); });

  auto* ls = token->add_subcommand("ls", "List tokens (never their values)");
  AddOutputOption(*ls, ctx);
  ls->footer("Example:\n  prisn token ls -o json");
  ls->callback([&ctx] { ctx.exit_code = RunTokenList(ctx); });

  auto* revoke = token->add_subcommand("revoke", "Revoke a token by id or name");
  revoke->add_option("TOKEN", opts->target, "Id or name from `prisn token ls`")->required();
  AddOutputOption(*revoke, ctx);
  revoke->footer(
      "Example:\n  prisn token revoke ci\n"
      "Exit status: 0 revoked, 1 no such token, 2 any other error (the last admin token\n"
      "cannot be revoked).");
  revoke->callback([&ctx, opts] { ctx.exit_code = RunRevoke(ctx, *opts); });
}

}  // namespace prisn::cli
