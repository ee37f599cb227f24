// ObjectWatchHub (object_watch.h): list watchers, fed the differences.
#include "api/object_watch.h"

#include <spdlog/spdlog.h>

#include "api/resource_api.h"

namespace tender {
namespace {

std::string line(const std::string& type, const nlohmann::json* object) {
  nlohmann::json j = {{"type", type}};
  if (object) j["object"] = *object;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace

ObjectWatchHub::ObjectWatchHub(Store& store, Clock& clock, ObjectWatchOptions options)
    : store_(store), clock_(clock), options_(options) {
  thread_ = std::thread([this] { run(); });
}

ObjectWatchHub::~ObjectWatchHub() { stop(); }

Status ObjectWatchHub::add(std::shared_ptr<StreamSink> sink, ObjectWatchQuery query) {
  auto w = std::make_shared<Watcher>();
  w->sink = std::move(sink);
  w->query = std::move(query);
  w->lastSent = clock_.monotonic();
  {
    std::lock_guard<std::mutex> l(mu_);
    if (stopped_) return Status::Unavailable("the server is stopping");
    if (count_ >= options_.maxWatchers) {
      return Status::Unavailable("too many watchers (" + std::to_string(options_.maxWatchers) +
                                 "); try again later");
    }
    ++count_;
    incoming_.push_back(std::move(w));
  }
  cv_.notify_all();
  return Status::Ok();
}

size_t ObjectWatchHub::watchers() const {
  std::lock_guard<std::mutex> l(mu_);
  return count_;
}

bool ObjectWatchHub::full() const {
  std::lock_guard<std::mutex> l(mu_);
  return count_ >= options_.maxWatchers;
}

void ObjectWatchHub::stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (stopped_ && !thread_.joinable()) return;
    stopped_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool ObjectWatchHub::refresh(Watcher& w) {
  auto items = store_.list(w.query.kind, w.query.ns);
  if (!items.ok()) {
    spdlog::warn("watch of {}: cannot list: {}", w.query.kind, items.status().ToString());
    return !w.sink->closed();  // tried again on the next write
  }
  std::string out;
  std::map<std::string, std::string> now;
  for (const ResourceRecord& r : *items) {
    const std::string ns = r.kind == "Namespace" ? r.name : r.namespace_;
    if (w.query.principal && !w.query.principal->mayUse(ns)) continue;
    if (!selectorMatches(w.query.selector, r.labels)) continue;
    const std::string key = r.namespace_ + "/" + r.name;
    nlohmann::json object = objectFromRecord(r);
    std::string text = object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    auto before = w.sent.find(key);
    if (before == w.sent.end()) {
      out += line("ADDED", &object);
    } else if (before->second != text) {
      out += line("MODIFIED", &object);
    }
    now[key] = std::move(text);
  }
  for (const auto& [key, text] : w.sent) {
    if (now.count(key)) continue;
    nlohmann::json object = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    out += line("DELETED", &object);
  }
  w.sent = std::move(now);
  if (!w.synced) {
    out += line("SYNCED", nullptr);
    w.synced = true;
  }
  if (out.empty()) return !w.sink->closed();
  w.lastSent = clock_.monotonic();
  return w.sink->write(std::move(out));
}

void ObjectWatchHub::run() {
  std::vector<std::shared_ptr<Watcher>> watchers;
  int64_t seen = -1;  // the store's resourceWrites() at the last round
  std::unique_lock<std::mutex> l(mu_);
  while (!stopped_) {
    clock_.waitFor(l, cv_, options_.poll, [&] { return stopped_ || !incoming_.empty(); });
    if (stopped_) break;
    std::vector<std::shared_ptr<Watcher>> fresh;
    fresh.swap(incoming_);
    l.unlock();

    const int64_t writes = store_.resourceWrites();
    const bool changed = writes != seen;
    seen = writes;
    const MonoTime now = clock_.monotonic();
    size_t gone = 0;
    for (auto& w : fresh) watchers.push_back(std::move(w));
    for (auto it = watchers.begin(); it != watchers.end();) {
      Watcher& w = **it;
      bool alive = changed || !w.synced ? refresh(w) : !w.sink->closed();
      if (alive && now - w.lastSent >= options_.heartbeat) {
        alive = w.sink->write(line("HEARTBEAT", nullptr));
        w.lastSent = now;
      }
      if (alive) {
        ++it;
      } else {
        ++gone;
        it = watchers.erase(it);
      }
    }
    l.lock();
    count_ -= gone;
  }
  l.unlock();
  for (auto& w : watchers) w->sink->end();
  std::lock_guard<std::mutex> relock(mu_);
  for (auto& w : incoming_) w->sink->end();
  incoming_.clear();
  count_ = 0;
}

}  // namespace tender
