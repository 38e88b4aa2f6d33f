#include "server/auth.h"

#include <sodium.h>

#include "reconciler/secret_box.h"

namespace prisn::server {

std::string GenerateToken() {
  EnsureSodium();
  unsigned char raw[32];
  randombytes_buf(raw, sizeof raw);
  constexpr int kVariant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::string encoded(sodium_base64_encoded_len(sizeof raw, kVariant), '\0');
  sodium_bin2base64(encoded.data(), encoded.size(), raw, sizeof raw, kVariant);
  encoded.resize(encoded.size() - 1);  // the terminating NUL
  sodium_memzero(raw, sizeof raw);
  return "prisn_" + encoded;
}

std::string HashToken(std::string_view token) {
  EnsureSodium();
  std::string out(crypto_generichash_BYTES, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(out.data()), out.size(),
                     reinterpret_cast<const unsigned char*>(token.data()), token.size(), nullptr,
                     0);
  return out;
}

void TokenRegistry::Load(const std::vector<store::Token>& tokens) {
  by_hash_.With([&](auto& map) {
    map.clear();
    for (const store::Token& t : tokens) {
      if (!t.revoked_ms) map[t.hash] = Principal{t.id, t.name, t.ns};
    }
  });
}

void TokenRegistry::Add(const store::Token& t) {
  if (t.revoked_ms) return;
  by_hash_.With([&](auto& map) { map[t.hash] = Principal{t.id, t.name, t.ns}; });
}

void TokenRegistry::Remove(int64_t token_id) {
  by_hash_.With([&](auto& map) {
    std::erase_if(map, [&](const auto& kv) { return kv.second.token_id == token_id; });
  });
}

std::optional<Principal> TokenRegistry::Authenticate(std::string_view authorization) const {
  constexpr std::string_view kScheme = "Bearer ";
  if (authorization.size() <= kScheme.size()) return std::nullopt;
  // The scheme name is case-insensitive (RFC 7235).
  for (size_t i = 0; i + 1 < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(authorization[i])) !=
        std::tolower(static_cast<unsigned char>(kScheme[i]))) {
      return std::nullopt;
    }
  }
  if (authorization[kScheme.size() - 1] != ' ') return std::nullopt;
  std::string_view token = authorization.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  if (!token.starts_with("prisn_") || token.size() > 256) return std::nullopt;
  std::string hash = HashToken(token);
  return by_hash_.With([&](const auto& map) -> std::optional<Principal> {
    auto it = map.find(hash);
    if (it == map.end()) return std::nullopt;
    return it->second;
  });
}

}  // namespace prisn::server
