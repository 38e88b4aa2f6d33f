#pragma once
// Move-only RAII owners for SQLite handles: the connection, prepared
// statements and transactions. Every failure becomes a prisn::Error whose
// message carries SQLite's own text; SQLITE_BUSY is retried with a deadline
// (the busy-retry helper) before it is reported as kUnavailable.

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "util/error.h"

namespace prisn::sqlite {

class Statement;

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
  explicit Database(sqlite3* db) : db_(db) {}
  sqlite3* db_ = nullptr;
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
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
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
