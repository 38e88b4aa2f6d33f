#include "reconciler/store.h"

#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

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

TEST_CASE("Store prune: renaming the only object of a set is no mass deletion") {
  StoreFixture f;
  REQUIRE(f.store.Apply({Obj("old", "v-1")}, Opts("s")));
  auto renamed = f.store.Apply({Obj("new", "v-1")}, Opts("s", true));
  REQUIRE(renamed);
  CHECK(Actions(*renamed) == std::vector<std::string>{"new:created", "old:pruned"});
  CHECK(renamed->members_before == 1);
  // Two of two is: one deletion is the most that goes unconfirmed.
  REQUIRE(f.store.Apply({Obj("new", "v-1"), Obj("b", "v-1")}, Opts("s", true)));
  auto both = f.store.Apply({Obj("c", "v-1"), Obj("d", "v-1")}, Opts("s", true));
  REQUIRE_FALSE(both);
  CHECK(both.error().code == ErrorCode::kConflict);
  CHECK(f.store.Get({"Deployment", "default", "new"})->has_value());
}

TEST_CASE("Store apply: without prune the members left behind are reported") {
  StoreFixture f;
  REQUIRE(f.store.Apply({Obj("a", "v-1"), Obj("b", "v-1")}, Opts("s")));
  auto r = f.store.Apply({Obj("a", "v-1")}, Opts("s"));
  REQUIRE(r);
  CHECK(r->members_before == 2);
  REQUIRE(r->not_named.size() == 1);
  CHECK(r->not_named.front().name == "b");
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
  ApplyOptions o = Opts("s", true);
  o.only_namespace = "team-a";
  o.confirm_prune = true;
  // team-a's set, to which an admin added a team-b object.
  REQUIRE(f.store.Apply({Obj("a", "v-1", "team-a")}, o));
  REQUIRE(f.store.Apply({Obj("b", "v-1", "team-b")}, Opts("s")));
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

// ---- ownership of sets and objects (store_owners.cc)

ApplyOptions TeamOpts(const std::string& set, const std::string& ns) {
  ApplyOptions o = Opts(set);
  o.only_namespace = ns;
  o.actor = "ci-" + ns;
  return o;
}

ApplyOptions SourceOpts(const std::string& source) {
  ApplyOptions o = Opts("source:" + source, true);
  o.source = source;
  o.actor = "source:" + source + "@0123456789ab";
  return o;
}

void AddSource(Store& store, const std::string& name) {
  SourceRecord r;
  r.name = name;
  r.type = "dir";
  r.spec_json = "{}";
  REQUIRE(store.PutSource(r, false, "admin"));
}

TEST_CASE("Store sets: \"source:\" sets take applies from their own source only") {
  StoreFixture f;
  AddSource(f.store, "src-b");
  REQUIRE(f.store.Apply({Obj("b", "v-1", "team-b")}, SourceOpts("src-b")));
  auto team = f.store.Apply({Obj("a", "v-1", "team-a")}, TeamOpts("source:src-b", "team-a"));
  REQUIRE_FALSE(team);
  CHECK(team.error().code == ErrorCode::kPermission);
  CHECK(team.error().message.find("reserved for sources") != std::string::npos);
  auto admin = f.store.Apply({Obj("a", "v-1", "team-a")}, Opts("source:src-b"));
  REQUIRE_FALSE(admin);
  CHECK(admin.error().code == ErrorCode::kPermission);
  ApplyOptions other = SourceOpts("src-c");
  other.set = "source:src-b";
  CHECK_FALSE(f.store.Apply({Obj("a", "v-1", "team-a")}, other));
  // Nothing joined the set: the source's next sync prunes nothing.
  CHECK(f.store.List({std::nullopt, std::nullopt, "source:src-b"})->size() == 1);
  CHECK_FALSE(f.store.Get({"Deployment", "team-a", "a"})->has_value());
}

TEST_CASE("Store sets: a namespace token applies only into sets its namespace owns") {
  StoreFixture f;
  REQUIRE(f.store.Apply({Obj("b", "v-1", "team-b")}, TeamOpts("b-set", "team-b")));
  REQUIRE(f.store.Apply({Obj("x", "v-1", "team-b")}, Opts("admin-set")));
  int64_t index = *f.store.StateIndex();
  for (const std::string set : {"b-set", "admin-set"}) {
    INFO(set);
    auto r = f.store.Apply({Obj("a", "v-1", "team-a")}, TeamOpts(set, "team-a"));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::kPermission);
    CHECK(r.error().message.find("not owned by namespace team-a") != std::string::npos);
    // A dry run (diff) is refused alike.
    ApplyOptions dry = TeamOpts(set, "team-a");
    dry.dry_run = true;
    CHECK_FALSE(f.store.Apply({Obj("a", "v-1", "team-a")}, dry));
  }
  CHECK(*f.store.StateIndex() == index);
  // Its own sets, and an admin anywhere.
  REQUIRE(f.store.Apply({Obj("b2", "v-1", "team-b")}, TeamOpts("b-set", "team-b")));
  REQUIRE(f.store.Apply({Obj("a", "v-1", "team-a")}, TeamOpts("a-set", "team-a")));
  REQUIRE(f.store.Apply({Obj("y", "v-1", "team-b")}, Opts("b-set")));
  // The admin's apply did not take the set from team-b.
  REQUIRE(f.store.Apply({Obj("b3", "v-1", "team-b")}, TeamOpts("b-set", "team-b")));
}

