#include "cli/diff_render.h"

#include <catch2/catch.hpp>

namespace prisn::cli {
namespace {

using json = nlohmann::ordered_json;

Plan ToPlan(const json& j) {
  auto answer = api::Decode<api::DiffAnswer>(j, api::DecodeMode::kLenient);
  REQUIRE(answer);
  Plan plan{*answer, std::nullopt};
  if (j.contains("against")) {
    auto against = api::Decode<api::PlanAgainst>(j["against"], api::DecodeMode::kStrict);
    REQUIRE(against);
    plan.against = *against;
  }
  return plan;
}

json PlanDoc() {
  return json::parse(R"({
    "index": 42, "set": "app-1",
    "objects": [
      {"kind": "Deployment", "namespace": "default", "name": "api", "action": "configured",
       "changeClass": "rolling", "versionBefore": "v-0f0f0f0f", "versionAfter": "v-1a2b3c4d",
       "before": "kind: Deployment\nspec:\n  env:\n    MODE: a\n  replicas: 1\n",
       "after": "kind: Deployment\nspec:\n  env:\n    MODE: b\n  replicas: 1\n", "held": false},
      {"kind": "Job", "namespace": "default", "name": "hello", "action": "unchanged",
       "changeClass": "none", "versionBefore": "v-11111111", "versionAfter": "v-11111111",
       "before": "kind: Job\n", "after": "kind: Job\n", "held": false},
      {"kind": "CronJob", "namespace": "ops", "name": "backup", "action": "created",
       "changeClass": "create", "versionBefore": null, "versionAfter": "v-22222222",
       "before": null, "after": "kind: CronJob\nspec:\n  schedule: '@daily'\n", "held": false},
      {"kind": "Job", "namespace": "default", "name": "old", "action": "pruned",
       "changeClass": "delete", "versionBefore": "v-33333333", "versionAfter": null,
       "before": "kind: Job\n", "after": null, "held": false}
    ],
    "summary": {"created": 1, "configured": 1, "unchanged": 1, "pruned": 1}
  })");
}

}  // namespace

TEST_CASE("RenderPlanText prints a titled unified diff per changed object and a summary") {
  CHECK(RenderPlanText(ToPlan(PlanDoc()), false) ==
        "# deployment/api: rolling restart (v-0f0f0f0f -> v-1a2b3c4d)\n"
        "--- Deployment/default/api (v-0f0f0f0f)\n"
        "+++ Deployment/default/api (v-1a2b3c4d)\n"
        "@@ -1,5 +1,5 @@\n"
        " kind: Deployment\n"
        " spec:\n"
        "   env:\n"
        "-    MODE: a\n"
        "+    MODE: b\n"
        "   replicas: 1\n"
        "\n"
        "# cronjob/backup (namespace ops): create (v-22222222)\n"
        "--- /dev/null\n"
        "+++ CronJob/ops/backup (v-22222222)\n"
        "@@ -0,0 +1,3 @@\n"
        "+kind: CronJob\n"
        "+spec:\n"
        "+  schedule: '@daily'\n"
        "\n"
        "# job/old: delete, pruned (v-33333333)\n"
        "--- Job/default/old (v-33333333)\n"
        "+++ /dev/null\n"
        "@@ -1 +0,0 @@\n"
        "-kind: Job\n"
        "\n"
        "Summary: 1 to create, 1 to change (1 rolling restart), 1 to delete, 1 unchanged; "
        "state index 42\n");
}

TEST_CASE("RenderPlanText of a plan without changes says so with the state index") {
  json plan = PlanDoc();
  plan["objects"] = json::array({plan["objects"][1]});
  CHECK(RenderPlanText(ToPlan(plan), false) == "No changes: 1 object up to date; state index 42\n");
  CHECK_FALSE(PlanHasChanges(ToPlan(plan)));
}

TEST_CASE("RenderPlanText names the revision of an offline plan instead of an index") {
  json plan = PlanDoc();
  plan["index"] = nullptr;
  plan["against"] = {{"rev", "origin/main"}, {"commit", "0123456789abcdef0123"}};
  plan["removedWithoutPrune"] = 2;
  std::string text = RenderPlanText(ToPlan(plan), false);
  CHECK(text.find("; compared with origin/main (0123456789ab)\n"
                  "2 objects no longer in the files are kept (pass --prune to delete them)\n") !=
        std::string::npos);
  CHECK(text.find("state index") == std::string::npos);
}

TEST_CASE("A held object is a note, not a change") {
  json plan = PlanDoc();
  json held = plan["objects"][0];
  held["held"] = true;
  held["action"] = "unchanged";
  plan["objects"] = json::array({held});
  CHECK_FALSE(PlanHasChanges(ToPlan(plan)));
  std::string text = RenderPlanText(ToPlan(plan), false);
  CHECK(text.find("# deployment/api: held at v-0f0f0f0f by a rollback") == 0);
  CHECK(text.find("No changes: 1 object up to date, 1 held by a rollback") != std::string::npos);
  CHECK(text.find("---") == std::string::npos);
}

TEST_CASE("PlanHasChanges is true for any created, configured or pruned object") {
  CHECK(PlanHasChanges(ToPlan(PlanDoc())));
}

TEST_CASE("PlanJson lists changed objects with normalized classes and plain diffs") {
  json j = api::Encode(PlanJson(ToPlan(PlanDoc())));
  CHECK(j["index"] == 42);
  CHECK(j["changed"] == true);
  REQUIRE(j["objects"].size() == 3);
  CHECK(j["objects"][0]["changeClass"] == "rolling");
  CHECK(j["objects"][1]["changeClass"] == "create");
  CHECK(j["objects"][2]["changeClass"] == "delete");
  CHECK(j["objects"][0]["diff"].get<std::string>().find("-    MODE: a\n+    MODE: b\n") !=
        std::string::npos);
  CHECK(j["objects"][0]["diff"].get<std::string>().find('\x1b') == std::string::npos);
  CHECK(j["summary"]["unchanged"] == 1);
}

TEST_CASE("NormalizeClass reads the library's and the API's names alike") {
  CHECK(NormalizeClass("rolling", "configured") == "rolling");
  CHECK(NormalizeClass("rolling-restart", "configured") == "rolling");
  CHECK(NormalizeClass("in-place", "configured") == "in-place");
  CHECK(NormalizeClass("", "created") == "create");
  CHECK(NormalizeClass("recreate", "pruned") == "delete");
  CHECK(HumanClass("in-place") == "in place");
  CHECK(HumanClass("rolling") == "rolling restart");
}

}  // namespace prisn::cli
