// The API against a real daemon: apply, diff, objects, history, rollback,
// delete, events, state, metrics.
#include <catch2/catch.hpp>
#include <thread>

#include "api_test_util.h"

namespace prisn::testing {
namespace {

TEST_CASE("API apply: created, unchanged, configured, and the state index follows changes only") {
  Daemon daemon;
  auto api = daemon.Client();
  auto first = api.Post("/v1/apply", ApplyBody("s", DeploymentSet({"a", "b"})));
  REQUIRE(first.status == 200);
  CHECK(ActionsOf(first) == std::map<std::string, std::string>{{"a", "created"}, {"b", "created"}});
  CHECK(first.Json()["index"] == 1);
  CHECK(first.Json()["summary"]["created"] == 2);

  auto again = api.Post("/v1/apply", ApplyBody("s", DeploymentSet({"a", "b"})));
  CHECK(ActionsOf(again) ==
        std::map<std::string, std::string>{{"a", "unchanged"}, {"b", "unchanged"}});
  CHECK(again.Json()["index"] == 1);

  auto code_changed =
      api.Post("/v1/apply", ApplyBody("s", DeploymentSet({"a", "b"}, "default", "print(2)\n")));
  REQUIRE(code_changed.status == 200);
  CHECK(ActionsOf(code_changed) ==
        std::map<std::string, std::string>{{"a", "configured"}, {"b", "configured"}});
  CHECK(code_changed.Json()["results"][0]["changeClass"] == "rolling");
  CHECK(code_changed.Json()["index"] == 2);
  CHECK(StateIndex(api) == 2);
}

TEST_CASE("API apply: prune removes missing members of the set only, with the mass-delete guard") {
  Daemon daemon;
  auto api = daemon.Client();
  REQUIRE(api.Post("/v1/apply", ApplyBody("one", DeploymentSet({"a", "b", "c"}))).status == 200);
  REQUIRE(api.Post("/v1/apply", ApplyBody("two", DeploymentSet({"x"}))).status == 200);

  auto guarded = api.Post("/v1/apply", ApplyBody("one", DeploymentSet({"a"}), {{"prune", true}}));
  CHECK(guarded.status == 409);
  CHECK(guarded.Json()["error"]["message"].get<std::string>().find("confirmPrune") !=
        std::string::npos);
  CHECK(StateIndex(api) == 2);

  auto pruned =
      api.Post("/v1/apply", ApplyBody("one", DeploymentSet({"a", "b"}), {{"prune", true}}));
  REQUIRE(pruned.status == 200);
  CHECK(ActionsOf(pruned) == std::map<std::string, std::string>{
                                 {"a", "unchanged"}, {"b", "unchanged"}, {"c", "pruned"}});
  CHECK(api.Get("/v1/namespaces/default/deployments/c").status == 404);
  CHECK(api.Get("/v1/namespaces/default/deployments/x").status == 200);

  auto confirmed = api.Post("/v1/apply", ApplyBody("one", DeploymentSet({"a"}), {{"prune", true}}));
  CHECK(confirmed.status == 200);  // 1 of 2 is not more than half
}

TEST_CASE("API apply: an empty set with prune is refused and prunes nothing") {
  Daemon daemon;
  auto api = daemon.Client();
  REQUIRE(api.Post("/v1/apply", ApplyBody("s", DeploymentSet({"a"}))).status == 200);
  nlohmann::json body = {
      {"set", "s"}, {"prune", true}, {"confirmPrune", true}, {"files", nlohmann::json::object()}};
  auto reply = api.Post("/v1/apply", body);
  CHECK(reply.status == 400);
  CHECK(api.Get("/v1/namespaces/default/deployments/a").status == 200);
}

TEST_CASE("API apply: checkIndex behind the state index answers 409 and changes nothing") {
  Daemon daemon;
  auto api = daemon.Client();
  REQUIRE(api.Post("/v1/apply", ApplyBody("s", DeploymentSet({"a"}))).status == 200);
  auto diff = api.Post("/v1/diff", ApplyBody("s", DeploymentSet({"a", "b"})));
  REQUIRE(diff.status == 200);
  int64_t planned = diff.Json()["index"];
  REQUIRE(api.Post("/v1/apply", ApplyBody("other", DeploymentSet({"z"}))).status == 200);
  auto stale =
      api.Post("/v1/apply", ApplyBody("s", DeploymentSet({"a", "b"}), {{"checkIndex", planned}}));
  CHECK(stale.status == 409);
  CHECK(stale.ErrorCode() == "conflict");
  CHECK(api.Get("/v1/namespaces/default/deployments/b").status == 404);
  auto fresh = api.Post(
      "/v1/apply", ApplyBody("s", DeploymentSet({"a", "b"}), {{"checkIndex", StateIndex(api)}}));
  CHECK(fresh.status == 200);
}

TEST_CASE("API apply: dryRun reports and writes nothing") {
  Daemon daemon;
  auto api = daemon.Client();
  auto reply = api.Post("/v1/apply", ApplyBody("s", DeploymentSet({"a"}), {{"dryRun", true}}));
  REQUIRE(reply.status == 200);
  CHECK(reply.Json()["dryRun"] == true);
  CHECK(ActionsOf(reply) == std::map<std::string, std::string>{{"a", "created"}});
  CHECK(api.Get("/v1/namespaces/default/deployments/a").status == 404);
  CHECK(StateIndex(api) == 0);
}

TEST_CASE("API apply: invalid manifests answer 400 with file:line diagnostics and change nothing") {
  Daemon daemon;
  auto api = daemon.Client();
  Files files = DeploymentSet({"good"});
  files["bad.yaml"] =
      "apiVersion: prisn.io/v1\nkind: Deployment\nmetadata:\n  name: bad\nspec:\n  replicas: "
      "many\n";
  auto reply = api.Post("/v1/apply", ApplyBody("s", files));
  REQUIRE(reply.status == 400);
  auto details = reply.Json()["error"]["details"];
  REQUIRE(details.is_array());
  REQUIRE_FALSE(details.empty());
  CHECK(details[0]["file"] == "bad.yaml");
  CHECK(details[0]["line"].get<int>() > 0);
  CHECK(api.Get("/v1/namespaces/default/deployments/good").status == 404);
  CHECK(StateIndex(api) == 0);
}

TEST_CASE("API diff: per-object before/after YAML, change class and index, writes nothing") {
  Daemon daemon;
  auto api = daemon.Client();
  REQUIRE(api.Post("/v1/apply", ApplyBody("s", DeploymentSet({"a", "gone"}))).status == 200);
  Files next = DeploymentSet({"new"});
  next["deploy-a.yaml"] = DeploymentYaml("a", "default", 3);
  auto diff = api.Post("/v1/diff", ApplyBody("s", next, {{"prune", true}}));
  REQUIRE(diff.status == 200);
  auto j = diff.Json();
  CHECK(j["index"] == 1);
  std::map<std::string, nlohmann::json> by_name;
  for (const auto& o : j["objects"]) by_name[o["name"].get<std::string>()] = o;
  REQUIRE(by_name.size() == 3);
  CHECK(by_name["a"]["action"] == "configured");
  CHECK(by_name["a"]["changeClass"] == "in-place");
  CHECK(by_name["a"]["before"].get<std::string>().find("replicas: 1") != std::string::npos);
  CHECK(by_name["a"]["after"].get<std::string>().find("replicas: 3") != std::string::npos);
  CHECK(by_name["new"]["action"] == "created");
  CHECK(by_name["new"]["before"].is_null());
  CHECK(by_name["gone"]["action"] == "pruned");
  CHECK(by_name["gone"]["after"].is_null());
  CHECK(j["summary"]["pruned"] == 1);
  CHECK(api.Get("/v1/namespaces/default/deployments/new").status == 404);
  CHECK(StateIndex(api) == 1);
}

TEST_CASE(
    "API diff: reports members left behind without prune and a prune that needs confirmation") {
  Daemon daemon;
  auto api = daemon.Client();
  REQUIRE(api.Post("/v1/apply", ApplyBody("s", DeploymentSet({"a", "b", "c"}))).status == 200);
  auto kept = api.Post("/v1/diff", ApplyBody("s", DeploymentSet({"a"}))).Json();
  CHECK(kept["removedWithoutPrune"] == 2);
  CHECK(kept["pruneNeedsConfirm"] == false);
  auto pruning =
      api.Post("/v1/diff", ApplyBody("s", DeploymentSet({"a"}), {{"prune", true}})).Json();
  CHECK(pruning["removedWithoutPrune"] == 0);
  CHECK(pruning["pruneNeedsConfirm"] == true);
  CHECK(pruning["summary"]["pruned"] == 2);
}

TEST_CASE("API objects: get, list with filters, and status is only what the loop observed") {
  Daemon daemon;
  auto api = daemon.Client();
  Files files = DeploymentSet({"a"});
  files["job.yaml"] = JobYaml("j");
  files["other.yaml"] = DeploymentYaml("b", "team-b");
  REQUIRE(api.Post("/v1/apply", ApplyBody("s", files)).status == 200);

  auto one = api.Get("/v1/namespaces/default/deployments/a");
  REQUIRE(one.status == 200);
  auto o = one.Json();
  CHECK(o["kind"] == "Deployment");
  CHECK(o["version"].get<std::string>().starts_with("v-"));
  CHECK(o["generation"] == 1);
  CHECK(o["appliedBy"] == "admin");
  CHECK(o["set"] == "s");
  CHECK(o["manifest"]["spec"]["replicas"] == 1);
  CHECK(o["sources"].contains("main.py"));
  // Either the loop has not looked yet ("unknown", nothing observed), or
  // what it saw: never an invented state.
  if (o["status"]["state"] == "unknown") {
    CHECK(o["status"]["observed"].is_null());
  } else {
    CHECK(o["status"]["observed"]["readyReplicas"].is_number());
    CHECK(o["status"]["observed"]["version"] == o["version"]);
  }
  CHECK(api.Get("/v1/namespaces/default/Deployment/a").status == 200);  // any spelling of the kind

  CHECK(api.Get("/v1/objects").Json()["items"].size() == 3);
  CHECK(api.Get("/v1/objects?kind=jobs").Json()["items"].size() == 1);
  CHECK(api.Get("/v1/objects?namespace=team-b").Json()["items"].size() == 1);
  CHECK(api.Get("/v1/objects?set=nope").Json()["items"].empty());
  CHECK(api.Get("/v1/objects?kind=widgets").status == 400);
  CHECK(api.Get("/v1/namespaces/default/deployments/none").status == 404);
  CHECK(api.Get("/v1/namespaces/default/widgets/a").status == 404);

  auto state = api.Get("/v1/state").Json();
  CHECK(state["total"] == 3);
  CHECK(state["objects"]["Deployment"] == 2);
}

TEST_CASE(
    "API history and rollback: the hold survives re-applies, lifts on a newer version, or on "
    "release") {
  Daemon daemon;
  auto api = daemon.Client();
  REQUIRE(api.Post("/v1/apply", ApplyBody("s", DeploymentSet({"a"}, "default", "v1\n"))).status ==
          200);
  REQUIRE(api.Post("/v1/apply", ApplyBody("s", DeploymentSet({"a"}, "default", "v2\n"))).status ==
          200);
  const std::string path = "/v1/namespaces/default/deployments/a";
  auto history = api.Get(path + "/history").Json()["items"];
  REQUIRE(history.size() == 2);
  CHECK(history[0]["current"] == true);
  std::string v2 = history[0]["version"], v1 = history[1]["version"];

  auto rolled = api.Post(path + "/rollback", nlohmann::json::object());
  REQUIRE(rolled.status == 200);
  CHECK(rolled.Json()["to"] == v1);
  CHECK(rolled.Json()["object"]["hold"]["version"] == v1);
  CHECK(rolled.Json()["object"]["hold"]["heldFrom"] == v2);

  auto reapplied = api.Post("/v1/apply", ApplyBody("s", DeploymentSet({"a"}, "default", "v2\n")));
  REQUIRE(reapplied.status == 200);
  CHECK(reapplied.Json()["results"][0]["held"] == true);
  CHECK(api.Get(path).Json()["version"] == v1);

  auto released = api.Post(path + "/rollback", nlohmann::json{{"release", true}});
  REQUIRE(released.status == 200);
  CHECK(api.Get(path).Json()["version"] == v2);
  CHECK(api.Get(path).Json()["hold"].is_null());

  REQUIRE(api.Post(path + "/rollback", nlohmann::json{{"version", v1}}).status == 200);
  auto newer = api.Post("/v1/apply", ApplyBody("s", DeploymentSet({"a"}, "default", "v3\n")));
  CHECK(newer.Json()["results"][0]["action"] == "configured");
  CHECK(api.Get(path).Json()["hold"].is_null());

  CHECK(api.Post(path + "/rollback", nlohmann::json{{"version", "v-00000000"}}).status == 404);
  CHECK(api.Post(path + "/rollback", nlohmann::json{{"version", 5}}).status == 400);
  CHECK(api.Post("/v1/namespaces/default/deployments/none/rollback", nlohmann::json::object())
            .status == 404);
}

TEST_CASE("API delete: dryRun keeps the object, delete removes it and history stays") {
  Daemon daemon;
  auto api = daemon.Client();
  REQUIRE(api.Post("/v1/apply", ApplyBody("s", DeploymentSet({"a"}))).status == 200);
  const std::string path = "/v1/namespaces/default/deployments/a";
  auto dry = api.Delete(path + "?dryRun=1");
  REQUIRE(dry.status == 200);
  CHECK(dry.Json()["dryRun"] == true);
  CHECK(api.Get(path).status == 200);
  auto done = api.Delete(path);
  REQUIRE(done.status == 200);
  CHECK(done.Json()["index"] == 2);
  CHECK(api.Get(path).status == 404);
  CHECK(api.Get(path + "/history").Json()["items"].size() == 1);
  CHECK(api.Delete(path).status == 404);
  CHECK(api.Delete(path + "?dryRun=maybe").status == 400);
}

TEST_CASE("API events: filter by object and since, every change is there") {
  Daemon daemon;
  auto api = daemon.Client();
  REQUIRE(api.Post("/v1/apply", ApplyBody("s", DeploymentSet({"a", "b"}))).status == 200);
  REQUIRE(api.Delete("/v1/namespaces/default/deployments/b").status == 200);
  auto all = api.Get("/v1/events").Json()["items"];
  std::vector<std::string> types;
  for (const auto& e : all) types.push_back(e["type"]);
  CHECK(std::find(types.begin(), types.end(), "server-started") != types.end());
  CHECK(std::count(types.begin(), types.end(), "created") == 2);
  CHECK(std::find(types.begin(), types.end(), "deleted") != types.end());
  // The converge loop records its own events (actor "prisn") as it runs the
  // deployments; the changes to desired state are the others.
  auto changes = [](const nlohmann::json& items) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& e : items) {
      if (e["actor"] != "prisn") out.push_back(e);
    }
    return out;
  };
  auto of_b = changes(api.Get("/v1/events?kind=deployment&namespace=default&name=b").Json()["items"]);
  REQUIRE(of_b.size() == 2);
  CHECK(of_b[1]["type"] == "deleted");
  CHECK(of_b[1]["actor"] == "admin");
  CHECK(changes(api.Get("/v1/events?since=1h").Json()["items"]).size() == changes(all).size());
  CHECK(api.Get("/v1/events?since=2999-01-01T00:00:00Z").Json()["items"].empty());
  CHECK(api.Get("/v1/events?since=yesterday").status == 400);
  CHECK(api.Get("/v1/events?limit=1").Json()["items"].size() == 1);
  int64_t last = all.back()["id"];
  CHECK(changes(api.Get("/v1/events?after=" + std::to_string(last)).Json()["items"]).empty());
}

