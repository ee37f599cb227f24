// The schema, as an ordered list of migrations. A migration is never edited
// once released: a change to the schema is a new entry at the end.

#include <string>
#include <vector>

#include "store/sqlite_store.h"

namespace tender {
namespace store_internal {
namespace {

struct Migration {
  int version;
  const char* description;
  // Settings SQLite honours only before the file's first write (the WAL
  // switch counts as one), so they run outside the transaction, on a new file.
  std::vector<const char*> onNewFile;
  std::vector<const char*> statements;
};

const std::vector<Migration>& migrations() {
  static const std::vector<Migration> kMigrations = {
      {1,
       "resources, events and the resourceVersion counter",
       // Lets pages freed by purges be given back later with
       // PRAGMA incremental_vacuum, without a full VACUUM.
       {"PRAGMA auto_vacuum = INCREMENTAL"},
       {
           R"sql(CREATE TABLE resources (
                   kind TEXT NOT NULL,
                   namespace TEXT NOT NULL,
                   name TEXT NOT NULL,
                   uid TEXT NOT NULL UNIQUE,
                   generation INTEGER NOT NULL,
                   resource_version INTEGER NOT NULL,
                   labels TEXT NOT NULL DEFAULT '{}',
                   spec TEXT NOT NULL DEFAULT '{}',
                   status TEXT NOT NULL DEFAULT '{}',
                   created_at INTEGER NOT NULL,
                   updated_at INTEGER NOT NULL,
                   deleted_at INTEGER,
                   PRIMARY KEY (kind, namespace, name)))sql",
           R"sql(CREATE TABLE events (
                   id INTEGER PRIMARY KEY AUTOINCREMENT,
                   time INTEGER NOT NULL,
                   type TEXT NOT NULL,
                   reason TEXT NOT NULL,
                   kind TEXT NOT NULL,
                   namespace TEXT NOT NULL,
                   name TEXT NOT NULL,
                   message TEXT NOT NULL,
                   data TEXT NOT NULL DEFAULT '{}'))sql",
           "CREATE INDEX events_by_namespace ON events (namespace, id)",
           R"sql(CREATE TABLE counters (
                   id INTEGER PRIMARY KEY CHECK (id = 1),
                   resource_version INTEGER NOT NULL))sql",
           "INSERT INTO counters (id, resource_version) VALUES (1, 0)",
       }},
      {2,
       "post-mortems of container deaths, and each replica's restart state",
       {},
       {
           R"sql(CREATE TABLE terminations (
                   id INTEGER PRIMARY KEY AUTOINCREMENT,
                   namespace TEXT NOT NULL,
                   service TEXT NOT NULL,
                   replica INTEGER NOT NULL,
                   container_id TEXT NOT NULL,
                   started_at INTEGER NOT NULL,
                   finished_at INTEGER NOT NULL,
                   exit_code INTEGER NOT NULL,
                   reason TEXT NOT NULL,
                   data TEXT NOT NULL DEFAULT '{}'))sql",
           // One post-mortem per death: a container dies once per run.
           "CREATE UNIQUE INDEX terminations_by_death ON terminations (container_id, finished_at)",
           "CREATE INDEX terminations_by_service ON terminations (namespace, service, id)",
           R"sql(CREATE TABLE replica_state (
                   namespace TEXT NOT NULL,
                   service TEXT NOT NULL,
                   replica INTEGER NOT NULL,
                   data TEXT NOT NULL DEFAULT '{}',
                   PRIMARY KEY (namespace, service, replica)))sql",
       }},
      {3,
       "deletions that purge data, and tombstones of purged objects",
       {},
       {
           // 1: the deletion removes the object's data too (a volume, or a
           // namespace's volumes); 0: the data stays on the engine.
           "ALTER TABLE resources ADD COLUMN purge_data INTEGER NOT NULL DEFAULT 0",
           // An object's history (events, post-mortems) outlives it for a
           // grace period, counted from here.
           R"sql(CREATE TABLE tombstones (
                   kind TEXT NOT NULL,
                   namespace TEXT NOT NULL,
                   name TEXT NOT NULL,
                   purged_at INTEGER NOT NULL,
                   PRIMARY KEY (kind, namespace, name)))sql",
       }},
      {4,
       "requests still to carry out, and facts of containers' runs",
       {},
       {
           // A requested restart or an eviction: replica -1 stands for the
           // whole service.
           R"sql(CREATE TABLE service_requests (
                   namespace TEXT NOT NULL,
                   service TEXT NOT NULL,
                   kind TEXT NOT NULL,
                   replica INTEGER NOT NULL,
                   requested_at INTEGER NOT NULL,
                   reason TEXT NOT NULL DEFAULT '',
                   PRIMARY KEY (namespace, service, kind, replica)))sql",
           // What tender heard or did to a container (an oom event, a stop
           // it made and why), read when the container's death is recorded.
           R"sql(CREATE TABLE container_facts (
                   container_id TEXT PRIMARY KEY,
                   namespace TEXT NOT NULL,
                   service TEXT NOT NULL,
                   data TEXT NOT NULL DEFAULT '{}',
                   updated_at INTEGER NOT NULL))sql",
           "CREATE INDEX container_facts_by_service ON container_facts (namespace, service)",
       }},
      {5,
       "engine objects tender took over from docker compose",
       {},
       {
           // A volume or network a docker compose project created, which
           // tender uses as its own resource's (it cannot relabel it). Gone
           // with the resource's record; the engine object stays unless the
           // deletion purges data.
           R"sql(CREATE TABLE adoptions (
                   kind TEXT NOT NULL,
                   namespace TEXT NOT NULL,
                   name TEXT NOT NULL,
                   engine_name TEXT NOT NULL,
                   project TEXT NOT NULL,
                   adopted_by TEXT NOT NULL DEFAULT '',
                   adopted_at INTEGER NOT NULL,
                   PRIMARY KEY (kind, namespace, name)))sql",
       }},
  };
  return kMigrations;
}

