// /v1/secrets: create a Secret from values sent by the CLI, and list secrets
// by name and keys. Values are never logged, listed or echoed.
#include <set>

#include "api/routes.h"
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
  auto body = ParseBody(ctx.request, error, {"namespace", "name", "data", "overwrite"});
  if (!body) return error;
  std::string ns = "default";
  if (auto it = body->find("namespace"); it != body->end() && !it->is_null()) {
    if (!it->is_string()) return ErrorResponse(400, "invalid", "namespace must be a string");
    ns = it->get<std::string>();
  }
  if (!ctx.principal.MayAccess(ns)) return Forbidden(ctx.principal, ns);
  auto name = body->find("name");
  if (name == body->end() || !name->is_string())
    return ErrorResponse(400, "invalid", "name must be a string");
  auto data = body->find("data");
  if (data == body->end() || !data->is_object() || data->empty()) {
    return ErrorResponse(400, "invalid", "data must be a non-empty object of key: base64 value");
  }
  for (const auto& [key, value] : data->items()) {
    if (!value.is_string())
      return ErrorResponse(400, "invalid", "the value of key " + key + " must be a base64 string");
  }
  bool overwrite = false;
  if (auto it = body->find("overwrite"); it != body->end() && !it->is_null()) {
    if (!it->is_boolean()) return ErrorResponse(400, "invalid", "overwrite must be true or false");
    overwrite = it->get<bool>();
  }
  // The secret goes through the manifest loader like any applied Secret, so
  // names, keys and values are checked by the same rules. JSON is YAML.
  nlohmann::ordered_json manifest{{"apiVersion", "prisn.io/v1"},
                                  {"kind", "Secret"},
                                  {"metadata", {{"name", *name}, {"namespace", ns}}},
                                  {"spec", {{"data", *data}}}};
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
    nlohmann::ordered_json out{{"index", index},
                               {"action", store::ActionName(item->action)},
                               {"object", ObjectJson(**object)}};
    return JsonResponse(item->action == store::Action::kCreated ? 201 : 200, out);
  });
}

HttpResponse ListSecrets(Api::Core& core, const RouteContext& ctx) {
  store::ListFilter filter;
  filter.kind = "Secret";
  if (auto it = ctx.request.query.find("namespace");
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
    nlohmann::ordered_json items = nlohmann::ordered_json::array();
    for (const store::StoredObject& o : *objects) {
      items.push_back({{"namespace", o.key.ns},
                       {"name", o.key.name},
                       {"keys", SecretKeys(o.spec_json)},
                       {"version", o.version},
                       {"updatedAt", FormatTime(o.updated_ms)}});
    }
    return JsonResponse(200, nlohmann::ordered_json{{"items", std::move(items)}});
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
