#include "reconciler/sqlite.h"

#include <fcntl.h>
#include <unistd.h>

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

// A table over several pages in a file nobody has open; returns the page
// size and the table's root page.
std::pair<int64_t, int64_t> FileWithTable(const std::string& path, int rows = 200) {
  auto db = Database::Open(path);
  REQUIRE(db);
  REQUIRE(db->Exec("CREATE TABLE t (x TEXT); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + "
                   "1 FROM n WHERE i < " + std::to_string(rows) +
                   ") INSERT INTO t SELECT printf('%.300d', i) FROM n"));
  return {*db->QueryInt("PRAGMA page_size"),
          *db->QueryInt("SELECT rootpage FROM sqlite_master WHERE name = 't'")};
}

void ZeroPage(const std::string& path, int64_t page_size, int64_t page) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  std::string zeros(static_cast<size_t>(page_size), '\0');
  CHECK(::pwrite(fd, zeros.data(), zeros.size(), (page - 1) * page_size) ==
        static_cast<ssize_t>(zeros.size()));
  ::close(fd);
}

TEST_CASE("QuickCheck passes a sound file and names the damage of a zeroed page") {
  store::testing::TempDir dir;
  std::string path = dir.File("t.db");
  auto [page_size, root] = FileWithTable(path);
  {
    auto db = Database::Open(path);
    REQUIRE(db);
    auto report = db->QuickCheck(std::chrono::seconds(10));
    REQUIRE(report);
    CHECK(report->complete);
    CHECK(report->problems.empty());
  }
  ZeroPage(path, page_size, root);
  auto db = Database::Open(path);
  REQUIRE(db);
  auto report = db->QuickCheck(std::chrono::seconds(10));
  // Either the check lists the problem or it cannot read the page at all.
  if (report) {
    CHECK_FALSE(report->problems.empty());
  } else {
    CHECK(report.error().message.find("malformed") != std::string::npos);
  }
}

TEST_CASE("QuickCheck stops at its time budget") {
  store::testing::TempDir dir;
  std::string path = dir.File("t.db");
  FileWithTable(path, 100'000);  // 35 MB: its check takes far longer than 1 ms
  auto db = Database::Open(path);
  REQUIRE(db);
  auto report = db->QuickCheck(std::chrono::milliseconds(1));
  REQUIRE(report);
  CHECK_FALSE(report->complete);
  CHECK(report->problems.empty());  // an interrupted walk's "never used" pages are dropped
  CHECK_FALSE(db->damage()->Get());
  // The interrupt is spent: later statements run to the end.
  CHECK(*db->QueryInt("SELECT count(*) FROM t") == 100'000);
}

TEST_CASE("A statement that meets a corrupt page marks the connection damaged") {
  store::testing::TempDir dir;
  std::string path = dir.File("t.db");
  auto [page_size, root] = FileWithTable(path);
  ZeroPage(path, page_size, root);
  auto db = Database::Open(path);
  REQUIRE(db);
  CHECK_FALSE(db->damage()->Get());
  auto count = db->QueryInt("SELECT count(*) FROM t");
  REQUIRE_FALSE(count);
  auto damage = db->damage()->Get();
  REQUIRE(damage);
  CHECK(damage->find("malformed") != std::string::npos);
  // A constraint error or a bad statement is no damage: the first stays.
  REQUIRE_FALSE(db->Prepare("SELEC nonsense"));
  CHECK(db->damage()->Get() == damage);
}

}  // namespace
}  // namespace prisn::sqlite
