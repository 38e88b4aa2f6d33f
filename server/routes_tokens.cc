// /v1/tokens: admin only.
#include "api/routes.h"
#include "server/api_internal.h"
#include "server/token_mint.h"
#include "util/strings.h"

namespace prisn::server {
namespace {

HttpResponse AdminOnly() {
  return ErrorResponse(403, "permission", "managing tokens needs an admin token");
}

HttpResponse ListTokens(Api::Core& core, const RouteContext& ctx) {
  if (!ctx.principal.admin()) return AdminOnly();
  return core.store.With([&](store::Store& s) {
    auto tokens = s.ListTokens();
    if (!tokens) return ErrorResponse(tokens.error());
    nlohmann::ordered_json items = nlohmann::ordered_json::array();
    for (const store::Token& t : *tokens) items.push_back(TokenJson(t));
    return JsonResponse(200, nlohmann::ordered_json{{"items", std::move(items)}});
  });
}

HttpResponse CreateToken(Api::Core& core, const RouteContext& ctx) {
  if (!ctx.principal.admin()) return AdminOnly();
  HttpResponse error;
  auto body = ParseBody(ctx.request, error, {"namespace", "name"});
  if (!body) return error;
  std::optional<std::string> ns, name;
  if (auto it = body->find("namespace"); it != body->end() && !it->is_null()) {
    if (!it->is_string() || !IsDnsLabel(it->get<std::string>())) {
      return ErrorResponse(400, "invalid",
                           "namespace must be a DNS-1123 label (lower case letters, digits, '-'), "
                           "or null for an admin token");
    }
    ns = it->get<std::string>();
  }
  if (auto it = body->find("name"); it != body->end() && !it->is_null()) {
    if (!it->is_string() || !IsTokenName(it->get<std::string>())) {
      return ErrorResponse(
          400, "invalid", "name must be 1-63 letters, digits, '.', '_' or '-', and not all digits");
    }
    name = it->get<std::string>();
  }
  std::string token = GenerateToken();
  return core.store.With([&](store::Store& s) {
    auto created = s.CreateToken(name, ns, HashToken(token), ctx.principal.name);
    if (!created) return ErrorResponse(created.error());
    core.tokens.Add(*created);
    nlohmann::ordered_json j = TokenJson(*created);
    j["token"] = token;
    return JsonResponse(201, j);
  });
}

HttpResponse Revoke(Api::Core& core, const RouteContext& ctx) {
  if (!ctx.principal.admin()) return AdminOnly();
  return core.store.With([&](store::Store& s) {
    auto revoked = s.RevokeToken(ctx.params.at("id"), ctx.principal.name);
    if (!revoked) return ErrorResponse(revoked.error());
    core.tokens.Remove(revoked->id);
    return JsonResponse(200, TokenJson(*revoked));
  });
}

}  // namespace

void AddTokenRoutes(Api::Core& core) {
  core.router.Add("GET", std::string(api::path::kTokens),
                  [&core](const RouteContext& c) { return ListTokens(core, c); });
  core.router.Add("POST", std::string(api::path::kTokens),
                  [&core](const RouteContext& c) { return CreateToken(core, c); });
  core.router.Add("DELETE", std::string(api::path::kToken),
                  [&core](const RouteContext& c) { return Revoke(core, c); });
}

}  // namespace prisn::server
