#include "reconciler/sqlite.h"

#include <catch2/catch.hpp>

#include "store_fixture.h"

namespace prisn::sqlite {
namespace {

TEST_CASE("Transaction rolls back when it goes out of scope uncommitted") {
  auto db = Database::Open(":memory:");
  REQUIRE(db);
  REQUIRE(db->Exec("CREATE TABLE t (x INTEGER)"));
  {
    auto tx = Transaction::Begin(*db);
    REQUIRE(tx);
    REQUIRE(db->Exec("INSERT INTO t VALUES (1)"));
  }
  CHECK(*db->QueryInt("SELECT count(*) FROM t") == 0);
  {
    auto tx = Transaction::Begin(*db);
    REQUIRE(tx);
    REQUIRE(db->Exec("INSERT INTO t VALUES (2)"));
    REQUIRE(tx->Commit());
  }
  CHECK(*db->QueryInt("SELECT count(*) FROM t") == 1);
}

TEST_CASE("Statement binds text, blobs and nulls and reads them back after Reset") {
  auto db = Database::Open(":memory:");
  REQUIRE(db);
  REQUIRE(db->Exec("CREATE TABLE t (a TEXT, b BLOB, c INTEGER)"));
  auto insert = db->Prepare("INSERT INTO t VALUES (?1, ?2, ?3)");
  REQUIRE(insert);
  std::string blob("\0\x01\x02", 3);
  REQUIRE(insert->Bind(1, "one").BindBlob(2, blob).Bind(3, std::optional<int64_t>()).Run());
  REQUIRE(insert->Bind(1, std::optional<std::string>()).BindBlob(2, "").Bind(3, int64_t{7}).Run());
  auto select = db->Prepare("SELECT a, b, c FROM t ORDER BY rowid");
  REQUIRE(select);
  REQUIRE(*select->Step());
  CHECK(select->Text(0) == "one");
  CHECK(select->Blob(1) == blob);
  CHECK(select->IsNull(2));
  REQUIRE(*select->Step());
  CHECK_FALSE(select->OptText(0).has_value());
  CHECK(select->OptInt(2) == 7);
  CHECK_FALSE(*select->Step());
}

TEST_CASE("Prepare of bad SQL fails with the SQLite message") {
  auto db = Database::Open(":memory:");
  REQUIRE(db);
  auto stmt = db->Prepare("SELEC nonsense");
  REQUIRE_FALSE(stmt);
  CHECK(stmt.error().message.find("syntax error") != std::string::npos);
}

TEST_CASE("A unique constraint violation is a conflict") {
  auto db = Database::Open(":memory:");
  REQUIRE(db);
  REQUIRE(db->Exec("CREATE TABLE t (x TEXT UNIQUE)"));
  REQUIRE(db->Exec("INSERT INTO t VALUES ('a')"));
  auto again = db->Exec("INSERT INTO t VALUES ('a')");
  REQUIRE_FALSE(again);
  CHECK(again.error().code == ErrorCode::kConflict);
}

TEST_CASE("Opening a database in a missing directory is an io error") {
  auto db = Database::Open("/nonexistent/prisn/dir/db");
  REQUIRE_FALSE(db);
  CHECK(db.error().code == ErrorCode::kIo);
}

}  // namespace
}  // namespace prisn::sqlite
