#include "reconciler/source_manager.h"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "manifests/canonical.h"
#include "manifests/git_tree.h"
#include "reconciler/source_spec.h"
#include "util/unique_fd.h"

namespace prisn::reconciler {

using Clock = std::chrono::steady_clock;

namespace {

constexpr uint32_t kWatchMask = IN_CREATE | IN_DELETE | IN_MODIFY | IN_MOVED_FROM | IN_MOVED_TO |
                                IN_CLOSE_WRITE | IN_ATTRIB | IN_DELETE_SELF | IN_ONLYDIR;

struct Entry {
  SourceSpec spec;
  std::string spec_text;  // to notice a changed definition
  bool suspended = false;
  Clock::time_point due;
  std::optional<Clock::time_point> dirty_at;  // last inotify event
  bool force = false;
  bool drifted = true;  // re-apply at the next sync even if the revision is in force
  std::vector<int> watches;
};

}  // namespace

struct SourceManager::State {
  Synchronized<store::Store>& store;
  SourceTarget& target;
  SourceManagerOptions options;
  UniqueFd wake_fd;
  UniqueFd inotify_fd;
  std::atomic<bool> stopping{false};
  std::thread thread;

  std::mutex mu;  // guards the two below
  bool reload = false;
  std::map<std::string, bool> requests;  // name -> force
  std::set<std::string> drifted;

  // Touched by the thread only.
  std::map<std::string, Entry> entries;
  std::map<int, std::string> watch_owner;

  State(Synchronized<store::Store>& s, SourceTarget& t, SourceManagerOptions o)
      : store(s), target(t), options(std::move(o)) {}

  void Wake() {
    uint64_t one = 1;
    if (::write(wake_fd.Get(), &one, sizeof one) < 0) {
      // The counter is only full when a wake-up is already pending.
    }
  }

  void Unwatch(Entry& e) {
    for (int wd : e.watches) {
      inotify_rm_watch(inotify_fd.Get(), wd);
      watch_owner.erase(wd);
    }
    e.watches.clear();
  }

  // Watches the folder and every sub-folder except hidden ones; a new
  // sub-folder is picked up at the next sync. Existing watches stay (adding
  // a watched folder again returns its descriptor): removing them would drop
  // events already queued for them, written while a sync was reading.
  void Watch(Entry& e) {
    namespace fs = std::filesystem;
    std::error_code ec;
    auto add = [&](const fs::path& p) {
      int wd = inotify_add_watch(inotify_fd.Get(), p.c_str(), kWatchMask);
      if (wd < 0 || watch_owner.contains(wd)) return;
      e.watches.push_back(wd);
      watch_owner[wd] = e.spec.name;
    };
    add(e.spec.dir);
    fs::recursive_directory_iterator it(e.spec.dir, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
      if (!it->is_directory(ec)) continue;
      if (it->path().filename().string().starts_with(".")) {
        it.disable_recursion_pending();
        continue;
      }
      add(it->path());
    }
  }

  void Load() {
    auto listed = store.With([](store::Store& s) { return s.ListSources(); });
    if (!listed) {
      spdlog::error("sources: cannot list: {}", listed.error().ToString());
      return;
    }
    std::map<std::string, Entry> next;
    for (const store::SourceRecord& r : *listed) {
      auto spec = SourceSpecFromJson(nlohmann::json::parse(r.spec_json, nullptr, false));
      if (!spec) {
        spdlog::error("source {}: stored definition is invalid: {}", r.name,
                      spec.error().ToString());
        continue;
      }
      Entry e;
      auto old = entries.find(r.name);
      e.spec = std::move(*spec);
      e.spec_text = r.spec_json;
      e.suspended = r.suspended;
      e.due = Clock::now();
      if (old != entries.end() && old->second.spec_text == r.spec_json &&
          old->second.suspended == r.suspended) {
        e.due = old->second.due;
        e.force = old->second.force;
        e.drifted = old->second.drifted;
        e.dirty_at = old->second.dirty_at;
        e.watches = std::move(old->second.watches);
        old->second.watches.clear();
      }
      next.emplace(r.name, std::move(e));
    }
    for (auto& [name, e] : entries) Unwatch(e);
    entries = std::move(next);
    for (auto& [name, e] : entries) {
      if (e.spec.type == "dir" && !e.suspended && e.watches.empty()) Watch(e);
      if (e.suspended) Unwatch(e);
    }
  }

