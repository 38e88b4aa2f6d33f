// POST /v1/apply and POST /v1/diff: a set of manifests sent as files,
// re-validated here with the same loader as `prisn validate`.
#include <spdlog/spdlog.h>

#include <chrono>

#include "api/routes.h"
#include "manifests/canonical.h"
#include "manifests/change.h"
#include "manifests/file_tree.h"
#include "manifests/load.h"
#include "reconciler/apply.h"
#include "reconciler/secret_box.h"
#include "reconciler/source_manager.h"
#include "server/api_internal.h"

namespace prisn::server {
namespace {

struct ApplyRequest {
  std::string set;
  bool prune = false;
  bool confirm_prune = false;
  bool dry_run = false;
  std::optional<int64_t> check_index;
  std::vector<std::string> paths;
  std::map<std::string, std::string> files;
};

Result<bool> OptionalBool(const nlohmann::json& body, const char* key) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return false;
  if (!it->is_boolean())
    return Fail(ErrorCode::kInvalid, std::string(key) + " must be true or false");
  return it->get<bool>();
}

Result<ApplyRequest> ParseApplyRequest(const nlohmann::json& body) {
  ApplyRequest r;
  auto set = body.find("set");
  if (set == body.end() || !set->is_string() || set->get<std::string>().empty()) {
    return Fail(ErrorCode::kInvalid, "set must be a non-empty string naming the apply set");
  }
  r.set = set->get<std::string>();
  if (r.set.size() > 1024) return Fail(ErrorCode::kInvalid, "set is longer than 1024 characters");
  for (auto [key, field] :
       {std::pair{"prune", &r.prune}, {"confirmPrune", &r.confirm_prune}, {"dryRun", &r.dry_run}}) {
    auto value = OptionalBool(body, key);
    if (!value) return std::unexpected(value.error());
    *field = *value;
  }
  if (auto it = body.find("checkIndex"); it != body.end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 0) {
      return Fail(ErrorCode::kInvalid,
                  "checkIndex must be a non-negative integer (the index a diff reported), or null");
    }
    r.check_index = it->get<int64_t>();
  }
  if (auto it = body.find("paths"); it != body.end() && !it->is_null()) {
    if (!it->is_array())
      return Fail(ErrorCode::kInvalid, "paths must be an array of relative paths");
    for (const auto& p : *it) {
      if (!p.is_string())
        return Fail(ErrorCode::kInvalid, "paths must be an array of relative paths");
      auto normal = manifests::NormalizeTreePath(p.get<std::string>());
      if (!normal)
        return Fail(ErrorCode::kInvalid, "a path must be relative and stay inside the tree",
                    p.get<std::string>());
      r.paths.push_back(normal->empty() ? "." : *normal);
    }
  }
  if (r.paths.empty()) r.paths.push_back(".");
  auto files = body.find("files");
  if (files == body.end() || files->is_null()) {
    // No files: an empty set.
  } else if (!files->is_object()) {
    return Fail(ErrorCode::kInvalid, "files must be an object: {\"relative/path\": \"<base64>\"}");
  } else {
    for (const auto& [path, content] : files->items()) {
      auto normal = manifests::NormalizeTreePath(path);
      if (!normal || normal->empty()) {
        return Fail(ErrorCode::kInvalid,
                    "a file path must be relative, name a file and stay inside the tree", path);
      }
      if (!content.is_string())
        return Fail(ErrorCode::kInvalid, "file content must be a base64 string", path);
      auto bytes = Base64Decode(content.get_ref<const std::string&>());
      if (!bytes) return Fail(ErrorCode::kInvalid, "file content is not valid base64", path);
      if (!r.files.emplace(*normal, std::move(*bytes)).second) {
        return Fail(ErrorCode::kInvalid, "two entries of files name the same path", *normal);
      }
    }
  }
  return r;
}

struct LoadedRequest {
  ApplyRequest request;
  std::vector<manifests::Object> objects;
  std::optional<HttpResponse> error;
};

