// tender run as a daemon, through the real binary: `serve --config FILE`
// (where it listens, flags over the file, a bad key or value refused by
// name and line, SIGHUP re-reading it), every serve flag having its key,
// and what it tells systemd through a NOTIFY_SOCKET the test owns.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/serve_config_file.h"
#include "tests/support/cli_run.h"
#include "tests/support/raw_http.h"
#include "tests/support/tender_process.h"
#include "tests/support/tender_child.h"

namespace tender {
namespace {

using namespace std::chrono_literals;
using testing::freeLoopbackPort;
using testing::RawHttp;
using testing::runTender;
using testing::uniqueName;

std::string readAll(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void writeFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::trunc) << text;
}

// `tender serve` started with exactly the arguments given (no defaults
// added), its output in a log file; SIGTERM and wait on destruction.
class ServeChild {
 public:
  ServeChild(const std::vector<std::string>& args, std::string log,
             const std::vector<std::string>& env = {})
      : log_(std::move(log)) {
    std::vector<std::string> all = {"serve"};
    all.insert(all.end(), args.begin(), args.end());
    pid_ = testing::spawnTender(all, log_, env);
  }
  ~ServeChild() { stop(); }

  // Whether GET /healthz on `port` answers 200 within `wait`.
  bool healthyOn(int port, std::chrono::seconds wait = 20s) {
    const auto deadline = std::chrono::steady_clock::now() + wait;
    while (std::chrono::steady_clock::now() < deadline && running()) {
      RawHttp c = RawHttp::tcp(port);
      if (c.connected() && c.send("GET", "/healthz")) {
        auto r = c.reply(2s);
        if (r && r->status == 200) return true;
      }
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }
  // Whether the log holds `text` (`times` times) within `wait`.
  bool logged(const std::string& text, std::chrono::seconds wait = 10s, int times = 1) const {
    const auto deadline = std::chrono::steady_clock::now() + wait;
    while (std::chrono::steady_clock::now() < deadline) {
      const std::string all = readAll(log_);
      int found = 0;
      for (size_t at = all.find(text); at != std::string::npos; at = all.find(text, at + 1)) ++found;
      if (found >= times) return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }
  bool running() {
    if (pid_ <= 0) return false;
    if (::waitpid(pid_, &status_, WNOHANG) == pid_) pid_ = -1;
    return pid_ > 0;
  }
  void signal(int sig) const {
    if (pid_ > 0) ::kill(pid_, sig);
  }
  // SIGTERM, then the exit code (or -1 when it had to be killed).
  int stop() {
    if (pid_ <= 0) return WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
    ::kill(pid_, SIGTERM);
    return exitCode();
  }
  // Waits (30 s at most, then SIGKILL) for it to end: its exit code, or -1.
  int exitCode() {
    if (pid_ <= 0) return WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
    for (int i = 0; i < 300; ++i) {
      if (::waitpid(pid_, &status_, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
      }
      std::this_thread::sleep_for(100ms);
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
    return -1;
  }
  std::string log() const { return readAll(log_); }

 private:
  std::string log_;
  pid_t pid_ = -1;
  int status_ = 0;
};

class DaemonE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    instance_ = uniqueName("daemon");
    dir_ = (std::filesystem::temp_directory_path() / ("tender-test-" + instance_)).string();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    config_ = dir_ + "/config.yaml";
  }
  void TearDown() override {
    if (HasFailure()) std::cerr << "server log:\n" << readAll(dir_ + "/serve.log");
    std::filesystem::remove_all(dir_);
  }
  // A config file of this test's own state directory and instance, then `more`.
  std::string configOf(int port, const std::string& more = "") const {
    return "# tender serve's settings, written by the test\n"
           "listen:\n"
           "  - 127.0.0.1:" + std::to_string(port) + "\n"
           "stateDir: " + dir_ + "/state\n"
           "instance: " + instance_ + "\n" + more;
  }
  std::string logPath() const { return dir_ + "/serve.log"; }

  std::string instance_, dir_, config_;
};

TEST_F(DaemonE2E, ServeWithConfigListensWhereTheFileSays) {
  const int port = freeLoopbackPort();
  writeFile(config_, configOf(port));
  ServeChild serve({"--config", config_}, logPath());
  ASSERT_TRUE(serve.healthyOn(port)) << "nothing answers on the file's port " << port;
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/state/admin.token"))
      << "the state directory is the file's";
  EXPECT_TRUE(serve.logged("instance \"" + instance_ + "\""));
  EXPECT_EQ(serve.stop(), 0);
}

TEST_F(DaemonE2E, AFlagGivenOnTheCommandLineWinsOverTheFile) {
  const int filePort = freeLoopbackPort();
  int flagPort = freeLoopbackPort();
  while (flagPort == filePort) flagPort = freeLoopbackPort();
  writeFile(config_, configOf(filePort, "workers: 3\n"));
  ServeChild serve({"--config", config_, "--listen", "127.0.0.1:" + std::to_string(flagPort)},
                   logPath());
  ASSERT_TRUE(serve.healthyOn(flagPort));
  EXPECT_FALSE(RawHttp::tcp(filePort).connected()) << "the file's --listen was overridden";
  EXPECT_TRUE(serve.logged("3 workers")) << "what no flag overrides is the file's";
}

TEST_F(DaemonE2E, ABadKeyOrValueFailsNamingItAndItsLine) {
  writeFile(config_, configOf(freeLoopbackPort(), "workers: 2\nfrobnicate: yes\n"));
  auto badKey = runTender("serve --config " + config_);
  EXPECT_EQ(badKey.exitCode, 1) << badKey.out;
  EXPECT_NE(badKey.out.find("frobnicate: line 7: not a setting of tender serve"),
            std::string::npos)
      << badKey.out;

  writeFile(config_, configOf(freeLoopbackPort(), "keepDeleted: forever\nworkers: none\n"));
  auto badValues = runTender("serve --config " + config_);
  EXPECT_EQ(badValues.exitCode, 1) << badValues.out;
  EXPECT_NE(badValues.out.find("workers: line 7: \"none\" is not a whole number"),
            std::string::npos)
      << badValues.out;

  writeFile(config_, configOf(freeLoopbackPort(), "keepDeleted: forever\n"));
  auto badDuration = runTender("serve --config " + config_);
  EXPECT_EQ(badDuration.exitCode, 1) << badDuration.out;
  EXPECT_NE(badDuration.out.find("keepDeleted: line 6: \"forever\" is not a duration"),
            std::string::npos)
      << badDuration.out;
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/state/tender.db")) << "nothing started";
}

TEST_F(DaemonE2E, SighupReReadsTheFileAndSaysWhatChangedAndWhatNeedsARestart) {
  const int port = freeLoopbackPort();
  writeFile(config_, configOf(port, "logLevel: info\nworkers: 2\n"));
  ServeChild serve({"--config", config_}, logPath());
  ASSERT_TRUE(serve.healthyOn(port));

  writeFile(config_, configOf(port, "logLevel: debug\nworkers: 4\nkeepEvents: 10\n"));
  serve.signal(SIGHUP);
  EXPECT_TRUE(serve.logged("re-read (SIGHUP): applied keepEvents, logLevel; changed but needs a "
                           "restart: workers"));

  // A quieter level: the line saying so is still logged, the next info line is not.
  writeFile(config_, configOf(port, "logLevel: error\nkeepEvents: 20\n"));
  serve.signal(SIGHUP);
  EXPECT_TRUE(serve.logged("re-read (SIGHUP): applied keepEvents, logLevel; changed but needs a "
                           "restart: workers",
                           10s, 2));
  writeFile(config_, configOf(port, "logLevel: error\nkeepEvents: 30\n"));
  serve.signal(SIGHUP);
  std::this_thread::sleep_for(1s);  // two signals close together would be taken as one

  writeFile(config_, configOf(port, "logLevel: loud\n"));
  serve.signal(SIGHUP);
  EXPECT_TRUE(serve.logged("not taken (SIGHUP), the settings in force stay: " + config_ +
                           ": logLevel: line 6"));
  EXPECT_EQ(serve.log().find("(SIGHUP): applied keepEvents; changed"), std::string::npos)
      << "at level error an info line is not logged";
  EXPECT_TRUE(serve.healthyOn(port, 2s)) << "a bad re-read leaves the server serving";
  EXPECT_EQ(serve.stop(), 0);
}

// What systemd's end of NOTIFY_SOCKET sees: an AF_UNIX datagram socket.
class NotifySocket {
 public:
  explicit NotifySocket(std::string path) : path_(std::move(path)) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path_.c_str());
    ::unlink(path_.c_str());
    bound_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~NotifySocket() {
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  bool bound() const { return bound_; }
  // The next datagram, or "" after `wait`.
  std::string next(std::chrono::milliseconds wait) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(wait.count())) <= 0) return "";
    char buf[4096];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
  }
  // Datagrams until one holds `text` (returned) or `wait` passes ("");
  // every one received is added to `seen`.
  std::string until(const std::string& text, std::chrono::seconds wait,
                    std::vector<std::string>& seen) {
    const auto deadline = std::chrono::steady_clock::now() + wait;
    while (std::chrono::steady_clock::now() < deadline) {
      std::string d = next(200ms);
      if (d.empty()) continue;
      seen.push_back(d);
      if (d.find(text) != std::string::npos) return d;
    }
    return "";
  }

