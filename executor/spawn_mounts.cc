// The order matters:
//   1. make "/" private, so nothing below propagates to the host;
//   2. capture every path that must stay visible (open_tree clones), before
//      anything covers or removes it;
//   3. remove the other workloads' mounts (detach_path);
//   4. level 2, or read_only_host: make every mount read-only;
//   5. the private folders (a captured folder of the workspace, or a fresh
//      tmpfs, at /tmp, /var/tmp, ...), and an empty tmpfs over the hidden
//      path (unless a private folder hides it already);
//   6. attach the captured trees at their targets, creating mount points in
//      the private folders and the hiding tmpfs where needed;
//   7. make the hiding tmpfs read-only, and mount a /proc of the new PID
//      namespace that shows root's processes (the reaper) to no one else.
#include "executor/spawn_mounts.h"

#include <fmt/format.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <algorithm>
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
  const bool read_only = level >= 2 || o.read_only_host;
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

  // The private folders the host has, each once (/var/tmp may be a link to
  // /tmp), by their real path: a mount lands on the real path anyway.
  struct Private {
    std::string target;
    std::string source;  // in private_dirs; empty: a fresh tmpfs
  };
  std::vector<Private> privates;
  std::vector<std::string> fresh;  // where the reaper may create mount points
  for (const char* folder : kPrivateFolders) {
    std::error_code ec;
    std::string real = std::filesystem::canonical(folder, ec).string();
    if (ec || !std::filesystem::is_directory(real, ec)) continue;
    if (std::find(fresh.begin(), fresh.end(), real) != fresh.end()) continue;
    std::string source;
    if (!o.private_dirs.empty()) {
      source = Normal(o.private_dirs + "/" + PrivateFolderName(folder));
      if (!Exists(source)) return bad("a private folder to show is missing", source);
    }
    privates.push_back(Private{real, source});
    fresh.push_back(real);
  }
  std::string detach;
  if (!o.detach_path.empty()) {
    if (o.detach_path.front() != '/') return bad("the detach path must be absolute", o.detach_path);
    detach = Normal(o.detach_path);
    if (detach == "/" || Under("/proc", detach)) return bad("the detach path may not be / or /proc", detach);
  }
  std::string hidden;
  if (!o.hidden_path.empty()) {
    if (o.hidden_path.front() != '/') return bad("the hidden path must be absolute", o.hidden_path);
    hidden = Normal(o.hidden_path);
    if (hidden == "/" || Under("/proc", hidden)) {
      return bad("the hidden path may not contain /proc or a private folder", hidden);
    }
    bool covered = false;
    for (const Private& p : privates) {
      if (Under(p.target, hidden)) {
        return bad("the hidden path may not contain /proc or a private folder", hidden);
      }
      covered = covered || Under(hidden, p.target);
    }
    if (!covered && Exists(hidden)) {
      fresh.push_back(hidden);
    } else {
      hidden.clear();  // a private folder hides it already, or there is nothing to hide
    }
  }
  auto fresh_root = [&](const std::string& path) -> const std::string* {
    for (const auto& r : fresh) {
      if (Under(path, r)) return &r;
    }
    return nullptr;
  };
  // Once it is gone, the mount points of what was captured below it are
  // made afresh in the hiding tmpfs or a private folder.
  if (!detach.empty() && !fresh_root(detach)) {
    return bad("the detach path must lie under the hidden path or a private folder", detach);
  }

  Builder b;
  b.Add({.kind = MountKind::kMakePrivate, .what = "make / private"});
  struct Attach {
    int slot;
    const Exposure* e;
    bool is_dir;
  };
  std::vector<Attach> attaches;
  int slots = 0;
  for (const Exposure& e : exposures) {
    bool is_dir = true;
    if (!Exists(e.source, &is_dir)) return bad("a path to make visible does not exist", e.source);
    // A writable path shown where it is already needs nothing at level 1,
    // unless it is covered, removed, or made read-only on the way.
    bool needed = e.source != e.target || !e.writable || read_only || fresh_root(e.target) ||
                  (!detach.empty() && Under(e.target, detach));
    if (!needed) continue;
    if (!fresh_root(e.target) && !Exists(e.target)) {
      return bad("a bind target must exist on the host", e.target);
    }
    if (slots == kMaxTrees) {
      return bad(fmt::format("at most {} paths can be made visible", kMaxTrees), e.source);
    }
    int slot = slots++;
    attaches.push_back(Attach{slot, &e, is_dir});
    b.Add({.kind = MountKind::kOpenTree,
           .slot = slot,
           .path = b.Keep(e.source),
           .what = b.Keep("capture " + e.source)});
  }
  std::vector<int> private_slots;
  for (const Private& p : privates) {
    if (p.source.empty()) {
      private_slots.push_back(-1);
      continue;
    }
    if (slots == kMaxTrees) {
      return bad(fmt::format("at most {} paths can be made visible", kMaxTrees), p.source);
    }
    private_slots.push_back(slots);
    b.Add({.kind = MountKind::kOpenTree,
           .slot = slots++,
           .path = b.Keep(p.source),
           .what = b.Keep("capture " + p.source)});
  }
  if (!detach.empty()) {
    b.Add({.kind = MountKind::kDetach,
           .path = b.Keep(detach),
           .what = b.Keep("remove the other workloads' mounts at " + detach)});
  }
  if (read_only) b.Add({.kind = MountKind::kReadOnlyRoot, .what = "make the host read-only"});

  std::string tmp_data = fmt::format("size={},mode=1777", o.tmp_size_bytes);
  for (size_t i = 0; i < privates.size(); ++i) {
    const std::string& target = privates[i].target;
    if (private_slots[i] >= 0) {
      b.Add({.kind = MountKind::kAttachTree,
             .writable = true,
             .slot = private_slots[i],
             .path = b.Keep(target),
             .what = b.Keep("show the private " + target)});
    } else {
      b.Add({.kind = MountKind::kMount,
             .path = b.Keep(target),
             .source = "tmpfs",
             .fstype = "tmpfs",
             .flags = MS_NOSUID | MS_NODEV,
             .data = b.Keep(tmp_data),
             .what = b.Keep("mount a private " + target)});
    }
  }
  if (!hidden.empty()) {
    b.Add({.kind = MountKind::kMount,
           .path = b.Keep(hidden),
           .source = "tmpfs",
           .fstype = "tmpfs",
           .flags = MS_NOSUID | MS_NODEV | MS_NOEXEC,
           .data = "size=64k,mode=0711",
           .what = b.Keep("hide " + hidden)});
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
