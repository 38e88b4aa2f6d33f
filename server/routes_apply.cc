// POST /v1/apply and POST /v1/diff: a set of manifests sent as files,
// re-validated here with the same loader as `prisn validate`.
#include <spdlog/spdlog.h>

#include <chrono>

#include "api/routes.h"
#include "api/types_apply.h"
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

// A request whose members are checked beyond their types: the set named,
// paths inside the tree, files decoded.
struct ValidApply {
  std::string set;
  bool prune = false;
  bool confirm_prune = false;
  bool dry_run = false;
  std::optional<int64_t> check_index;
  std::vector<std::string> paths;
  std::map<std::string, std::string> files;
};

Result<ValidApply> Validate(const api::ApplyRequest& body) {
  ValidApply r;
  if (body.set.empty())
    return Fail(ErrorCode::kInvalid, "set must be a non-empty string naming the apply set");
  r.set = body.set;
  if (r.set.size() > 1024) return Fail(ErrorCode::kInvalid, "set is longer than 1024 characters");
  r.prune = body.prune.value_or(false);
  r.confirm_prune = body.confirm_prune.value_or(false);
  r.dry_run = body.dry_run.value_or(false);
  if (body.check_index && *body.check_index < 0) {
    return Fail(ErrorCode::kInvalid,
                "checkIndex must be a non-negative integer (the index a diff reported), or null");
  }
  r.check_index = body.check_index;
  for (const std::string& p : body.paths.value_or(std::vector<std::string>{})) {
    auto normal = manifests::NormalizeTreePath(p);
    if (!normal)
      return Fail(ErrorCode::kInvalid, "a path must be relative and stay inside the tree", p);
    r.paths.push_back(normal->empty() ? "." : *normal);
  }
  if (r.paths.empty()) r.paths.push_back(".");
  // No files: an empty set.
  for (const auto& [path, content] : body.files.value_or(std::map<std::string, std::string>{})) {
    auto normal = manifests::NormalizeTreePath(path);
    if (!normal || normal->empty()) {
      return Fail(ErrorCode::kInvalid,
                  "a file path must be relative, name a file and stay inside the tree", path);
    }
    auto bytes = Base64Decode(content);
    if (!bytes) return Fail(ErrorCode::kInvalid, "file content is not valid base64", path);
    if (!r.files.emplace(*normal, std::move(*bytes)).second) {
      return Fail(ErrorCode::kInvalid, "two entries of files name the same path", *normal);
    }
  }
  return r;
}

struct LoadedRequest {
  ValidApply request;
  std::vector<manifests::Object> objects;
  std::optional<HttpResponse> error;
};

// Parses the body, rebuilds the tree, validates the set and checks that the
// token may touch every object in it. A diff takes no apply controls: a
// dryRun, confirmPrune or checkIndex sent to it would be silently dropped.
LoadedRequest Load(Api::Core& core, const RouteContext& ctx, bool for_apply) {
  LoadedRequest out;
  HttpResponse error;
  std::optional<api::ApplyRequest> body;
  if (for_apply) {
    body = ParseBody<api::ApplyRequest>(ctx.request, error);
  } else if (auto diff = ParseBody<api::DiffRequest>(ctx.request, error)) {
    body = api::ApplyRequest{diff->set, diff->prune, {}, {}, {}, diff->paths, diff->files};
  }
  if (!body) {
    out.error = error;
    return out;
  }
  auto request = Validate(*body);
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

api::ApplySummary Summary(const std::vector<reconciler::AppliedItem>& items) {
  std::map<store::Action, int> counts;
  for (const reconciler::AppliedItem& i : items) counts[i.item.action]++;
  return {counts[store::Action::kCreated], counts[store::Action::kConfigured],
          counts[store::Action::kUnchanged], counts[store::Action::kPruned]};
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
  const ValidApply& req = loaded.request;
  reconciler::ApplySetOptions options;
  options.store.set = req.set;
  options.store.prune = req.prune;
  options.store.confirm_prune = req.confirm_prune;
  options.store.dry_run = req.dry_run;
  options.store.check_index = req.check_index;
  options.store.actor = ctx.principal.name;
  options.store.only_namespace = ctx.principal.ns;
  auto force = QueryFlag(ctx.request, std::string(api::query::kForce));
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
    api::ApplyAnswer out{applied->state_index, req.dry_run, req.set, {}, Summary(applied->items)};
    for (const reconciler::AppliedItem& i : applied->items) {
      const store::ApplyItem& item = i.item;
      out.results.push_back({item.key.kind, item.key.ns, item.key.name,
                             std::string(store::ActionName(item.action)), item.version,
                             item.action == store::Action::kCreated
                                 ? std::nullopt
                                 : std::optional<std::string>(*item.previous_version),
                             std::string(manifests::ChangeClassName(i.change)), item.held});
      if (!req.dry_run &&
          (item.action == store::Action::kCreated || item.action == store::Action::kConfigured)) {
        core.metrics.CountDeployment(item.key.kind);
      }
    }
    if (!req.dry_run) core.RefreshGauges(s);
    core.metrics.ObserveApply(req.dry_run ? "dry_run" : "success", seconds());
    return JsonResponse(200, api::Encode(out));
  });
}

std::optional<std::string> YamlOf(const manifests::Object* object) {
  if (!object) return std::nullopt;
  return manifests::ToCanonicalYaml(*object, /*mask_secrets=*/true);
}

HttpResponse Diff(Api::Core& core, const RouteContext& ctx) {
  LoadedRequest loaded = Load(core, ctx, /*for_apply=*/false);
  if (loaded.error) return *loaded.error;
  const ValidApply& req = loaded.request;
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
    api::DiffAnswer out;
    out.index = applied->state_index;
    out.set = req.set;
    for (const reconciler::AppliedItem& i : applied->items) {
      const store::ApplyItem& item = i.item;
      const manifests::Object* bp = i.before ? &*i.before : nullptr;
      bool changed = item.action != store::Action::kUnchanged;
      api::DiffObject& o = out.objects.emplace_back();
      o.kind = item.key.kind;
      o.ns = item.key.ns;
      o.name = item.key.name;
      o.action = store::ActionName(item.action);
      o.change_class = manifests::ChangeClassName(i.change);
      o.version_before = item.previous_version;
      if (item.action != store::Action::kPruned) o.version_after = item.version;
      if (changed && item.action != store::Action::kCreated) o.before = YamlOf(bp);
      if (changed && item.action != store::Action::kPruned) o.after = YamlOf(i.after);
      o.held = item.held;
    }
    out.summary = Summary(applied->items);
    out.removed_without_prune = static_cast<int64_t>(applied->not_named);
    out.prune_needs_confirm = applied->PruneNeedsConfirm();
    return JsonResponse(200, api::Encode(out));
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
