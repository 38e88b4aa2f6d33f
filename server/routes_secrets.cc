// /v1/secrets: create a Secret from values sent by the CLI, and list secrets
// by name and keys. Values are never logged, listed or echoed.
#include <set>

#include "api/routes.h"
#include "api/types_secrets.h"
#include "manifests/file_tree.h"
#include "manifests/load.h"
#include "reconciler/apply.h"
#include "server/api_internal.h"

namespace prisn::server {
namespace {

// The keys of a Secret, read from its masked canonical JSON.
std::vector<std::string> SecretKeys(const std::string& display_json) {
  std::set<std::string> keys;
  auto j = nlohmann::json::parse(display_json, nullptr, false);
  if (j.is_object() && j.contains("spec") && j["spec"].is_object()) {
    for (const char* map : {"data", "stringData", "sealedData"}) {
      auto it = j["spec"].find(map);
      if (it == j["spec"].end() || !it->is_object()) continue;
      for (const auto& [key, value] : it->items()) keys.insert(key);
    }
  }
  return {keys.begin(), keys.end()};
}

HttpResponse CreateSecret(Api::Core& core, const RouteContext& ctx) {
  HttpResponse error;
  auto body = ParseBody<api::SecretCreateRequest>(ctx.request, error);
  if (!body) return error;
  std::string ns = body->ns.value_or("default");
  if (!ctx.principal.MayAccess(ns)) return Forbidden(ctx.principal, ns);
  if (!body->name) return ErrorResponse(400, "invalid", "name must be a string");
  if (!body->data || body->data->empty()) {
    return ErrorResponse(400, "invalid", "data must be a non-empty object of key: base64 value");
  }
  bool overwrite = body->overwrite.value_or(false);
  // The secret goes through the manifest loader like any applied Secret, so
  // names, keys and values are checked by the same rules. JSON is YAML.
  nlohmann::ordered_json manifest{{"apiVersion", "prisn.io/v1"},
                                  {"kind", "Secret"},
                                  {"metadata", {{"name", *body->name}, {"namespace", ns}}},
                                  {"spec", {{"data", *body->data}}}};
  manifests::MemoryTree tree({{"secret.yaml", manifest.dump()}});
  manifests::LoadedSet set = manifests::LoadSet(tree, {"secret.yaml"});
  if (!set.ok() || set.objects.size() != 1) {
    nlohmann::json details = nlohmann::json::array();
    std::string first;
    for (manifests::Diagnostic d : set.errors) {
      d.file.clear();
      d.line = d.column = 0;  // positions in a generated document mean nothing to the caller
      if (first.empty()) first = manifests::FormatText(d);
      details.push_back(manifests::ToJson(d));
    }
    return ErrorResponse(400, "invalid", "the secret is invalid: " + first, std::move(details));
  }
  store::DesiredObject desired = reconciler::ToDesired(set.objects.front());
  return core.store.With([&](store::Store& s) {
    int64_t index = 0;
    auto item = s.Put(desired, overwrite, ctx.principal.name, &index);
    if (!item) return ErrorResponse(item.error());
    core.RefreshGauges(s);
    // Workloads waiting for this secret may start now.
    if (core.converger) core.converger->WakeAll();
    auto object = s.Get(desired.key);
    if (!object || !*object)
      return ErrorResponse(
          Error{ErrorCode::kInternal, "the secret vanished", desired.key.ToString()});
    api::SecretCreated out{index, std::string(store::ActionName(item->action)),
                           ObjectViewOf(**object)};
    return JsonResponse(item->action == store::Action::kCreated ? 201 : 200, api::Encode(out));
  });
}

HttpResponse ListSecrets(Api::Core& core, const RouteContext& ctx) {
  store::ListFilter filter;
  filter.kind = "Secret";
  if (auto it = ctx.request.query.find(std::string(api::query::kNamespace));
      it != ctx.request.query.end() && !it->second.empty()) {
    filter.ns = it->second;
  }
  if (!ctx.principal.admin()) {
    if (filter.ns && !ctx.principal.MayAccess(*filter.ns))
      return Forbidden(ctx.principal, *filter.ns);
    filter.ns = ctx.principal.ns;
  }
  return core.store.With([&](store::Store& s) {
    auto objects = s.List(filter);
    if (!objects) return ErrorResponse(objects.error());
    api::SecretList list;
    for (const store::StoredObject& o : *objects) {
      list.items.push_back(
          {o.key.ns, o.key.name, SecretKeys(o.spec_json), o.version, FormatTime(o.updated_ms)});
    }
    return JsonResponse(200, api::Encode(list));
  });
}

}  // namespace

void AddSecretRoutes(Api::Core& core) {
  core.router.Add("GET", std::string(api::path::kSecrets),
                  [&core](const RouteContext& c) { return ListSecrets(core, c); });
  core.router.Add("POST", std::string(api::path::kSecrets),
                  [&core](const RouteContext& c) { return CreateSecret(core, c); });
}

}  // namespace prisn::server
