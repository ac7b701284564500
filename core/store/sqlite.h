// Thin RAII wrappers over the sqlite3 C API: a connection, a prepared statement, a transaction.
// Every failure throws StoreError "<database path>: <what was attempted>: <sqlite's message>".
#pragma once
#include <cstdint>
#include <string>

#include "common/error.h"

struct sqlite3;
struct sqlite3_stmt;

namespace faultscape::sqlite {

class Database {
 public:
  enum class Mode {
    create,    // read-write, creating the file if needed; parent directories must exist
    read_only  // an existing file, never written (no journal mode change, no schema)
  };
  explicit Database(const std::string& path, Mode mode = Mode::create);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  const std::string& path() const { return path_; }
  sqlite3* handle() const { return db_; }
  // Runs one or more statements that return no rows needed by the caller.
  void exec(const std::string& sql) const;
  int64_t last_insert_id() const;
  int64_t changes() const;  // rows changed by the last statement
  [[noreturn]] void fail(const std::string& what) const;

 private:
  std::string path_;
  sqlite3* db_ = nullptr;
};

class Statement {
 public:
  Statement(const Database& db, const std::string& sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Parameters are numbered from 1, as in SQL's ?1, ?2, ...
  Statement& bind_int(int index, int64_t value);
  Statement& bind_real(int index, double value);  // NaN is stored as NULL
  Statement& bind_text(int index, const std::string& value);
  Statement& bind_null(int index);
  Statement& bind_text_or_null(int index, const std::string& value);  // "" -> NULL

  bool step();   // true while a row is available
  void run();    // steps a statement that returns no rows
  void reset();  // ready to step again with new bindings

  // Columns are numbered from 0.
  bool is_null(int column) const;
  int64_t integer(int column) const;
  double real(int column) const;  // NULL reads back as NaN
  std::string text(int column) const;

 private:
  const Database* db_;
  std::string sql_;
  sqlite3_stmt* stmt_ = nullptr;
};

// BEGIN IMMEDIATE (write) or BEGIN (read snapshot); rolls back unless commit() was reached.
class Transaction {
 public:
  enum class Mode { write, read };
  explicit Transaction(const Database& db, Mode mode = Mode::write);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  const Database* db_;
  bool open_ = true;
};

}  // namespace faultscape::sqlite
