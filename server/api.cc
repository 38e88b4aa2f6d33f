#include "server/api.h"

#include <spdlog/spdlog.h>

#include <exception>

#include "api/routes.h"
#include "api/types_server.h"
#include "server/api_internal.h"
#include "server/webhook.h"

namespace prisn::server {

void Api::Core::RefreshGauges(store::Store& s) {
  if (auto counts = s.CountObjects(std::nullopt)) metrics.SetObjects(*counts);
  if (auto index = s.StateIndex()) metrics.SetStateIndex(*index);
}

namespace {

void AddStateRoutes(Api::Core& core) {
  core.router.Add("GET", std::string(api::path::kMetrics), [&core](const RouteContext& ctx) {
    if (!ctx.principal.admin())
      return ErrorResponse(403, "permission", "/metrics needs an admin token");
    HttpResponse r;
    r.body = core.metrics.Serialize();
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    return r;
  });
  core.router.Add("GET", std::string(api::path::kState), [&core](const RouteContext& ctx) {
    return core.store.With([&](store::Store& s) {
      auto index = s.StateIndex();
      if (!index) return ErrorResponse(index.error());
      auto counts = s.CountObjects(ctx.principal.ns);
      if (!counts) return ErrorResponse(counts.error());
      api::StateSummary out;
      out.index = *index;
      for (const auto& [kind, n] : *counts) {
        out.objects[kind] = n;
        out.total += n;
      }
      return JsonResponse(200, api::Encode(out));
    });
  });
}

}  // namespace

Api::Api(store::Store store, ApiInfo info)
    : core_(std::make_unique<Core>(std::move(store), std::move(info))) {
  core_->store.With([&](store::Store& s) {
    core_->store_probe = s.Probe();
    if (auto tokens = s.ListTokens()) core_->tokens.Load(*tokens);
    core_->RefreshGauges(s);
  });
  AddStateRoutes(*core_);
  AddApplyRoutes(*core_);
  // Before the object routes: /v1/namespaces/{ns}/endpoints/{name} has the
  // shape of an object path, and the first route added wins.
  AddNetworkRoutes(*core_);
  AddObjectRoutes(*core_);
  AddEventRoutes(*core_);
  AddSecretRoutes(*core_);
  AddTokenRoutes(*core_);
  AddWorkloadRoutes(*core_);
  AddRunRoutes(*core_);
  AddSourceRoutes(*core_);
}

Api::~Api() = default;

Metrics& Api::metrics() { return core_->metrics; }
Synchronized<store::Store>& Api::store() { return core_->store; }
void Api::SetConverger(reconciler::Converger* converger) { core_->converger = converger; }
void Api::SetBackend(reconciler::Backend* backend) { core_->backend = backend; }
void Api::SetSourceManager(reconciler::SourceManager* sources) { core_->sources = sources; }
void Api::SetNetwork(Network* network) { core_->network = network; }

Api::Admission Api::Admit(std::string_view method, std::string_view target,
                          std::string_view authorization,
                          std::optional<uint64_t> content_length) const {
  Admission a;
  HttpRequest parsed;
  auto target_ok = ParseTarget(target, parsed);
  if (target_ok && method == "GET" && parsed.path == api::path::kHealth) {
    a.health = true;
    return a;
  }
  // Webhooks carry no token: AdmitHook and their handler check the source's
  // signature. The principal may touch no namespace and is no admin. Nothing
  // of the body is read before those checks, and never more than a hook's
  // limit: any peer can reach this.
  if (target_ok && method == "POST" && parsed.path.starts_with("/v1/hooks/")) {
    std::string name = parsed.path.substr(10);
    if (name.empty() || name.find('/') != std::string::npos) {
      a.reject = WebhookDenied();
      return a;
    }
    a.body_limit = kWebhookBodyLimit;
    if (content_length && *content_length > a.body_limit) {
      a.reject = ErrorResponse(413, "too_large",
                               "the request body (" + std::to_string(*content_length) +
                                   " bytes) exceeds the " + std::to_string(a.body_limit >> 20) +
                                   " MiB limit of webhooks");
      return a;
    }
    a.principal = Principal{0, "webhook", std::string(kWebhookScope)};
    a.hook = std::move(name);
    return a;
  }
  // Authentication comes before anything that depends on the path, so an
  // unauthenticated client learns nothing about which routes exist.
  a.principal = core_->tokens.Authenticate(authorization);
  if (!a.principal) {
    HttpResponse r = ErrorResponse(
        401, "unauthenticated",
        authorization.empty() ? "this request needs a token: Authorization: Bearer prisn_..."
                              : "the token is not valid (unknown, revoked or malformed)");
    r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"prisn\"");
    a.reject = std::move(r);
    return a;
  }
  if (!target_ok) {
    a.reject = ErrorResponse(target_ok.error());
    return a;
  }
  if (parsed.path == api::path::kApply || parsed.path == api::path::kDiff ||
      parsed.path == api::path::kRuns)
    a.body_limit = kApplyBodyLimit;
  if (content_length && *content_length > a.body_limit) {
    a.reject = ErrorResponse(413, "too_large",
                             "the request body (" + std::to_string(*content_length) +
                                 " bytes) exceeds the " + std::to_string(a.body_limit >> 20) +
                                 " MiB limit of " + parsed.path);
  }
  return a;
}

