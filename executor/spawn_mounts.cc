// The order matters:
//   1. make "/" private, so nothing below propagates to the host;
//   2. capture every path that must stay visible (open_tree clones), before
//      anything covers it;
//   3. level 2: make every mount read-only;
//   4. mount the fresh filesystems: private /tmp and /dev/shm, and an empty
//      tmpfs over the hidden path (unless a fresh /tmp already hides it);
//   5. attach the captured trees at their targets, creating mount points in
//      the fresh filesystems where needed;
//   6. make the hiding tmpfs read-only, and mount a /proc of the new PID
//      namespace that shows root's processes (the reaper) to no one else.
#include "executor/spawn_mounts.h"

#include <fmt/format.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <filesystem>

namespace prisn::executor::internal {
namespace {

struct Exposure {
  std::string source;
  std::string target;
  bool writable;
};

std::string Normal(const std::string& path) {
  std::string out = std::filesystem::path(path).lexically_normal().string();
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

bool Under(const std::string& path, const std::string& root) {
  return path == root || (path.size() > root.size() && path.starts_with(root) &&
                          (root == "/" || path[root.size()] == '/'));
}

bool Exists(const std::string& path, bool* is_dir = nullptr) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return false;
  if (is_dir) *is_dir = S_ISDIR(st.st_mode);
  return true;
}

class Builder {
 public:
  const char* Keep(std::string s) {
    plan_.strings.push_back(std::move(s));
    return plan_.strings.back().c_str();
  }
  void Add(MountOp op) { plan_.ops.push_back(op); }
  MountPlan Take() { return std::move(plan_); }

 private:
  MountPlan plan_;
};

}  // namespace

Result<MountPlan> BuildMountPlan(const SpawnOptions& o, int level) {
  auto bad = [](std::string msg, std::string ctx) { return Fail(ErrorCode::kInvalid, msg, ctx); };
  std::vector<Exposure> exposures;
  auto add = [&](const std::string& source, const std::string& target, bool writable) -> Status {
    if (source.empty() || source.front() != '/' || target.empty() || target.front() != '/') {
      return bad("paths made visible to a workload must be absolute", source + " -> " + target);
    }
    exposures.push_back(Exposure{Normal(source), Normal(target), writable});
    return {};
  };
  if (!o.workspace.empty()) {
    if (auto st = add(o.workspace, o.workspace, true); !st) return std::unexpected(st.error());
  }
  if (level >= 2) {
    for (const auto& p : o.writable_paths) {
      if (auto st = add(p, p, true); !st) return std::unexpected(st.error());
    }
  }
  for (const auto& b : o.binds) {
    if (auto st = add(b.source, b.target, b.writable); !st) return std::unexpected(st.error());
  }

  std::vector<std::string> fresh = {"/tmp"};
  if (Exists("/dev/shm")) fresh.push_back("/dev/shm");
  std::string hidden;
  if (!o.hidden_path.empty()) {
    if (o.hidden_path.front() != '/') return bad("the hidden path must be absolute", o.hidden_path);
    hidden = Normal(o.hidden_path);
    if (hidden == "/" || Under("/tmp", hidden) || Under("/proc", hidden)) {
      return bad("the hidden path may not contain /tmp or /proc", hidden);
    }
    bool covered = Under(hidden, "/tmp") || Under(hidden, "/dev/shm");
    if (!covered && Exists(hidden)) {
      fresh.push_back(hidden);
    } else {
      hidden.clear();  // a fresh /tmp hides it already, or there is nothing to hide
    }
  }
  auto fresh_root = [&](const std::string& path) -> const std::string* {
    for (const auto& r : fresh) {
      if (Under(path, r)) return &r;
    }
    return nullptr;
  };

  Builder b;
  b.Add({.kind = MountKind::kMakePrivate, .what = "make / private"});
  struct Attach {
    int slot;
    const Exposure* e;
    bool is_dir;
  };
  std::vector<Attach> attaches;
  for (const Exposure& e : exposures) {
    bool is_dir = true;
    if (!Exists(e.source, &is_dir)) return bad("a path to make visible does not exist", e.source);
    // A writable path shown where it is already needs nothing at level 1.
    bool needed = e.source != e.target || !e.writable || level >= 2 || fresh_root(e.target);
    if (!needed) continue;
    if (!fresh_root(e.target) && !Exists(e.target)) {
      return bad("a bind target must exist on the host", e.target);
    }
    if (static_cast<int>(attaches.size()) == kMaxTrees) {
      return bad(fmt::format("at most {} paths can be made visible", kMaxTrees), e.source);
    }
    int slot = static_cast<int>(attaches.size());
    attaches.push_back(Attach{slot, &e, is_dir});
    b.Add({.kind = MountKind::kOpenTree,
           .slot = slot,
           .path = b.Keep(e.source),
           .what = b.Keep("capture " + e.source)});
  }
  if (level >= 2) b.Add({.kind = MountKind::kReadOnlyRoot, .what = "make the host read-only"});

  std::string tmp_data = fmt::format("size={},mode=1777", o.tmp_size_bytes);
  for (const auto& r : fresh) {
    bool is_hidden = r == hidden;
    b.Add({.kind = MountKind::kMount,
           .path = b.Keep(r),
           .source = "tmpfs",
           .fstype = "tmpfs",
           .flags = static_cast<unsigned long>(MS_NOSUID | MS_NODEV) | (is_hidden ? MS_NOEXEC : 0),
           .data = is_hidden ? "size=64k,mode=0711" : b.Keep(tmp_data),
           .what = b.Keep((is_hidden ? "hide " : "mount a private ") + r)});
  }
  for (const Attach& a : attaches) {
    const std::string& target = a.e->target;
    if (const std::string* root = fresh_root(target)) {
      // Mount points below a fresh root: every directory up to the target.
      std::filesystem::path rel = std::filesystem::path(target).lexically_relative(*root);
      std::filesystem::path at = *root;
      for (auto it = rel.begin(); it != rel.end(); ++it) {
        at /= *it;
        bool last = std::next(it) == rel.end();
        if (at.string() == *root || (it->string() == ".")) continue;
        b.Add({.kind = last && !a.is_dir ? MountKind::kTouch : MountKind::kMkdir,
               .path = b.Keep(at.string()),
               .what = b.Keep("create mount point " + at.string())});
      }
    }
    b.Add({.kind = MountKind::kAttachTree,
           .writable = a.e->writable,
           .slot = a.slot,
           .path = b.Keep(target),
           .what = b.Keep("show " + a.e->source + " at " + target)});
  }
  if (!hidden.empty()) {
    b.Add({.kind = MountKind::kSetReadOnly,
           .path = b.Keep(hidden),
           .what = b.Keep("seal the hidden " + hidden)});
  }
  b.Add({.kind = MountKind::kMount,
         .path = "/proc",
         .source = "proc",
         .fstype = "proc",
         .flags = MS_NOSUID | MS_NODEV | MS_NOEXEC,
         .data = "hidepid=2",
         .what = "mount /proc"});
  return b.Take();
}

}  // namespace prisn::executor::internal
