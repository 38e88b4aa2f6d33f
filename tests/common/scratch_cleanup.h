#pragma once
// Removing a test's scratch directory after a daemon was killed: a daemon
// that dies by SIGKILL leaves its workloads' tmpfs workspaces mounted (the
// next daemon on that state dir would clean them), and remove_all cannot go
// through a mount point. Detach every mount below `dir` first.

#include <sys/mount.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

namespace prisn::testing {

inline void RemoveScratch(const std::string& dir) {
  if (dir.empty()) return;
  std::vector<std::string> below;
  std::ifstream in("/proc/self/mountinfo");
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string id, parent, devno, root, mount_point;
    fields >> id >> parent >> devno >> root >> mount_point;
    if (mount_point.rfind(dir + "/", 0) == 0) below.push_back(mount_point);
  }
  // Deepest first.
  std::sort(below.begin(), below.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  for (const std::string& m : below) ::umount2(m.c_str(), MNT_DETACH);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace prisn::testing