TEST_CASE("API metrics: Prometheus text with request, apply, deployment and object metrics") {
  Daemon daemon;
  auto api = daemon.Client();
  REQUIRE(api.Post("/v1/apply", ApplyBody("s", DeploymentSet({"a"}))).status == 200);
  auto metrics = api.Get("/metrics");
  REQUIRE(metrics.status == 200);
  CHECK(metrics.headers["content-type"].starts_with("text/plain; version=0.0.4"));
  const std::string& text = metrics.body;
  CHECK(text.find("# TYPE prisn_api_requests_total counter") != std::string::npos);
  CHECK(text.find("prisn_api_requests_total{code=\"200\",method=\"POST\",route=\"/v1/apply\"} 1") !=
        std::string::npos);
  CHECK(text.find("# TYPE prisn_api_request_duration_seconds histogram") != std::string::npos);
  CHECK(text.find("prisn_applies_total{result=\"success\"} 1") != std::string::npos);
  CHECK(text.find("prisn_deployments_total{kind=\"Deployment\"} 1") != std::string::npos);
  CHECK(text.find("prisn_objects{kind=\"Deployment\"} 1") != std::string::npos);
  CHECK(text.find("prisn_state_index 1") != std::string::npos);
  CHECK(text.find("prisn_apply_duration_seconds_count 1") != std::string::npos);
  // The converge loop counts its passes once it has looked at the object.
  bool reconciled = false;
  for (int i = 0; i < 500 && !reconciled; ++i) {
    reconciled = api.Get("/metrics").body.find("prisn_reconciles_total{kind=\"Deployment\"}") !=
                 std::string::npos;
    if (!reconciled) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(reconciled);
  CHECK(api.Get("/metrics").body.find("# TYPE prisn_reconcile_duration_seconds histogram") !=
        std::string::npos);
}

}  // namespace
}  // namespace prisn::testing
