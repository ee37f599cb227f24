// Housekeeping (housekeeping.h): the periodic and low-disk cleanups, and the
// store's pruning.

#include "server/housekeeping.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <tuple>

#include "base/byte_format.h"
#include "manifests/manifest.h"
#include "reconcilers/events.h"

namespace tender {

namespace {

constexpr auto kContextSweepEvery = std::chrono::minutes(10);
constexpr auto kContextGrace = std::chrono::hours(1);  // an upload waits this long for its apply

}  // namespace

Housekeeping::Housekeeping(Janitor& janitor, Store& store, Clock& clock, std::string instance,
                           UploadStore* contexts, UploadStore* files)
    : janitor_(janitor),
      store_(store),
      clock_(clock),
      instance_(std::move(instance)),
      contexts_(contexts),
      files_(files) {}

Housekeeping::~Housekeeping() { stop(); }

void Housekeeping::start(Millis interval, std::string dataRoot, LowDiskThreshold threshold) {
  std::lock_guard<std::mutex> l(mu_);
  if (stop_ || thread_.joinable()) return;
  interval_ = interval;
  dataRoot_ = std::move(dataRoot);
  threshold_ = threshold;
  thread_ = std::thread([this] { run(); });
}

void Housekeeping::stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Housekeeping::setSchedule(Millis interval, LowDiskThreshold threshold) {
  {
    std::lock_guard<std::mutex> l(mu_);
    interval_ = interval;
    threshold_ = threshold;
    rescheduled_ = true;
  }
  cv_.notify_all();
}

void Housekeeping::run() {
  const auto diskEvery = std::chrono::seconds(30);
  std::unique_lock<std::mutex> l(mu_);
  auto nextCleanup = clock_.monotonic() + interval_;
  auto nextDisk = clock_.monotonic();
  auto quietUntil = clock_.monotonic();  // no second low-disk cleanup before this
  auto nextSweep = clock_.monotonic() + kContextSweepEvery;
  while (!stop_) {
    std::optional<MonoTime> wake;
    if (interval_.count() > 0) wake = nextCleanup;
    if (contexts_ || files_) wake = wake ? std::min(*wake, nextSweep) : nextSweep;
    if (!dataRoot_.empty()) wake = wake ? std::min(*wake, nextDisk) : nextDisk;
    clock_.waitUntil(l, cv_, wake, [&] { return stop_ || rescheduled_; });
    if (stop_) break;
    if (rescheduled_) {
      rescheduled_ = false;
      nextCleanup = clock_.monotonic() + interval_;
      continue;
    }
    const Millis interval = interval_;
    const LowDiskThreshold threshold = threshold_;
    l.unlock();
    const auto now = clock_.monotonic();
    if (!dataRoot_.empty() && now >= nextDisk) {
      nextDisk = now + diskEvery;
      auto space = diskSpaceOf(dataRoot_);
      if (space.ok() && diskIsLow(*space, threshold) && now >= quietUntil) {
        quietUntil = now + std::chrono::minutes(5);
        const std::string message = "the engine's disk at " + dataRoot_ +
                                    " is low: " + formatBytes(space->freeBytes) + " free of " +
                                    formatBytes(space->totalBytes) + "; cleaning up now";
        spdlog::warn("{}", message);
        recordEvent(store_, clock_, Key{"Host", "", instance_}, "Warning", "LowDisk", message);
        cleanUp("low-disk");
        auto after = diskSpaceOf(dataRoot_);
        if (after.ok())
          spdlog::info("the engine's disk at {} now has {} free", dataRoot_,
                       formatBytes(after->freeBytes));
      }
    }
    if (interval.count() > 0 && now >= nextCleanup) {
      nextCleanup = now + interval;
      cleanUp("periodic");
    }
    if ((contexts_ || files_) && now >= nextSweep) {
      nextSweep = now + kContextSweepEvery;
      sweepBuildContexts();
    }
    l.lock();
  }
}

void Housekeeping::cleanUp(const std::string& trigger) {
  CleanupOptions o;
  o.trigger = trigger;
  auto r = janitor_.run(o);
  if (!r.ok()) spdlog::warn("{}", r.status().message());
}

std::set<std::pair<std::string, std::string>> Housekeeping::referencedContexts(
    const std::vector<ResourceRecord>& services) {
  std::set<std::pair<std::string, std::string>> out;
  for (const ResourceRecord& r : services) {
    auto decoded = decodeStored("Service", r.namespace_, r.name, r.labels, r.spec);
    if (!decoded.ok() || !decoded->service().build) continue;
    const std::string& digest = decoded->service().build->contextDigest;
    if (!digest.empty()) out.insert({r.namespace_, digest});
  }
  return out;
}

std::set<std::pair<std::string, std::string>> Housekeeping::referencedFiles(
    const std::vector<ResourceRecord>& services) {
  std::set<std::pair<std::string, std::string>> out;
  for (const ResourceRecord& r : services) {
    auto decoded = decodeStored("Service", r.namespace_, r.name, r.labels, r.spec);
    if (!decoded.ok()) continue;
    forEachFileMount(decoded->service(), [&](const char*, size_t, const FileMount& m) {
      if (!m.digest.empty()) out.insert({r.namespace_, m.digest});
    });
  }
  return out;
}

void Housekeeping::sweepBuildContexts() {
  // Deleted services still name theirs until their record goes: an upload
  // is kept while anything in the store might use it.
  auto services = store_.list("Service", std::nullopt);
  if (!services.ok()) {
    spdlog::warn("cannot list services to sweep uploads: {}", services.status().message());
    return;
  }
  const auto grace = std::chrono::duration_cast<std::chrono::seconds>(kContextGrace);
  for (auto [store, referenced, what] :
       {std::tuple{contexts_, referencedContexts(*services), "build contexts"},
        std::tuple{files_, referencedFiles(*services), "files of secrets and configs"}}) {
    if (!store) continue;
    auto removed = store->sweep(referenced, grace);
    if (!removed.ok()) {
      spdlog::warn("{}", removed.status().message());
    } else if (*removed > 0) {
      spdlog::info("removed {} uploaded {} no service uses", *removed, what);
    }
  }
}

}  // namespace tender
