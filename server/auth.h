#pragma once
// API tokens: generation, hashing, and the in-memory registry of valid
// tokens that every request is checked against before routing. The registry
// mirrors the store's tokens table; the clear token never leaves the request
// that created it.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reconciler/store.h"
#include "util/synchronized.h"

namespace prisn::server {

// Who a request acts as.
struct Principal {
  int64_t token_id = 0;
  std::string name;               // the token's name: the actor in events
  std::optional<std::string> ns;  // nullopt: admin

  bool admin() const { return !ns.has_value(); }
  // May this principal see or change objects in namespace `object_ns`?
  // Objects without a namespace ("") are admin-only.
  bool MayAccess(std::string_view object_ns) const { return admin() || *ns == object_ns; }
};

// "prisn_" + 43 URL-safe base64 characters (32 random bytes).
std::string GenerateToken();
// BLAKE2b-256 of the token, raw bytes: what the store keeps.
std::string HashToken(std::string_view token);

class TokenRegistry {
 public:
  // Replaces the registry with the store's live (not revoked) tokens.
  void Load(const std::vector<store::Token>& tokens);
  void Add(const store::Token& token);
  void Remove(int64_t token_id);
  // The principal of a header value "Bearer prisn_..."; nullopt when the
  // header is malformed or the token unknown or revoked.
  std::optional<Principal> Authenticate(std::string_view authorization) const;

 private:
  Synchronized<std::map<std::string, Principal>> by_hash_;
};

}  // namespace prisn::server
