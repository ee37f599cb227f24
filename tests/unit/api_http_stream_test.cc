// A streaming response's queue between its source and its connection: when
// the writer is woken, what one batch takes, the buffer limit, and the chunk
// framing of what is written.
#include <gtest/gtest.h>

#include "api/http_server_internal.h"

namespace tender {
namespace {

using http_internal::frameStreamBatch;
using http_internal::StreamState;

TEST(HttpStream, TheWriterIsWokenOnlyWhenItSleeps) {
  StreamState s(100);
  bool wake = false;
  EXPECT_TRUE(s.push("a", &wake));
  EXPECT_TRUE(wake) << "the first chunk wakes the sleeping writer";
  EXPECT_TRUE(s.push("b", &wake));
  EXPECT_FALSE(wake) << "the writer is already busy";
  StreamState::Batch b = s.take();
  EXPECT_EQ(b.data, "ab");
  EXPECT_FALSE(b.idle);
  EXPECT_TRUE(s.take().idle) << "nothing left: the writer sleeps";
  EXPECT_TRUE(s.push("c", &wake));
  EXPECT_TRUE(wake);
}

TEST(HttpStream, OverTheLimitTheStreamClosesAndTheWriterIsToldOnce) {
  StreamState s(4);
  bool wake = false;
  EXPECT_TRUE(s.push("abc", &wake));
  EXPECT_FALSE(s.push("de", &wake));
  EXPECT_TRUE(wake);
  EXPECT_TRUE(s.closed());
  EXPECT_TRUE(s.take().overflowed);
  EXPECT_FALSE(s.push("f", &wake));
  EXPECT_FALSE(wake);
}

TEST(HttpStream, EndFinishesAfterWhatIsQueued) {
  StreamState s(100);
  bool wake = false;
  s.push("x", &wake);
  EXPECT_FALSE(s.end()) << "the busy writer sees the end with its batch";
  EXPECT_FALSE(s.end()) << "idempotent";
  StreamState::Batch b = s.take();
  EXPECT_EQ(b.data, "x");
  EXPECT_TRUE(b.ended);
  EXPECT_TRUE(s.push("late", &wake)) << "not closed, only ended";
  EXPECT_FALSE(wake);
}

TEST(HttpStream, BatchesAreFramedAsChunksUnlessTheClientSpeaksHttp10) {
  EXPECT_EQ(frameStreamBatch("hello", true, false), "5\r\nhello\r\n");
  EXPECT_EQ(frameStreamBatch(std::string(26, 'z'), true, false),
            "1a\r\n" + std::string(26, 'z') + "\r\n");
  EXPECT_EQ(frameStreamBatch("end", true, true), "3\r\nend\r\n0\r\n\r\n");
  EXPECT_EQ(frameStreamBatch("", true, true), "0\r\n\r\n");
  EXPECT_EQ(frameStreamBatch("", true, false), "");
  EXPECT_EQ(frameStreamBatch("raw", false, true), "raw");
}

}  // namespace
}  // namespace tender
