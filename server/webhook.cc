#include "server/webhook.h"

#include <sodium.h>

#include <algorithm>
#include <charconv>
#include <chrono>

namespace prisn::server {
namespace {

std::string Hex(const unsigned char* data, size_t size) {
  std::string hex(2 * size + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), data, size);
  hex.pop_back();
  return hex;
}

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
  return Hex(mac, sizeof mac);
}

bool SameSecret(std::string_view a, std::string_view b) {
  if (a.size() != b.size() || a.empty()) return false;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

const std::string* Header(const std::map<std::string, std::string>& headers, const char* name) {
  auto it = headers.find(name);
  return it == headers.end() ? nullptr : &it->second;
}

bool IsHex64(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    bool digit = c >= '0' && c <= '9';
    bool letter = (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (!digit && !letter) return false;
  }
  return true;
}

// X-Prisn-Timestamp: nullopt when absent; false in `ok` when present but no
// plain decimal number of seconds.
std::optional<int64_t> Timestamp(const std::map<std::string, std::string>& headers, bool& ok) {
  ok = true;
  const std::string* v = Header(headers, "x-prisn-timestamp");
  if (!v) return std::nullopt;
  int64_t seconds = 0;
  auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), seconds);
  if (ec != std::errc() || end != v->data() + v->size() || v->empty() || v->size() > 12 ||
      seconds < 0) {
    ok = false;
    return std::nullopt;
  }
  return seconds;
}

// The header that carries the signature in `form`.
const char* SignatureHeader(WebhookForm form) {
  switch (form) {
    case WebhookForm::kGitHub:
      return "x-hub-signature-256";
    case WebhookForm::kPrisn:
      return "x-prisn-signature";
    case WebhookForm::kGitea:
      return "x-gitea-signature";
    case WebhookForm::kGitLab:
      return "x-gitlab-token";
  }
  return "";
}

// The form whose header is present first in the documented order, whether
// or not its value is well formed.
std::optional<WebhookForm> PresentForm(const std::map<std::string, std::string>& headers) {
  for (WebhookForm form :
       {WebhookForm::kGitHub, WebhookForm::kPrisn, WebhookForm::kGitea, WebhookForm::kGitLab}) {
    if (Header(headers, SignatureHeader(form))) return form;
  }
  return std::nullopt;
}

std::string Sha256Hex(std::string_view text) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  return Hex(digest, sizeof digest);
}

}  // namespace

std::string SignWebhook(std::string_view body, std::string_view secret) {
  return "sha256=" + HmacHex(body, secret);
}

std::string SignWebhook(std::string_view body, std::string_view secret, int64_t timestamp) {
  std::string signed_text = std::to_string(timestamp) + ".";
  signed_text.append(body);
  return SignWebhook(signed_text, secret);
}

std::optional<WebhookForm> WebhookSignatureForm(
    const std::map<std::string, std::string>& headers) {
  auto form = PresentForm(headers);
  if (!form) return std::nullopt;
  const std::string& value = *Header(headers, SignatureHeader(*form));
  switch (*form) {
    case WebhookForm::kGitHub:
      return value.starts_with("sha256=") && IsHex64(std::string_view(value).substr(7))
                 ? form
                 : std::nullopt;
    case WebhookForm::kPrisn: {
      bool ok = true;
      Timestamp(headers, ok);
      return ok && value.starts_with("sha256=") && IsHex64(std::string_view(value).substr(7))
                 ? form
                 : std::nullopt;
    }
    case WebhookForm::kGitea:
      return IsHex64(value) ? form : std::nullopt;
    case WebhookForm::kGitLab:
      return value.empty() ? std::nullopt : form;
  }
  return std::nullopt;
}

bool VerifyWebhook(const std::map<std::string, std::string>& headers, std::string_view body,
                   std::string_view secret, int64_t now_s) {
  if (secret.empty() || sodium_init() < 0) return false;
  auto form = PresentForm(headers);
  if (!form) return false;
  const std::string& value = *Header(headers, SignatureHeader(*form));
  switch (*form) {
    case WebhookForm::kGitHub:
      return SameSecret(value, SignWebhook(body, secret));
    case WebhookForm::kPrisn: {
      bool ok = true;
      auto timestamp = Timestamp(headers, ok);
      if (!ok) return false;
      if (!timestamp) return SameSecret(value, SignWebhook(body, secret));
      // Compared first, so that the clock check says nothing to a caller
      // without the secret.
      if (!SameSecret(value, SignWebhook(body, secret, *timestamp))) return false;
      return *timestamp >= now_s - kWebhookTimestampSkew &&
             *timestamp <= now_s + kWebhookTimestampSkew;
    }
    case WebhookForm::kGitea:
      return SameSecret(value, HmacHex(body, secret));
    case WebhookForm::kGitLab:
      return SameSecret(value, secret);
  }
  return false;
}

bool VerifyWebhook(const std::map<std::string, std::string>& headers, std::string_view body,
                   std::string_view secret) {
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  return VerifyWebhook(headers, body, secret, static_cast<int64_t>(now));
}

std::vector<std::string> WebhookDeliveryKeys(const std::map<std::string, std::string>& headers) {
  std::vector<std::string> keys;
  for (const char* name : {"x-github-delivery", "x-gitea-delivery", "x-gitlab-event-uuid",
                           "idempotency-key", "x-prisn-delivery"}) {
    const std::string* v = Header(headers, name);
    // One id under two headers (GitLab sends both) is one key.
    if (v && !v->empty()) {
      std::string key = Sha256Hex("id:" + *v);
      if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(std::move(key));
    }
  }
  auto form = PresentForm(headers);
  if (form && *form != WebhookForm::kGitLab) {
    // A timestamped generic signature covers the timestamp: a sender that
    // posts the same body twice signs two different texts.
    keys.push_back(Sha256Hex("signature:" + *Header(headers, SignatureHeader(*form))));
  }
  return keys;
}

}  // namespace prisn::server
