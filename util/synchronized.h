#pragma once
// Shared state that more than one thread touches lives in a Synchronized<T>:
// the only way to the value is through a lock.

#include <utility>

#include "util/mutex.h"

namespace prisn {

template <class T>
class Synchronized {
 public:
  Synchronized() = default;
  explicit Synchronized(T value) : value_(std::move(value)) {}

  // Runs fn(T&) under the lock and returns what it returns.
  template <class Fn>
  auto With(Fn&& fn) {
    MutexLock lock(mutex_);
    return std::forward<Fn>(fn)(value_);
  }
  template <class Fn>
  auto With(Fn&& fn) const {
    MutexLock lock(mutex_);
    return std::forward<Fn>(fn)(value_);
  }

 private:
  mutable Mutex mutex_;
  T value_ PRISN_GUARDED_BY(mutex_){};
};

}  // namespace prisn
