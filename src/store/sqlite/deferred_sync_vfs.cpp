#include "store/sqlite/deferred_sync_vfs.hpp"

#include <sqlite3.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace cs::store {
namespace {

thread_local DeferredWalSync* t_deferral = nullptr;
// A checkpoint must sync the WAL before it overwrites database pages with its frames, so its
// syncs are never postponed. SQLite holds the checkpointer lock (WAL_CKPT_LOCK, shm lock slot 1
// in its WAL format) for the whole checkpoint.
constexpr int kCheckpointerLock = 1;
thread_local bool t_checkpointing = false;

sqlite3_vfs* g_real = nullptr;
sqlite3_vfs g_vfs;

// Our file object: the real VFS's file follows it in the same allocation.
struct File {
  sqlite3_file base;
  bool wal;
  sqlite3_file* real() { return reinterpret_cast<sqlite3_file*>(this + 1); }
};
File* of(sqlite3_file* f) { return reinterpret_cast<File*>(f); }
sqlite3_file* real(sqlite3_file* f) { return of(f)->real(); }
const sqlite3_io_methods* m(sqlite3_file* f) { return real(f)->pMethods; }

int x_close(sqlite3_file* f) { return m(f)->xClose(real(f)); }
int x_read(sqlite3_file* f, void* buf, int n, sqlite3_int64 off) {
  return m(f)->xRead(real(f), buf, n, off);
}
int x_write(sqlite3_file* f, const void* buf, int n, sqlite3_int64 off) {
  return m(f)->xWrite(real(f), buf, n, off);
}
int x_truncate(sqlite3_file* f, sqlite3_int64 size) { return m(f)->xTruncate(real(f), size); }
int x_sync(sqlite3_file* f, int flags) {
  if (of(f)->wal && t_deferral != nullptr && !t_checkpointing) {
    t_deferral->record(real(f), flags);
    return SQLITE_OK;
  }
  return m(f)->xSync(real(f), flags);
}
int x_file_size(sqlite3_file* f, sqlite3_int64* size) { return m(f)->xFileSize(real(f), size); }
int x_lock(sqlite3_file* f, int level) { return m(f)->xLock(real(f), level); }
int x_unlock(sqlite3_file* f, int level) { return m(f)->xUnlock(real(f), level); }
int x_check_reserved(sqlite3_file* f, int* out) { return m(f)->xCheckReservedLock(real(f), out); }
int x_file_control(sqlite3_file* f, int op, void* arg) {
  return m(f)->xFileControl(real(f), op, arg);
}
int x_sector_size(sqlite3_file* f) { return m(f)->xSectorSize(real(f)); }
int x_device(sqlite3_file* f) { return m(f)->xDeviceCharacteristics(real(f)); }
int x_shm_map(sqlite3_file* f, int pg, int size, int extend, void volatile** p) {
  return m(f)->xShmMap(real(f), pg, size, extend, p);
}
int x_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
  int rc = m(f)->xShmLock(real(f), offset, n, flags);
  if (offset <= kCheckpointerLock && kCheckpointerLock < offset + n &&
      (flags & SQLITE_SHM_EXCLUSIVE) != 0) {
    if ((flags & SQLITE_SHM_UNLOCK) != 0) {
      t_checkpointing = false;
    } else if (rc == SQLITE_OK) {
      t_checkpointing = true;
    }
  }
  return rc;
}
void x_shm_barrier(sqlite3_file* f) { m(f)->xShmBarrier(real(f)); }
int x_shm_unmap(sqlite3_file* f, int del) { return m(f)->xShmUnmap(real(f), del); }
int x_fetch(sqlite3_file* f, sqlite3_int64 off, int n, void** p) {
  return m(f)->xFetch(real(f), off, n, p);
}
int x_unfetch(sqlite3_file* f, sqlite3_int64 off, void* p) {
  return m(f)->xUnfetch(real(f), off, p);
}

const sqlite3_io_methods kMethods = {
    3,           x_close,       x_read,         x_write,     x_truncate, x_sync,
    x_file_size, x_lock,        x_unlock,       x_check_reserved,        x_file_control,
    x_sector_size, x_device,    x_shm_map,      x_shm_lock,  x_shm_barrier, x_shm_unmap,
    x_fetch,     x_unfetch};

int x_open(sqlite3_vfs*, const char* name, sqlite3_file* f, int flags, int* out_flags) {
  File* file = of(f);
  file->base.pMethods = nullptr;
  file->wal = (flags & SQLITE_OPEN_WAL) != 0;
  int rc = g_real->xOpen(g_real, name, file->real(), flags, out_flags);
  // Only a file the real VFS opened gets our methods (SQLite closes it through them).
  if (file->real()->pMethods != nullptr) file->base.pMethods = &kMethods;
  return rc;
}

void register_once() {
  g_real = sqlite3_vfs_find(nullptr);
  if (g_real == nullptr || g_real->iVersion < 3) {
    std::fprintf(stderr, "cs::store: the default SQLite VFS is missing or too old\n");
    std::abort();
  }
  g_vfs = *g_real;  // xDelete, xAccess, time, randomness...: the real ones, unchanged
  g_vfs.szOsFile = static_cast<int>(sizeof(File)) + g_real->szOsFile;
  g_vfs.zName = "cs_deferred_sync";
  g_vfs.pNext = nullptr;
  g_vfs.xOpen = x_open;
  if (sqlite3_vfs_register(&g_vfs, 0) != SQLITE_OK) {
    std::fprintf(stderr, "cs::store: cannot register the SQLite VFS\n");
    std::abort();
  }
}

}  // namespace

const char* deferred_sync_vfs() {
  static std::once_flag once;
  std::call_once(once, register_once);
  return g_vfs.zName;
}

DeferredWalSync::DeferredWalSync() : outer_(t_deferral) { t_deferral = this; }
DeferredWalSync::~DeferredWalSync() { stop(); }

void DeferredWalSync::stop() {
  if (!active_) return;
  active_ = false;
  t_deferral = outer_;
}

void DeferredWalSync::record(sqlite3_file* file, int flags) {
  file_ = file;
  flags_ |= flags;
}

int DeferredWalSync::sync() {
  stop();
  if (file_ == nullptr) return SQLITE_OK;
  sqlite3_file* file = file_;
  file_ = nullptr;
  return file->pMethods->xSync(file, flags_);
}

}  // namespace cs::store
