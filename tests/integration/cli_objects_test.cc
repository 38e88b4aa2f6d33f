// get, ls, describe, history, rollback, delete, events, secret and token
// against a real daemon; output shapes and the promises about secrets and
// namespace tokens.
#include <yaml-cpp/yaml.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tests/integration/daemon.h"

namespace prisn::testing {
namespace {

using nlohmann::json;

std::string CliObjectsDeploymentYaml(const std::string& mode) {
  return "apiVersion: prisn.io/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n"
         "  source:\n    path: main.py\n  port: 8080\n  replicas: 3\n  env:\n    MODE: " +
         mode + "\n";
}

struct CliObjectsFixture {
  TempDir dir;
  Daemon daemon{dir.path() / "state"};
  std::map<std::string, std::string> env = IsolatedEnv(dir.path() / "home");
  CliObjectsFixture() { env["PRISN_STATE_DIR"] = (dir.path() / "state").string(); }
  RunResult operator()(const std::vector<std::string>& args) const {
    return Prisn(args, env, dir.path().string());
  }
  json Json(const std::vector<std::string>& args) const {
    auto r = (*this)(args);
    INFO(r.all());
    REQUIRE(r.exit_code == 0);
    return json::parse(r.out);
  }
};

}  // namespace

TEST_CASE("get, ls, describe, history, rollback, delete and events print their shapes") {
  CliObjectsFixture prisn;
  prisn.dir.Write("app/main.py", "print('v')\n");
  prisn.dir.Write("app/deploy.yaml", CliObjectsDeploymentYaml("one"));
  REQUIRE(prisn({"apply", "-f", "app/"}).exit_code == 0);
  std::string v1 = prisn.Json({"get", "deploy", "api", "-o", "json"})["version"];
  prisn.dir.Write("app/deploy.yaml", CliObjectsDeploymentYaml("two"));
  REQUIRE(prisn({"apply", "-f", "app/"}).exit_code == 0);
  std::string v2 = prisn.Json({"get", "deployments", "api", "-o", "json"})["version"];
  REQUIRE(v1 != v2);

  SECTION("listings in text, json and yaml") {
    auto text = prisn({"get", "deploy"});
    INFO(text.all());
    REQUIRE(text.exit_code == 0);
    // STATUS and REPLICAS are what the converge loop observed (the replicas
    // of this test start and run), so only their place is fixed.
    CHECK(text.out.find("NAME   REPLICAS   PORT   VERSION      STATUS") == 0);
    CHECK(text.out.find("8080   " + v2 + "   ") != std::string::npos);
    json list = prisn.Json({"get", "deployment", "-o", "json"});
    REQUIRE(list["items"].size() == 1);
    CHECK(list["items"][0]["name"] == "api");
    CHECK(list["items"][0]["status"]["state"].is_string());
    CHECK(list["items"][0]["status"].contains("observed"));
    auto yaml = prisn({"get", "deploy", "api", "-o", "yaml"});
    REQUIRE(yaml.exit_code == 0);
    YAML::Node node = YAML::Load(yaml.out);
    CHECK(node["name"].as<std::string>() == "api");
    CHECK(node["version"].as<std::string>() == v2);
    auto ls = prisn({"ls"});
    CHECK(ls.out.find("NAME   TYPE         REPLICAS   VERSION") == 0);
    auto all = prisn({"ls", "-A"});
    CHECK(all.out.find("NAMESPACE   NAME") == 0);
    CHECK(prisn.Json({"ls", "-o", "json"})["items"].size() == 1);
    auto unknown_kind = prisn({"get", "deploymnt"});
    CHECK(unknown_kind.exit_code == 2);
    CHECK(unknown_kind.err.find("did you mean \"deployment\"?") != std::string::npos);
  }

  SECTION("describe") {
    json d = prisn.Json({"describe", "deploy", "api", "-o", "json"});
    CHECK(d["object"]["name"] == "api");
    CHECK(d["events"].size() >= 2);
    auto text = prisn({"describe", "deployment/api"});
    CHECK(text.out.find("Name:        api\n") == 0);
    // The status is what the converge loop observed (it moves on its own:
    // cli_workloads_test.cc checks its content).
    CHECK(d.contains("status"));
    CHECK(text.out.find("\nStatus:      ") != std::string::npos);
    CHECK(text.out.find("    MODE: two\n") != std::string::npos);
  }

  SECTION("history, rollback with a hold that survives a reapply, release") {
    json h = prisn.Json({"history", "api", "-o", "json"});
    REQUIRE(h["items"].size() == 2);
    CHECK(h["items"][0]["version"] == v2);
    CHECK(h["items"][0]["current"] == true);
    auto text = prisn({"history", "api"});
    CHECK(text.out.find("VERSION      DEPLOYED") == 0);
    CHECK(text.out.find("active (current)") != std::string::npos);

    auto rollback = prisn({"rollback", "api"});
    INFO(rollback.all());
    REQUIRE(rollback.exit_code == 0);
    CHECK(rollback.out.find("deployment/api rolled back from " + v2 + " to " + v1) == 0);
    json held = prisn.Json({"get", "deploy", "api", "-o", "json"});
    CHECK(held["version"] == v1);
    CHECK(held["hold"]["version"] == v1);

    auto reapply = prisn({"apply", "-f", "app/"});
    CHECK(reapply.out.find("held at " + v1) != std::string::npos);
    CHECK(prisn.Json({"get", "deploy", "api", "-o", "json"})["version"] == v1);
    CHECK(prisn({"diff", "-f", "app/"}).exit_code == 0);

    auto release = prisn({"rollback", "api", "--release"});
    INFO(release.all());
    REQUIRE(release.exit_code == 0);
    json released = prisn.Json({"get", "deploy", "api", "-o", "json"});
    CHECK(released["version"] == v2);
    CHECK(released["hold"].is_null());
    CHECK(prisn({"rollback", "api", "v-00000000"}).exit_code == 1);
  }

  SECTION("delete, dry run first; history outlives the object") {
    auto dry = prisn({"delete", "deploy", "api", "--dry-run"});
    INFO(dry.all());
    REQUIRE(dry.exit_code == 0);
    CHECK(dry.out.find("deployment/api would be deleted") == 0);
    CHECK(prisn({"get", "deploy", "api"}).exit_code == 0);
    json gone = prisn.Json({"delete", "deploy", "api", "-o", "json"});
    CHECK(gone["deleted"]["name"] == "api");
    auto missing = prisn({"get", "deploy", "api"});
    CHECK(missing.exit_code == 1);
    CHECK(missing.err.find("no such object") != std::string::npos);
    CHECK(prisn({"delete", "deploy", "api"}).exit_code == 1);
    CHECK(prisn({"describe", "deploy", "api"}).exit_code == 1);
    auto history = prisn({"history", "api"});
    INFO(history.all());
    CHECK(history.exit_code == 0);
    CHECK(history.out.find("deployment/api is deleted") != std::string::npos);
  }

  SECTION("events, by object and since") {
    json e = prisn.Json({"events", "deploy/api", "-o", "json"});
    std::vector<std::string> types;
    // The converge loop adds its own events (rollout, replica exits); the
    // changes to desired state come in order among them.
    for (const auto& item : e["items"]) {
      if (item["actor"] != "prisn") types.push_back(item["type"]);
    }
    CHECK(types == std::vector<std::string>{"created", "configured"});
    CHECK(prisn.Json({"events", "--since", "1h", "-o", "json"})["items"].size() >= 2);
    auto text = prisn({"events", "api"});
    CHECK(text.out.find("TIME") == 0);
    CHECK(text.out.find("deployment/api") != std::string::npos);
    CHECK(prisn({"events", "--since", "yesterday"}).exit_code == 2);
  }
}

TEST_CASE("secret values never appear in any output") {
  CliObjectsFixture prisn;
  const std::string literal = "hunter2-literal-value";
  const std::string file_value = "file-secret-value-77";
  const std::string manifest_value = "manifest-secret-value-42";
  const std::string changed_value = "manifest-secret-value-43";
  prisn.dir.Write("key.txt", file_value);
  std::vector<RunResult> outputs;
  auto run = [&](const std::vector<std::string>& args) {
    outputs.push_back(prisn(args));
    return outputs.back();
  };
  auto created = run({"secret", "create", "db", "--from-literal", "PASSWORD=" + literal,
                      "--from-file", "KEY=key.txt"});
  INFO(created.all());
  REQUIRE(created.exit_code == 0);
  CHECK(created.out.find("keys: KEY, PASSWORD") != std::string::npos);
  CHECK(run({"secret", "create", "db", "--from-literal", "PASSWORD=x"}).exit_code == 2);

  auto secret_yaml = [](const std::string& value) {
    return "apiVersion: prisn.io/v1\nkind: Secret\nmetadata:\n  name: api-keys\nspec:\n"
           "  stringData:\n    TOKEN: " +
           value + "\n";
  };
  prisn.dir.Write("app/secret.yaml", secret_yaml(manifest_value));
  REQUIRE(run({"apply", "-f", "app/"}).exit_code == 0);
  prisn.dir.Write("app/secret.yaml", secret_yaml(changed_value));
  auto diff = run({"diff", "-f", "app/"});
  CHECK(diff.exit_code == 1);
  CHECK(diff.out.find("a Secret value changed") != std::string::npos);
  run({"diff", "-f", "app/", "-o", "json"});
  run({"apply", "-f", "app/"});
  for (const char* format : {"text", "json", "yaml"}) {
    run({"get", "secret", "db", "-o", format});
    run({"get", "secrets", "-o", format});
    run({"describe", "secret", "api-keys", "-o", format});
    run({"history", "secret/api-keys", "-o", format});
    run({"events", "-o", format});
    run({"ls", "-o", format});
  }
  auto ls = run({"secret", "ls"});
  CHECK(ls.out.find("db         KEY,PASSWORD") != std::string::npos);
  run({"secret", "ls", "-o", "json"});

  for (const auto& r : outputs) {
    std::string all = r.all();
    for (const auto& value : {literal, file_value, manifest_value, changed_value}) {
      INFO(all);
      CHECK(all.find(value) == std::string::npos);
    }
  }
}

TEST_CASE("a namespace token cannot read another namespace") {
  CliObjectsFixture prisn;
  prisn.dir.Write(
      "a/job.yaml",
      "apiVersion: prisn.io/v1\nkind: Job\nmetadata:\n  name: mine\n  namespace: team-a\n"
      "spec:\n  runtime: bash\n  source:\n    inline: echo a\n");
  prisn.dir.Write(
      "b/job.yaml",
      "apiVersion: prisn.io/v1\nkind: Job\nmetadata:\n  name: theirs\n  namespace: team-b\n"
      "spec:\n  runtime: bash\n  source:\n    inline: echo b\n");
  REQUIRE(prisn({"apply", "-f", "a/"}).exit_code == 0);
  REQUIRE(prisn({"apply", "-f", "b/"}).exit_code == 0);

  CHECK(prisn({"token", "create"}).exit_code == 2);  // whom for? must be said
  auto created = prisn({"token", "create", "--namespace", "team-a", "--name", "ci"});
  INFO(created.all());
  REQUIRE(created.exit_code == 0);
  std::string token = created.out.substr(0, created.out.find('\n'));
  REQUIRE(token.rfind("prisn_", 0) == 0);
  CHECK(created.err.find("shown only this once") != std::string::npos);

  json tokens = prisn.Json({"token", "ls", "-o", "json"});
  bool listed = false;
  for (const auto& t : tokens["items"]) listed |= t["name"] == "ci" && t["namespace"] == "team-a";
  CHECK(listed);
  CHECK(tokens.dump().find(token) == std::string::npos);

  auto own = prisn({"get", "job", "mine", "-n", "team-a", "--token", token});
  INFO(own.all());
  CHECK(own.exit_code == 0);
  auto other = prisn({"get", "job", "theirs", "-n", "team-b", "--token", token});
  INFO(other.all());
  CHECK(other.exit_code == 2);
  CHECK(other.out.empty());
  auto listing = prisn({"ls", "jobs", "-A", "-o", "json", "--token", token});
  REQUIRE(listing.exit_code == 0);
  CHECK(listing.out.find("theirs") == std::string::npos);
  CHECK(prisn({"token", "ls", "--token", token}).exit_code == 2);

  REQUIRE(prisn({"token", "revoke", "ci"}).exit_code == 0);
  auto revoked = prisn({"get", "job", "mine", "-n", "team-a", "--token", token});
  CHECK(revoked.exit_code == 2);
  CHECK(prisn({"token", "revoke", "nobody"}).exit_code == 1);
}

}  // namespace prisn::testing
