#include <catch2/catch.hpp>

#include "reconciler/sqlite.h"
#include "reconciler/store.h"
#include "store_fixture.h"

namespace prisn::store {
namespace {

using testing::Obj;
using testing::Opts;
using testing::StoreFixture;

const ObjectKey kApi{"Deployment", "default", "api"};

std::vector<std::string> Versions(Store& s) {
  std::vector<std::string> out;
  auto history = s.History(kApi);
  for (const Revision& r : *history) out.push_back(r.version + (r.current ? "*" : ""));
  return out;
}

TEST_CASE("History lists one revision per version, newest first, the current one marked") {
  StoreFixture f;
  REQUIRE(f.store.Apply({Obj("api", "v-1")}, Opts("s")));
  REQUIRE(f.store.Apply({Obj("api", "v-2")}, Opts("s")));
  REQUIRE(f.store.Apply({Obj("api", "v-1")}, Opts("s")));  // back to a known version
  CHECK(Versions(f.store) == std::vector<std::string>{"v-1*", "v-2"});
  auto missing = f.store.History({"Deployment", "default", "nope"});
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == ErrorCode::kNotFound);
}

TEST_CASE("Rollback without a version goes to the previous one and records a hold") {
  StoreFixture f;
  DesiredObject v1 = Obj("api", "v-1");
  v1.sources = {{"main.py", "one"}};
  DesiredObject v2 = Obj("api", "v-2");
  v2.sources = {{"main.py", "two"}};
  REQUIRE(f.store.Apply({v1}, Opts("s")));
  REQUIRE(f.store.Apply({v2}, Opts("s")));
  auto r = f.store.Rollback(kApi, std::nullopt, "alice");
  REQUIRE(r);
  CHECK(r->from_version == "v-2");
  CHECK(r->to_version == "v-1");
  CHECK(r->state_index == 3);
  auto o = *f.store.Get(kApi);
  CHECK(o->version == "v-1");
  REQUIRE(o->hold.has_value());
  CHECK(o->hold->version == "v-1");
  CHECK(o->hold->held_from == "v-2");
  CHECK(o->hold->by == "alice");
  CHECK(f.store.GetSources(kApi)->at("main.py") == "one");
  CHECK(*f.store.GetCanonical(kApi) == v1.canonical_json);
}

TEST_CASE("A hold survives applies of the version it replaced and lifts when a newer one arrives") {
  StoreFixture f;
  REQUIRE(f.store.Apply({Obj("api", "v-1")}, Opts("s")));
  REQUIRE(f.store.Apply({Obj("api", "v-2")}, Opts("s")));
  REQUIRE(f.store.Rollback(kApi, std::string("v-1"), "alice"));
  int64_t index = *f.store.StateIndex();

  auto again = f.store.Apply({Obj("api", "v-2")}, Opts("s"));
  REQUIRE(again);
  CHECK(again->items[0].action == Action::kUnchanged);
  CHECK(again->items[0].held);
  CHECK(again->items[0].version == "v-1");
  CHECK(*f.store.StateIndex() == index);
  CHECK((*f.store.Get(kApi))->version == "v-1");

  auto newer = f.store.Apply({Obj("api", "v-3")}, Opts("s"));
  REQUIRE(newer);
  CHECK(newer->items[0].action == Action::kConfigured);
  CHECK_FALSE(newer->items[0].held);
  auto o = *f.store.Get(kApi);
  CHECK(o->version == "v-3");
  CHECK_FALSE(o->hold.has_value());
  bool lifted = false;
  auto events = f.store.Events({});
  for (const Event& e : *events) lifted = lifted || e.type == "hold-lifted";
  CHECK(lifted);
}

TEST_CASE("Release lifts a hold and restores what the last apply asked for") {
  StoreFixture f;
  REQUIRE(f.store.Apply({Obj("api", "v-1")}, Opts("s")));
  REQUIRE(f.store.Apply({Obj("api", "v-2")}, Opts("s")));
  REQUIRE(f.store.Rollback(kApi, std::nullopt, "alice"));
  auto released = f.store.Release(kApi, "alice");
  REQUIRE(released);
  CHECK(released->to_version == "v-2");
  auto o = *f.store.Get(kApi);
  CHECK(o->version == "v-2");
  CHECK_FALSE(o->hold.has_value());
  auto twice = f.store.Release(kApi, "alice");
  REQUIRE_FALSE(twice);
  CHECK(twice.error().code == ErrorCode::kConflict);
}

TEST_CASE("Rollback errors: unknown object, unknown version, nothing earlier, already there") {
  StoreFixture f;
  CHECK(f.store.Rollback(kApi, std::nullopt, "a").error().code == ErrorCode::kNotFound);
  REQUIRE(f.store.Apply({Obj("api", "v-1")}, Opts("s")));
  CHECK(f.store.Rollback(kApi, std::nullopt, "a").error().code == ErrorCode::kConflict);
  CHECK(f.store.Rollback(kApi, std::string("v-1"), "a").error().code == ErrorCode::kInvalid);
  CHECK(f.store.Rollback(kApi, std::string("v-9"), "a").error().code == ErrorCode::kNotFound);
  CHECK(*f.store.StateIndex() == 1);
}

TEST_CASE("Revisions beyond the limit are trimmed, with their source blobs") {
  StoreFixture f;
  f.store = f.Open(/*revision_limit=*/3);
  for (int i = 1; i <= 6; ++i) {
    DesiredObject d = Obj("api", "v-" + std::to_string(i));
    d.sources = {{"main.py", "content " + std::to_string(i)}};
    REQUIRE(f.store.Apply({d}, Opts("s")));
  }
  CHECK(Versions(f.store) == std::vector<std::string>{"v-6*", "v-5", "v-4"});
  auto db = sqlite::Database::Open(f.dir.File("prisn.db"));
  REQUIRE(db);
  CHECK(*db->QueryInt("SELECT count(*) FROM source_blobs") == 3);
}

TEST_CASE("A rollback moves the restored version to the top of history") {
  StoreFixture f;
  REQUIRE(f.store.Apply({Obj("api", "v-1")}, Opts("s")));
  REQUIRE(f.store.Apply({Obj("api", "v-2")}, Opts("s")));
  REQUIRE(f.store.Apply({Obj("api", "v-3")}, Opts("s")));
  REQUIRE(f.store.Rollback(kApi, std::string("v-1"), "a"));
  CHECK(Versions(f.store) == std::vector<std::string>{"v-1*", "v-3", "v-2"});
  // The default rollback target is now the version the hold replaced.
  auto back = f.store.Rollback(kApi, std::nullopt, "a");
  REQUIRE(back);
  CHECK(back->to_version == "v-3");
  CHECK_FALSE((*f.store.Get(kApi))->hold.has_value());
}

}  // namespace
}  // namespace prisn::store
