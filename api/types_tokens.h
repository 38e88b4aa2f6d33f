#pragma once
// API tokens: /v1/tokens (admin only) and `prisn token create --state-dir`.

#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "api/codec.h"

namespace prisn::api {

// One token as GET /v1/tokens lists it and DELETE /v1/tokens/{id} answers:
// never its hash.
struct TokenView {
  int64_t id = 0;
  std::string name;
  std::optional<std::string> ns;  // null: an admin token
  std::string created_at;
  std::optional<std::string> revoked_at;
  // The clear token: only in the answer of POST /v1/tokens, shown this once.
  std::optional<std::string> token;
};
constexpr auto Fields(std::type_identity<TokenView>) {
  return std::tuple{Field{"id", &TokenView::id},
                    Field{"name", &TokenView::name},
                    Field{"namespace", &TokenView::ns},
                    Field{"createdAt", &TokenView::created_at},
                    Field{"revokedAt", &TokenView::revoked_at},
                    Field{"token", &TokenView::token, Empty::kOmit}};
}

// GET /v1/tokens
struct TokenList {
  std::vector<TokenView> items;
};
constexpr auto Fields(std::type_identity<TokenList>) {
  return std::tuple{Field{"items", &TokenList::items}};
}

// POST /v1/tokens: a namespace token, or an admin one when namespace is null.
struct TokenCreateRequest {
  std::optional<std::string> ns;
  std::optional<std::string> name;  // for `token ls` and `token revoke`
};
constexpr auto Fields(std::type_identity<TokenCreateRequest>) {
  return std::tuple{Field{"namespace", &TokenCreateRequest::ns},
                    Field{"name", &TokenCreateRequest::name, Empty::kOmit}};
}

}  // namespace prisn::api
