// Housekeeping: removes this instance's leftovers every `interval`, and early
// when the engine's disk runs low (checked every 30 s when the engine's data
// root is on this machine), recording a LowDisk event; every 10 minutes,
// removes the uploaded build contexts and files no stored service names any more
// (once an hour old). Runs on a thread of its own: a cleanup waits on the
// engine.
#pragma once

#include <condition_variable>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "reconcilers/janitor.h"
#include "store/upload_store.h"
#include "store/store.h"

namespace tender {

class Housekeeping {
 public:
  // `contexts` and `files` null: no uploads to sweep.
  Housekeeping(Janitor& janitor, Store& store, Clock& clock, std::string instance,
               UploadStore* contexts = nullptr, UploadStore* files = nullptr);
  ~Housekeeping();
  Housekeeping(const Housekeeping&) = delete;
  Housekeeping& operator=(const Housekeeping&) = delete;

  // `interval` 0: no periodic cleanup. `dataRoot` "": the engine's disk is
  // not this machine's to look at.
  void start(Millis interval, std::string dataRoot, LowDiskThreshold threshold);
  void stop();  // idempotent; waits out a cleanup in progress
  // New settings (a re-read config file): the next periodic cleanup is
  // `interval` from now; the disk is judged by `threshold` from its next look.
  void setSchedule(Millis interval, LowDiskThreshold threshold);

  // {namespace, digest} of every build context a stored service names.
  static std::set<std::pair<std::string, std::string>> referencedContexts(
      const std::vector<ResourceRecord>& services);
  // The same of every secret's and config's file.
  static std::set<std::pair<std::string, std::string>> referencedFiles(
      const std::vector<ResourceRecord>& services);

 private:
  void run();
  void cleanUp(const std::string& trigger);
  void sweepBuildContexts();

  Janitor& janitor_;
  Store& store_;
  Clock& clock_;
  const std::string instance_;
  UploadStore* const contexts_;
  UploadStore* const files_;
  Millis interval_{0};
  std::string dataRoot_;
  LowDiskThreshold threshold_;
  bool rescheduled_ = false;  // setSchedule() since run() last looked
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace tender
