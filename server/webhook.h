#pragma once
// Webhook signatures for POST /v1/hooks/NAME. Hooks carry no bearer token:
// the request proves itself with the source's hook secret, in the form its
// sender uses.

#include <map>
#include <string>
#include <string_view>

namespace prisn::server {

// `headers` keys are lower case. Accepted, in this order:
//   GitHub   X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>
//   Gitea    X-Gitea-Signature:   <hex HMAC-SHA256 of the body>
//   GitLab   X-Gitlab-Token:      <the secret itself>
//   generic  X-Prisn-Signature:   sha256=<hex HMAC-SHA256 of the body>
// Comparisons are constant-time. An empty secret verifies nothing.
bool VerifyWebhook(const std::map<std::string, std::string>& headers, std::string_view body,
                   std::string_view secret);

// "sha256=" + hex HMAC-SHA256(secret, body): what a sender puts in
// X-Hub-Signature-256 / X-Prisn-Signature.
std::string SignWebhook(std::string_view body, std::string_view secret);

}  // namespace prisn::server
