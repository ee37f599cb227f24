// The store and the state-directory lock against kill -9: a child process
// writes in a tight loop and is killed at random moments; every write it saw
// committed must be there afterwards.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "base/clock.h"
#include "tests/support/simulated_clock.h"
#include "store/store.h"
#include "tests/support/temp_dir.h"

namespace tender {
namespace {

using testing::TempDir;

using nlohmann::json;
using ::testing::HasSubstr;

namespace fs = std::filesystem;

constexpr int kNames = 37;  // resources are rewritten, not only created

// A forked child, killed and reaped however the test ends.
class Child {
 public:
  // Runs `body` in a child whose stdout-like channel is a pipe the parent reads.
  template <typename F>
  explicit Child(F body) {
    int fds[2];
    if (::pipe(fds) != 0) return;
    pid_ = ::fork();
    if (pid_ < 0) {
      ::close(fds[0]);
      ::close(fds[1]);
      return;
    }
    if (pid_ == 0) {
      ::close(fds[0]);
      body(fds[1]);
      ::_exit(0);
    }
    ::close(fds[1]);
    readFd_ = fds[0];
  }
  ~Child() {
    kill();
    if (readFd_ >= 0) ::close(readFd_);
  }
  pid_t pid() const { return pid_; }

  // Reads what the child writes for `duration` (less if it closes the pipe).
  void readFor(std::chrono::milliseconds duration) {
    readUntil(duration, [] { return false; });
  }
  // Reads until the child has written a whole line, or `timeout` passes.
  void waitForLine(std::chrono::milliseconds timeout) {
    readUntil(timeout, [this] { return buffer_.find('\n') != std::string::npos; });
  }
  // Kills the child with SIGKILL, reaps it, and reads what is left in the pipe.
  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    while (readFd_ >= 0 && readSome()) {
    }
  }
  // Complete lines only: a line is written with one write(), so it is whole
  // or absent, but the read may stop inside one.
  std::vector<std::string> lines() const {
    std::vector<std::string> out;
    std::istringstream in(buffer_.substr(0, buffer_.rfind('\n') + 1));
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }

 private:
  template <typename Done>
  void readUntil(std::chrono::milliseconds timeout, Done done) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return;
      pollfd p{readFd_, POLLIN, 0};
      int n = ::poll(&p, 1, static_cast<int>(left.count()));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0 || !readSome()) return;
    }
  }
  bool readSome() {
    char buf[4096];
    ssize_t n = ::read(readFd_, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) return true;
    if (n <= 0) return false;
    buffer_.append(buf, static_cast<size_t>(n));
    return true;
  }
  pid_t pid_ = -1;
  int readFd_ = -1;
  std::string buffer_;
};

void report(int fd, const std::string& line) {
  std::string s = line + "\n";
  if (::write(fd, s.data(), s.size()) != static_cast<ssize_t>(s.size())) ::_exit(5);
}

[[noreturn]] void fail(int fd, const Status& s) {
  report(fd, "X " + s.ToString());
  ::_exit(4);
}

// The child: writes for ever, reporting each write after it returned ok.
// Lines: "U name seq" (spec), "S name seq" (status), "E id seq" (event).
void writeForever(const std::string& path, int64_t firstSeq, int out) {
  RealClock clock;
  auto store = Store::open(path, clock);
  if (!store.ok()) fail(out, store.status());
  for (int64_t seq = firstSeq;; ++seq) {
    const std::string name = "svc-" + std::to_string(seq % kNames);
    const std::string n = std::to_string(seq);
    auto up = (*store)->upsert("Service", "crash", name, {{"app", "crash"}}, {{"seq", seq}});
    if (!up.ok()) fail(out, up.status());
    report(out, "U " + name + " " + n);
    Status st = (*store)->updateStatus("Service", "crash", name, {{"seq", seq}});
    if (!st.ok()) fail(out, st);
    report(out, "S " + name + " " + n);
    EventRecord e;
    e.reason = "Written";
    e.kind = "Service";
    e.namespace_ = "crash";
    e.name = name;
    e.message = n;
    e.data = {{"seq", seq}};
    auto id = (*store)->appendEvent(e);
    if (!id.ok()) fail(out, id.status());
    report(out, "E " + std::to_string(*id) + " " + n);
  }
}

