// /v1/tokens: admin only.
#include "api/routes.h"
#include "api/types_tokens.h"
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
    api::TokenList list;
    for (const store::Token& t : *tokens) list.items.push_back(TokenViewOf(t));
    return JsonResponse(200, api::Encode(list));
  });
}

HttpResponse CreateToken(Api::Core& core, const RouteContext& ctx) {
  if (!ctx.principal.admin()) return AdminOnly();
  HttpResponse error;
  auto body = ParseBody<api::TokenCreateRequest>(ctx.request, error);
  if (!body) return error;
  if (body->ns && !IsDnsLabel(*body->ns)) {
    return ErrorResponse(400, "invalid",
                         "namespace must be a DNS-1123 label (lower case letters, digits, '-'), "
                         "or null for an admin token");
  }
  if (body->name && !IsTokenName(*body->name)) {
    return ErrorResponse(400, "invalid",
                         "name must be 1-63 letters, digits, '.', '_' or '-', and not all digits");
  }
  std::string token = GenerateToken();
  return core.store.With([&](store::Store& s) {
    auto created = s.CreateToken(body->name, body->ns, HashToken(token), ctx.principal.name);
    if (!created) return ErrorResponse(created.error());
    core.tokens.Add(*created);
    api::TokenView view = TokenViewOf(*created);
    view.token = token;
    return JsonResponse(201, api::Encode(view));
  });
}

HttpResponse Revoke(Api::Core& core, const RouteContext& ctx) {
  if (!ctx.principal.admin()) return AdminOnly();
  return core.store.With([&](store::Store& s) {
    auto revoked = s.RevokeToken(ctx.params.at(std::string(api::param::kId)), ctx.principal.name);
    if (!revoked) return ErrorResponse(revoked.error());
    core.tokens.Remove(revoked->id);
    return JsonResponse(200, api::Encode(TokenViewOf(*revoked)));
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
