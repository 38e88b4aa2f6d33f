#include "reconciler/store.h"

#include <sqlite3.h>

#include <catch2/catch.hpp>

#include "reconciler/sqlite.h"
#include "store_fixture.h"
#include "util/files.h"

namespace prisn::store {
namespace {

using testing::Obj;
using testing::Opts;
using testing::StoreFixture;

std::vector<std::string> Actions(const ApplyResult& r) {
  std::vector<std::string> out;
  for (const ApplyItem& i : r.items)
    out.push_back(i.key.name + ":" + std::string(ActionName(i.action)));
  return out;
}

int64_t CountRows(const std::string& db_path, const std::string& sql) {
  auto db = sqlite::Database::Open(db_path);
  REQUIRE(db);
  return *db->QueryInt(sql);
}

TEST_CASE("Store: a fresh database gets the schema version and reopens with its data") {
  StoreFixture f;
  CHECK(Store::SchemaVersion() >= 1);
  REQUIRE(f.store.Apply({Obj("api", "v-1")}, Opts("s")));
  f.store = f.Open();
  auto got = f.store.Get({"Deployment", "default", "api"});
  REQUIRE(got);
  REQUIRE(got->has_value());
  CHECK((*got)->version == "v-1");
  CHECK(CountRows(f.dir.File("prisn.db"), "PRAGMA user_version") == Store::SchemaVersion());
  CHECK(*f.store.StateIndex() == 1);
}

TEST_CASE("Store: a database from a newer prisn is refused and left untouched") {
  StoreFixture f;
  {
    auto db = sqlite::Database::Open(f.dir.File("prisn.db"));
    REQUIRE(db);
    REQUIRE(db->Exec("PRAGMA user_version = 999"));
  }
  StoreOptions options;
  auto opened = Store::Open(f.dir.File("prisn.db"), SecretBox::Ephemeral(), options);
  REQUIRE_FALSE(opened);
  CHECK(opened.error().code == ErrorCode::kConflict);
  CHECK(opened.error().message.find("newer") != std::string::npos);
  CHECK(CountRows(f.dir.File("prisn.db"), "PRAGMA user_version") == 999);
}

TEST_CASE("Store: the database runs in WAL mode") {
  StoreFixture f;
  auto db = sqlite::Database::Open(f.dir.File("prisn.db"));
  REQUIRE(db);
  auto mode = db->Prepare("PRAGMA journal_mode");
  REQUIRE(mode);
  REQUIRE(*mode->Step());
  CHECK(mode->Text(0) == "wal");
}

TEST_CASE("Store apply: created, then unchanged, then configured, the index moves only on change") {
  StoreFixture f;
  auto first = f.store.Apply({Obj("api", "v-1"), Obj("web", "v-1")}, Opts("s"));
  REQUIRE(first);
  CHECK(Actions(*first) == std::vector<std::string>{"api:created", "web:created"});
  CHECK(first->state_index == 1);

  auto same = f.store.Apply({Obj("api", "v-1"), Obj("web", "v-1")}, Opts("s"));
  REQUIRE(same);
  CHECK(Actions(*same) == std::vector<std::string>{"api:unchanged", "web:unchanged"});
  CHECK(same->state_index == 1);

  auto changed = f.store.Apply({Obj("api", "v-2"), Obj("web", "v-1")}, Opts("s"));
  REQUIRE(changed);
  CHECK(Actions(*changed) == std::vector<std::string>{"api:configured", "web:unchanged"});
  CHECK(changed->items[0].previous_version == "v-1");
  CHECK(changed->state_index == 2);
  auto api = f.store.Get({"Deployment", "default", "api"});
  CHECK((*api)->generation == 2);
  CHECK((*api)->applied_by == "tester");
  CHECK((*api)->apply_set == "s");
}

TEST_CASE("Store apply: a change outside the version (replicas) is configured, same version") {
  StoreFixture f;
  REQUIRE(
      f.store.Apply({Obj("api", "v-1", "default", "Deployment", R"(,"replicas":1)")}, Opts("s")));
  auto r =
      f.store.Apply({Obj("api", "v-1", "default", "Deployment", R"(,"replicas":3)")}, Opts("s"));
  REQUIRE(r);
  CHECK(Actions(*r) == std::vector<std::string>{"api:configured"});
  CHECK(r->items[0].version == "v-1");
}

TEST_CASE("Store apply: a set naming an object twice is refused with nothing written") {
  StoreFixture f;
  auto r = f.store.Apply({Obj("api", "v-1"), Obj("api", "v-2")}, Opts("s"));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::kInvalid);
  CHECK(*f.store.StateIndex() == 0);
  CHECK(f.store.List({})->empty());
}

TEST_CASE("Store apply: checkIndex behind the state index is a conflict") {
  StoreFixture f;
  REQUIRE(f.store.Apply({Obj("api", "v-1")}, Opts("s")));
  ApplyOptions o = Opts("s");
  o.check_index = 0;
  auto r = f.store.Apply({Obj("api", "v-2")}, o);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::kConflict);
  CHECK((*f.store.Get({"Deployment", "default", "api"}))->version == "v-1");
  o.check_index = 1;
  REQUIRE(f.store.Apply({Obj("api", "v-2")}, o));
}

