#include "cli/set_request.h"

#include <fmt/core.h>

#include "api/routes.h"
#include "api/types_objects.h"
#include "manifests/types.h"

namespace prisn::cli {
namespace {

// Keys of the objects the server holds (as far as the token may see them).
Result<manifests::KnownObjects> ServerObjects(ApiClient& client) {
  auto answer = client.Get<api::ObjectList>(api::path::kObjects);
  if (!answer) return std::unexpected(answer.error());
  manifests::KnownObjects known;
  for (const api::ObjectView& item : answer->items) {
    auto kind = manifests::ParseKind(item.kind);
    if (!kind) continue;
    std::string ns = item.ns == api::kNoNamespace ? std::string() : item.ns;
    known.keys.insert(manifests::MakeKey(*kind, ns, item.name));
  }
  return known;
}

}  // namespace

Result<PreparedSet> PrepareSet(const std::vector<std::string>& args, const std::string& set_flag,
                               ApiClient* client) {
  std::string cwd = CurrentDirectory();
  auto inputs = ResolveInputs(args, cwd);
  if (!inputs) return std::unexpected(inputs.error());
  manifests::DiskTree tree(inputs->root);
  manifests::LoadedSet set = manifests::LoadSet(tree, inputs->paths);
  if (!set.ok() && client != nullptr) {
    // Maybe only references to stored objects failed; an unreachable server
    // leaves the first diagnostics standing.
    if (auto known = ServerObjects(*client)) set = manifests::LoadSet(tree, inputs->paths, *known);
  }
  if (!set.ok()) {
    fmt::print(stderr, "{}", FormatErrors(set, inputs->display_prefix));
    return Fail(ErrorCode::kInvalid,
                fmt::format("{} problem{} in the manifests; nothing was sent", set.errors.size(),
                            set.errors.size() == 1 ? "" : "s"));
  }
  if (set.objects.empty()) {
    std::string named;
    for (const auto& a : args) named += (named.empty() ? "" : " ") + a;
    return Fail(ErrorCode::kInvalid, "no manifests found (files ending in .yaml or .yml)", named);
  }
  auto files = CollectFiles(tree, set);
  if (!files) return std::unexpected(files.error());
  PreparedSet out;
  out.set_name = set_flag.empty() ? DefaultSetName(args.front(), cwd) : set_flag;
  out.request = ApplyRequestFor(out.set_name, *inputs, *files);
  out.objects = set.objects.size();
  out.inputs = std::move(*inputs);
  return out;
}

}  // namespace prisn::cli
