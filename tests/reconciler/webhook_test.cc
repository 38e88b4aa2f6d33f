// Webhook signatures (server/webhook.h): each sender's form, good and bad.
#include "server/webhook.h"

#include <catch2/catch.hpp>

namespace prisn::server {
namespace {

constexpr char kBody[] = R"({"ref":"refs/heads/main"})";
constexpr char kSecret[] = "s3cret";

TEST_CASE("webhook: GitHub and generic sha256 signatures verify only with the right key") {
  std::string good = SignWebhook(kBody, kSecret);
  CHECK(good.starts_with("sha256="));
  // RFC 4231-style known answer: HMAC-SHA256("key", "The quick brown fox...").
  CHECK(SignWebhook("The quick brown fox jumps over the lazy dog", "key") ==
        "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
  CHECK(VerifyWebhook({{"x-hub-signature-256", good}}, kBody, kSecret));
  CHECK(VerifyWebhook({{"x-prisn-signature", good}}, kBody, kSecret));
  CHECK(!VerifyWebhook({{"x-hub-signature-256", good}}, kBody, "other"));
  CHECK(!VerifyWebhook({{"x-hub-signature-256", good}}, std::string(kBody) + " ", kSecret));
  CHECK(!VerifyWebhook({{"x-hub-signature-256", good.substr(7)}}, kBody, kSecret));
  CHECK(!VerifyWebhook({}, kBody, kSecret));
}

TEST_CASE("webhook: Gitea hex signatures and GitLab tokens") {
  std::string hex = SignWebhook(kBody, kSecret).substr(7);
  CHECK(VerifyWebhook({{"x-gitea-signature", hex}}, kBody, kSecret));
  CHECK(!VerifyWebhook({{"x-gitea-signature", hex}}, "{}", kSecret));
  CHECK(VerifyWebhook({{"x-gitlab-token", kSecret}}, kBody, kSecret));
  CHECK(!VerifyWebhook({{"x-gitlab-token", "s3cre"}}, kBody, kSecret));
}

TEST_CASE("webhook: an empty hook secret verifies nothing") {
  CHECK(!VerifyWebhook({{"x-gitlab-token", ""}}, kBody, ""));
  CHECK(!VerifyWebhook({{"x-hub-signature-256", SignWebhook(kBody, "")}}, kBody, ""));
}

}  // namespace
}  // namespace prisn::server
