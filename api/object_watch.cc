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
    : WatchHub(clock, options), store_(store) {
  start();
}

ObjectWatchHub::~ObjectWatchHub() { stop(); }

Status ObjectWatchHub::add(std::shared_ptr<StreamSink> sink, ObjectWatchQuery query) {
  auto w = std::make_shared<ObjectWatcher>();
  w->sink = std::move(sink);
  w->query = std::move(query);
  return admit(std::move(w));
}

void ObjectWatchHub::beginRound(bool) {
  const int64_t writes = store_.resourceWrites();
  changed_ = writes != seen_;
  seen_ = writes;
}

bool ObjectWatchHub::serve(Watcher& base) {
  auto& w = static_cast<ObjectWatcher&>(base);
  return changed_ || !w.synced ? refresh(w) : !w.sink->closed();
}

std::string ObjectWatchHub::heartbeatLine(const Watcher&) { return line("HEARTBEAT", nullptr); }

bool ObjectWatchHub::refresh(ObjectWatcher& w) {
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
  return send(w, std::move(out));
}

}  // namespace tender
