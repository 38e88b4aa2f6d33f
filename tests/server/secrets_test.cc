// Secrets against a real daemon: encrypted at rest, never shown.
#include <catch2/catch.hpp>
#include <filesystem>

#include "api_test_util.h"

namespace prisn::testing {
namespace {

const std::string kValue = "correct-horse-battery-staple-42";

// Every file the daemon wrote (database, WAL, logs, context), concatenated.
std::string EverythingOnDisk(const std::string& dir) {
  std::string all;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) all += ReadWholeFile(entry.path().string());
  }
  return all;
}

TEST_CASE(
    "Secrets: created encrypted, no file of the daemon, listing, object or event shows the value") {
  Daemon daemon;
  auto api = daemon.Client();
  nlohmann::json body = {
      {"name", "db"},
      {"data", {{"PASSWORD", Base64Encode(kValue)}, {"USER", Base64Encode("app")}}}};
  auto created = api.Post("/v1/secrets", body);
  REQUIRE(created.status == 201);
  CHECK(created.Json()["action"] == "created");
  CHECK(created.body.find(kValue) == std::string::npos);
  CHECK(created.body.find(Base64Encode(kValue)) == std::string::npos);

  auto list = api.Get("/v1/secrets");
  REQUIRE(list.status == 200);
  REQUIRE(list.Json()["items"].size() == 1);
  CHECK(list.Json()["items"][0]["keys"] == nlohmann::json::array({"PASSWORD", "USER"}));
  // The wire shape, member order included, is the contract the CLI prints.
  auto members = [](const nlohmann::ordered_json& j) {
    std::vector<std::string> out;
    for (const auto& [key, value] : j.items()) out.push_back(key);
    return out;
  };
  CHECK(members(nlohmann::ordered_json::parse(created.body)) ==
        std::vector<std::string>{"index", "action", "object"});
  CHECK(members(nlohmann::ordered_json::parse(list.body)["items"][0]) ==
        std::vector<std::string>{"namespace", "name", "keys", "version", "updatedAt"});

  auto object = api.Get("/v1/namespaces/default/secrets/db");
  REQUIRE(object.status == 200);
  CHECK(object.Json()["manifest"]["spec"]["data"]["PASSWORD"] == "***");
  for (const char* path :
       {"/v1/objects", "/v1/events", "/v1/namespaces/default/secrets/db/history"}) {
    auto reply = api.Get(path);
    CHECK(reply.body.find(kValue) == std::string::npos);
    CHECK(reply.body.find(Base64Encode(kValue)) == std::string::npos);
  }
  // Flush everything to disk, then read every byte the daemon wrote.
  REQUIRE(daemon.Stop() == 0);
  std::string disk = EverythingOnDisk(daemon.state_dir());
  CHECK(disk.find(kValue) == std::string::npos);
  CHECK(disk.find(Base64Encode(kValue)) == std::string::npos);
  CHECK(daemon.Stderr().find(kValue) == std::string::npos);
}

TEST_CASE("Secrets: an existing secret needs overwrite, bad input is refused") {
  Daemon daemon;
  auto api = daemon.Client();
  nlohmann::json body = {{"name", "db"}, {"data", {{"K", Base64Encode("one")}}}};
  REQUIRE(api.Post("/v1/secrets", body).status == 201);
  CHECK(api.Post("/v1/secrets", body).status == 409);
  body["data"]["K"] = Base64Encode("two");
  body["overwrite"] = true;
  auto replaced = api.Post("/v1/secrets", body);
  CHECK(replaced.status == 200);
  CHECK(replaced.Json()["action"] == "configured");
  CHECK(api.Post("/v1/secrets", nlohmann::json{{"name", "x"}, {"data", {{"K", "!!not base64!!"}}}})
            .status == 400);
  CHECK(api.Post("/v1/secrets",
                 nlohmann::json{{"name", "Bad_Name"}, {"data", {{"K", Base64Encode("v")}}}})
            .status == 400);
  CHECK(api.Post("/v1/secrets", nlohmann::json{{"name", "x"}, {"data", nlohmann::json::object()}})
            .status == 400);
  CHECK(api.Post("/v1/secrets",
                 nlohmann::json{{"name", "x"}, {"data", {{"bad key!", Base64Encode("v")}}}})
            .status == 400);
}

TEST_CASE("Secrets: diff masks values of an applied Secret but still shows that it changed") {
  Daemon daemon;
  auto api = daemon.Client();
  auto secret_yaml = [](const std::string& value) {
    return "apiVersion: prisn.io/v1\nkind: Secret\nmetadata:\n  name: creds\nspec:\n  "
           "stringData:\n    TOKEN: " +
           value + "\n";
  };
  REQUIRE(api.Post("/v1/apply", ApplyBody("s", {{"secret.yaml", secret_yaml(kValue)}})).status ==
          200);
  auto diff =
      api.Post("/v1/diff", ApplyBody("s", {{"secret.yaml", secret_yaml("another-value-77")}}));
  REQUIRE(diff.status == 200);
  auto o = diff.Json()["objects"][0];
  CHECK(o["action"] == "configured");
  CHECK(o["versionBefore"] != o["versionAfter"]);
  CHECK(diff.body.find(kValue) == std::string::npos);
  CHECK(diff.body.find("another-value-77") == std::string::npos);
  CHECK(o["after"].get<std::string>().find("***") != std::string::npos);
}

TEST_CASE(
    "Secrets: values survive a restart (the key file is reused) and stay readable to the daemon") {
  Daemon daemon;
  auto api = daemon.Client();
  auto yaml = [](const std::string& value) {
    return "apiVersion: prisn.io/v1\nkind: Secret\nmetadata:\n  name: creds\nspec:\n  "
           "stringData:\n    TOKEN: " +
           value + "\n";
  };
  REQUIRE(api.Post("/v1/apply", ApplyBody("s", {{"secret.yaml", yaml(kValue)}})).status == 200);
  REQUIRE(daemon.Stop() == 0);
  daemon.Start();
  auto again = daemon.Client();
  auto same = again.Post("/v1/apply", ApplyBody("s", {{"secret.yaml", yaml(kValue)}}));
  REQUIRE(same.status == 200);
  CHECK(same.Json()["results"][0]["action"] == "unchanged");
  // The diff reads the stored secret back: it decrypts with the same key.
  auto diff = again.Post("/v1/diff", ApplyBody("s", {{"secret.yaml", yaml("changed-value")}}));
  REQUIRE(diff.status == 200);
  CHECK(diff.Json()["objects"][0]["before"].is_string());
  CHECK(diff.Json()["objects"][0]["changeClass"] == "in-place");
}

}  // namespace
}  // namespace prisn::testing
