#pragma once
// A Backend that starts nothing: it records what the converge loop asks for,
// and tests report observations as the real backend would.

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "reconciler/backend.h"

namespace prisn::reconciler::testing {

class FakeBackend final : public Backend {
 public:
  void SetObserver(Observer observer) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    observer_ = std::move(observer);
  }
  void Start(InstanceSpec spec) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    started_.push_back(std::move(spec));
    cv_.notify_all();
  }
  void Stop(std::string_view id, std::chrono::milliseconds) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    stopped_.push_back(std::string(id));
    cv_.notify_all();
  }
  void StopAll(std::chrono::milliseconds) override {}
  std::vector<ListedInstance> List() override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    return listed_;
  }
  std::size_t Detach() override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    detached_ = true;
    return static_cast<std::size_t>(
        std::count_if(started_.begin(), started_.end(), [&](const auto& s) {
          return std::find(stopped_.begin(), stopped_.end(), s.id) == stopped_.end();
        }));
  }
  // Logs: what tests put with SetLog, read whole (no tail, no cursor).
  Result<LogPage> ReadLogs(const LogQuery& query) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    LogPage page;
    for (const std::string& name : query.names) {
      auto it = logs_.find(query.ns + "/" + query.owner + "/" + name);
      if (it == logs_.end()) continue;
      for (const std::string& text : it->second) page.lines.push_back({name, "", "out", text});
    }
    page.cursor = "fake";
    return page;
  }
  std::vector<std::string> ReplicaLogNames(const std::string& ns,
                                           const std::string& owner) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    std::vector<std::string> names;
    const std::string prefix = ns + "/" + owner + "/" + owner + "-";
    for (const auto& [key, lines] : logs_) {
      if (key.starts_with(prefix)) names.push_back(key.substr(ns.size() + owner.size() + 2));
    }
    return names;
  }
  void RemoveLog(const std::string& ns, const std::string& owner,
                 const std::string& name) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    logs_.erase(ns + "/" + owner + "/" + name);
    removed_logs_.push_back(name);
  }
  void SetLog(const std::string& ns, const std::string& owner, const std::string& name,
              std::vector<std::string> lines) {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    logs_[ns + "/" + owner + "/" + name] = std::move(lines);
  }
  std::vector<std::string> removed_logs() {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    return removed_logs_;
  }
  // What List() reports: instances "already running" when the loop starts.
  void SetListed(std::vector<ListedInstance> listed) {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    listed_ = std::move(listed);
  }
  bool detached() {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    return detached_;
  }

  // Delivers an observation of instance `id`, outside the lock (the loop
  // may call Start or Stop meanwhile). A started instance that wants a port
  // listens on 127.0.0.1, at a port the fake chooses (20000 + its start).
  void Report(const std::string& id, Observation::Type type, int code = 0) {
    Observation o;
    o.id = id;
    o.type = type;
    o.pid = 100;
    o.exit_code = code;
    o.message = "exit " + std::to_string(code);
    if (type == Observation::Type::kStarted) {
      std::lock_guard<std::recursive_mutex> lock(mu_);
      for (size_t i = 0; i < started_.size(); ++i) {
        if (started_[i].id == id && started_[i].wants_port) {
          o.host = "127.0.0.1";
          o.port = 20000 + static_cast<int>(i);
        }
      }
    }
    Observer observer;
    {
      std::lock_guard<std::recursive_mutex> lock(mu_);
      observer = observer_;
    }
    observer(o);
  }
  // Runs an attempt to its end.
  void Finish(const std::string& id, int code) {
    Report(id, Observation::Type::kStarted);
    Report(id, Observation::Type::kExited, code);
  }
  // Recursive lock: predicates call the accessors below.
  template <class Pred>
  bool WaitFor(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    std::unique_lock<std::recursive_mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return pred(); });
  }
  std::vector<InstanceSpec> started() {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    return started_;
  }
  std::vector<std::string> stopped() {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    return stopped_;
  }
  size_t started_count() {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    return started_.size();
  }
  size_t stopped_count() {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    return stopped_.size();
  }

 private:
  std::recursive_mutex mu_;
  std::condition_variable_any cv_;
  Observer observer_;
  std::vector<ListedInstance> listed_;
  std::map<std::string, std::vector<std::string>> logs_;  // "ns/owner/name" -> lines
  std::vector<std::string> removed_logs_;
  bool detached_ = false;
  std::vector<InstanceSpec> started_;
  std::vector<std::string> stopped_;
};

}  // namespace prisn::reconciler::testing
