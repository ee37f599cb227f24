// Which container tender runs in, from /proc/self/mountinfo.
#include "engine/own_container.h"

#include <gtest/gtest.h>

namespace tender {
namespace {

const std::string kId = "29152c5bd5f9b73746377cca299c3173369d270bbaf8c727fe785271d2c20e16";

TEST(OwnContainer, IsTheFolderBehindTheContainersHostname) {
  const std::string inContainer =
      "117 98 0:45 / / rw,relatime master:1 - overlay overlay rw\n"
      "134 117 254:0 /var/lib/docker/containers/" + kId +
      "/resolv.conf /etc/resolv.conf rw,relatime - ext4 /dev/vda rw\n"
      "135 117 254:0 /var/lib/docker/containers/" + kId + "/hostname /etc/hostname rw,relatime - ext4 /dev/vda rw\n";
  EXPECT_EQ(ownContainerId(inContainer), kId);
  // Docker Desktop and rootless engines keep the folder elsewhere.
  EXPECT_EQ(ownContainerId("9 1 0:4 /home/u/.local/share/docker/containers/" + kId +
                           "/hosts /etc/hosts rw - ext4 /dev/x rw\n"),
            kId);
}

TEST(OwnContainer, IsNoneOnAHostOrForAnotherMount) {
  EXPECT_FALSE(ownContainerId("22 27 0:21 / /proc rw,relatime - proc proc rw\n"
                              "24 27 0:6 / /dev rw,relatime - devtmpfs devtmpfs rw\n"));
  // A volume that happens to hold such a path is not the container's own.
  EXPECT_FALSE(ownContainerId("140 117 254:0 /var/lib/docker/containers/" + kId +
                              "/hostname /data/hostname rw - ext4 /dev/vda rw\n"));
  EXPECT_FALSE(ownContainerId("135 117 254:0 /var/lib/docker/containers/not-an-id/hostname /etc/hostname rw - "
                              "ext4 /dev/vda rw\n"));
  EXPECT_FALSE(ownContainerId(""));
}

}  // namespace
}  // namespace tender
