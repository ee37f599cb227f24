// A streaming response's queue between its source (a route writing on a
// handler thread) and its connection (writing on the event loop): StreamState,
// the Sink the route is given, and the chunk framing of what is written
// (http_server_internal.h). No Beast.

#include <cstdio>
#include <utility>

#include "api/http_server_internal.h"

namespace tender {
namespace http_internal {

bool StreamState::push(std::string data, bool* wake) {
  std::lock_guard<std::mutex> l(mu_);
  *wake = false;
  if (closed_ || ended_) return !closed_;
  if (data.empty()) return true;
  if (queuedBytes_ + data.size() > limit_) {
    closed_ = true;
    overflowed_ = true;
    *wake = true;  // the writer closes the connection
    return false;
  }
  queuedBytes_ += data.size();
  queue_.push_back(std::move(data));
  *wake = !writing_;
  writing_ = true;
  return true;
}

bool StreamState::end() {
  std::lock_guard<std::mutex> l(mu_);
  if (ended_ || closed_) return false;
  ended_ = true;
  bool wake = !writing_;
  writing_ = true;
  return wake;
}

void StreamState::markClosed() {
  std::lock_guard<std::mutex> l(mu_);
  closed_ = true;
}

bool StreamState::closed() const {
  std::lock_guard<std::mutex> l(mu_);
  return closed_;
}

StreamState::Batch StreamState::take() { return takeLocked(false); }

StreamState::Batch StreamState::takeOne() { return takeLocked(true); }

StreamState::Batch StreamState::takeLocked(bool one) {
  std::lock_guard<std::mutex> l(mu_);
  Batch b;
  b.overflowed = overflowed_;
  if (one && !queue_.empty()) {
    b.data = std::move(queue_.front());
    queue_.pop_front();
    queuedBytes_ -= b.data.size();
  } else {
    for (auto& d : queue_) b.data += d;
    queue_.clear();
    queuedBytes_ = 0;
  }
  b.ended = ended_ && queue_.empty();
  if (b.data.empty() && !b.ended && !b.overflowed) {
    writing_ = false;
    b.idle = true;
  }
  return b;
}

std::string frameStreamBatch(std::string data, bool chunked, bool last) {
  if (!chunked) return data;
  std::string out;
  if (!data.empty()) {
    char size[20];
    std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    out = size + data + "\r\n";
  }
  if (last) out += "0\r\n\r\n";
  return out;
}

bool Sink::write(std::string data) {
  bool wake = false;
  bool ok = state_->push(std::move(data), &wake);
  if (wake) this->wake();
  return ok;
}

void Sink::end() {
  if (state_->end()) wake();
}

void Sink::wake() {
  if (auto c = conn_.lock()) wakeConnection(c);
}

}  // namespace http_internal
}  // namespace tender
