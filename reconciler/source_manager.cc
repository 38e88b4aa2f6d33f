#include "reconciler/source_manager.h"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <deque>
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
#include "util/mutex.h"
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

// A sync handed to a worker, with everything it needs read beforehand.
struct Job {
  SourceSpec spec;
  SyncOptions sync;
  std::optional<Error> secret_error;  // the credentials could not be read
};

// A worker's news back to the manager's thread.
struct Done {
  std::string name;
  bool failed = false;
  bool forced = false;
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
  std::vector<std::thread> workers;

  Mutex mu;
  bool reload PRISN_GUARDED_BY(mu) = false;
  std::map<std::string, bool> requests PRISN_GUARDED_BY(mu);  // name -> force
  std::set<std::string> drifted PRISN_GUARDED_BY(mu);
  std::deque<Job> jobs PRISN_GUARDED_BY(mu);    // waiting for a worker
  std::vector<Done> done PRISN_GUARDED_BY(mu);  // finished, not yet seen by the manager's thread
  CondVar job_ready;

  // Touched by the manager's thread only.
  std::map<std::string, Entry> entries;
  std::map<int, std::string> watch_owner;
  std::set<std::string> running;  // names handed to a worker and not done

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

  // Hands `e` to a worker. Runs on the manager's thread.
  void Dispatch(const std::string& name, Entry& e) {
    auto record = store.With([&](store::Store& s) { return s.GetSource(e.spec.name); });
    e.due = Clock::now() + std::chrono::milliseconds(e.spec.interval_ms);
    e.dirty_at.reset();
    if (!record || !*record) return;  // deleted meanwhile; the reload drops it
    Job job;
    job.spec = e.spec;
    job.sync.state_dir = options.state_dir;
    job.sync.last_applied = (*record)->last_applied_commit;
    job.sync.force = std::exchange(e.force, false) || std::exchange(e.drifted, false);
    job.sync.cancel = &stopping;
    job.sync.fetch_limits = options.fetch_limits;
    job.sync.credentials = Credentials(e, job.secret_error);
    running.insert(name);
    {
      MutexLock lock(mu);
      jobs.push_back(std::move(job));
    }
    job_ready.NotifyOne();
  }

  // One sync, on a worker: fetch, load, apply, record.
  void Work(Job& job) {
    const SourceSpec& spec = job.spec;
    const auto started = Clock::now();
    SyncReport report;
    if (job.secret_error) {
      report.stage = "fetch";
      report.error = Error{job.secret_error->code,
                           "cannot read the source's secret: " + job.secret_error->message,
                           spec.secret};
    } else {
      report = SyncSource(spec, target, job.sync);
    }
    if (stopping) return;
    auto recorded = store.With([&](store::Store& s) { return RecordSync(s, spec.name, report); });
    if (!recorded) spdlog::error("source {}: {}", spec.name, recorded.error().ToString());
    std::string outcome = report.Outcome();
    if (report.error) {
      spdlog::warn("source {}: {} failed: {}", spec.name, report.stage, report.error->ToString());
    } else if (outcome == "applied") {
      spdlog::info("source {}: applied {}", spec.name, report.revision);
    }
    if (options.on_sync) {
      options.on_sync(spec.type, outcome, report.error ? report.stage : "",
                      std::chrono::duration<double>(Clock::now() - started).count());
    }
    {
      MutexLock lock(mu);
      done.push_back(Done{spec.name, report.error.has_value(), job.sync.force});
    }
    Wake();
  }

  void WorkerLoop() {
    for (;;) {
      Job job;
      {
        MutexLock lock(mu);
        job_ready.Wait(mu, [&]() PRISN_REQUIRES(mu) { return stopping.load() || !jobs.empty(); });
        if (stopping) return;
        job = std::move(jobs.front());
        jobs.pop_front();
      }
      Work(job);
    }
  }

  // A worker finished `d`. Runs on the manager's thread.
  void Finished(const Done& d) {
    running.erase(d.name);
    auto it = entries.find(d.name);
    if (it == entries.end()) return;
    Entry& e = it->second;
    // A failed forced sync must not forget the drift it was to correct.
    if (d.failed && d.forced) e.drifted = true;
    if (e.spec.type == "dir" && !e.suspended) Watch(e);
  }

  void Run() {
    Load();
    const size_t capacity = static_cast<size_t>(std::max(1, options.max_parallel));
    while (!stopping) {
      auto now = Clock::now();
      auto next = now + std::chrono::hours(1);
      // Every worker busy: only a finished sync (a wake-up) can start more.
      for (const auto& [name, e] : entries) {
        if (e.suspended || running.contains(name) || running.size() >= capacity) continue;
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
      std::vector<Done> finished;
      bool reload_now = false;
      {
        MutexLock lock(mu);
        requested.swap(requests);
        drifted_now.swap(drifted);
        finished.swap(done);
        reload_now = std::exchange(reload, false);
      }
      for (const Done& d : finished) Finished(d);
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
        if (e.suspended || running.contains(name)) continue;
        if (running.size() >= capacity) break;
        now = Clock::now();
        bool quiet = e.dirty_at && *e.dirty_at + options.debounce <= now;
        if (e.due <= now || quiet) Dispatch(name, e);
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
  for (int i = 0; i < std::max(1, state_->options.max_parallel); ++i)
    state_->workers.emplace_back([this] { state_->WorkerLoop(); });
  state_->thread = std::thread([this] { state_->Run(); });
  return {};
}

void SourceManager::Stop() {
  if (!state_->thread.joinable()) return;
  state_->stopping = true;
  state_->Wake();
  state_->thread.join();
  {
    // Under the lock: a worker between its check and its wait still wakes.
    MutexLock lock(state_->mu);
  }
  state_->job_ready.NotifyAll();
  // A worker in a fetch sees `stopping` through the fetch's deadline, which
  // shuts its sockets down: even a silent remote lets it go at once.
  for (std::thread& w : state_->workers) w.join();
  state_->workers.clear();
}

void SourceManager::Reload() {
  {
    MutexLock lock(state_->mu);
    state_->reload = true;
  }
  if (state_->wake_fd) state_->Wake();
}

void SourceManager::Request(const std::string& name, bool force) {
  {
    MutexLock lock(state_->mu);
    state_->requests[name] = state_->requests[name] || force;
  }
  if (state_->wake_fd) state_->Wake();
}

void SourceManager::MarkDrifted(const std::string& name) {
  MutexLock lock(state_->mu);
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