// Parses the body, rebuilds the tree, validates the set and checks that the
// token may touch every object in it. A diff takes no apply controls: a
// dryRun, confirmPrune or checkIndex sent to it would be silently dropped.
LoadedRequest Load(Api::Core& core, const RouteContext& ctx, bool for_apply) {
  LoadedRequest out;
  HttpResponse error;
  auto body = for_apply ? ParseBody(ctx.request, error,
                                    {"set", "prune", "confirmPrune", "dryRun", "checkIndex",
                                     "paths", "files"})
                        : ParseBody(ctx.request, error, {"set", "prune", "paths", "files"});
  if (!body) {
    out.error = error;
    return out;
  }
  auto request = ParseApplyRequest(*body);
  if (!request) {
    out.error = ErrorResponse(request.error());
    return out;
  }
  out.request = std::move(*request);
  // Objects already stored may be named by references in the set (a secret
  // created with `prisn secret create`); a namespace token sees only its own.
  manifests::KnownObjects known;
  auto listed = core.store.With([&](store::Store& s) {
    return s.List({std::nullopt, ctx.principal.ns, std::nullopt});
  });
  if (!listed) {
    out.error = ErrorResponse(listed.error());
    return out;
  }
  for (const store::StoredObject& o : *listed) {
    if (auto kind = manifests::ParseKind(o.key.kind))
      known.keys.insert(manifests::MakeKey(*kind, o.key.ns, o.key.name));
  }
  manifests::MemoryTree tree(std::move(out.request.files));
  manifests::LoadedSet set = manifests::LoadSet(tree, out.request.paths, known);
  if (!set.ok()) {
    nlohmann::json details = nlohmann::json::array();
    for (const manifests::Diagnostic& d : set.errors) details.push_back(manifests::ToJson(d));
    std::string first = manifests::FormatText(set.errors.front());
    out.error = ErrorResponse(400, "invalid",
                              "the manifests are invalid (" + std::to_string(set.errors.size()) +
                                  " problem" + (set.errors.size() == 1 ? "" : "s") +
                                  "; nothing was changed): " + first,
                              std::move(details));
    return out;
  }
  for (const manifests::Object& o : set.objects) {
    if (!ctx.principal.MayAccess(o.meta.namespace_)) {
      out.error =
          ErrorResponse(403, "permission",
                        "this token is scoped to namespace " + ctx.principal.ns.value_or("") +
                            "; the set holds " + o.Key() + " (" + o.file + ")");
      return out;
    }
    // Level 0 and host users are checked here, where every applied object
    // passes (apply, diff, deploy and the cron shortcut all send a set).
    if (auto host = CheckHostAccess(ctx.principal, core.info.host_access, o); !host) {
      host.error().context = o.file;
      out.error = ErrorResponse(host.error());
      return out;
    }
  }
  out.objects = std::move(set.objects);
  return out;
}

nlohmann::ordered_json Summary(const std::vector<reconciler::AppliedItem>& items) {
  std::map<store::Action, int> counts;
  for (const reconciler::AppliedItem& i : items) counts[i.item.action]++;
  return {{"created", counts[store::Action::kCreated]},
          {"configured", counts[store::Action::kConfigured]},
          {"unchanged", counts[store::Action::kUnchanged]},
          {"pruned", counts[store::Action::kPruned]}};
}

std::string_view ApplyResultLabel(const Error& e) {
  switch (e.code) {
    case ErrorCode::kInvalid:
      return "invalid";
    case ErrorCode::kConflict:
      return "conflict";
    case ErrorCode::kPermission:
      return "forbidden";
    default:
      return "error";
  }
}

HttpResponse Apply(Api::Core& core, const RouteContext& ctx) {
  auto start = std::chrono::steady_clock::now();
  auto seconds = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  LoadedRequest loaded = Load(core, ctx, /*for_apply=*/true);
  if (loaded.error) {
    core.metrics.ObserveApply(loaded.error->status == 403 ? "forbidden" : "invalid", seconds());
    return *loaded.error;
  }
  const ApplyRequest& req = loaded.request;
  reconciler::ApplySetOptions options;
  options.store.set = req.set;
  options.store.prune = req.prune;
  options.store.confirm_prune = req.confirm_prune;
  options.store.dry_run = req.dry_run;
  options.store.check_index = req.check_index;
  options.store.actor = ctx.principal.name;
  options.store.only_namespace = ctx.principal.ns;
  auto force = QueryFlag(ctx.request, "force");
  if (!force) return ErrorResponse(force.error());
  // Who may apply into the set and take objects from other sets and sources
  // is the store's rule (store_owners.cc), which sources meet too; only an
  // admin's force moves an object a source owns.
  options.store.force = *force && ctx.principal.admin();
  return core.store.With([&](store::Store& s) {
    auto applied = reconciler::ApplySet(s, loaded.objects, options);
    if (!applied) {
      core.metrics.ObserveApply(ApplyResultLabel(applied.error()), seconds());
      return ErrorResponse(applied.error());
    }
    if (!req.dry_run) {
      // A forced move out of a source's set marks the source drifted, so
      // that its next sync puts back what it says (see RefuseSourceOwned).
      if (core.sources) {
        for (const std::string& source : applied->taken_from_sources)
          core.sources->MarkDrifted(source);
      }
      if (core.converger) {
        for (const reconciler::AppliedItem& i : applied->items) {
          if (i.item.action != store::Action::kUnchanged) core.converger->Wake(i.item.key);
        }
      }
    }
    nlohmann::ordered_json items = nlohmann::ordered_json::array();
    for (const reconciler::AppliedItem& i : applied->items) {
      const store::ApplyItem& item = i.item;
      nlohmann::ordered_json j = KeyJson(item.key);
      j["action"] = store::ActionName(item.action);
      j["version"] = item.version;
      j["previousVersion"] = item.action == store::Action::kCreated
                                 ? nlohmann::ordered_json(nullptr)
                                 : nlohmann::ordered_json(*item.previous_version);
      j["changeClass"] = manifests::ChangeClassName(i.change);
      j["held"] = item.held;
      items.push_back(std::move(j));
      if (!req.dry_run &&
          (item.action == store::Action::kCreated || item.action == store::Action::kConfigured)) {
        core.metrics.CountDeployment(item.key.kind);
      }
    }
    if (!req.dry_run) core.RefreshGauges(s);
    core.metrics.ObserveApply(req.dry_run ? "dry_run" : "success", seconds());
    nlohmann::ordered_json body{{"index", applied->state_index},
                                {"dryRun", req.dry_run},
                                {"set", req.set},
                                {"results", std::move(items)},
                                {"summary", Summary(applied->items)}};
    return JsonResponse(200, body);
  });
}

