#include <catch2/catch.hpp>

#include "server/api_internal.h"

namespace prisn::server {
namespace {

TEST_CASE("FormatTime writes RFC 3339 UTC with milliseconds") {
  CHECK(FormatTime(0) == "1970-01-01T00:00:00.000Z");
  CHECK(FormatTime(1705833000123) == "2024-01-21T10:30:00.123Z");
}

TEST_CASE("ParseSince takes RFC 3339 times and durations back from now") {
  const int64_t now = 1705833000000;
  CHECK(*ParseSince("2024-01-21T10:30:00Z", now) == 1705833000000);
  CHECK(*ParseSince("2024-01-21T10:30:00.5Z", now) == 1705833000500);
  CHECK(*ParseSince("2024-01-21T12:30:00+02:00", now) == 1705833000000);
  CHECK(*ParseSince("30s", now) == now - 30000);
  CHECK(*ParseSince("15m", now) == now - 900000);
  CHECK(*ParseSince("2h", now) == now - 7200000);
  CHECK(*ParseSince("7d", now) == now - 7 * 86400000LL);
  for (const char* bad : {"", "yesterday", "5w", "2024-13-01T00:00:00Z", "2024-01-21", "h"}) {
    CHECK_FALSE(ParseSince(bad, now));
  }
}

TEST_CASE("KindFromWord accepts any case, singular, plural and short forms") {
  CHECK(*KindFromWord("deployments") == manifests::Kind::kDeployment);
  CHECK(*KindFromWord("Deployment") == manifests::Kind::kDeployment);
  CHECK(*KindFromWord("deploy") == manifests::Kind::kDeployment);
  CHECK(*KindFromWord("CronJobs") == manifests::Kind::kCronJob);
  CHECK(*KindFromWord("ingresses") == manifests::Kind::kIngress);
  CHECK(*KindFromWord("ns") == manifests::Kind::kNamespace);
  auto bad = KindFromWord("widgets");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == ErrorCode::kNotFound);
}

TEST_CASE("ObjectJson reports no observed state rather than inventing one") {
  store::StoredObject o;
  o.key = {"Deployment", "default", "api"};
  o.version = "v-12345678";
  o.spec_json = R"({"kind":"Deployment"})";
  auto j = ObjectJson(o);
  CHECK(j["status"]["state"] == "unknown");
  CHECK(j["status"]["observed"].is_null());
  CHECK(j["hold"].is_null());
  CHECK(j["set"].is_null());
  CHECK(j["manifest"]["kind"] == "Deployment");
}

}  // namespace
}  // namespace prisn::server
