#pragma once
// A fixed set of worker threads running tasks in the order they were
// posted. The local backend uses one for work that may block (building an
// environment, creating a workspace, removing one) and one for health
// probes, so that neither ever stalls its event loop.
//
// Tasks must not post to their own pool and then wait for the result (with
// every worker waiting, nothing would run it).

#include <signal.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "util/mutex.h"

namespace prisn::executor {

// Blocks, for its lifetime on the calling thread, the asynchronous signals
// the daemon handles elsewhere (signalfd or a handler): threads started
// meanwhile inherit the mask and are never picked to receive them.
// Synchronous ones (SIGSEGV, ...) stay deliverable for crash reports.
class AsyncSignalsBlocked {
 public:
  AsyncSignalsBlocked();
  ~AsyncSignalsBlocked();
  AsyncSignalsBlocked(const AsyncSignalsBlocked&) = delete;
  AsyncSignalsBlocked& operator=(const AsyncSignalsBlocked&) = delete;

 private:
  sigset_t old_;
};

class TaskPool {
 public:
  using Task = std::move_only_function<void()>;

  // Starts `threads` workers (at least one), named `name` for debuggers,
  // with the asynchronous signals blocked.
  TaskPool(int threads, std::string name);
  // Shutdown().
  ~TaskPool();
  TaskPool(const TaskPool&) = delete;
  TaskPool& operator=(const TaskPool&) = delete;

  // Queues `task`. False, with the task not run, once Shutdown has begun.
  bool Post(Task task);
  // Runs what is queued, then joins the workers. Idempotent; not from a
  // worker of this pool.
  void Shutdown();

 private:
  void Work();

  Mutex mutex_;
  CondVar wake_;
  std::deque<Task> queue_ PRISN_GUARDED_BY(mutex_);
  bool stopping_ PRISN_GUARDED_BY(mutex_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace prisn::executor
