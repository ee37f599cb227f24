// SQL run on a store's file directly, behind the store's back (to damage it,
// or to set what a test starts from).
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>

namespace tender::testing {

inline void rawSql(const std::string& file, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(SQLITE_OK, sqlite3_open(file.c_str(), &db));
  EXPECT_EQ(SQLITE_OK, sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr)) << sqlite3_errmsg(db);
  sqlite3_close(db);
}

}  // namespace tender::testing
