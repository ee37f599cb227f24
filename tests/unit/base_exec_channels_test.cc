// The exec WebSocket's messages: a channel byte and its data.
#include "base/exec_channels.h"

#include <gtest/gtest.h>

namespace tender {
namespace {

TEST(ExecChannels, AMessageIsItsChannelByteThenItsData) {
  const std::string m = execMessage(ExecChannel::kStderr, std::string("a\0b", 3));
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m[0], '\x02');
  auto back = readExecMessage(m);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->channel, ExecChannel::kStderr);
  EXPECT_EQ(back->data, std::string_view("a\0b", 3));
  auto close = readExecMessage(execMessage(ExecChannel::kClose, std::string(1, '\0')));
  ASSERT_TRUE(close);
  EXPECT_EQ(close->channel, ExecChannel::kClose);
  EXPECT_EQ(close->data, std::string_view("\0", 1));
}

TEST(ExecChannels, AnEmptyMessageOrAnUnknownChannelIsNone) {
  EXPECT_FALSE(readExecMessage(""));
  EXPECT_FALSE(readExecMessage("\x05data"));
  EXPECT_FALSE(readExecMessage("\xfe"));
  auto empty = readExecMessage(std::string(1, '\0'));
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->data.empty());
}

TEST(ExecChannels, AResizeCarriesWidthAndHeight) {
  const std::string m = resizeMessage({120, 40});
  auto back = readExecMessage(m);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->channel, ExecChannel::kResize);
  auto size = readResize(back->data);
  ASSERT_TRUE(size);
  EXPECT_EQ(size->width, 120);
  EXPECT_EQ(size->height, 40);
}

TEST(ExecChannels, AResizeOutOfRangeOrMalformedIsNone) {
  EXPECT_FALSE(readResize(R"({"Width":0,"Height":40})"));
  EXPECT_FALSE(readResize(R"({"Width":80,"Height":70000})"));
  EXPECT_FALSE(readResize(R"({"Width":-3,"Height":40})"));
  EXPECT_FALSE(readResize(R"({"Width":"80","Height":40})"));
  EXPECT_FALSE(readResize(R"({"Width":80})"));
  EXPECT_FALSE(readResize("not json"));
  EXPECT_TRUE(readResize(R"({"Height":24,"Width":80})"));
}

}  // namespace
}  // namespace tender
