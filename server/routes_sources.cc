// /v1/sources (admin only) and POST /v1/hooks/NAME (signed, no token).
#include <sodium.h>

#include "api/routes.h"
#include "api/types_sources.h"
#include "reconciler/source_manager.h"
#include "reconciler/source_spec.h"
#include "server/api_internal.h"
#include "server/webhook.h"

namespace prisn::server {
namespace {

HttpResponse SourcesAdminOnly() {
  return ErrorResponse(403, "permission", "managing sources needs an admin token");
}

std::optional<std::string> OptTime(const std::optional<int64_t>& ms) {
  return ms ? std::optional(FormatTime(*ms)) : std::nullopt;
}

// The stored spec as the API shows it: never the hook secret.
api::SourceSpecView ShownSpec(const std::string& spec_json, bool* has_hook) {
  auto stored = api::Decode<api::SourceSpecView>(api::Json::parse(spec_json, nullptr, false),
                                                 api::DecodeMode::kLenient);
  if (!stored) return {};
  *has_hook = stored->hook_secret.has_value();
  stored->hook_secret.reset();
  return std::move(*stored);
}

api::SourceView SourceViewOf(store::Store& s, const store::SourceRecord& r) {
  api::SourceView v;
  v.name = r.name;
  v.type = r.type;
  v.spec = ShownSpec(r.spec_json, &v.webhook);
  v.suspended = r.suspended;
  int64_t objects = 0;
  if (auto members = s.List({std::nullopt, std::nullopt, "source:" + r.name}))
    objects = static_cast<int64_t>(members->size());
  v.status = {r.last_fetched_commit,
              OptTime(r.last_fetched_ms),
              r.last_applied_commit,
              OptTime(r.last_applied_ms),
              objects,
              nullptr};
  if (r.last_error) v.status.last_error = api::Json::parse(*r.last_error, nullptr, false);
  v.created_at = FormatTime(r.created_ms);
  v.updated_at = FormatTime(r.updated_ms);
  v.updated_at_ms = r.updated_ms;
  return v;
}

std::string RandomSecret() {
  unsigned char raw[24];
  randombytes_buf(raw, sizeof raw);
  char hex[2 * sizeof raw + 1];
  sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
  return hex;
}

void Reload(Api::Core& core) {
  if (core.sources) core.sources->Reload();
}

Result<store::SourceRecord> Find(store::Store& s, const std::string& name) {
  auto r = s.GetSource(name);
  if (!r) return std::unexpected(r.error());
  if (!*r) return Fail(ErrorCode::kNotFound, "no such source (see prisn source ls)", name);
  return std::move(**r);
}

// POST creates; PUT (`replace`) replaces the definition of an existing source
// and keeps its webhook key unless a new one is given, its suspension and
// its status. A changed definition syncs at once.
HttpResponse CreateSource(Api::Core& core, const RouteContext& ctx, bool replace) {
  if (!ctx.principal.admin()) return SourcesAdminOnly();
  HttpResponse error;
  auto body = ParseBody<api::SourceSpecView>(ctx.request, error);
  if (!body) return error;
  if (replace) {
    const std::string& name = ctx.params.at(std::string(api::param::kName));
    if (body->name && *body->name != name)
      return ErrorResponse(400, "invalid", "the body's name differs from the path's");
    body->name = name;
  }
  // Types are checked; the source's own rules are the reconciler's.
  auto spec = reconciler::SourceSpecFromJson(nlohmann::json(api::Encode(*body)));
  if (!spec) return ErrorResponse(spec.error());
  store::SourceRecord record;
  record.name = spec->name;
  record.type = spec->type;
  return core.store.With([&](store::Store& s) {
    if (replace) {
      auto existing = Find(s, spec->name);
      if (!existing) return ErrorResponse(existing.error());
      record.suspended = existing->suspended;
      auto old = reconciler::SourceSpecFromJson(
          nlohmann::json::parse(existing->spec_json, nullptr, false));
      if (old && spec->hook_secret.empty()) spec->hook_secret = old->hook_secret;
    }
    bool generated = spec->hook_secret.empty();
    if (generated) spec->hook_secret = RandomSecret();
    record.spec_json = reconciler::SourceSpecToJson(*spec).dump();
    if (auto st = s.PutSource(record, replace, ctx.principal.name); !st)
      return ErrorResponse(st.error());
    auto stored = s.GetSource(spec->name);
    if (!stored || !*stored) return ErrorResponse(500, "internal", "the source was not stored");
    Reload(core);
    api::SourceView view = SourceViewOf(s, **stored);
    // Shown once: the key webhooks must be signed with.
    if (generated) view.hook_secret = spec->hook_secret;
    return JsonResponse(replace ? 200 : 201, api::Encode(view));
  });
}

HttpResponse ListSources(Api::Core& core, const RouteContext& ctx) {
  if (!ctx.principal.admin()) return SourcesAdminOnly();
  return core.store.With([&](store::Store& s) {
    auto list = s.ListSources();
    if (!list) return ErrorResponse(list.error());
    api::SourceList out;
    for (const store::SourceRecord& r : *list) out.items.push_back(SourceViewOf(s, r));
    return JsonResponse(200, api::Encode(out));
  });
}

HttpResponse GetSource(Api::Core& core, const RouteContext& ctx) {
  if (!ctx.principal.admin()) return SourcesAdminOnly();
  return core.store.With([&](store::Store& s) {
    auto r = Find(s, ctx.params.at(std::string(api::param::kName)));
    if (!r) return ErrorResponse(r.error());
    return JsonResponse(200, api::Encode(SourceViewOf(s, *r)));
  });
}

HttpResponse Delete(Api::Core& core, const RouteContext& ctx) {
  if (!ctx.principal.admin()) return SourcesAdminOnly();
  return core.store.With([&](store::Store& s) {
    const std::string& name = ctx.params.at(std::string(api::param::kName));
    if (auto st = s.DeleteSource(name, ctx.principal.name); !st) return ErrorResponse(st.error());
    Reload(core);
    return JsonResponse(200, api::Encode(api::SourceDeleted{name, true}));
  });
}

HttpResponse Suspend(Api::Core& core, const RouteContext& ctx, bool suspended) {
  if (!ctx.principal.admin()) return SourcesAdminOnly();
  return core.store.With([&](store::Store& s) {
    const std::string& name = ctx.params.at(std::string(api::param::kName));
    if (auto st = s.SetSourceSuspended(name, suspended, ctx.principal.name); !st)
      return ErrorResponse(st.error());
    Reload(core);
    auto r = Find(s, name);
    if (!r) return ErrorResponse(r.error());
    return JsonResponse(200, api::Encode(SourceViewOf(s, *r)));
  });
}

// Answers at once: the sync runs on the source manager's thread. Callers
// that want the outcome poll GET until updatedAtMs moves past the value
// returned here.
HttpResponse Reconcile(Api::Core& core, const RouteContext& ctx) {
  if (!ctx.principal.admin()) return SourcesAdminOnly();
  if (!core.sources) return ErrorResponse(503, "unavailable", "the source manager is not running");
  return core.store.With([&](store::Store& s) {
    auto r = Find(s, ctx.params.at(std::string(api::param::kName)));
    if (!r) return ErrorResponse(r.error());
    if (r->suspended) {
      return ErrorResponse(409, "conflict",
                           "source " + r->name + " is suspended (prisn source resume " + r->name +
                               ")");
    }
    core.sources->Request(r->name, /*force=*/true);
    return JsonResponse(202, api::Encode(api::SourceReconcileAnswer{r->name, true, r->updated_ms}));
  });
}

// A source's hook secret, when the source exists and has one.
std::optional<std::string> HookSecret(store::Store& s, const std::string& name, bool* suspended) {
  auto r = s.GetSource(name);
  if (!r || !*r) return std::nullopt;
  if (suspended) *suspended = (*r)->suspended;
  auto spec =
      reconciler::SourceSpecFromJson(nlohmann::json::parse((*r)->spec_json, nullptr, false));
  if (!spec || spec->hook_secret.empty()) return std::nullopt;
  return std::move(spec->hook_secret);
}

// Deliveries are remembered this long, at most this many per source: a
// redelivery or replay within the window syncs nothing.
constexpr int64_t kDeliveryWindowMs = 24 * 3600 * 1000;
constexpr int kDeliveriesKept = 10'000;

HttpResponse Hook(Api::Core& core, const RouteContext& ctx) {
  const std::string& name = ctx.params.at(std::string(api::param::kName));
  std::optional<std::string> secret;
  bool suspended = false;
  core.store.With([&](store::Store& s) { secret = HookSecret(s, name, &suspended); });
  if (!secret || !VerifyWebhook(ctx.request.headers, ctx.request.body, *secret)) {
    core.metrics.CountWebhook("denied");
    return WebhookDenied();
  }
  if (suspended) {
    core.metrics.CountWebhook("suspended");
    api::HookAnswer answer;
    answer.name = name;
    answer.suspended = true;
    return JsonResponse(200, api::Encode(answer));
  }
  if (!core.sources) return ErrorResponse(503, "unavailable", "the source manager is not running");
  // Remembered only once accepted: a delivery answered 503 may come again.
  auto fresh = core.store.With([&](store::Store& s) {
    return s.RememberWebhookDelivery(name, WebhookDeliveryKeys(ctx.request.headers),
                                     NowMs() - kDeliveryWindowMs, kDeliveriesKept);
  });
  if (!fresh) return ErrorResponse(fresh.error());
  if (!*fresh) {
    // 200, not an error: GitHub shows a non-2xx answer as a failed delivery,
    // and a redelivery of an accepted one did not fail.
    core.metrics.CountWebhook("duplicate");
    api::HookAnswer answer;
    answer.name = name;
    answer.duplicate = true;
    answer.message =
        "this delivery was accepted before (same delivery id or signature within 24 h): no new "
        "sync; use prisn source reconcile " +
        name + " to sync now";
    return JsonResponse(200, api::Encode(answer));
  }
  core.sources->Request(name);
  core.metrics.CountWebhook("accepted");
  api::HookAnswer answer;
  answer.name = name;
  answer.requested = true;
  return JsonResponse(202, api::Encode(answer));
}

}  // namespace

std::optional<HttpResponse> RefuseSourceOwned(Api::Core& core, store::Store& s,
                                              const store::ObjectKey& key,
                                              std::string_view acting_set, bool force) {
  auto object = s.Get(key);
  if (!object || !*object || !(*object)->apply_set) return std::nullopt;
  const std::string& set = *(*object)->apply_set;
  if (!set.starts_with("source:") || set == acting_set) return std::nullopt;
  std::string source = set.substr(7);
  if (force) {
    // The edit goes through; the source's next scheduled sync puts back what
    // it says. Marked before the edit: a forced sync of an edit that then
    // failed costs one apply of unchanged objects, nothing more.
    if (core.sources) core.sources->MarkDrifted(source);
    return std::nullopt;
  }
  std::string commit = "unknown";
  if (auto r = s.GetSource(source); r && *r && (*r)->last_applied_commit)
    commit = (*r)->last_applied_commit->substr(0, 12);
  return ErrorResponse(409, "conflict",
                       key.ToString() + " is owned by source " + source + " (commit " + commit +
                           "): change it there, or pass --force (the next sync of the source "
                           "restores what it says)");
}

HttpResponse WebhookDenied() {
  return ErrorResponse(401, "unauthenticated",
                       "the webhook signature is missing or does not match");
}

// A member of Api defined here, with the hook route it guards.
std::optional<HttpResponse> Api::AdmitHook(const std::string& source,
                                           const std::map<std::string, std::string>& headers) {
  auto form = WebhookSignatureForm(headers);
  std::optional<std::string> secret;
  if (form) core_->store.With([&](store::Store& s) { secret = HookSecret(s, source, nullptr); });
  // A GitLab token is the secret itself: checked here in full.
  bool ok = secret && (*form != WebhookForm::kGitLab || VerifyWebhook(headers, "", *secret));
  if (ok) return std::nullopt;
  core_->metrics.CountWebhook("denied");
  return WebhookDenied();
}

void AddSourceRoutes(Api::Core& core) {
  core.router.Add("POST", std::string(api::path::kSources),
                  [&core](const RouteContext& c) { return CreateSource(core, c, false); });
  core.router.Add("PUT", std::string(api::path::kSource),
                  [&core](const RouteContext& c) { return CreateSource(core, c, true); });
  core.router.Add("GET", std::string(api::path::kSources),
                  [&core](const RouteContext& c) { return ListSources(core, c); });
  core.router.Add("GET", std::string(api::path::kSource),
                  [&core](const RouteContext& c) { return GetSource(core, c); });
  core.router.Add("DELETE", std::string(api::path::kSource),
                  [&core](const RouteContext& c) { return Delete(core, c); });
  core.router.Add("POST", std::string(api::path::kSourceReconcile),
                  [&core](const RouteContext& c) { return Reconcile(core, c); });
  core.router.Add("POST", std::string(api::path::kSourceSuspend),
                  [&core](const RouteContext& c) { return Suspend(core, c, true); });
  core.router.Add("POST", std::string(api::path::kSourceResume),
                  [&core](const RouteContext& c) { return Suspend(core, c, false); });
  core.router.Add("POST", std::string(api::path::kHook),
                  [&core](const RouteContext& c) { return Hook(core, c); });
}

}  // namespace prisn::server
