#pragma once
// A mutex, its scoped lock and a condition variable that Clang's
// thread-safety analysis understands (util/thread_annotations.h). Same cost
// as std::mutex and std::condition_variable, which they wrap; libstdc++'s
// own types carry no annotations, so guarded members name one of these.

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "util/thread_annotations.h"

namespace prisn {

class PRISN_CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void lock() PRISN_ACQUIRE() { m_.lock(); }
  void unlock() PRISN_RELEASE() { m_.unlock(); }

 private:
  friend class CondVar;
  std::mutex m_;
};

// Holds the mutex for its scope.
class PRISN_SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) PRISN_ACQUIRE(mu) : mu_(mu) { mu_.lock(); }
  ~MutexLock() PRISN_RELEASE() { mu_.unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex& mu_;
};

// Waits with the mutex held (as std::condition_variable does: released while
// asleep, held again on return). A predicate that reads guarded members is
// a lambda marked PRISN_REQUIRES(mu).
class CondVar {
 public:
  void NotifyOne() noexcept { cv_.notify_one(); }
  void NotifyAll() noexcept { cv_.notify_all(); }

  // Without a predicate the caller loops on its own condition (spurious
  // wake-ups happen).
  void Wait(Mutex& mu) PRISN_REQUIRES(mu) {
    std::unique_lock<std::mutex> lock(mu.m_, std::adopt_lock);
    cv_.wait(lock);
    lock.release();
  }
  template <class Rep, class Period>
  void WaitFor(Mutex& mu, const std::chrono::duration<Rep, Period>& timeout) PRISN_REQUIRES(mu) {
    std::unique_lock<std::mutex> lock(mu.m_, std::adopt_lock);
    cv_.wait_for(lock, timeout);
    lock.release();
  }
  template <class Clock, class Duration>
  void WaitUntil(Mutex& mu, const std::chrono::time_point<Clock, Duration>& deadline)
      PRISN_REQUIRES(mu) {
    std::unique_lock<std::mutex> lock(mu.m_, std::adopt_lock);
    cv_.wait_until(lock, deadline);
    lock.release();
  }
  template <class Pred>
  void Wait(Mutex& mu, Pred pred) PRISN_REQUIRES(mu) {
    std::unique_lock<std::mutex> lock(mu.m_, std::adopt_lock);
    cv_.wait(lock, std::move(pred));
    lock.release();
  }
  // False when the deadline passed with pred still false.
  template <class Clock, class Duration, class Pred>
  bool WaitUntil(Mutex& mu, const std::chrono::time_point<Clock, Duration>& deadline, Pred pred)
      PRISN_REQUIRES(mu) {
    std::unique_lock<std::mutex> lock(mu.m_, std::adopt_lock);
    bool met = cv_.wait_until(lock, deadline, std::move(pred));
    lock.release();
    return met;
  }
  template <class Rep, class Period, class Pred>
  bool WaitFor(Mutex& mu, const std::chrono::duration<Rep, Period>& timeout, Pred pred)
      PRISN_REQUIRES(mu) {
    return WaitUntil(mu, std::chrono::steady_clock::now() + timeout, std::move(pred));
  }

 private:
  std::condition_variable cv_;
};

}  // namespace prisn
