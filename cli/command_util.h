#pragma once
// Helpers shared by the commands that talk to the daemon: connecting, naming
// objects, printing errors and choosing exit codes.
//
// Exit codes (docs/CLI.md): 0 success; 1 the named object does not exist
// (get, describe, history, rollback, delete, token revoke); 2 every other
// error. `diff` and `apply` never exit 1 on an error.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/client.h"
#include "api/kinds.h"
#include "cli/command.h"
#include "util/error.h"

namespace prisn::cli {

// -n/--namespace (default "default") and, for listings, -A/--all-namespaces.
struct NamespaceOptions {
  std::string name = "default";
  bool all = false;
};
void AddNamespaceOption(CLI::App& cmd, NamespaceOptions& ns, bool listing);

// Discovers the connection (flags, environment, context files) for a client.
Result<ApiClient> Connect(const Context& ctx);

// Prints "error: ..." (and the server's diagnostics, when the error carried
// them) on stderr.
void PrintError(const Error& error, const nlohmann::ordered_json& details = nullptr);

// 1 for kNotFound, 2 for anything else.
int ExitCodeFor(const Error& error);

// Prints the error and stores its exit code in ctx.
void Report(Context& ctx, const Error& error, const nlohmann::ordered_json& details = nullptr);

struct ObjectRef {
  KindInfo kind;
  std::string ns;  // "-" for kinds without a namespace
  std::string name;
};

// "/v1/namespaces/{ns}/{plural}/{name}" with each segment encoded.
std::string ObjectPath(const ObjectRef& ref, std::string_view pattern = api::path::kObject);

// "deployment/api".
std::string Label(std::string_view kind, std::string_view name);

// What the user named: "KIND NAME", "KIND/NAME", or "NAME" alone. For a name
// alone, the objects of the namespace are looked up: exactly one of that name
// must exist (kNotFound when none, kInvalid listing the kinds when several).
// With `allow_deleted`, a name that matches no stored object is looked for in
// the history of every kind, so deleted objects stay reachable.
Result<ObjectRef> ResolveObject(ApiClient& client, const std::vector<std::string>& words,
                                const std::string& ns, bool allow_deleted = false);

// Base64 (RFC 4648 standard alphabet, padded) of raw bytes.
std::string Base64(std::string_view bytes);

}  // namespace prisn::cli
