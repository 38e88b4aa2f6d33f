#include "cli/command_util.h"

#include <fmt/core.h>
#include <sodium.h>

#include <cctype>

#include "api/routes.h"
#include "api/types_objects.h"
#include "util/strings.h"

namespace prisn::cli {
namespace {

// One diagnostic of the server's error details, as the manifest library's
// FormatText prints it: "file:line:col: field: message" and a hint line.
std::string FormatDetail(const nlohmann::ordered_json& d) {
  if (!d.is_object()) return d.is_string() ? d.get<std::string>() : d.dump();
  std::string where = d.value("file", std::string());
  int line = d.value("line", 0);
  int column = d.value("column", 0);
  if (!where.empty() && line > 0) where += fmt::format(":{}", line);
  if (!where.empty() && line > 0 && column > 0) where += fmt::format(":{}", column);
  std::string field = d.value("field", d.value("path", std::string()));
  std::string out;
  if (!where.empty()) out += where + ": ";
  if (!field.empty()) out += field + ": ";
  out += d.value("message", std::string());
  std::string hint = d.value("hint", std::string());
  if (!hint.empty()) out += "\n  hint: " + hint;
  return out;
}

}  // namespace

void AddConnectionOptions(CLI::App& app, Context& ctx) {
  app.add_option("--server", ctx.connection.server,
                 "prisn server URL (else PRISN_SERVER, the context file, http://127.0.0.1:7373)");
  app.add_option("--token", ctx.connection.token, "API token (else PRISN_TOKEN, the context file)");
  // Root options (--server, --token, --no-color) may follow the subcommand;
  // subcommands added after this inherit it.
  app.fallthrough();
}

void AddNamespaceOption(CLI::App& cmd, NamespaceOptions& ns, bool listing) {
  cmd.add_option("-n,--namespace", ns.name, "Namespace of the object")->capture_default_str();
  if (listing) cmd.add_flag("-A,--all-namespaces", ns.all, "List objects of every namespace");
}

Result<ApiClient> Connect(const Context& ctx) {
  auto connection = DiscoverConnection(ctx.connection, ProcessEnv());
  if (!connection) return std::unexpected(connection.error());
  return ApiClient(std::move(*connection));
}

void PrintError(const Error& error, const nlohmann::ordered_json& details) {
  fmt::print(stderr, "error: {}\n", error.ToString());
  if (details.is_array()) {
    for (const auto& d : details) fmt::print(stderr, "{}\n", FormatDetail(d));
  }
}

int ExitCodeFor(const Error& error) {
  return error.code == ErrorCode::kNotFound ? kExitFailure : kExitError;
}

void Report(Context& ctx, const Error& error, const nlohmann::ordered_json& details) {
  PrintError(error, details);
  ctx.exit_code = ExitCodeFor(error);
}

std::string ObjectPath(const ObjectRef& ref, std::string_view pattern) {
  return api::Path(pattern, {ref.kind.namespaced ? std::string_view(ref.ns) : api::kNoNamespace,
                             ref.kind.plural, ref.name});
}

std::string Label(std::string_view kind, std::string_view name) {
  return fmt::format("{}/{}", AsciiLower(kind), name);
}

std::string Base64(std::string_view bytes) {
  if (bytes.empty()) return {};
  const int variant = sodium_base64_VARIANT_ORIGINAL;
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), variant);
  out.resize(out.size() - 1);  // the encoder's terminating NUL
  return out;
}

Result<ObjectRef> ResolveObject(ApiClient& client, const std::vector<std::string>& words,
                                const std::string& ns, bool allow_deleted) {
  if (words.empty() || words.size() > 2) {
    return Fail(ErrorCode::kInvalid, "name an object as KIND NAME, KIND/NAME or NAME");
  }
  std::string kind_word, name;
  if (words.size() == 2) {
    kind_word = words[0];
    name = words[1];
  } else if (auto slash = words[0].find('/'); slash != std::string::npos) {
    kind_word = words[0].substr(0, slash);
    name = words[0].substr(slash + 1);
  } else {
    name = words[0];
  }
  if (name.empty()) return Fail(ErrorCode::kInvalid, "the object name is empty");
  if (!kind_word.empty()) {
    auto kind = ResolveKind(kind_word);
    if (!kind) return std::unexpected(kind.error());
    return ObjectRef{*kind, kind->namespaced ? ns : "-", name};
  }

  // A bare name: find which kinds hold an object of that name.
  auto listing = client.Get<api::ObjectList>(std::string(api::path::kObjects) +
                                             api::Query({{api::query::kNamespace, ns}}));
  if (!listing) return std::unexpected(listing.error());
  std::vector<ObjectRef> matches;
  for (const api::ObjectView& item : listing->items) {
    if (item.name != name) continue;
    auto kind = ResolveKind(item.kind);
    if (kind) matches.push_back({*kind, kind->namespaced ? ns : "-", name});
  }
  if (matches.empty() && allow_deleted) {
    for (const auto& kind : AllKinds()) {
      ObjectRef ref{kind, kind.namespaced ? ns : "-", name};
      auto history = client.Get(ObjectPath(ref, api::path::kObjectHistory));
      if (history) {
        matches.push_back(ref);
      } else if (history.error().code != ErrorCode::kNotFound) {
        return std::unexpected(history.error());
      }
    }
  }
  if (matches.empty()) {
    return Fail(ErrorCode::kNotFound,
                fmt::format("no object named \"{}\" in namespace {}", name, ns));
  }
  if (matches.size() > 1) {
    std::string names;
    for (const auto& m : matches) {
      if (!names.empty()) names += ", ";
      names += Label(m.kind.singular, name);
    }
    return Fail(
        ErrorCode::kInvalid,
        fmt::format("several objects are named \"{}\" ({}); name one as KIND/NAME", name, names));
  }
  return matches.front();
}

}  // namespace prisn::cli
