#include "cli/offline_diff.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "manifests/load.h"

namespace prisn::cli {
namespace {

manifests::LoadedSet Load(std::map<std::string, std::string> files) {
  manifests::MemoryTree tree(std::move(files));
  auto set = manifests::LoadSet(tree, {"."});
  INFO((set.errors.empty() ? std::string() : set.errors.front().message));
  REQUIRE(set.ok());
  return set;
}

std::string Job(const std::string& name, const std::string& script_path) {
  return "apiVersion: prisn.io/v1\nkind: Job\nmetadata:\n  name: " + name +
         "\nspec:\n  source:\n    path: " + script_path + "\n";
}

std::string Deployment(int replicas, const std::string& env_value) {
  return "apiVersion: prisn.io/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n"
         "  source:\n    path: api.py\n  replicas: " +
         std::to_string(replicas) + "\n  env:\n    MODE: " + env_value + "\n";
}

const nlohmann::ordered_json* Find(const nlohmann::ordered_json& plan, const std::string& name) {
  for (const auto& o : plan["objects"]) {
    if (o["name"] == name) return &o;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("SubTree shows a folder of its base tree as the root") {
  manifests::MemoryTree base(
      {{"repo/app/a.yaml", "a"}, {"repo/app/src/m.py", "m"}, {"other", "o"}});
  SubTree view(base, "repo/app");
  auto files = view.ListFiles("");
  REQUIRE(files);
  CHECK(*files == std::vector<std::string>{"a.yaml", "src/m.py"});
  CHECK(view.ReadFile("src/m.py").value_or("") == "m");
  CHECK(view.IsDirectory("src"));
  CHECK(view.Exists("a.yaml"));
  CHECK_FALSE(view.Exists("other"));
  auto escape = view.ReadFile("../../other");
  REQUIRE_FALSE(escape);
  CHECK(escape.error().code == ErrorCode::kPermission);
  SubTree whole(base, "");
  CHECK(whole.ReadFile("other").value_or("") == "o");
}

TEST_CASE("FindRepositoryRoot walks up to the folder holding .git") {
  auto dir =
      std::filesystem::temp_directory_path() / ("prisn-repo-root-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / ".git");
  std::filesystem::create_directories(dir / "a/b");
  auto root = FindRepositoryRoot((dir / "a/b").string());
  REQUIRE(root);
  CHECK(*root == dir.string());
  std::filesystem::remove_all(dir / ".git");
  auto none = FindRepositoryRoot((dir / "a/b").string());
  if (!none) CHECK(none.error().code == ErrorCode::kNotFound);  // unless /tmp is inside a repo
  std::filesystem::remove_all(dir);
}

TEST_CASE("LocalPlan classifies created, configured, unchanged and removed objects") {
  auto before = Load({{"d.yaml", Deployment(1, "alpha")},
                      {"api.py", "print(1)\n"},
                      {"j.yaml", Job("same", "s.sh") + "---\n" + Job("gone", "s.sh")},
                      {"s.sh", "echo\n"}});
  auto after = Load({{"d.yaml", Deployment(1, "beta")},
                     {"api.py", "print(1)\n"},
                     {"j.yaml", Job("same", "s.sh") + "---\n" + Job("new", "s.sh")},
                     {"s.sh", "echo\n"}});
  auto plan = api::Encode(LocalPlan(before.objects, after.objects, /*prune=*/false));
  const auto* dep = Find(plan, "api");
  REQUIRE(dep);
  CHECK((*dep)["action"] == "configured");
  CHECK((*dep)["changeClass"] == "rolling");
  CHECK((*dep)["versionBefore"] != (*dep)["versionAfter"]);
  CHECK((*dep)["before"].get<std::string>().find("MODE: alpha") != std::string::npos);
  CHECK((*dep)["after"].get<std::string>().find("MODE: beta") != std::string::npos);
  CHECK((*Find(plan, "same"))["action"] == "unchanged");
  CHECK((*Find(plan, "new"))["action"] == "created");
  CHECK((*Find(plan, "new"))["before"].is_null());
  CHECK(Find(plan, "gone") == nullptr);
  CHECK(plan["removedWithoutPrune"] == 1);
  CHECK(plan["summary"] ==
        nlohmann::ordered_json{{"created", 1}, {"configured", 1}, {"unchanged", 1}, {"pruned", 0}});

  auto pruning = api::Encode(LocalPlan(before.objects, after.objects, /*prune=*/true));
  const auto* gone = Find(pruning, "gone");
  REQUIRE(gone);
  CHECK((*gone)["action"] == "pruned");
  CHECK((*gone)["after"].is_null());
  CHECK(pruning["removedWithoutPrune"] == 0);
}

TEST_CASE("LocalPlan marks a replicas-only change as in place with the same version") {
  auto before = Load({{"d.yaml", Deployment(1, "alpha")}, {"api.py", "x\n"}});
  auto after = Load({{"d.yaml", Deployment(3, "alpha")}, {"api.py", "x\n"}});
  auto plan = api::Encode(LocalPlan(before.objects, after.objects, false));
  const auto* dep = Find(plan, "api");
  REQUIRE(dep);
  CHECK((*dep)["changeClass"] == "in-place");
  CHECK((*dep)["versionBefore"] == (*dep)["versionAfter"]);
}

TEST_CASE("LocalPlan masks Secret values in both canonical texts") {
  std::string s1 =
      "apiVersion: prisn.io/v1\nkind: Secret\nmetadata:\n  name: db\nspec:\n  stringData:\n    P: "
      "hunter2\n";
  std::string s2 =
      "apiVersion: prisn.io/v1\nkind: Secret\nmetadata:\n  name: db\nspec:\n  stringData:\n    P: "
      "swordfish\n";
  auto plan =
      api::Encode(LocalPlan(Load({{"s.yaml", s1}}).objects, Load({{"s.yaml", s2}}).objects, false));
  std::string dump = plan.dump();
  CHECK(dump.find("hunter2") == std::string::npos);
  CHECK(dump.find("swordfish") == std::string::npos);
  CHECK((*Find(plan, "db"))["action"] == "configured");
}

}  // namespace prisn::cli