 private:
  std::string path_;
  int fd_ = -1;
  bool bound_ = false;
};

bool answersHealthz(int port) {
  RawHttp c = RawHttp::tcp(port);
  if (!c.connected() || !c.send("GET", "/healthz")) return false;
  auto r = c.reply(2s);
  return r && r->status == 200;
}

std::string joinedLines(const std::vector<std::string>& all) {
  std::string out;
  for (const auto& s : all) out += s + "\n---\n";
  return out;
}

TEST_F(DaemonE2E, TellsSystemdItIsReadyOnceTheApiAnswersAndWhatItWaitsFor) {
  NotifySocket notify(dir_ + "/notify.sock");
  ASSERT_TRUE(notify.bound());
  const int port = freeLoopbackPort();
  // An engine that is not there: tender is ready (its API answers) and says
  // it waits for the engine.
  const std::string engine = "unix://" + dir_ + "/no-engine.sock";
  writeFile(config_, configOf(port, "engine: " + engine + "\n"));
  ServeChild serve({"--config", config_}, logPath(), {"NOTIFY_SOCKET=" + dir_ + "/notify.sock"});

  std::vector<std::string> seen;
  const std::string ready = notify.until("READY=1", 20s, seen);
  ASSERT_FALSE(ready.empty()) << "no READY=1; got:\n" << joinedLines(seen);
  EXPECT_TRUE(answersHealthz(port)) << "READY=1 is sent once the API answers";
  EXPECT_NE(ready.find("STATUS=API listening on 127.0.0.1:" + std::to_string(port) +
                       "; waiting for the Docker engine at " + engine),
            std::string::npos)
      << ready;
  const std::string waiting = notify.until("STATUS=waiting for the Docker engine at " + engine + ": ",
                                           10s, seen);
  EXPECT_FALSE(waiting.empty()) << "a STATUS= line says why the engine is awaited; got:\n"
                                << joinedLines(seen);

  serve.signal(SIGTERM);
  EXPECT_FALSE(notify.until("STOPPING=1", 10s, seen).empty()) << joinedLines(seen);
  EXPECT_EQ(serve.exitCode(), 0);
}

