// Object endpoints: list, get, delete, history, rollback.
#include "api/routes.h"
#include "server/api_internal.h"

namespace prisn::server {
namespace {

struct ResolvedKey {
  store::ObjectKey key;
  std::optional<HttpResponse> error;
};

// The key a /v1/namespaces/{ns}/{kind}/{name} path names, after the scope
// check (403 comes before any lookup, so nothing about other namespaces
// leaks).
ResolvedKey ResolveKey(const RouteContext& ctx) {
  ResolvedKey out;
  std::string ns = NamespaceFromSegment(ctx.params.at(std::string(api::param::kNs)));
  if (!ctx.principal.MayAccess(ns)) {
    out.error = Forbidden(ctx.principal, ns);
    return out;
  }
  auto kind = KindFromWord(ctx.params.at(std::string(api::param::kKind)));
  if (!kind) {
    out.error = ErrorResponse(kind.error());
    return out;
  }
  bool cluster_wide = *kind == manifests::Kind::kNamespace;
  if (cluster_wide != ns.empty()) {
    out.error = ErrorResponse(
        404, "not_found",
        cluster_wide ? "Namespace objects have no namespace: use /v1/namespaces/-/namespaces/NAME"
                     : "this kind lives in a namespace; \"-\" is only for Namespace objects");
    return out;
  }
  out.key = {std::string(manifests::KindName(*kind)), ns,
             ctx.params.at(std::string(api::param::kName))};
  return out;
}

HttpResponse ListObjects(Api::Core& core, const RouteContext& ctx) {
  store::ListFilter filter;
  const auto& q = ctx.request.query;
  if (auto it = q.find(std::string(api::query::kKind)); it != q.end() && !it->second.empty()) {
    auto kind = KindFromWord(it->second);
    if (!kind) return ErrorResponse(400, "invalid", kind.error().message);
    filter.kind = std::string(manifests::KindName(*kind));
  }
  if (auto it = q.find(std::string(api::query::kNamespace)); it != q.end() && !it->second.empty()) {
    filter.ns = NamespaceFromSegment(it->second);
  }
  if (!ctx.principal.admin()) {
    if (filter.ns && !ctx.principal.MayAccess(*filter.ns))
      return Forbidden(ctx.principal, *filter.ns);
    filter.ns = ctx.principal.ns;
  }
  if (auto it = q.find(std::string(api::query::kSet)); it != q.end() && !it->second.empty())
    filter.set = it->second;
  return core.store.With([&](store::Store& s) {
    auto index = s.StateIndex();
    if (!index) return ErrorResponse(index.error());
    auto objects = s.List(filter);
    if (!objects) return ErrorResponse(objects.error());
    api::ObjectList out{*index, {}};
    for (const store::StoredObject& o : *objects)
      out.items.push_back(ObjectViewOf(o, core.converger));
    return JsonResponse(200, api::Encode(out));
  });
}

HttpResponse GetObject(Api::Core& core, const RouteContext& ctx) {
  ResolvedKey r = ResolveKey(ctx);
  if (r.error) return *r.error;
  return core.store.With([&](store::Store& s) {
    auto object = s.Get(r.key);
    if (!object) return ErrorResponse(object.error());
    if (!*object)
      return ErrorResponse(Error{ErrorCode::kNotFound, "no such object", r.key.ToString()});
    return JsonResponse(200, ObjectJson(**object, core.converger));
  });
}

HttpResponse Delete(Api::Core& core, const RouteContext& ctx) {
  ResolvedKey r = ResolveKey(ctx);
  if (r.error) return *r.error;
  auto dry_run = QueryFlag(ctx.request, std::string(api::query::kDryRun));
  if (!dry_run) return ErrorResponse(dry_run.error());
  auto force = QueryFlag(ctx.request, std::string(api::query::kForce));
  if (!force) return ErrorResponse(force.error());
  return core.store.With([&](store::Store& s) {
    if (auto refused = RefuseSourceOwned(core, s, r.key, "", *force)) return *refused;
    int64_t index = 0;
    auto deleted = s.Delete(r.key, *dry_run, ctx.principal.name, &index);
    if (!deleted) return ErrorResponse(deleted.error());
    if (!*dry_run) {
      core.RefreshGauges(s);
      if (core.converger) core.converger->Wake(r.key);
    }
    api::DeleteAnswer out{index, *dry_run, {r.key.kind, r.key.ns, r.key.name, deleted->version}};
    return JsonResponse(200, api::Encode(out));
  });
}

HttpResponse History(Api::Core& core, const RouteContext& ctx) {
  ResolvedKey r = ResolveKey(ctx);
  if (r.error) return *r.error;
  return core.store.With([&](store::Store& s) {
    auto revisions = s.History(r.key);
    if (!revisions) return ErrorResponse(revisions.error());
    api::HistoryAnswer out;
    for (const store::Revision& rev : *revisions) {
      out.items.push_back({rev.version, rev.generation, rev.applied_by, FormatTime(rev.created_ms),
                           rev.current, rev.sources});
    }
    return JsonResponse(200, api::Encode(out));
  });
}

HttpResponse Rollback(Api::Core& core, const RouteContext& ctx) {
  ResolvedKey r = ResolveKey(ctx);
  if (r.error) return *r.error;
  std::optional<std::string> version;
  bool release = false;
  if (!ctx.request.body.empty()) {
    HttpResponse error;
    auto body = ParseBody<api::RollbackRequest>(ctx.request, error);
    if (!body) return error;
    version = body->version;
    release = body->release.value_or(false);
  }
  if (release && version)
    return ErrorResponse(400, "invalid", "give either version or release, not both");
  return core.store.With([&](store::Store& s) {
    // A namespace token may not bring back a version that asks for host
    // privileges (an admin's level 0 revision): restoring it would run that
    // version on the namespace token's say. Checked under the same lock as
    // the restore, so the version checked is the version restored.
    if (!ctx.principal.admin()) {
      auto spec = s.RestoreTargetSpec(r.key, version, release);
      if (!spec) return ErrorResponse(spec.error());
      if (auto host = CheckHostAccess(ctx.principal, core.info.host_access, r.key, *spec); !host)
        return ErrorResponse(host.error());
    }
    auto done = release ? s.Release(r.key, ctx.principal.name)
                        : s.Rollback(r.key, version, ctx.principal.name);
    if (!done) return ErrorResponse(done.error());
    core.metrics.CountDeployment(r.key.kind);
    core.RefreshGauges(s);
    if (core.converger) core.converger->Wake(r.key);
    auto object = s.Get(r.key);
    if (!object || !*object)
      return ErrorResponse(Error{ErrorCode::kInternal, "the object vanished", r.key.ToString()});
    api::RollbackAnswer out{done->state_index, ObjectViewOf(**object), done->from_version,
                            done->to_version};
    return JsonResponse(200, api::Encode(out));
  });
}

}  // namespace

void AddObjectRoutes(Api::Core& core) {
  core.router.Add("GET", std::string(api::path::kObjects),
                  [&core](const RouteContext& c) { return ListObjects(core, c); });
  core.router.Add("GET", std::string(api::path::kObject),
                  [&core](const RouteContext& c) { return GetObject(core, c); });
  core.router.Add("DELETE", std::string(api::path::kObject),
                  [&core](const RouteContext& c) { return Delete(core, c); });
  core.router.Add("GET", std::string(api::path::kObjectHistory),
                  [&core](const RouteContext& c) { return History(core, c); });
  core.router.Add("POST", std::string(api::path::kObjectRollback),
                  [&core](const RouteContext& c) { return Rollback(core, c); });
}

}  // namespace prisn::server