TEST_CASE("Store sets: a set made before sets had owners belongs to its members' namespace") {
  StoreFixture f;
  REQUIRE(f.store.Apply({Obj("b", "v-1", "team-b")}, Opts("old-b")));
  REQUIRE(f.store.Apply({Obj("a", "v-1", "team-a"), Obj("b2", "v-1", "team-b")}, Opts("mixed")));
  auto db = sqlite::Database::Open(f.dir.File("prisn.db"));
  REQUIRE(db);
  REQUIRE(db->Exec("DELETE FROM apply_sets"));
  CHECK(f.store.Apply({Obj("b3", "v-1", "team-b")}, TeamOpts("old-b", "team-b")));
  CHECK_FALSE(f.store.Apply({Obj("a2", "v-1", "team-a")}, TeamOpts("old-b", "team-a")));
  CHECK_FALSE(f.store.Apply({Obj("a2", "v-1", "team-a")}, TeamOpts("mixed", "team-a")));
}

TEST_CASE("Store objects: a namespace token cannot take an object out of a set it does not own") {
  StoreFixture f;
  REQUIRE(f.store.Apply({Obj("a", "v-1", "team-a")}, Opts("platform")));
  REQUIRE(f.store.Apply({Obj("mine", "v-1", "team-a")}, TeamOpts("a-one", "team-a")));
  auto r = f.store.Apply({Obj("a", "v-2", "team-a")}, TeamOpts("a-two", "team-a"));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::kPermission);
  CHECK(r.error().message.find("in set platform, which namespace team-a does not own") != std::string::npos);
  CHECK((*f.store.Get({"Deployment", "team-a", "a"}))->version == "v-1");
  // Between its own sets it moves freely; an admin moves anything.
  REQUIRE(f.store.Apply({Obj("mine", "v-1", "team-a")}, TeamOpts("a-two", "team-a")));
  CHECK((*f.store.Get({"Deployment", "team-a", "mine"}))->apply_set == "a-two");
  REQUIRE(f.store.Apply({Obj("a", "v-2", "team-a")}, Opts("other")));
  // Gone from the set, it is anyone's to create again.
  REQUIRE(f.store.Delete({"Deployment", "team-a", "a"}, false, "admin"));
  REQUIRE(f.store.Apply({Obj("a", "v-3", "team-a")}, TeamOpts("a-two", "team-a")));
}

TEST_CASE("Store objects: a source's object moves only by an admin's force") {
  StoreFixture f;
  AddSource(f.store, "site");
  REQUIRE(f.store.Apply({Obj("web", "v-1")}, SourceOpts("site")));
  ApplyOptions team = TeamOpts("mine", "default");
  team.force = true;  // not an admin: ignored
  auto r = f.store.Apply({Obj("web", "v-2")}, team);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::kConflict);
  CHECK(r.error().message.find("only an admin token can move it") != std::string::npos);
  auto admin = f.store.Apply({Obj("web", "v-2")}, Opts("cli"));
  REQUIRE_FALSE(admin);
  CHECK(admin.error().message.find("owned by source site") != std::string::npos);
  ApplyOptions forced = Opts("cli");
  forced.force = true;
  REQUIRE(f.store.Apply({Obj("web", "v-2")}, forced));
  CHECK((*f.store.Get({"Deployment", "default", "web"}))->apply_set == "cli");
  // The source takes it back at its next sync.
  REQUIRE(f.store.Apply({Obj("web", "v-1")}, SourceOpts("site")));
  CHECK((*f.store.Get({"Deployment", "default", "web"}))->apply_set == "source:site");
}

TEST_CASE("Store objects: a second source defining another source's object is a conflict") {
  StoreFixture f;
  AddSource(f.store, "one");
  AddSource(f.store, "two");
  REQUIRE(f.store.Apply({Obj("shared", "v-1")}, SourceOpts("one")));
  auto r = f.store.Apply({Obj("shared", "v-2"), Obj("own", "v-1")}, SourceOpts("two"));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::kConflict);
  CHECK(r.error().message.find("already owned by source one") != std::string::npos);
  auto kept = *f.store.Get({"Deployment", "default", "shared"});
  CHECK(kept->apply_set == "source:one");
  CHECK(kept->version == "v-1");
  CHECK_FALSE(f.store.Get({"Deployment", "default", "own"})->has_value());
  // Once the first source is deleted its objects are nobody's.
  REQUIRE(f.store.DeleteSource("one", "admin"));
  REQUIRE(f.store.Apply({Obj("shared", "v-2"), Obj("own", "v-1")}, SourceOpts("two")));
  CHECK((*f.store.Get({"Deployment", "default", "shared"}))->apply_set == "source:two");
}

