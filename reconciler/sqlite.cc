#include "reconciler/sqlite.h"

#include <chrono>
#include <condition_variable>
#include <thread>
#include <utility>

namespace prisn::sqlite {
namespace {

// SQLite's own busy handler waits this long for a lock before it gives
// SQLITE_BUSY back; Step then retries (some paths, like a WAL checkpoint
// racing a reader, skip the handler) until the same deadline.
constexpr int kBusyTimeoutMs = 5000;
constexpr auto kBusyDeadline = std::chrono::milliseconds(kBusyTimeoutMs);

bool IsBusy(int rc) { return (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED; }

// Calls fn() until it returns something other than BUSY/LOCKED or the
// deadline passes; the sleep backs off from 1 ms to 50 ms.
template <class Fn>
int RetryBusy(Fn&& fn) {
  auto deadline = std::chrono::steady_clock::now() + kBusyDeadline;
  auto pause = std::chrono::milliseconds(1);
  for (;;) {
    int rc = fn();
    if (!IsBusy(rc) || std::chrono::steady_clock::now() >= deadline) return rc;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(50));
  }
}

}  // namespace

bool IsDamage(int rc) {
  int primary = rc & 0xff;
  return primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB || primary == SQLITE_IOERR;
}

void Damage::Note(int rc, std::string_view message) {
  if (!IsDamage(rc) || damaged_.load()) return;
  MutexLock lock(mu_);
  if (damaged_.load()) return;
  message_ = std::string(message);
  damaged_.store(true);
}

std::optional<std::string> Damage::Get() const {
  if (!damaged_.load()) return std::nullopt;
  MutexLock lock(mu_);
  return message_;
}

Error SqliteError(sqlite3* db, int rc, std::string_view what) {
  ErrorCode code = ErrorCode::kIo;
  if (IsBusy(rc)) code = ErrorCode::kUnavailable;
  if ((rc & 0xff) == SQLITE_CONSTRAINT) code = ErrorCode::kConflict;
  if ((rc & 0xff) == SQLITE_ERROR) code = ErrorCode::kInternal;
  std::string message = std::string(what) + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  return Error{code, std::move(message), {}};
}

// ---- Database

Database::Database(Database&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), damage_(std::move(other.damage_)) {}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    if (db_) sqlite3_close_v2(db_);
    db_ = std::exchange(other.db_, nullptr);
    damage_ = std::move(other.damage_);
  }
  return *this;
}

Database::~Database() {
  if (db_) sqlite3_close_v2(db_);
}

Result<Database> Database::OpenWith(const std::string& path, int flags) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  Database db(raw);  // owns raw even when open failed
  if (rc != SQLITE_OK) {
    Error err = SqliteError(raw, rc, "open database " + path);
    if ((rc & 0xff) == SQLITE_CANTOPEN || (rc & 0xff) == SQLITE_PERM) err.code = ErrorCode::kIo;
    return std::unexpected(err);
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  return db;
}

Result<Database> Database::Open(const std::string& path) {
  return OpenWith(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX);
}

Result<Database> Database::OpenExisting(const std::string& path) {
  auto db = OpenWith(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX);
  if (!db && db.error().message.find("unable to open") != std::string::npos)
    db.error().code = ErrorCode::kNotFound;
  return db;
}

Result<IntegrityReport> Database::QuickCheck(std::chrono::milliseconds budget) {
  auto stmt = Prepare("PRAGMA quick_check(20)");
  if (!stmt) return std::unexpected(stmt.error());
  // The check is one long virtual-machine step in SQLite 3.40 (Debian 12):
  // a progress handler is never called inside it, but sqlite3_interrupt is
  // seen between pages. A timer thread interrupts it at the budget.
  std::mutex mu;
  std::condition_variable finished_cv;
  bool finished = false;
  std::atomic<bool> interrupted{false};
  std::thread timer([&] {
    std::unique_lock lock(mu);
    if (!finished_cv.wait_for(lock, budget, [&] { return finished; })) {
      interrupted = true;
      sqlite3_interrupt(db_);
    }
  });
  IntegrityReport report;
  std::optional<Error> failed;
  for (;;) {
    int rc = sqlite3_step(stmt->stmt_);
    if (rc == SQLITE_ROW) {
      std::string line = stmt->Text(0);
      if (line != "ok") report.problems.push_back(std::move(line));
      continue;
    }
    if (rc != SQLITE_DONE && (rc & 0xff) != SQLITE_INTERRUPT) {
      failed = SqliteError(db_, rc, "integrity check");
      if (!interrupted) damage_->Note(rc, sqlite3_errmsg(db_));
    }
    break;
  }
  stmt->Reset();
  {
    std::lock_guard lock(mu);
    finished = true;
  }
  finished_cv.notify_all();
  timer.join();
  if (interrupted) {
    // An interrupted walk leaves pages unvisited, which the check then
    // reports as "never used": nothing it said can be trusted.
    report.complete = false;
    report.problems.clear();
    return report;
  }
  if (failed) return std::unexpected(*failed);
  return report;
}