  void ReadInotify() {
    alignas(inotify_event) char buf[8192];
    for (;;) {
      ssize_t n = ::read(inotify_fd.Get(), buf, sizeof buf);
      if (n <= 0) return;
      for (char* p = buf; p < buf + n;) {
        auto* ev = reinterpret_cast<inotify_event*>(p);
        if (auto owner = watch_owner.find(ev->wd); owner != watch_owner.end()) {
          if (auto e = entries.find(owner->second); e != entries.end())
            e->second.dirty_at = Clock::now();
          // The folder is gone: the kernel dropped the watch.
          if (ev->mask & IN_IGNORED) watch_owner.erase(owner);
        }
        p += sizeof(inotify_event) + ev->len;
      }
    }
  }

  std::map<std::string, std::string> Credentials(const Entry& e, std::optional<Error>& error) {
    if (e.spec.secret.empty()) return {};
    auto values = store.With([&](store::Store& s) { return SecretValues(s, e.spec.secret); });
    if (!values) {
      error = values.error();
      return {};
    }
    return std::move(*values);
  }

  void Sync(Entry& e) {
    auto record = store.With([&](store::Store& s) { return s.GetSource(e.spec.name); });
    e.due = Clock::now() + std::chrono::milliseconds(e.spec.interval_ms);
    e.dirty_at.reset();
    if (!record || !*record) return;  // deleted meanwhile; the reload drops it
    SyncOptions sync;
    sync.state_dir = options.state_dir;
    sync.last_applied = (*record)->last_applied_commit;
    sync.force = std::exchange(e.force, false) || std::exchange(e.drifted, false);
    sync.cancel = &stopping;
    std::optional<Error> secret_error;
    sync.credentials = Credentials(e, secret_error);
    const auto started = Clock::now();
    SyncReport report;
    if (secret_error) {
      report.stage = "fetch";
      report.error = Error{secret_error->code,
                           "cannot read the source's secret: " + secret_error->message,
                           e.spec.secret};
    } else {
      report = SyncSource(e.spec, target, sync);
    }
    if (stopping) return;
    auto recorded =
        store.With([&](store::Store& s) { return RecordSync(s, e.spec.name, report); });
    if (!recorded) spdlog::error("source {}: {}", e.spec.name, recorded.error().ToString());
    std::string outcome = report.Outcome();
    if (report.error) {
      spdlog::warn("source {}: {} failed: {}", e.spec.name, report.stage,
                   report.error->ToString());
    } else if (outcome == "applied") {
      spdlog::info("source {}: applied {}", e.spec.name, report.revision);
    }
    if (options.on_sync) {
      options.on_sync(e.spec.type, outcome, report.error ? report.stage : "",
                      std::chrono::duration<double>(Clock::now() - started).count());
    }
    // A failed forced sync must not forget the drift it was to correct.
    if (report.error && sync.force) e.drifted = true;
    if (e.spec.type == "dir") Watch(e);
  }