// An Ingress as the manifest library's canonical JSON has it.
DesiredObject Ingress(const std::string& name, const std::string& ns,
                      const std::vector<std::pair<std::string, std::string>>& routes,
                      const std::string& address = "127.0.0.1", int port = 8080) {
  nlohmann::json rules = nlohmann::json::array();
  for (const auto& [host, path] : routes) {
    rules.push_back({{"host", host},
                     {"paths", {{{"path", path}, {"backend", {{"service", "web"}, {"port", nullptr}}}}}}});
  }
  nlohmann::json j{{"apiVersion", "prisn.io/v1"},
                   {"kind", "Ingress"},
                   {"metadata", {{"name", name}, {"namespace", ns}, {"labels", nlohmann::json::object()}}},
                   {"spec", {{"address", address}, {"port", port}, {"tls", nullptr}, {"rules", rules}}}};
  DesiredObject d;
  d.key = {"Ingress", ns, name};
  d.canonical_json = j.dump();
  d.display_json = d.canonical_json;
  d.version = "v-" + std::to_string(std::hash<std::string>()(d.canonical_json) % 100000000);
  return d;
}

TEST_CASE("Store Ingress: a route another namespace claimed first is refused, owner named") {
  StoreFixture f;
  REQUIRE(f.store.Apply({Ingress("site", "team-b", {{"b.test", "/"}})}, TeamOpts("b", "team-b")));
  int64_t index = *f.store.StateIndex();
  struct Case {
    std::vector<std::pair<std::string, std::string>> routes;
    std::string address;
  };
  for (const Case& c : std::vector<Case>{{{{"b.test", "/"}}, "127.0.0.1"},
                                         {{{"B.test", "/login"}}, "127.0.0.1"},
                                         {{{"a.test", "/"}, {"b.test", "/"}}, "127.0.0.1"},
                                         {{{"a.test", "/"}}, "0.0.0.0"}}) {
    // As a team-a token, and as an admin: the claim is the namespace's.
    for (ApplyOptions o : {TeamOpts("a", "team-a"), Opts("admin-set")}) {
      auto r = f.store.Apply({Ingress("evil", "team-a", c.routes, c.address)}, o);
      REQUIRE_FALSE(r);
      CHECK(r.error().code == ErrorCode::kConflict);
      CHECK(r.error().context == "Ingress/team-a/evil");
      CHECK(r.error().message.find("namespace team-b claimed it first with Ingress/team-b/site") !=
            std::string::npos);
    }
  }
  CHECK(*f.store.StateIndex() == index);
  CHECK_FALSE(f.store.Get({"Ingress", "team-a", "evil"})->has_value());
  // Other hosts, a shorter prefix, another port: side by side.
  REQUIRE(f.store.Apply({Ingress("ok", "team-a", {{"a.test", "/"}, {"", "/"}})},
                        TeamOpts("a", "team-a")));
  REQUIRE(f.store.Apply({Ingress("port", "team-a", {{"b.test", "/"}}, "127.0.0.1", 8081)},
                        TeamOpts("a", "team-a")));
  // The owner keeps re-applying and extending its own routes.
  REQUIRE(f.store.Apply({Ingress("site", "team-b", {{"b.test", "/"}, {"b.test", "/v2"}})},
                        TeamOpts("b", "team-b")));
}

TEST_CASE("Store Ingress: a route moves once its owner lets it go, or in one admin apply") {
  StoreFixture f;
  REQUIRE(f.store.Apply({Ingress("site", "team-b", {{"b.test", "/"}})}, Opts("b")));
  // One apply that drops it from team-b and gives it to team-a.
  REQUIRE(f.store.Apply({Ingress("site", "team-b", {{"old.test", "/"}}),
                         Ingress("site", "team-a", {{"b.test", "/"}})},
                        Opts("b")));
  // Deleted by its owner, the route is free again.
  REQUIRE(f.store.Delete({"Ingress", "team-a", "site"}, false, "admin"));
  REQUIRE(f.store.Apply({Ingress("site", "team-c", {{"b.test", "/"}})}, TeamOpts("c", "team-c")));
}

TEST_CASE("Store Ingress: a rollback cannot bring back a route another namespace claimed since") {
  StoreFixture f;
  REQUIRE(f.store.Apply({Ingress("site", "team-b", {{"b.test", "/"}})}, TeamOpts("b", "team-b")));
  REQUIRE(f.store.Apply({Ingress("site", "team-b", {{"new.test", "/"}})}, TeamOpts("b", "team-b")));
  REQUIRE(f.store.Apply({Ingress("site", "team-a", {{"b.test", "/"}})}, TeamOpts("a", "team-a")));
  auto r = f.store.Rollback({"Ingress", "team-b", "site"}, std::nullopt, "ci-team-b");
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::kConflict);
  CHECK(r.error().message.find("claimed it first with Ingress/team-a/site") != std::string::npos);
}

}  // namespace
}  // namespace prisn::store