Status migrationError(const Migration& m, const Status& s) {
  return s.WithContext("store: migration " + std::to_string(m.version) + " (" + m.description +
                       ")");
}

}  // namespace

int latestSchemaVersion() { return migrations().back().version; }

Status checkSchemaVersion(Connection& conn, const std::string& path) {
  Result<int64_t> version = conn.pragmaInt("user_version");
  if (!version.ok()) return version.status().WithContext("store: open " + path);
  if (*version > latestSchemaVersion()) {
    return Status::Unavailable("store: " + path + " has schema version " +
                               std::to_string(*version) + ", newer than the " +
                               std::to_string(latestSchemaVersion()) +
                               " this build of tender knows; it was written by a newer tender: "
                               "run that version, or use another state directory");
  }
  if (*version == 0) {
    for (const char* sql : migrations().front().onNewFile) {
      Status s = conn.exec(sql);
      if (!s.ok()) return migrationError(migrations().front(), s);
    }
  }
  return Status::Ok();
}

Status applyMigrations(Connection& conn) {
  // The common case, an up-to-date file, takes no write lock.
  Result<int64_t> current = conn.pragmaInt("user_version");
  if (current.ok() && *current >= latestSchemaVersion()) return Status::Ok();
  for (const Migration& m : migrations()) {
    Result<bool> applied = inWriteTransaction<bool>(conn, [&]() -> Result<bool> {
      // Read inside the transaction: another process may have migrated since.
      Result<int64_t> version = conn.pragmaInt("user_version");
      if (!version.ok()) return version.status();
      if (*version >= m.version) return false;
      for (const char* sql : m.statements) {
        Status s = conn.exec(sql);
        if (!s.ok()) return s;
      }
      // PRAGMA takes no bound parameters; the value is our own constant.
      Status s = conn.exec("PRAGMA user_version = " + std::to_string(m.version));
      if (!s.ok()) return s;
      return true;
    });
    if (!applied.ok()) return migrationError(m, applied.status());
  }
  return Status::Ok();
}

}  // namespace store_internal
}  // namespace tender