  void Run() {
    Load();
    while (!stopping) {
      auto now = Clock::now();
      auto next = now + std::chrono::hours(1);
      for (const auto& [name, e] : entries) {
        if (e.suspended) continue;
        next = std::min(next, e.due);
        if (e.dirty_at) next = std::min(next, *e.dirty_at + options.debounce);
      }
      auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next - now).count();
      pollfd fds[2] = {{wake_fd.Get(), POLLIN, 0}, {inotify_fd.Get(), POLLIN, 0}};
      int ready = ::poll(fds, 2, static_cast<int>(std::clamp<int64_t>(wait, 0, 3'600'000)));
      if (ready < 0 && errno != EINTR) {
        spdlog::error("sources: poll failed: {}", ErrnoError("poll", errno).ToString());
        return;
      }
      if (stopping) return;
      if (ready > 0 && (fds[0].revents & POLLIN)) {
        uint64_t count = 0;
        if (::read(wake_fd.Get(), &count, sizeof count) < 0) {
          // EAGAIN: another reader took it; nothing to do.
        }
      }
      if (ready > 0 && (fds[1].revents & POLLIN)) ReadInotify();
      std::map<std::string, bool> requested;
      std::set<std::string> drifted_now;
      bool reload_now = false;
      {
        std::lock_guard lock(mu);
        requested.swap(requests);
        drifted_now.swap(drifted);
        reload_now = std::exchange(reload, false);
      }
      if (reload_now) Load();
      for (const std::string& name : drifted_now)
        if (auto it = entries.find(name); it != entries.end()) it->second.drifted = true;
      for (const auto& [name, force] : requested) {
        auto it = entries.find(name);
        if (it == entries.end()) continue;
        it->second.due = Clock::now();
        it->second.force = it->second.force || force;
      }
      for (auto& [name, e] : entries) {
        if (stopping) return;
        if (e.suspended) continue;
        now = Clock::now();
        bool quiet = e.dirty_at && *e.dirty_at + options.debounce <= now;
        if (e.due <= now || quiet) Sync(e);
      }
    }
  }
};

SourceManager::SourceManager(Synchronized<store::Store>& store, SourceTarget& target,
                             SourceManagerOptions options)
    : state_(std::make_unique<State>(store, target, std::move(options))) {}

SourceManager::~SourceManager() { Stop(); }

Status SourceManager::Start() {
  state_->wake_fd = UniqueFd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!state_->wake_fd) return std::unexpected(ErrnoError("eventfd", errno));
  state_->inotify_fd = UniqueFd(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  if (!state_->inotify_fd) return std::unexpected(ErrnoError("inotify_init1", errno));
  manifests::git::EnsureInit();
  state_->thread = std::thread([this] { state_->Run(); });
  return {};
}

void SourceManager::Stop() {
  if (!state_->thread.joinable()) return;
  state_->stopping = true;
  state_->Wake();
  state_->thread.join();
}

void SourceManager::Reload() {
  {
    std::lock_guard lock(state_->mu);
    state_->reload = true;
  }
  if (state_->wake_fd) state_->Wake();
}

void SourceManager::Request(const std::string& name, bool force) {
  {
    std::lock_guard lock(state_->mu);
    state_->requests[name] = state_->requests[name] || force;
  }
  if (state_->wake_fd) state_->Wake();
}

void SourceManager::MarkDrifted(const std::string& name) {
  std::lock_guard lock(state_->mu);
  state_->drifted.insert(name);
}

Result<std::map<std::string, std::string>> SecretValues(store::Store& store,
                                                        const std::string& ref) {
  auto slash = ref.find('/');
  store::ObjectKey key{"Secret", slash == std::string::npos ? "default" : ref.substr(0, slash),
                       slash == std::string::npos ? ref : ref.substr(slash + 1)};
  auto canonical = store.GetCanonical(key);
  if (!canonical) return std::unexpected(canonical.error());
  auto object = manifests::FromCanonicalJson(nlohmann::json::parse(*canonical, nullptr, false), {});
  if (!object) return std::unexpected(object.error());
  const auto* secret = std::get_if<manifests::SecretSpec>(&object->spec);
  if (!secret) return Fail(ErrorCode::kInvalid, "not a Secret", key.ToString());
  return manifests::PlainSecretValues(*secret);
}

}  // namespace prisn::reconciler
