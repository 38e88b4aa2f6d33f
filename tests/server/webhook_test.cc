// Webhook signatures (server/webhook.h): each sender's form, good and bad;
// what is refused from the headers alone; what names a delivery, and the
// store's memory of deliveries (a replay is recognised).
#include "server/webhook.h"

#include <catch2/catch.hpp>

#include "tests/reconciler/store_fixture.h"

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

TEST_CASE(
    "webhook: the signature form is read from the headers alone, and a malformed one is none") {
  std::string good = SignWebhook(kBody, kSecret);
  std::string hex = good.substr(7);
  using H = std::map<std::string, std::string>;
  CHECK(WebhookSignatureForm(H{{"x-hub-signature-256", good}}) == WebhookForm::kGitHub);
  CHECK(WebhookSignatureForm(H{{"x-prisn-signature", good}}) == WebhookForm::kPrisn);
  CHECK(WebhookSignatureForm(H{{"x-prisn-signature", good}, {"x-prisn-timestamp", "1700000000"}}) ==
        WebhookForm::kPrisn);
  CHECK(WebhookSignatureForm(H{{"x-gitea-signature", hex}}) == WebhookForm::kGitea);
  CHECK(WebhookSignatureForm(H{{"x-gitlab-token", "t"}}) == WebhookForm::kGitLab);
  // The first header in the documented order decides.
  CHECK(WebhookSignatureForm(H{{"x-gitlab-token", "t"}, {"x-hub-signature-256", good}}) ==
        WebhookForm::kGitHub);
  for (const H& bad : std::vector<H>{{},
                                     {{"x-hub-signature-256", hex}},
                                     {{"x-hub-signature-256", "sha256=" + hex.substr(1)}},
                                     {{"x-hub-signature-256", "sha256=" + hex + "0"}},
                                     {{"x-hub-signature-256", "sha256=" + std::string(64, 'g')}},
                                     {{"x-gitea-signature", good}},
                                     {{"x-gitlab-token", ""}},
                                     {{"x-prisn-signature", good}, {"x-prisn-timestamp", "-5"}},
                                     {{"x-prisn-signature", good}, {"x-prisn-timestamp", "12x"}},
                                     {{"authorization", "Bearer x"}}}) {
    INFO(bad.size());
    CHECK(!WebhookSignatureForm(bad));
  }
}

TEST_CASE("webhook: a generic signature with a timestamp covers it and holds within 5 minutes") {
  const int64_t now = 1'700'000'000;
  std::string signed_now = SignWebhook(kBody, kSecret, now);
  CHECK(signed_now != SignWebhook(kBody, kSecret));
  using H = std::map<std::string, std::string>;
  H headers{{"x-prisn-signature", signed_now}, {"x-prisn-timestamp", std::to_string(now)}};
  CHECK(VerifyWebhook(headers, kBody, kSecret, now));
  CHECK(VerifyWebhook(headers, kBody, kSecret, now + kWebhookTimestampSkew));
  CHECK(VerifyWebhook(headers, kBody, kSecret, now - kWebhookTimestampSkew));
  CHECK(!VerifyWebhook(headers, kBody, kSecret, now + kWebhookTimestampSkew + 1));
  CHECK(!VerifyWebhook(headers, kBody, kSecret, now - kWebhookTimestampSkew - 1));
  // Moving the timestamp breaks the signature.
  H moved = headers;
  moved["x-prisn-timestamp"] = std::to_string(now + 10);
  CHECK(!VerifyWebhook(moved, kBody, kSecret, now));
  // The body-only signature no longer holds once a timestamp is sent.
  CHECK(!VerifyWebhook(H{{"x-prisn-signature", SignWebhook(kBody, kSecret)},
                         {"x-prisn-timestamp", std::to_string(now)}},
                       kBody, kSecret, now));
}

TEST_CASE("webhook: a delivery is named by its ids and its signature, whatever id it carries") {
  using H = std::map<std::string, std::string>;
  std::string sig = SignWebhook(kBody, kSecret);
  auto github = WebhookDeliveryKeys(H{{"x-hub-signature-256", sig}, {"x-github-delivery", "d-1"}});
  REQUIRE(github.size() == 2);
  for (const std::string& k : github) CHECK(k.size() == 64);
  // A redelivery: the same id and signature.
  CHECK(WebhookDeliveryKeys(H{{"x-hub-signature-256", sig}, {"x-github-delivery", "d-1"}}) ==
        github);
  // A replay with another id, or none, still shares the signature's key.
  auto other_id = WebhookDeliveryKeys(H{{"x-hub-signature-256", sig}, {"x-github-delivery", "x"}});
  CHECK(other_id[1] == github[1]);
  CHECK(other_id[0] != github[0]);
  CHECK(WebhookDeliveryKeys(H{{"x-hub-signature-256", sig}}) == std::vector{github[1]});
  // GitLab: the token is no signature; its ids (one id under two headers is one key).
  auto gitlab = WebhookDeliveryKeys(
      H{{"x-gitlab-token", kSecret}, {"x-gitlab-event-uuid", "u"}, {"idempotency-key", "u"}});
  CHECK(gitlab.size() == 1);
  CHECK(WebhookDeliveryKeys(H{{"x-gitlab-token", kSecret}}).empty());
  CHECK(WebhookDeliveryKeys(H{{"x-gitea-signature", sig.substr(7)}, {"x-gitea-delivery", "g"}})
            .size() == 2);
}

TEST_CASE("webhook: the store remembers a delivery for the window, bounded per source") {
  store::testing::StoreFixture f;
  const int64_t day = 24 * 3600 * 1000;
  auto remember = [&](const std::string& source, std::vector<std::string> keys, int keep = 100) {
    auto r = f.store.RememberWebhookDelivery(source, keys, f.clock_ms - day, keep);
    REQUIRE(r);
    return *r;
  };
  CHECK(remember("site", {"id-a", "sig-a"}));
  CHECK(!remember("site", {"id-a", "sig-a"}));  // a redelivery
  CHECK(!remember("site", {"id-b", "sig-a"}));  // a replay with a new id
  CHECK(!remember("site", {"sig-a"}));          // ... or none
  CHECK(remember("other", {"id-a", "sig-a"}));  // per source
  CHECK(remember("site", {"id-c", "sig-c"}));
  CHECK(remember("site", {}));  // nothing to name it by: nothing to refuse
  f.clock_ms += day + 1;
  CHECK(remember("site", {"id-a", "sig-a"}));  // the window passed
  // At most `keep` rows per source: the oldest go first.
  for (int i = 0; i < 5; ++i) {
    f.clock_ms += 1;
    CHECK(remember("busy", {"k" + std::to_string(i)}, 3));
  }
  f.clock_ms += 1;
  CHECK(remember("busy", {"k0"}, 3));  // k0 and k1 were dropped
  f.clock_ms += 1;
  CHECK(remember("busy", {"k1"}, 3));
  CHECK(!remember("busy", {"k4"}, 3));  // the newest stay
}

}  // namespace
}  // namespace prisn::server