nlohmann::ordered_json YamlOf(const manifests::Object* object) {
  if (!object) return nullptr;
  return manifests::ToCanonicalYaml(*object, /*mask_secrets=*/true);
}

HttpResponse Diff(Api::Core& core, const RouteContext& ctx) {
  LoadedRequest loaded = Load(core, ctx, /*for_apply=*/false);
  if (loaded.error) return *loaded.error;
  const ApplyRequest& req = loaded.request;
  // A dry run of the apply decides every action exactly as the apply will;
  // the guards are off so that the diff shows what prune would remove.
  reconciler::ApplySetOptions options;
  options.keep_before = true;
  options.store.set = req.set;
  options.store.prune = req.prune;
  options.store.confirm_prune = true;
  options.store.dry_run = true;
  options.store.actor = ctx.principal.name;
  options.store.only_namespace = ctx.principal.ns;
  // Ownership holds as in the apply, except that an admin's diff shows what
  // a forced apply would do to a source's objects (it never needed force).
  options.store.force = ctx.principal.admin();
  return core.store.With([&](store::Store& s) {
    auto applied = reconciler::ApplySet(s, loaded.objects, options);
    if (!applied) return ErrorResponse(applied.error());
    nlohmann::ordered_json objects = nlohmann::ordered_json::array();
    for (const reconciler::AppliedItem& i : applied->items) {
      const store::ApplyItem& item = i.item;
      const manifests::Object* bp = i.before ? &*i.before : nullptr;
      bool changed = item.action != store::Action::kUnchanged;
      nlohmann::ordered_json j = KeyJson(item.key);
      j["action"] = store::ActionName(item.action);
      j["changeClass"] = manifests::ChangeClassName(i.change);
      j["versionBefore"] =
          item.previous_version ? nlohmann::ordered_json(*item.previous_version) : nullptr;
      j["versionAfter"] = item.action == store::Action::kPruned
                              ? nlohmann::ordered_json(nullptr)
                              : nlohmann::ordered_json(item.version);
      j["before"] = changed && item.action != store::Action::kCreated ? YamlOf(bp) : nullptr;
      j["after"] = changed && item.action != store::Action::kPruned ? YamlOf(i.after) : nullptr;
      j["held"] = item.held;
      objects.push_back(std::move(j));
    }
    nlohmann::ordered_json body{{"index", applied->state_index},
                                {"set", req.set},
                                {"objects", std::move(objects)},
                                {"summary", Summary(applied->items)},
                                {"removedWithoutPrune", applied->not_named},
                                {"pruneNeedsConfirm", applied->PruneNeedsConfirm()}};
    return JsonResponse(200, body);
  });
}

}  // namespace

void AddApplyRoutes(Api::Core& core) {
  core.router.Add("POST", std::string(api::path::kApply),
                  [&core](const RouteContext& c) { return Apply(core, c); });
  core.router.Add("POST", std::string(api::path::kDiff),
                  [&core](const RouteContext& c) { return Diff(core, c); });
}

}  // namespace prisn::server