TEST(StoreCrashTest, EveryCommittedWriteSurvivesSigkill) {
  TempDir dir;
  const std::string path = dir.path() + "/tender.db";
  const unsigned seed = 20240611;
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 random(seed);
  std::uniform_int_distribution<int> killAfterMs(20, 200);

  std::map<std::string, int64_t> specSeq, statusSeq;  // the latest reported per name
  std::map<int64_t, int64_t> eventSeq;                // event id -> seq
  size_t reported = 0;
  SimulatedClock clock;

  for (int round = 0; round < 10; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    {
      // The parent holds no connection across fork(): SQLite forbids it.
      Child child([&](int out) { writeForever(path, int64_t{round} * 1'000'000, out); });
      ASSERT_GT(child.pid(), 0);
      child.readFor(std::chrono::milliseconds(killAfterMs(random)));
      child.kill();
      for (const std::string& line : child.lines()) {
        std::istringstream in(line);
        std::string op, what;
        int64_t seq = 0;
        in >> op >> what >> seq;
        ASSERT_NE("X", op) << line;
        if (op == "U") specSeq[what] = seq;
        if (op == "S") statusSeq[what] = seq;
        if (op == "E") eventSeq[std::stoll(what)] = seq;
        ++reported;
      }
    }

    auto store = Store::open(path, clock);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    Status integrity = (*store)->integrityCheck();
    ASSERT_TRUE(integrity.ok()) << integrity.ToString();
    for (const auto& [name, seq] : specSeq) {
      auto got = (*store)->get("Service", "crash", name);
      ASSERT_TRUE(got.ok()) << name << ": " << got.status().ToString();
      // A write may have committed just before the kill, unreported: the
      // stored one is that or a later one, never an earlier one.
      const int64_t stored = got->spec.at("seq").get<int64_t>();
      EXPECT_GE(stored, seq) << name;
      EXPECT_EQ(name, "svc-" + std::to_string(stored % kNames));
      EXPECT_EQ(json({{"app", "crash"}}), got->labels);
    }
    for (const auto& [name, seq] : statusSeq) {
      auto got = (*store)->get("Service", "crash", name);
      ASSERT_TRUE(got.ok()) << name;
      EXPECT_GE(got->status.at("seq").get<int64_t>(), seq) << name;
    }
    EventQuery all;
    all.namespace_ = "crash";
    all.limit = 0;
    auto events = (*store)->events(all);
    ASSERT_TRUE(events.ok()) << events.status().ToString();
    std::map<int64_t, std::string> stored;
    for (const EventRecord& e : *events) stored[e.id] = e.message;
    for (const auto& [id, seq] : eventSeq) {
      ASSERT_EQ(1u, stored.count(id)) << "event " << id << " was lost";
      EXPECT_EQ(std::to_string(seq), stored[id]);
    }
  }
  EXPECT_GT(reported, 0u) << "the child never got to write: nothing was tested";

  // And it keeps working.
  auto store = Store::open(path, clock);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto created = (*store)->upsert("Service", "after", "web", {}, {{"image", "nginx"}});
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(UpsertOutcome::kCreated, created->outcome);
  auto id = (*store)->appendEvent(EventRecord{});
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  if (!eventSeq.empty()) {
    EXPECT_GT(*id, eventSeq.rbegin()->first);
  }
}

// The child takes the lock, says so, and waits to be killed.
void holdLock(const std::string& dir, int out) {
  auto lock = StateDirLock::acquire(dir);
  report(out, lock.ok() ? "locked" : "X " + lock.status().ToString());
  while (true) ::pause();
}

TEST(StateDirLockCrashTest, AnotherProcessCannotTakeTheLockUntilTheHolderIsKilled) {
  TempDir dir;
  Child holder([&](int out) { holdLock(dir.path(), out); });
  ASSERT_GT(holder.pid(), 0);
  const pid_t holderPid = holder.pid();
  holder.waitForLine(std::chrono::seconds(10));
  ASSERT_FALSE(holder.lines().empty());
  ASSERT_EQ("locked", holder.lines().front());

  auto taken = StateDirLock::acquire(dir.path());
  ASSERT_TRUE(taken.status().IsConflict()) << taken.status().ToString();
  EXPECT_THAT(taken.status().message(), HasSubstr("(pid " + std::to_string(holderPid) + ")"));

  holder.kill();
  auto after = StateDirLock::acquire(dir.path());
  EXPECT_TRUE(after.ok()) << after.status().ToString();
}

}  // namespace
}  // namespace tender
