// ApplySet, the one apply path of the HTTP routes and the sources: change
// classes read against what is stored, and what a diff keeps.
#include "reconciler/apply.h"

#include <catch2/catch.hpp>

#include "manifests/file_tree.h"
#include "manifests/load.h"
#include "store_fixture.h"

namespace prisn::reconciler {
namespace {

std::vector<manifests::Object> Deployments(const std::map<std::string, std::string>& replicas) {
  std::map<std::string, std::string> files;
  for (const auto& [name, count] : replicas) {
    files[name + ".yaml"] =
        "apiVersion: prisn.io/v1\nkind: Deployment\nmetadata:\n  name: " + name +
        "\nspec:\n  source:\n    inline: sleep 60\n  runtime: bash\n" + "  replicas: " + count +
        "\n";
  }
  manifests::MemoryTree tree(std::move(files));
  manifests::LoadedSet set = manifests::LoadSet(tree, {"."});
  REQUIRE(set.ok());
  return std::move(set.objects);
}

std::map<std::string, std::string> Classes(const AppliedSet& applied) {
  std::map<std::string, std::string> out;
  for (const AppliedItem& i : applied.items)
    out[i.item.key.name] = std::string(manifests::ChangeClassName(i.change));
  return out;
}

}  // namespace

TEST_CASE("ApplySet: each change is classed against the stored object") {
  store::testing::StoreFixture f;
  ApplySetOptions options;
  options.store = store::testing::Opts("s", /*prune=*/true);
  auto first = Deployments({{"a", "1"}, {"b", "1"}, {"c", "1"}});
  auto created = ApplySet(f.store, first, options);
  REQUIRE(created);
  CHECK(Classes(*created) ==
        std::map<std::string, std::string>{{"a", "create"}, {"b", "create"}, {"c", "create"}});
  // a scales (in place), b stays, c goes.
  auto second = Deployments({{"a", "3"}, {"b", "1"}});
  auto changed = ApplySet(f.store, second, options);
  REQUIRE(changed);
  CHECK(Classes(*changed) ==
        std::map<std::string, std::string>{{"a", "in-place"}, {"b", "none"}, {"c", "delete"}});
  CHECK(changed->members_before == 3);
  CHECK_FALSE(changed->PruneNeedsConfirm());
}

TEST_CASE("ApplySet: a dry run keeps the stored objects a diff prints, and changes nothing") {
  store::testing::StoreFixture f;
  ApplySetOptions options;
  options.store = store::testing::Opts("s", /*prune=*/true);
  auto objects = Deployments({{"a", "1"}, {"b", "1"}, {"c", "1"}});
  REQUIRE(ApplySet(f.store, objects, options));
  options.keep_before = true;
  options.store.dry_run = true;
  options.store.confirm_prune = true;
  auto only_a = Deployments({{"a", "2"}});
  auto diff = ApplySet(f.store, only_a, options);
  REQUIRE(diff);
  CHECK(diff->PruneNeedsConfirm());  // 2 of 3 would go
  for (const AppliedItem& i : diff->items) {
    INFO(i.item.key.name);
    REQUIRE(i.before);
    CHECK(i.before->meta.name == i.item.key.name);
    CHECK((i.after != nullptr) == (i.item.key.name == "a"));
  }
  CHECK(f.store.List({})->size() == 3);
}

TEST_CASE("ApplySet: without prune the members left behind are counted") {
  store::testing::StoreFixture f;
  ApplySetOptions options;
  options.store = store::testing::Opts("s");
  auto two = Deployments({{"a", "1"}, {"b", "1"}});
  REQUIRE(ApplySet(f.store, two, options));
  auto one = Deployments({{"a", "1"}});
  auto kept = ApplySet(f.store, one, options);
  REQUIRE(kept);
  CHECK(kept->not_named == 1);
  CHECK(f.store.List({})->size() == 2);
}

}  // namespace prisn::reconciler