TEST_CASE("Store apply: dry run reports the actions and writes nothing") {
  StoreFixture f;
  ApplyOptions o = Opts("s");
  o.dry_run = true;
  auto r = f.store.Apply({Obj("api", "v-1")}, o);
  REQUIRE(r);
  CHECK(Actions(*r) == std::vector<std::string>{"api:created"});
  CHECK(r->state_index == 0);
  CHECK(*f.store.StateIndex() == 0);
  CHECK_FALSE(f.store.Get({"Deployment", "default", "api"})->has_value());
  CHECK(f.store.Events({})->empty());
}

TEST_CASE("Store prune: removes only members of the same set that are missing") {
  StoreFixture f;
  REQUIRE(f.store.Apply({Obj("a", "v-1"), Obj("b", "v-1"), Obj("c", "v-1")}, Opts("one")));
  REQUIRE(f.store.Apply({Obj("x", "v-1")}, Opts("two")));
  auto r = f.store.Apply({Obj("a", "v-1"), Obj("b", "v-1")}, Opts("one", /*prune=*/true));
  REQUIRE(r);
  CHECK(Actions(*r) == std::vector<std::string>{"a:unchanged", "b:unchanged", "c:pruned"});
  CHECK_FALSE(f.store.Get({"Deployment", "default", "c"})->has_value());
  CHECK(f.store.Get({"Deployment", "default", "x"})->has_value());
  // Without prune nothing goes.
  auto keep = f.store.Apply({Obj("a", "v-1")}, Opts("one"));
  REQUIRE(keep);
  CHECK(f.store.Get({"Deployment", "default", "b"})->has_value());
}

TEST_CASE("Store prune: more than half of a set needs confirmation") {
  StoreFixture f;
  REQUIRE(f.store.Apply({Obj("a", "v-1"), Obj("b", "v-1"), Obj("c", "v-1")}, Opts("s")));
  auto refused = f.store.Apply({Obj("a", "v-1")}, Opts("s", true));
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == ErrorCode::kConflict);
  CHECK(refused.error().message.find("confirmPrune") != std::string::npos);
  CHECK(f.store.List({})->size() == 3);
  ApplyOptions o = Opts("s", true);
  o.confirm_prune = true;
  auto confirmed = f.store.Apply({Obj("a", "v-1")}, o);
  REQUIRE(confirmed);
  CHECK(f.store.List({})->size() == 1);
}

TEST_CASE("Store prune: exactly half of a set goes without confirmation") {
  StoreFixture f;
  REQUIRE(f.store.Apply({Obj("a", "v-1"), Obj("b", "v-1")}, Opts("s")));
  REQUIRE(f.store.Apply({Obj("a", "v-1")}, Opts("s", true)));
  CHECK(f.store.List({})->size() == 1);
}

TEST_CASE("Store prune: an empty set never prunes, even when confirmed") {
  StoreFixture f;
  REQUIRE(f.store.Apply({Obj("a", "v-1")}, Opts("s")));
  ApplyOptions o = Opts("s", true);
  o.confirm_prune = true;
  auto r = f.store.Apply({}, o);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::kInvalid);
  CHECK(f.store.List({})->size() == 1);
}