TEST_F(DaemonE2E, WithARealEngineTheLastStatusSaysItReconciles) {
  NotifySocket notify(dir_ + "/notify.sock");
  ASSERT_TRUE(notify.bound());
  const int port = freeLoopbackPort();
  writeFile(config_, configOf(port));
  ServeChild serve({"--config", config_}, logPath(), {"NOTIFY_SOCKET=" + dir_ + "/notify.sock"});
  std::vector<std::string> seen;
  ASSERT_FALSE(notify.until("READY=1", 20s, seen).empty()) << joinedLines(seen);
  EXPECT_FALSE(notify.until("STATUS=reconciling", 30s, seen).empty()) << joinedLines(seen);
  EXPECT_EQ(serve.stop(), 0);
}

// What the packaged unit logs to the journal: one JSON object per line,
// whatever a message holds (this one's quotes: instance "...").
TEST_F(DaemonE2E, JsonLogsAreOneObjectALine) {
  const int port = freeLoopbackPort();
  writeFile(config_, configOf(port, "logFormat: json\nengine: unix://" + dir_ + "/none.sock\n"));
  ServeChild serve({"--config", config_}, logPath());
  ASSERT_TRUE(serve.healthyOn(port));
  ASSERT_TRUE(serve.logged("waiting for the Docker engine"));
  EXPECT_EQ(serve.stop(), 0);
  std::istringstream lines(serve.log());
  std::string line;
  int parsed = 0;
  bool quoted = false;
  while (std::getline(lines, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << "not JSON: " << line;
    EXPECT_TRUE(j.contains("time") && j.contains("level") && j.contains("msg")) << line;
    quoted = quoted || j.value("msg", "").find("instance \"" + instance_ + "\"") != std::string::npos;
    ++parsed;
  }
  EXPECT_GT(parsed, 3);
  EXPECT_TRUE(quoted) << "a message with quotes is among them";
}

TEST(DaemonHelp, EveryServeFlagHasItsKeyInTheConfigFile) {
  auto help = runTender("serve --help");
  ASSERT_EQ(help.exitCode, 0) << help.out;
  std::set<std::string> flags;
  const std::regex flag("(^|[ ,])(--[a-z][a-z-]+)");
  for (std::sregex_iterator it(help.out.begin(), help.out.end(), flag), end; it != end; ++it) {
    flags.insert((*it)[2]);
  }
  flags.erase("--help");
  flags.erase("--config");
  std::set<std::string> settings;
  for (const ServeSetting& s : serveSettings()) settings.insert(s.flag);
  for (const std::string& f : flags) EXPECT_EQ(settings.count(f), 1u) << f << " has no config key";
  EXPECT_EQ(flags.size(), settings.size());

  // And the bash completion offers each of them.
  const std::string completion = readAll(std::string(TENDER_SOURCE_DIR) +
                                         "/packaging/tender.bash-completion");
  ASSERT_FALSE(completion.empty());
  flags.insert("--config");
  for (const std::string& f : flags) {
    EXPECT_TRUE(std::regex_search(completion, std::regex("[ \n\"]" + f + "[ \n\"]")))
        << f << " is not completed";
  }
}

}  // namespace
}  // namespace tender
