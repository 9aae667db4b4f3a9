// Whole files written durably in one job on the thread pool, for the folders writer's groups
// (src/main/export/files.ts FileBatch): each file is written under its temporary name, then
// every file is fsync'd back to back (one journal commit of the filesystem covers most of them),
// then each is renamed onto its final name. A final name only ever holds a complete, flushed
// file. On an error nothing of the failed batch stays under a temporary name, and the caller
// learns which file, which step and the errno. The same steps as the JS fallback (AtomicFile +
// CommitGroup), in one pool job instead of five per file.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h> // rename
#include <stdlib.h>
#include <unistd.h>
#include "decoders.h"

static int write_all(int fd, const uint8_t *p, size_t n) {
  while (n > 0) {
    ssize_t k = write(fd, p, n);
    if (k < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += k;
    n -= (size_t)k;
  }
  return 0;
}

static int fsync_retry(int fd) {
  int r;
  do r = fsync(fd);
  while (r < 0 && errno == EINTR);
  return r;
}

int write_files(size_t count, char *const *tmp, char *const *final, const uint8_t *const *data, const size_t *len, file_failure *fail) {
  int *fds = malloc(count * sizeof *fds);
  if (!fds) {
    *fail = (file_failure){.index = 0, .step = "allocating", .err = ENOMEM};
    return FAILED;
  }
  for (size_t i = 0; i < count; i++) fds[i] = -1;
  size_t i = 0, opened = 0;
  const char *step = "writing";
  for (; i < count; i++) {
    fds[i] = open(tmp[i], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    opened = i + 1;
    if (fds[i] < 0 || write_all(fds[i], data[i], len[i]) < 0) goto failed;
  }
  step = "flushing";
  for (i = 0; i < count; i++)
    if (fsync_retry(fds[i]) < 0) goto failed;
  step = "closing";
  for (i = 0; i < count; i++) {
    int r = close(fds[i]);
    fds[i] = -1;
    if (r < 0 && errno != EINTR) goto failed;
  }
  step = "renaming";
  for (i = 0; i < count; i++)
    if (rename(tmp[i], final[i]) < 0) goto failed;
  free(fds);
  return DONE;
failed:
  *fail = (file_failure){.index = i, .step = step, .err = errno};
  // (files renamed before a failed rename are complete and flushed, and stay; their temporary
  // names are gone already)
  for (size_t k = 0; k < opened; k++) {
    if (fds[k] >= 0) close(fds[k]);
    unlink(tmp[k]);
  }
  free(fds);
  return FAILED;
}
