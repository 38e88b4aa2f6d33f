// prisn secret create NAME --from-literal K=V --from-file K=PATH, prisn secret ls.
// Values travel to the daemon only; nothing here ever prints one.
#include <fmt/core.h>

#include <cctype>
#include <filesystem>
#include <map>
#include <memory>

#include "api/routes.h"
#include "api/types_secrets.h"
#include "cli/command_util.h"
#include "cli/printer.h"
#include "util/files.h"

namespace prisn::cli {
namespace {

using json = nlohmann::ordered_json;

struct SecretOptions {
  std::string name;
  std::vector<std::string> literals;
  std::vector<std::string> files;
  bool overwrite = false;
  NamespaceOptions ns;
};

// A key usable as an environment variable name or file name.
bool ValidKey(std::string_view key) {
  if (key.empty() || key.size() > 253) return false;
  for (char c : key) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

Result<std::map<std::string, std::string>> CollectData(const SecretOptions& opts) {
  std::map<std::string, std::string> data;
  auto add = [&](std::string key, std::string value, std::string_view flag) -> Status {
    if (!ValidKey(key)) {
      return Fail(ErrorCode::kInvalid,
                  fmt::format("key \"{}\" must be letters, digits, '_', '-' or '.'", key),
                  std::string(flag));
    }
    if (data.contains(key)) {
      return Fail(ErrorCode::kInvalid, fmt::format("key \"{}\" is given twice", key),
                  std::string(flag));
    }
    data.emplace(std::move(key), std::move(value));
    return {};
  };
  for (const auto& literal : opts.literals) {
    auto eq = literal.find('=');
    if (eq == std::string::npos) {
      // Never echo the argument: it may be a value typed without its key.
      return Fail(ErrorCode::kInvalid, "expected KEY=VALUE", "--from-literal");
    }
    if (auto s = add(literal.substr(0, eq), literal.substr(eq + 1), "--from-literal"); !s) {
      return std::unexpected(s.error());
    }
  }
  for (const auto& spec : opts.files) {
    auto eq = spec.find('=');
    std::string key, path;
    if (eq == std::string::npos) {
      path = spec;
      key = std::filesystem::path(spec).filename().string();
    } else {
      key = spec.substr(0, eq);
      path = spec.substr(eq + 1);
    }
    auto content = ReadFile(path);
    if (!content) return std::unexpected(content.error());
    if (auto s = add(key, std::move(*content), "--from-file"); !s) {
      return std::unexpected(s.error());
    }
  }
  if (data.empty()) {
    return Fail(
        ErrorCode::kInvalid,
        "a secret needs at least one key: --from-literal KEY=VALUE or --from-file KEY=PATH");
  }
  return data;
}

int RunSecretCreate(Context& ctx, const SecretOptions& opts) {
  auto data = CollectData(opts);
  if (!data) {
    Report(ctx, data.error());
    return kExitError;
  }
  auto client = Connect(ctx);
  if (!client) {
    Report(ctx, client.error());
    return kExitError;
  }
  api::SecretCreateRequest body{opts.ns.name, opts.name, std::map<std::string, std::string>{},
                                opts.overwrite};
  for (const auto& [key, value] : *data) (*body.data)[key] = Base64(value);
  auto answer = client->Post(api::path::kSecrets, api::Encode(body));
  if (!answer) {
    PrintError(answer.error(), client->details());
    if (answer.error().code == ErrorCode::kConflict && !opts.overwrite) {
      fmt::print(stderr, "hint: pass --overwrite to replace its keys\n");
    }
    return kExitError;
  }
  auto created = DecodeAnswer<api::SecretCreated>(*answer);
  if (!created) {
    PrintError(created.error());
    return kExitError;
  }
  PrintOutput(ctx.global.output, *answer, [&] {
    std::string keys;
    for (const auto& [key, value] : *data) keys += (keys.empty() ? "" : ", ") + key;
    return fmt::format("secret/{} {} in namespace {} (keys: {}; {})\n", opts.name, created->action,
                       opts.ns.name, keys, created->object.version);
  });
  return kExitOk;
}

int RunSecretList(Context& ctx, const SecretOptions& opts) {
  auto client = Connect(ctx);
  if (!client) {
    Report(ctx, client.error());
    return kExitError;
  }
  auto answer =
      client->Get(std::string(api::path::kSecrets) +
                  api::Query({{api::query::kNamespace, opts.ns.all ? "" : opts.ns.name}}));
  if (!answer) {
    PrintError(answer.error(), client->details());
    return kExitError;
  }
  auto list = DecodeAnswer<api::SecretList>(*answer);
  if (!list) {
    PrintError(list.error());
    return kExitError;
  }
  const std::vector<api::SecretSummary>& items = list->items;
  if (ctx.global.output == "text" && items.empty()) {
    fmt::print(stderr, "No secrets found{}.\n",
               opts.ns.all ? std::string() : " in namespace " + opts.ns.name);
    return kExitOk;
  }
  auto now = std::chrono::system_clock::now();
  PrintOutput(ctx.global.output, *answer, [&] {
    std::vector<std::string> headers = {"NAME", "KEYS", "VERSION", "AGE"};
    if (opts.ns.all) headers.insert(headers.begin(), "NAMESPACE");
    Table t(headers);
    for (const api::SecretSummary& item : items) {
      std::string keys;
      for (const std::string& k : item.keys) keys += (keys.empty() ? "" : ",") + k;
      std::vector<std::string> row = {item.name, keys, item.version,
                                      AgeOf(json(item.updated_at), now)};
      if (opts.ns.all) row.insert(row.begin(), item.ns);
      t.AddRow(std::move(row));
    }
    return t.Render();
  });
  return kExitOk;
}

}  // namespace

void RegisterSecret(CLI::App& app, Context& ctx) {
  auto* secret = app.add_subcommand("secret", "Create and list secrets (values are never shown)");
  secret->require_subcommand(1);
  secret->footer(
      "Examples:\n"
      "  prisn secret create db --from-literal PASSWORD=s3cret\n"
      "  prisn secret ls");

  auto opts = std::make_shared<SecretOptions>();
  auto* create = secret->add_subcommand("create", "Create a Secret from literals and files");
  create->add_option("NAME", opts->name, "Secret name")->required();
  create->add_option("--from-literal", opts->literals, "KEY=VALUE (repeatable)");
  create->add_option("--from-file", opts->files,
                     "KEY=PATH, or PATH with the file name as key (repeatable)");
  create->add_flag("--overwrite", opts->overwrite, "Replace the secret if it exists");
  AddNamespaceOption(*create, opts->ns, /*listing=*/false);
  AddOutputOption(*create, ctx);
  create->footer(
      "Examples:\n"
      "  prisn secret create db --from-literal PASSWORD=s3cret --from-literal USER=app\n"
      "  prisn secret create tls -n web --from-file tls.crt=./cert.pem --from-file "
      "tls.key=./key.pem\n"
      "Workloads use it with `envFrom: [{secretRef: {name: db}}]`.");
  create->callback([&ctx, opts] { ctx.exit_code = RunSecretCreate(ctx, *opts); });

  auto ls_opts = std::make_shared<SecretOptions>();
  auto* ls = secret->add_subcommand("ls", "List secrets: names and keys, never values");
  AddNamespaceOption(*ls, ls_opts->ns, /*listing=*/true);
  AddOutputOption(*ls, ctx);
  ls->footer("Examples:\n  prisn secret ls\n  prisn secret ls -A -o json");
  ls->callback([&ctx, ls_opts] { ctx.exit_code = RunSecretList(ctx, *ls_opts); });
}

}  // namespace prisn::cli
