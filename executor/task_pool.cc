#include "executor/task_pool.h"

#include <pthread.h>

namespace prisn::executor {

AsyncSignalsBlocked::AsyncSignalsBlocked() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig :
       {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGCHLD, SIGPIPE, SIGALRM, SIGWINCH}) {
    sigaddset(&set, sig);
  }
  ::pthread_sigmask(SIG_BLOCK, &set, &old_);
}

AsyncSignalsBlocked::~AsyncSignalsBlocked() { ::pthread_sigmask(SIG_SETMASK, &old_, nullptr); }

TaskPool::TaskPool(int threads, std::string name) {
  if (threads < 1) threads = 1;
  // Linux limits a thread name to 15 characters.
  if (name.size() > 15) name.resize(15);
  threads_.reserve(static_cast<size_t>(threads));
  AsyncSignalsBlocked blocked;
  for (int i = 0; i < threads; ++i) {
    threads_.emplace_back([this] { Work(); });
    ::pthread_setname_np(threads_.back().native_handle(), name.c_str());
  }
}

TaskPool::~TaskPool() { Shutdown(); }

bool TaskPool::Post(Task task) {
  {
    MutexLock lock(mutex_);
    if (stopping_) return false;
    queue_.push_back(std::move(task));
  }
  wake_.NotifyOne();
  return true;
}

void TaskPool::Shutdown() {
  {
    MutexLock lock(mutex_);
    stopping_ = true;
  }
  wake_.NotifyAll();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

void TaskPool::Work() {
  for (;;) {
    Task task;
    {
      MutexLock lock(mutex_);
      wake_.Wait(mutex_, [&]() PRISN_REQUIRES(mutex_) { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left to run
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();
  }
}

}  // namespace prisn::executor
