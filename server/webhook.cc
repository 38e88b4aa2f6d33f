#include "server/webhook.h"

#include <sodium.h>

namespace prisn::server {
namespace {

std::string HmacHex(std::string_view body, std::string_view secret) {
  // HMAC-SHA256 with a key of any length (crypto_auth_hmacsha256 fixes it
  // at 32 bytes; the _init form takes what senders use).
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(secret.data()),
                              secret.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(body.data()),
                                body.size());
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_final(&state, mac);
  char hex[2 * sizeof mac + 1];
  sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
  return hex;
}

bool SameSecret(std::string_view a, std::string_view b) {
  if (a.size() != b.size() || a.empty()) return false;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

const std::string* Header(const std::map<std::string, std::string>& headers, const char* name) {
  auto it = headers.find(name);
  return it == headers.end() ? nullptr : &it->second;
}

}  // namespace

std::string SignWebhook(std::string_view body, std::string_view secret) {
  return "sha256=" + HmacHex(body, secret);
}

bool VerifyWebhook(const std::map<std::string, std::string>& headers, std::string_view body,
                   std::string_view secret) {
  if (secret.empty() || sodium_init() < 0) return false;
  std::string expected = HmacHex(body, secret);
  for (const char* name : {"x-hub-signature-256", "x-prisn-signature"}) {
    if (const std::string* v = Header(headers, name)) return SameSecret(*v, "sha256=" + expected);
  }
  if (const std::string* v = Header(headers, "x-gitea-signature")) return SameSecret(*v, expected);
  if (const std::string* v = Header(headers, "x-gitlab-token")) return SameSecret(*v, secret);
  return false;
}

}  // namespace prisn::server
