// The pure parts of logs and top: the query a logs command sends, and top's table.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli/container_commands.h"

namespace tender {
namespace {

TEST(LogsQuery, SendsOnlyWhatWasAsked) {
  EXPECT_EQ(logsQuery(LogsOptions{}), "");
  LogsOptions o;
  o.tail = 5;
  o.since = "2026-12-04T10:00:00+01:00";
  o.timestamps = true;
  o.follow = true;
  o.replica = 0;
  EXPECT_EQ(logsQuery(o),
            "?tail=5&since=2026-12-04T10%3A00%3A00%2B01%3A00&timestamps=true&follow=true&replica=0");
  LogsOptions p;
  p.previous = true;
  EXPECT_EQ(logsQuery(p), "?previous=true");
}

TEST(ExecSocketQuery, NamesEveryArgumentAndTheTerminalOnlyWithATty) {
  ExecOptions o;
  o.command = {"sh", "-c", "echo a&b"};
  EXPECT_EQ(execSocketQuery(o, TerminalSize{80, 24}), "?command=sh&command=-c&command=echo%20a%26b");
  o.interactive = true;
  o.tty = true;
  o.replica = 2;
  EXPECT_EQ(execSocketQuery(o, TerminalSize{132, 43}),
            "?command=sh&command=-c&command=echo%20a%26b&stdin=true&tty=true&width=132&height=43&replica=2");
  EXPECT_EQ(execSocketQuery(o, std::nullopt),
            "?command=sh&command=-c&command=echo%20a%26b&stdin=true&tty=true&replica=2");
}

TEST(RenderTopTable, ShowsUseAgainstLimitsAndDashesWhatWasNotSampled) {
  nlohmann::json answer = {
      {"service", "web"},
      {"items",
       {{{"replica", 0}, {"state", "running"}, {"memoryBytes", 32 << 20},
         {"memoryLimitBytes", 64 << 20}, {"cpuPercent", 25.0}, {"cpuLimit", 0.5}},
        {{"replica", 1}, {"state", "exited"}, {"memoryLimitBytes", 0}, {"cpuLimit", 0.0}}}}};
  std::string table = renderTopTable({answer});
  EXPECT_NE(table.find("REPLICA"), std::string::npos) << table;
  EXPECT_NE(table.find("web.0     running   25.0%   0.5         50.0%       32.0MiB   64.0MiB        50.0%"),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("web.1     exited    -       none        -           -         none           -"),
            std::string::npos)
      << table;
}

}  // namespace
}  // namespace tender
