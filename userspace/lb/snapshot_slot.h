// SPDX-License-Identifier: BSD-3-Clause
// SnapshotSlot / SnapshotReader: how an immutable snapshot passes from the thread that
// builds it (the main lcore, once a sampling period) to the workers that read it per
// message, with no lock and no allocation on the reading side.
//
// Ownership: the slot holds a shared_ptr to the current snapshot; each reader holds a
// shared_ptr to the one it is using. Publishing replaces the slot's pointer and bumps a
// version number. A reader checks the version once per burst or message (one acquire load
// of a word nobody writes on the data path, so the cache line stays shared) and only on a
// change copies the pointer — the one atomic read-modify-write, once a period. A
// snapshot is freed when the last holder lets go: the slot on the next publish, or a
// worker on its next refresh (then on that worker, once a period, not per message).
#ifndef DMPD_USERSPACE_LB_SNAPSHOT_SLOT_H_
#define DMPD_USERSPACE_LB_SNAPSHOT_SLOT_H_

#include <atomic>
#include <cstdint>
#include <memory>

namespace dmpd::lb {

template <class T>
class SnapshotSlot {
 public:
  // Any thread; publishers must not race each other (one owner builds snapshots).
  void Publish(std::shared_ptr<const T> next) {
    current_.store(std::move(next), std::memory_order_release);
    version_.fetch_add(1, std::memory_order_release);
  }

  uint64_t version() const { return version_.load(std::memory_order_acquire); }
  std::shared_ptr<const T> Load() const { return current_.load(std::memory_order_acquire); }

 private:
  // libstdc++'s atomic<shared_ptr> guards the pointer with a bit of its own; only Publish
  // and a reader's refresh touch it, never the per-message path.
  std::atomic<std::shared_ptr<const T>> current_;
  std::atomic<uint64_t> version_{0};
};

// One per worker thread; not thread-safe itself.
template <class T>
class SnapshotReader {
 public:
  explicit SnapshotReader(const SnapshotSlot<T>* slot) : slot_(slot) {}

  // The newest published snapshot (nullptr before the first Publish). The reference stays
  // valid until the next Current() on this reader.
  const T* Current() {
    const uint64_t v = slot_->version();
    if (v != seen_version_) {
      held_ = slot_->Load();
      seen_version_ = v;
    }
    return held_.get();
  }

 private:
  const SnapshotSlot<T>* slot_;
  uint64_t seen_version_ = 0;
  std::shared_ptr<const T> held_;
};

}  // namespace dmpd::lb

#endif  // DMPD_USERSPACE_LB_SNAPSHOT_SLOT_H_