Status Database::Exec(std::string_view sql) {
  std::string text(sql);
  char* message = nullptr;
  int rc = RetryBusy([&] {
    sqlite3_free(message);
    message = nullptr;
    return sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
  });
  if (rc != SQLITE_OK) {
    std::string what = message ? message : sqlite3_errstr(rc);
    sqlite3_free(message);
    damage_->Note(rc, what);
    Error err = SqliteError(nullptr, rc, "exec");
    err.message = "exec: " + what;
    return std::unexpected(err);
  }
  return {};
}

Result<Statement> Database::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return std::unexpected(
        SqliteError(db_, rc, "prepare \"" + std::string(sql.substr(0, 60)) + "\""));
  }
  return Statement(db_, stmt, damage_);
}

Result<int64_t> Database::QueryInt(std::string_view sql) {
  auto stmt = Prepare(sql);
  if (!stmt) return std::unexpected(stmt.error());
  auto row = stmt->Step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return Fail(ErrorCode::kInternal, "query returned no row", std::string(sql));
  return stmt->Int(0);
}

int64_t Database::LastInsertRowid() const { return sqlite3_last_insert_rowid(db_); }
int Database::Changes() const { return sqlite3_changes(db_); }

// ---- Statement

Statement::Statement(Statement&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)),
      stmt_(std::exchange(other.stmt_, nullptr)),
      damage_(std::move(other.damage_)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    if (stmt_) sqlite3_finalize(stmt_);
    db_ = std::exchange(other.db_, nullptr);
    stmt_ = std::exchange(other.stmt_, nullptr);
    damage_ = std::move(other.damage_);
  }
  return *this;
}

Statement::~Statement() {
  if (stmt_) sqlite3_finalize(stmt_);
}

Statement& Statement::Bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

Statement& Statement::Bind(int index, std::string_view text) {
  sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  return *this;
}

Statement& Statement::BindBlob(int index, std::string_view bytes) {
  sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::BindNull(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

Statement& Statement::Bind(int index, const std::optional<std::string>& text) {
  return text ? Bind(index, std::string_view(*text)) : BindNull(index);
}

Statement& Statement::Bind(int index, const std::optional<int64_t>& value) {
  return value ? Bind(index, *value) : BindNull(index);
}

Result<bool> Statement::Step() {
  int rc = RetryBusy([&] {
    int r = sqlite3_step(stmt_);
    // A busy step must be reset before it is retried.
    if (IsBusy(r)) sqlite3_reset(stmt_);
    return r;
  });
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  if (damage_) damage_->Note(rc, sqlite3_errmsg(db_));
  return std::unexpected(
      SqliteError(db_, rc, "step \"" + std::string(sqlite3_sql(stmt_)).substr(0, 60) + "\""));
}

Status Statement::Run() {
  auto row = Step();
  Reset();
  if (!row) return std::unexpected(row.error());
  return {};
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int64_t Statement::Int(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string Statement::Text(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  if (!text) return {};
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

std::string Statement::Blob(int column) const {
  const void* data = sqlite3_column_blob(stmt_, column);
  if (!data) return {};
  return std::string(static_cast<const char*>(data),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

bool Statement::IsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::optional<std::string> Statement::OptText(int column) const {
  if (IsNull(column)) return std::nullopt;
  return Text(column);
}

std::optional<int64_t> Statement::OptInt(int column) const {
  if (IsNull(column)) return std::nullopt;
  return Int(column);
}

// ---- Transaction

Result<Transaction> Transaction::Begin(Database& db) {
  if (auto st = db.Exec("BEGIN IMMEDIATE"); !st) return std::unexpected(st.error());
  return Transaction(&db);
}

Transaction::Transaction(Transaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}

Transaction::~Transaction() {
  if (db_) (void)db_->Exec("ROLLBACK");
}

Status Transaction::Commit() {
  if (!db_) return Fail(ErrorCode::kInternal, "commit of a finished transaction");
  auto st = db_->Exec("COMMIT");
  if (!st) return st;  // the destructor rolls back
  db_ = nullptr;
  return {};
}

}  // namespace prisn::sqlite
