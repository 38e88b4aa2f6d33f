#include "api/kinds.h"

#include <catch2/catch.hpp>
#include <string>

namespace prisn::api {

TEST_CASE("ResolveKind accepts singular, plural and short forms in any case") {
  struct Case {
    const char* word;
    const char* kind;
  };
  auto c = GENERATE(values<Case>({
      {"deploy", "Deployment"},
      {"deployment", "Deployment"},
      {"deployments", "Deployment"},
      {"Deployment", "Deployment"},
      {"job", "Job"},
      {"jobs", "Job"},
      {"cron", "CronJob"},
      {"cronjob", "CronJob"},
      {"cronjobs", "CronJob"},
      {"CronJob", "CronJob"},
      {"runner", "Runner"},
      {"runners", "Runner"},
      {"secret", "Secret"},
      {"secrets", "Secret"},
      {"ing", "Ingress"},
      {"ingress", "Ingress"},
      {"ingresses", "Ingress"},
      {"ns", "Namespace"},
      {"namespace", "Namespace"},
      {"namespaces", "Namespace"},
      {"NS", "Namespace"},
  }));
  CAPTURE(c.word);
  auto k = ResolveKind(c.word);
  REQUIRE(k);
  CHECK(k->kind == c.kind);
}

TEST_CASE("ResolveKind marks Namespace as the only kind without a namespace") {
  for (const auto& k : AllKinds()) {
    CAPTURE(k.kind);
    CHECK(k.namespaced == (k.kind != "Namespace"));
  }
}

TEST_CASE("ResolveKind of an unknown word suggests the nearest spelling") {
  auto k = ResolveKind("deploymnt");
  REQUIRE_FALSE(k);
  CHECK(k.error().code == ErrorCode::kInvalid);
  CHECK(k.error().message.find("did you mean \"deployment\"?") != std::string::npos);
  auto far = ResolveKind("zzzzzzzz");
  REQUIRE_FALSE(far);
  CHECK(far.error().message.find("did you mean") == std::string::npos);
  CHECK(far.error().message.find("deployment (deploy)") != std::string::npos);
}

}  // namespace prisn::api
