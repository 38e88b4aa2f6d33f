#include "cli/command_util.h"

#include <catch2/catch.hpp>

namespace prisn::cli {

TEST_CASE("ExitCodeFor gives 1 to not-found and 2 to every other error") {
  CHECK(ExitCodeFor({ErrorCode::kNotFound, "x", {}}) == kExitFailure);
  for (ErrorCode code :
       {ErrorCode::kInvalid, ErrorCode::kConflict, ErrorCode::kIo, ErrorCode::kUnavailable,
        ErrorCode::kPermission, ErrorCode::kTimeout, ErrorCode::kInternal}) {
    CHECK(ExitCodeFor({code, "x", {}}) == kExitError);
  }
}

TEST_CASE("ObjectPath encodes segments and uses - for kinds without a namespace") {
  auto deploy = ResolveKind("deploy");
  auto ns = ResolveKind("ns");
  REQUIRE(deploy);
  REQUIRE(ns);
  CHECK(ObjectPath({*deploy, "default", "api"}) == "/v1/namespaces/default/deployments/api");
  CHECK(ObjectPath({*deploy, "a b", "x/y"}) == "/v1/namespaces/a%20b/deployments/x%2Fy");
  CHECK(ObjectPath({*ns, "default", "team-a"}) == "/v1/namespaces/-/namespaces/team-a");
}

TEST_CASE("Base64 is the padded standard alphabet") {
  CHECK(Base64("") == "");
  CHECK(Base64("f") == "Zg==");
  CHECK(Base64("fo") == "Zm8=");
  CHECK(Base64("foo") == "Zm9v");
  CHECK(Base64(std::string("\xff\xfe\x00", 3)) == "//4A");
}

TEST_CASE("Label is the lower-case kind and the name") {
  CHECK(Label("CronJob", "backup") == "cronjob/backup");
}

}  // namespace prisn::cli