TEST_CASE("Store prune: a namespace-scoped prune leaves other namespaces of the set alone") {
  StoreFixture f;
  REQUIRE(f.store.Apply({Obj("a", "v-1", "team-a"), Obj("b", "v-1", "team-b")}, Opts("s")));
  ApplyOptions o = Opts("s", true);
  o.only_namespace = "team-a";
  o.confirm_prune = true;
  REQUIRE(f.store.Apply({Obj("a2", "v-1", "team-a")}, o));
  CHECK_FALSE(f.store.Get({"Deployment", "team-a", "a"})->has_value());
  CHECK(f.store.Get({"Deployment", "team-b", "b"})->has_value());
}

TEST_CASE(
    "Store apply: an object applied by another set moves to it and leaves the old set's prune") {
  StoreFixture f;
  REQUIRE(f.store.Apply({Obj("a", "v-1"), Obj("b", "v-1")}, Opts("one")));
  REQUIRE(f.store.Apply({Obj("b", "v-1")}, Opts("two")));
  CHECK((*f.store.Get({"Deployment", "default", "b"}))->apply_set == "two");
  REQUIRE(f.store.Apply({Obj("a", "v-1")}, Opts("one", true)));
  CHECK(f.store.Get({"Deployment", "default", "b"})->has_value());
}

TEST_CASE("Store: sensitive objects are sealed at rest and readable through GetCanonical") {
  StoreFixture f;
  DesiredObject secret =
      Obj("db", "v-1", "default", "Secret", R"(,"data":{"PASSWORD":"hunter2-plaintext"})");
  secret.sensitive = true;
  secret.display_json = R"({"kind":"Secret","data":{"PASSWORD":"***"}})";
  REQUIRE(f.store.Apply({secret}, Opts("s")));
  auto shown = f.store.Get(secret.key);
  REQUIRE(shown->has_value());
  CHECK((*shown)->spec_json.find("hunter2") == std::string::npos);
  CHECK((*shown)->sensitive);
  auto full = f.store.GetCanonical(secret.key);
  REQUIRE(full);
  CHECK(full->find("hunter2-plaintext") != std::string::npos);
  f.store = f.Open();  // checkpoint nothing special: read every file on disk
  for (const char* name : {"prisn.db", "prisn.db-wal"}) {
    auto bytes = ReadFile(f.dir.File(name));
    if (bytes) CHECK(bytes->find("hunter2") == std::string::npos);
  }
}

TEST_CASE("Store: source files are stored by content and read back") {
  StoreFixture f;
  DesiredObject d = Obj("api", "v-1");
  d.sources = {{"main.py", "print('hi')\n"}, {"lib/util.py", "X = 1\n"}};
  REQUIRE(f.store.Apply({d}, Opts("s")));
  auto sources = f.store.GetSources(d.key);
  REQUIRE(sources);
  CHECK(*sources == d.sources);
  CHECK((*f.store.Get(d.key))->sources.at("main.py") == Sha256Hex("print('hi')\n"));
}

TEST_CASE(
    "Store delete: soft delete hides the object, keeps history, and a re-create continues "
    "generations") {
  StoreFixture f;
  REQUIRE(f.store.Apply({Obj("api", "v-1")}, Opts("s")));
  REQUIRE(f.store.Apply({Obj("api", "v-2")}, Opts("s")));
  auto dry = f.store.Delete({"Deployment", "default", "api"}, /*dry_run=*/true, "tester");
  REQUIRE(dry);
  CHECK(f.store.Get({"Deployment", "default", "api"})->has_value());
  int64_t index = 0;
  REQUIRE(f.store.Delete({"Deployment", "default", "api"}, false, "tester", &index));
  CHECK(index == 3);
  CHECK_FALSE(f.store.Get({"Deployment", "default", "api"})->has_value());
  CHECK(f.store.History({"Deployment", "default", "api"})->size() == 2);
  auto again = f.store.Delete({"Deployment", "default", "api"}, false, "tester");
  REQUIRE_FALSE(again);
  CHECK(again.error().code == ErrorCode::kNotFound);
  auto recreated = f.store.Apply({Obj("api", "v-3")}, Opts("s"));
  REQUIRE(recreated);
  CHECK(Actions(*recreated) == std::vector<std::string>{"api:created"});
  CHECK((*f.store.Get({"Deployment", "default", "api"}))->generation == 3);
}

