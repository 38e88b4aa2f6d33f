#pragma once
// Webhook signatures for POST /v1/hooks/NAME. Hooks carry no bearer token:
// the request proves itself with the source's hook secret, in the form its
// sender uses.
//
// A hook request is checked in two steps, so that an unauthenticated peer
// costs the daemon no more than its headers: WebhookSignatureForm (and, for
// GitLab's token, VerifyWebhook itself) from the headers alone, before any
// body byte is read; VerifyWebhook with the body, which is read only up to
// kWebhookBodyLimit. A verified delivery is then named by
// WebhookDeliveryKeys, so that a replay of it is recognised.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace prisn::server {

// The largest hook body read. Push payloads are a few KiB (GitHub caps its
// own at 25 MB, which would let any peer that knows a source's name make
// the daemon buffer 25 MB per connection); the body is not interpreted.
inline constexpr uint64_t kWebhookBodyLimit = 1ull << 20;
// How far X-Prisn-Timestamp may be from the daemon's clock, in seconds.
inline constexpr int64_t kWebhookTimestampSkew = 300;

// `headers` keys are lower case. Accepted, in this order (the first header
// present decides):
//   GitHub   X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>
//   generic  X-Prisn-Signature:   sha256=<hex HMAC-SHA256 of the body>, or,
//            with X-Prisn-Timestamp: <unix seconds>, of "<seconds>.<body>"
//   Gitea    X-Gitea-Signature:   <hex HMAC-SHA256 of the body>
//   GitLab   X-Gitlab-Token:      <the secret itself>
enum class WebhookForm { kGitHub, kPrisn, kGitea, kGitLab };

// The form a request is signed in, from its headers alone; nullopt when it
// carries no signature header, or one that cannot be right (not 64 hex
// digits, an empty token, a timestamp that is no number): such a request is
// refused before its body is read.
std::optional<WebhookForm> WebhookSignatureForm(const std::map<std::string, std::string>& headers);

// Whether the request is signed with `secret` (comparisons are
// constant-time; an empty secret verifies nothing). A generic request with
// X-Prisn-Timestamp verifies only within kWebhookTimestampSkew of `now_s`.
bool VerifyWebhook(const std::map<std::string, std::string>& headers, std::string_view body,
                   std::string_view secret, int64_t now_s);
// The same against the system clock.
bool VerifyWebhook(const std::map<std::string, std::string>& headers, std::string_view body,
                   std::string_view secret);

// What names a verified delivery (hex SHA-256 digests, 64 characters each):
// each delivery id it carries (X-GitHub-Delivery, X-Gitea-Delivery,
// X-Gitlab-Event-UUID, Idempotency-Key, X-Prisn-Delivery) and, for the HMAC
// forms, its signature. A redelivery carries the same id and body; a replay
// with the id changed or dropped still carries the same signature, which
// only the secret's holder can make for another body.
std::vector<std::string> WebhookDeliveryKeys(const std::map<std::string, std::string>& headers);

// "sha256=" + hex HMAC-SHA256(secret, body): what a sender puts in
// X-Hub-Signature-256 / X-Prisn-Signature.
std::string SignWebhook(std::string_view body, std::string_view secret);
// The generic form with a timestamp: X-Prisn-Signature for
// X-Prisn-Timestamp: `timestamp`.
std::string SignWebhook(std::string_view body, std::string_view secret, int64_t timestamp);

}  // namespace prisn::server
