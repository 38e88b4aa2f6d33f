#include "cli/object_view.h"

#include <catch2/catch.hpp>

namespace prisn::cli {
namespace {

using json = nlohmann::ordered_json;

api::ObjectView View(const json& j) {
  auto v = api::Decode<api::ObjectView>(j, api::DecodeMode::kStrict);
  REQUIRE(v);
  return *v;
}

api::ObjectView ApiObject(const std::string& kind, const std::string& name, json spec) {
  return View({{"kind", kind},
               {"namespace", "default"},
               {"name", name},
               {"version", "v-1a2b3c4d"},
               {"generation", 1},
               {"appliedBy", "admin"},
               {"set", "app-1"},
               {"createdAt", "2024-01-21T10:30:00.000Z"},
               {"updatedAt", "2024-01-21T10:30:00.000Z"},
               {"hold", nullptr},
               {"manifest", {{"apiVersion", "prisn.io/v1"}, {"kind", kind}, {"spec", spec}}},
               {"sources", {{"main.py", "ab12"}}},
               {"status", {{"state", "unknown"}, {"observed", nullptr}}}});
}

const auto kNow =
    std::chrono::system_clock::time_point(std::chrono::seconds(1705833000 + 2 * 86400));

}  // namespace

TEST_CASE("SpecOf is the spec of the stored manifest") {
  json spec = {{"replicas", 2}};
  CHECK(SpecOf(ApiObject("Deployment", "api", spec)) == spec);
  CHECK(SpecOf(api::ObjectView{}) == json::object());
}

TEST_CASE("ObjectTable of deployments shows desired replicas and no invented status") {
  std::vector<api::ObjectView> items = {
      ApiObject("Deployment", "api", {{"replicas", 3}, {"port", 8080}})};
  CHECK(ObjectTable(items, "Deployment", false, kNow).Render() ==
        "NAME   REPLICAS   PORT   VERSION      STATUS    AGE\n"
        "api    -/3        8080   v-1a2b3c4d   unknown   2d\n");
}

TEST_CASE("ObjectTable marks a held version and shows namespaces with -A") {
  api::ObjectView o = ApiObject("Job", "hello", {{"runtime", "bash"}});
  o.hold = api::HoldView{"v-1a2b3c4d", "v-99999999", "", ""};
  CHECK(ObjectTable({o}, "Job", true, kNow).Render() ==
        "NAMESPACE   NAME    RUNTIME   VERSION             STATUS    AGE\n"
        "default     hello   bash      v-1a2b3c4d (held)   unknown   2d\n");
}

TEST_CASE("ObjectTable of secrets lists keys, never values") {
  api::ObjectView o = ApiObject(
      "Secret", "db", {{"data", {{"PASSWORD", "***"}}}, {"stringData", {{"USER", "***"}}}});
  std::string text = ObjectTable({o}, "Secret", false, kNow).Render();
  CHECK(text ==
        "NAME   KEYS            VERSION      AGE\ndb     PASSWORD,USER   v-1a2b3c4d   2d\n");
}

TEST_CASE("ObjectTable of mixed kinds has a TYPE column as in prisn ls") {
  std::vector<api::ObjectView> items = {
      ApiObject("Deployment", "api", {{"replicas", 2}}),
      ApiObject("CronJob", "backup", {{"schedule", "0 2 * * *"}})};
  CHECK(ObjectTable(items, "", false, kNow).Render() ==
        "NAME     TYPE         REPLICAS   VERSION      STATUS    AGE\n"
        "api      deployment   -/2        v-1a2b3c4d   unknown   2d\n"
        "backup   cronjob      -          v-1a2b3c4d   unknown   2d\n");
}

TEST_CASE("DescribeText shows fields, the spec, source files and events") {
  api::ObjectView o = ApiObject("Deployment", "api", {{"replicas", 3}, {"runtime", "python3"}});
  std::vector<api::EventView> events = {
      {1, "2024-01-21T10:30:00.000Z", {}, {}, {}, "created", "v-1a2b3c4d", "admin", 1}};
  std::string text = DescribeText(o, events, kNow);
  CHECK(text.find("Name:        api\n") == 0);
  CHECK(text.find("Status:      unknown\n") != std::string::npos);
  CHECK(text.find("Replicas:    -/3 ready\n") != std::string::npos);
  CHECK(text.find("\nSpec:\n  replicas: 3\n  runtime: python3\n") != std::string::npos);
  CHECK(text.find("  main.py   ab12\n") != std::string::npos);
  CHECK(text.find("created   v-1a2b3c4d   admin\n") != std::string::npos);
}

}  // namespace prisn::cli