TEST_CASE("Store put: refuses an existing object unless overwrite, and keeps its set") {
  StoreFixture f;
  int64_t index = 0;
  auto created = f.store.Put(Obj("db", "v-1", "default", "Secret"), false, "tester", &index);
  REQUIRE(created);
  CHECK(created->action == Action::kCreated);
  CHECK(index == 1);
  CHECK_FALSE((*f.store.Get({"Secret", "default", "db"}))->apply_set.has_value());
  auto taken = f.store.Put(Obj("db", "v-2", "default", "Secret"), false, "tester");
  REQUIRE_FALSE(taken);
  CHECK(taken.error().code == ErrorCode::kConflict);
  auto replaced = f.store.Put(Obj("db", "v-2", "default", "Secret"), true, "tester", &index);
  REQUIRE(replaced);
  CHECK(replaced->action == Action::kConfigured);
  CHECK(index == 2);
}

TEST_CASE("Store list and count filter by kind, namespace and set") {
  StoreFixture f;
  REQUIRE(f.store.Apply(
      {Obj("a", "v-1", "n1"), Obj("b", "v-1", "n2"), Obj("j", "v-1", "n1", "Job")}, Opts("s")));
  REQUIRE(f.store.Apply({Obj("c", "v-1", "n1")}, Opts("t")));
  CHECK(f.store.List({})->size() == 4);
  CHECK(f.store.List({"Deployment", std::nullopt, std::nullopt})->size() == 3);
  CHECK(f.store.List({std::nullopt, "n1", std::nullopt})->size() == 3);
  CHECK(f.store.List({std::nullopt, std::nullopt, "t"})->size() == 1);
  auto counts = f.store.CountObjects("n1");
  REQUIRE(counts);
  CHECK(counts->at("Deployment") == 2);
  CHECK(counts->at("Job") == 1);
}

TEST_CASE(
    "Store events: every change is logged, filters by object, namespace and time, limit keeps the "
    "newest") {
  StoreFixture f;
  REQUIRE(f.store.Apply({Obj("a", "v-1", "n1")}, Opts("s")));
  f.clock_ms += 60'000;
  REQUIRE(f.store.Apply({Obj("a", "v-2", "n1"), Obj("b", "v-1", "n2")}, Opts("s")));
  auto all = f.store.Events({});
  REQUIRE(all);
  std::vector<std::string> types;
  for (const Event& e : *all) types.push_back(e.type);
  CHECK(types ==
        std::vector<std::string>{"created", "applied", "configured", "created", "applied"});
  EventFilter by_object;
  by_object.kind = "Deployment";
  by_object.ns = "n1";
  by_object.name = "a";
  CHECK(f.store.Events(by_object)->size() == 2);
  EventFilter since;
  since.since_ms = f.clock_ms;
  CHECK(f.store.Events(since)->size() == 3);
  EventFilter scoped;
  scoped.only_namespace = "n2";
  auto n2 = f.store.Events(scoped);
  REQUIRE(n2->size() == 1);
  CHECK(n2->front().object->name == "b");
  EventFilter limited;
  limited.limit = 2;
  auto last = f.store.Events(limited);
  REQUIRE(last->size() == 2);
  CHECK(last->back().type == "applied");
  CHECK(last->front().type == "created");
}

TEST_CASE("Store tokens: create, list, duplicate names, revoke, and the last admin stays") {
  StoreFixture f;
  auto admin = f.store.CreateToken(std::string("admin"), std::nullopt, "hash-a", "prisn");
  REQUIRE(admin);
  auto ns = f.store.CreateToken(std::nullopt, std::string("team-a"), "hash-b", "admin");
  REQUIRE(ns);
  CHECK(ns->name == "token-2");
  auto dup = f.store.CreateToken(std::string("admin"), std::nullopt, "hash-c", "admin");
  REQUIRE_FALSE(dup);
  CHECK(dup.error().code == ErrorCode::kConflict);
  auto last = f.store.RevokeToken("admin", "admin");
  REQUIRE_FALSE(last);
  CHECK(last.error().code == ErrorCode::kConflict);
  auto revoked = f.store.RevokeToken("2", "admin");
  REQUIRE(revoked);
  CHECK(revoked->revoked_ms.has_value());
  auto tokens = f.store.ListTokens();
  REQUIRE(tokens->size() == 2);
  CHECK((*tokens)[1].revoked_ms.has_value());
  CHECK_FALSE(f.store.RevokeToken("nobody", "admin"));
}

}  // namespace
}  // namespace prisn::store
