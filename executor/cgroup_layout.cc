// Finding where prisn's cgroups go: the mounted hierarchies and the daemon's
// own place in each, from /proc/self/mountinfo and /proc/self/cgroup.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <sstream>

#include "executor/cgroup.h"
#include "executor/sysfs.h"
#include "util/files.h"

namespace prisn::executor {
namespace {

constexpr std::string_view kWantedV1[] = {"memory", "cpu", "pids", "freezer"};
constexpr std::string_view kWantedV2[] = {"memory", "cpu", "pids"};

std::vector<std::string> Split(std::string_view text, char sep) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (true) {
    size_t end = text.find(sep, pos);
    out.emplace_back(text.substr(pos, end == std::string_view::npos ? end : end - pos));
    if (end == std::string_view::npos) break;
    pos = end + 1;
  }
  return out;
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string Unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      int v = (s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0');
      out.push_back(static_cast<char>(v));
      i += 3;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

struct Mount {
  std::string root;
  std::string point;
  std::string fstype;
  std::vector<std::string> super_options;
};

std::vector<Mount> CgroupMounts(const std::string& mountinfo) {
  std::vector<Mount> out;
  std::istringstream in(mountinfo);
  std::string line;
  while (std::getline(in, line)) {
    size_t dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    auto left = Split(std::string_view(line).substr(0, dash), ' ');
    auto right = Split(std::string_view(line).substr(dash + 3), ' ');
    if (left.size() < 5 || right.size() < 3) continue;
    if (right[0] != "cgroup" && right[0] != "cgroup2") continue;
    out.push_back(Mount{Unescape(left[3]), Unescape(left[4]), right[0], Split(right[2], ',')});
  }
  return out;
}

// The own cgroup path below a mount whose root may itself be a subtree (a
// cgroup namespace or a bind mount of one group).
std::string Below(const Mount& m, const std::string& own) {
  std::string rel = own;
  if (m.root != "/" && rel.starts_with(m.root)) rel = rel.substr(m.root.size());
  std::string path = m.point;
  if (!rel.empty() && rel != "/") path += rel.front() == '/' ? rel : "/" + rel;
  return path;
}

bool Contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

Status MkdirP(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return Fail(ErrorCode::kIo, "create cgroup directory: " + ec.message(), path);
  return {};
}

}  // namespace

Result<CgroupLayout> CgroupLayout::Detect(std::string_view subdir) {
  auto mountinfo = ReadFile("/proc/self/mountinfo");
  if (!mountinfo) return std::unexpected(mountinfo.error());
  auto self = ReadFile("/proc/self/cgroup");
  if (!self) return std::unexpected(self.error());
  std::vector<Mount> mounts = CgroupMounts(*mountinfo);

  CgroupLayout v1;
  v1.version = CgroupVersion::kV1;
  std::string v2_own_path;
  bool have_v2_line = false;
  std::istringstream in(*self);
  std::string line;
  while (std::getline(in, line)) {
    auto parts = Split(line, ':');
    if (parts.size() < 3) continue;
    // The path itself may contain ':'.
    std::string path = line.substr(parts[0].size() + parts[1].size() + 2);
    if (parts[1].empty()) {
      v2_own_path = path;
      have_v2_line = true;
      continue;
    }
    auto controllers = Split(parts[1], ',');
    bool wanted = std::any_of(controllers.begin(), controllers.end(), [](const std::string& c) {
      return std::find(std::begin(kWantedV1), std::end(kWantedV1), c) != std::end(kWantedV1);
    });
    if (!wanted) continue;
    for (const Mount& m : mounts) {
      if (m.fstype != "cgroup" || !Contains(m.super_options, controllers.front())) continue;
      v1.v1.push_back(CgroupHierarchy{controllers, Below(m, path) + "/" + std::string(subdir)});
      break;
    }
  }
  if (v1.HasController("memory") || v1.HasController("cpu") || v1.HasController("pids")) {
    return v1;
  }
  if (have_v2_line) {
    for (const Mount& m : mounts) {
      if (m.fstype != "cgroup2") continue;
      return V2(Below(m, v2_own_path), subdir);
    }
  }
  return CgroupLayout{};
}

CgroupLayout CgroupLayout::V2(std::string own, std::string_view subdir) {
  CgroupLayout layout;
  layout.version = CgroupVersion::kV2;
  layout.v2_base = own + "/" + std::string(subdir);
  layout.v2_own = std::move(own);
  return layout;
}

CgroupLayout CgroupLayout::V1(std::vector<CgroupHierarchy> hierarchies) {
  CgroupLayout layout;
  layout.version = CgroupVersion::kV1;
  layout.v1 = std::move(hierarchies);
  return layout;
}

bool CgroupLayout::HasController(std::string_view controller) const {
  if (version == CgroupVersion::kV1) {
    return std::any_of(v1.begin(), v1.end(), [&](const CgroupHierarchy& h) {
      return Contains(h.controllers, controller);
    });
  }
  if (version == CgroupVersion::kV2) {
    auto enabled = ReadFile(v2_base + "/cgroup.subtree_control");
    if (!enabled) return false;
    for (std::string c : Split(std::string_view(*enabled).substr(0, enabled->find('\n')), ' ')) {
      if (!c.empty() && c.front() == '+') c.erase(0, 1);  // a fake tree keeps what was written
      if (c == controller) return true;
    }
    return false;
  }
  return false;
}

Status CgroupLayout::Prepare(bool move_self_if_busy) const {
  if (version == CgroupVersion::kNone) {
    return Fail(ErrorCode::kUnavailable, "no cgroup hierarchy is mounted");
  }
  if (version == CgroupVersion::kV1) {
    for (const auto& h : v1) {
      if (auto st = MkdirP(h.base); !st) return st;
    }
    return {};
  }
  // v2: a controller reaches <base>/<name> only when every cgroup from the
  // own one down to <base> lists it in cgroup.subtree_control.
  auto offered = ReadFile(v2_own + "/cgroup.controllers");
  if (!offered) return std::unexpected(offered.error());
  auto available = Split(std::string_view(*offered).substr(0, offered->find('\n')), ' ');
  std::string enable;
  for (std::string_view c : kWantedV2) {
    if (Contains(available, c)) enable += (enable.empty() ? "+" : " +") + std::string(c);
  }
  if (auto st = MkdirP(v2_base); !st) return st;
  if (enable.empty()) return {};
  std::vector<std::string> chain;
  for (std::filesystem::path p = v2_base; p.string().size() >= v2_own.size(); p = p.parent_path()) {
    chain.insert(chain.begin(), p.string());
    if (p.string().size() == v2_own.size()) break;
  }
  for (const std::string& dir : chain) {
    auto st = WriteSysFile(dir + "/cgroup.subtree_control", enable);
    if (st) continue;
    bool busy = dir == v2_own && st.error().code == ErrorCode::kConflict;
    if (!busy) return st;
    if (!move_self_if_busy) {
      st.error().message +=
          "; the daemon's cgroup holds processes: run it in a delegated cgroup "
          "(systemd Delegate=yes) and let it move itself into a leaf";
      return st;
    }
    // The own cgroup holds processes (us): move into a leaf, then enable.
    std::string leaf = v2_own + "/daemon";
    if (auto mk = MkdirP(leaf); !mk) return mk;
    if (auto mv = WriteSysFile(leaf + "/cgroup.procs", std::to_string(::getpid()), false); !mv) {
      return mv;
    }
    if (auto again = WriteSysFile(dir + "/cgroup.subtree_control", enable); !again) return again;
  }
  return {};
}

}  // namespace prisn::executor