HttpResponse Api::Handle(std::string_view method, std::string_view target, std::string body,
                         const Principal& principal,
                         const std::map<std::string, std::string>& headers) {
  HttpRequest request;
  request.method = std::string(method);
  request.body = std::move(body);
  request.headers = headers;
  if (auto ok = ParseTarget(target, request); !ok) return ErrorResponse(ok.error());
  Router::Match match = core_->router.Find(method, request.path);
  if (!match.handler) {
    if (match.allowed.empty()) {
      return ErrorResponse(404, "not_found",
                           "no such endpoint: " + request.method + " " + request.path +
                               " (the API is described in docs/API.md)");
    }
    std::string allow;
    for (const std::string& m : match.allowed) allow += (allow.empty() ? "" : ", ") + m;
    HttpResponse r = ErrorResponse(
        405, "method_not_allowed",
        request.method + " is not allowed on " + request.path + " (allowed: " + allow + ")");
    r.headers.emplace_back("Allow", allow);
    r.route = match.pattern;
    return r;
  }
  HttpResponse response;
  if (auto refused = CheckRequestShape(method, match.pattern, request)) {
    refused->route = match.pattern;
    return *refused;
  }
  try {
    response = (*match.handler)(RouteContext{request, principal, std::move(match.params)});
  } catch (const std::exception& e) {
    spdlog::error("{} {}: unexpected exception: {}", request.method, match.pattern, e.what());
    response = ErrorResponse(500, "internal", std::string("internal error: ") + e.what());
  }
  response.route = match.pattern;
  return response;
}

HttpResponse Api::Health() const {
  int64_t now = NowMs();
  // A daemon whose store fails answers nothing right: say so, so that a
  // supervisor or load balancer stops sending it work.
  if (auto store = core_->store_probe ? core_->store_probe->Check() : Status{}; !store) {
    api::HealthFailing body{"failing", store.error().ToString(), core_->info.version,
                            core_->info.pid};
    HttpResponse r = JsonResponse(503, api::Encode(body));
    r.route = std::string(api::path::kHealth);
    return r;
  }
  api::Health body{"ok", core_->info.version, core_->info.pid, FormatTime(core_->info.started_ms),
                   static_cast<double>(now - core_->info.started_ms) / 1000.0};
  HttpResponse r = JsonResponse(200, api::Encode(body));
  r.route = std::string(api::path::kHealth);
  return r;
}

Status Api::RecordEvent(const std::string& type, const std::string& message) {
  return core_->store.With([&](store::Store& s) { return s.RecordEvent(type, message, "prisn"); });
}

Result<std::optional<std::string>> Api::EnsureAdminToken() {
  return core_->store.With([&](store::Store& s) -> Result<std::optional<std::string>> {
    auto tokens = s.ListTokens();
    if (!tokens) return std::unexpected(tokens.error());
    if (!tokens->empty()) return std::optional<std::string>();
    std::string token = GenerateToken();
    auto created = s.CreateToken(std::string("admin"), std::nullopt, HashToken(token), "prisn");
    if (!created) return std::unexpected(created.error());
    core_->tokens.Add(*created);
    return std::optional<std::string>(token);
  });
}

}  // namespace prisn::server
