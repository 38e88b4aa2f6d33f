#pragma once
// Move-only RAII owners for SQLite handles: the connection, prepared
// statements and transactions. Every failure becomes a prisn::Error whose
// message carries SQLite's own text; SQLITE_BUSY is retried with a deadline
// (the busy-retry helper) before it is reported as kUnavailable.

#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"
#include "util/mutex.h"

namespace prisn::sqlite {

class Statement;

// What a connection learned about its file: the first corrupt page, "not a
// database" or I/O error any statement met. Sticky, because a damaged file
// does not heal; read from any thread (the /health probe) while the
// connection's owner keeps using it.
class Damage {
 public:
  // Keeps the first damage; other result codes are ignored.
  void Note(int rc, std::string_view message);
  std::optional<std::string> Get() const;

 private:
  std::atomic<bool> damaged_{false};
  mutable Mutex mu_;
  std::string message_ PRISN_GUARDED_BY(mu_);
};

// Whether `rc` says the file itself is damaged or unreadable (CORRUPT,
// NOTADB, IOERR), rather than a busy lock, a full disk or a bad statement.
bool IsDamage(int rc);

// The result of PRAGMA quick_check.
struct IntegrityReport {
  bool complete = true;               // false: the time budget ran out first
  std::vector<std::string> problems;  // empty: no damage found
};

// An open connection. Closing happens in the destructor; statements must be
// destroyed before their database (the Store declares them after it).
class Database {
 public:
  Database() = default;
  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  // Opens (creating if needed) the file at `path`; ":memory:" works too.
  static Result<Database> Open(const std::string& path);
  // Opens an existing file; kNotFound when it does not exist.
  static Result<Database> OpenExisting(const std::string& path);

  // PRAGMA quick_check (every page's b-tree structure, not index contents),
  // interrupted once `budget` has passed (complete = false, no problems
  // kept): a large file must not hold the start-up forever. A corrupt file
  // may also fail the check outright (the error names the damage).
  Result<IntegrityReport> QuickCheck(std::chrono::milliseconds budget);
  // The damage any statement of this connection met, shared with probes.
  std::shared_ptr<const Damage> damage() const { return damage_; }

  // Runs one or more statements that return no rows.
  Status Exec(std::string_view sql);
  // Compiles one statement; fails kInvalid on a syntax error (a bug of ours).
  Result<Statement> Prepare(std::string_view sql);
  // Runs a statement that returns one integer (PRAGMA user_version).
  Result<int64_t> QueryInt(std::string_view sql);

  int64_t LastInsertRowid() const;
  int Changes() const;
  sqlite3* Get() const { return db_; }

 private:
  static Result<Database> OpenWith(const std::string& path, int flags);
  explicit Database(sqlite3* db) : db_(db), damage_(std::make_shared<Damage>()) {}
  sqlite3* db_ = nullptr;
  std::shared_ptr<Damage> damage_;
};

// A prepared statement, reusable: Reset() after each use (Step does not).
// Binding indexes are 1-based, column indexes 0-based as in SQLite.
class Statement {
 public:
  Statement() = default;
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, std::string_view text);
  Statement& Bind(int index, const std::string& text) {
    return Bind(index, std::string_view(text));
  }
  Statement& Bind(int index, const char* text) { return Bind(index, std::string_view(text)); }
  Statement& BindBlob(int index, std::string_view bytes);
  Statement& BindNull(int index);
  Statement& Bind(int index, const std::optional<std::string>& text);
  Statement& Bind(int index, const std::optional<int64_t>& value);

  // true: a row is ready; false: done. Retries SQLITE_BUSY with a deadline.
  Result<bool> Step();
  // Steps a statement that must not return rows, then resets it.
  Status Run();
  // Clears bindings and rewinds, ready for the next use.
  void Reset();

  int64_t Int(int column) const;
  std::string Text(int column) const;
  std::string Blob(int column) const;
  bool IsNull(int column) const;
  std::optional<std::string> OptText(int column) const;
  std::optional<int64_t> OptInt(int column) const;

 private:
  friend class Database;
  Statement(sqlite3* db, sqlite3_stmt* stmt, std::shared_ptr<Damage> damage)
      : db_(db), stmt_(stmt), damage_(std::move(damage)) {}
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  std::shared_ptr<Damage> damage_;
};

// Resets a statement when the scope ends, whatever path leaves it.
class ResetGuard {
 public:
  explicit ResetGuard(Statement& stmt) : stmt_(stmt) {}
  ResetGuard(const ResetGuard&) = delete;
  ResetGuard& operator=(const ResetGuard&) = delete;
  ~ResetGuard() { stmt_.Reset(); }

 private:
  Statement& stmt_;
};

// BEGIN IMMEDIATE ... COMMIT. Rolls back in the destructor unless Commit()
// succeeded, so an early return or a failed step leaves no half-written set.
class Transaction {
 public:
  static Result<Transaction> Begin(Database& db);
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();

  Status Commit();

 private:
  explicit Transaction(Database* db) : db_(db) {}
  Database* db_ = nullptr;
};

// An Error from a SQLite result code, with the connection's message.
Error SqliteError(sqlite3* db, int rc, std::string_view what);

}  // namespace prisn::sqlite
