// `prisn validate` as a user runs it (cli/cmd_validate.cc).
#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "tests/manifests/run_prisn.h"

namespace prisn::manifests {
namespace {

namespace fs = std::filesystem;
using testing::Run;
using testing::Validate;

TEST_CASE("prisn validate: the examples are valid", "[cli]") {
  Run r = Validate(PRISN_SOURCE_DIR, "-f examples/", true);
  INFO(r.out);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("objects valid (files: 5)") != std::string::npos);
  CHECK(r.out.find("Deployment/default/web v-") != std::string::npos);
  CHECK(r.out.find("Runner/default/lua v-") != std::string::npos);
}

TEST_CASE("prisn validate: paths in messages read as typed", "[cli]") {
  Run r = Validate(PRISN_SOURCE_DIR, "-f tests/manifests/bad/01-misspelled-field.yaml");
  CHECK(r.exit_code == 2);
  CHECK(r.out.starts_with("tests/manifests/bad/01-misspelled-field.yaml:11:3: spec.replcas: unknown field"));
}

TEST_CASE("prisn validate: several files are one set", "[cli]") {
  // A duplicate across two files is only visible when they are one set.
  const fs::path dir = fs::path(PRISN_SOURCE_DIR) / "tests" / "manifests" / "bad";
  Run one = Validate(dir, "-f 13-depends-on-cycle.yaml -f 17-duplicate-object.yaml");
  CHECK(one.exit_code == 2);
  CHECK(one.out.find("dependsOn cycle") != std::string::npos);
  CHECK(one.out.find("duplicate object") != std::string::npos);
  CHECK(one.out.find("2 errors in 2 files") != std::string::npos);
}

TEST_CASE("prisn validate: -o json gives the same errors as data", "[cli]") {
  const fs::path dir = fs::path(PRISN_SOURCE_DIR) / "tests" / "manifests" / "bad";
  Run r = Validate(dir, "-f 10-port-out-of-range.yaml -o json", true);
  CHECK(r.exit_code == 2);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["valid"] == false);
  REQUIRE(j["errors"].size() == 1);
  CHECK(j["errors"][0]["file"] == "10-port-out-of-range.yaml");
  CHECK(j["errors"][0]["line"] == 10);
  CHECK(j["errors"][0]["column"] == 9);
  CHECK(j["errors"][0]["field"] == "spec.port");
  CHECK(j["objects"].size() == 1);

  Run ok = Validate(PRISN_SOURCE_DIR, "-f examples/hello.yaml -o json", true);
  CHECK(ok.exit_code == 0);
  auto good = nlohmann::json::parse(ok.out);
  CHECK(good["valid"] == true);
  CHECK(good["objects"][0]["kind"] == "Job");
  CHECK(good["objects"][0]["name"] == "hello");
  CHECK(good["objects"][0]["file"] == "examples/hello.yaml");
  CHECK(good["objects"][0]["version"].get<std::string>().starts_with("v-"));
}

TEST_CASE("prisn validate: help has an example, no path and missing paths exit 2", "[cli]") {
  Run help = Validate(PRISN_SOURCE_DIR, "--help", true);
  CHECK(help.exit_code == 0);
  CHECK(help.out.find("prisn validate -f examples/") != std::string::npos);
  CHECK(Validate(PRISN_SOURCE_DIR, "").exit_code == 2);
  Run missing = Validate(PRISN_SOURCE_DIR, "-f no-such-dir/x.yaml");
  CHECK(missing.exit_code == 2);
  CHECK(missing.out.find("no such file or folder") != std::string::npos);
}

}  // namespace
}  // namespace prisn::manifests
