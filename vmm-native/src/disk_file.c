#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "devices.h"
#include "log.h"

static const struct disk_file_io system_io = {
	.pread = pread,
	.pwrite = pwrite,
	.fallocate = fallocate,
	.preadv = preadv,
	.pwritev = pwritev,
};

static const struct disk_file_io *disk_io(const struct disk_file *disk)
{
	return disk->io ? disk->io : &system_io;
}

/* Bytes the disk holds: a block device's size is not in st_size. */
static int disk_file_probe_size(int fd, uint64_t *size)
{
	struct stat info;

	if (fstat(fd, &info) < 0)
		return -errno;
	if (S_ISBLK(info.st_mode))
		return ioctl(fd, BLKGETSIZE64, size) < 0 ? -errno : 0;
	if (!S_ISREG(info.st_mode))
		return -EINVAL;
	*size = (uint64_t)info.st_size;
	return 0;
}

/*
 * Image locking with an open file description (OFD) lock, the kind QEMU
 * uses: every other open of the image sees it, in this process or another,
 * and it goes away when the description is closed. It covers the whole
 * image; a writer holds it exclusively, readers share it.
 */
static int disk_file_lock(int fd, const char *path, bool read_only)
{
	struct flock lock = { .l_type = read_only ? F_RDLCK : F_WRLCK, .l_whence = SEEK_SET };

	if (fcntl(fd, F_OFD_SETLK, &lock) == 0)
		return 0;
	if (errno == EAGAIN || errno == EACCES) {
		log_error("disk %s is in use: another process holds a lock on it", path);
		return -EBUSY;
	}
	log_warn("disk %s cannot be locked here (%s): another monitor could open it too", path,
		 strerror(errno));
	return 0;
}

int disk_file_open(struct disk_file *disk, const char *path, bool read_only)
{
	int ret;

	disk->fd = open(path, (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (disk->fd < 0)
		return -errno;
	ret = disk_file_lock(disk->fd, path, read_only);
	if (ret == 0)
		ret = disk_file_probe_size(disk->fd, &disk->size);
	if (ret < 0)
		goto out;
	/* The guest sees whole 512-byte sectors (virtio 1.x 5.2.4, capacity). */
	disk->size &= ~511ULL;
	disk->read_only = read_only;
	disk->io = NULL;
	return 0;
out:
	close(disk->fd);
	disk->fd = -1;
	return ret;
}

int disk_file_read(struct disk_file *disk, uint64_t offset, void *buffer, size_t length)
{
	const struct disk_file_io *io = disk_io(disk);
	size_t done = 0;

	while (done < length) {
		ssize_t got = io->pread(disk->fd, (uint8_t *)buffer + done, length - done,
					(off_t)(offset + done));
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -errno;
		if (got == 0)
			return -EIO;
		done += (size_t)got;
	}
	return 0;
}

/* Moves iov past the first done bytes; returns how many entries are left. */
static int iov_advance(struct iovec **iov, int count, size_t done)
{
	while (count > 0 && done >= (*iov)->iov_len) {
		done -= (*iov)->iov_len;
		(*iov)++;
		count--;
	}
	if (count > 0) {
		(*iov)->iov_base = (uint8_t *)(*iov)->iov_base + done;
		(*iov)->iov_len -= done;
	}
	return count;
}

static int iov_skip_empty(struct iovec **iov, int count)
{
	while (count > 0 && (*iov)->iov_len == 0) {
		(*iov)++;
		count--;
	}
	return count;
}

/* The whole of iov from (reading) or to the file at offset, short transfers resumed. */
static int disk_file_vectored(struct disk_file *disk, uint64_t offset, struct iovec *iov, int count, bool writing)
{
	const struct disk_file_io *io = disk_io(disk);

	if (writing && disk->read_only)
		return -EROFS;
	if (!(writing ? io->pwritev : io->preadv))
		return -ENOSYS;
	while ((count = iov_skip_empty(&iov, count)) > 0) {
		ssize_t moved = writing ? io->pwritev(disk->fd, iov, count, (off_t)offset)
					: io->preadv(disk->fd, iov, count, (off_t)offset);
		if (moved < 0 && errno == EINTR)
			continue;
		if (moved < 0)
			return -errno;
		if (moved == 0)
			return -EIO;
		offset += (uint64_t)moved;
		count = iov_advance(&iov, count, (size_t)moved);
	}
	return 0;
}

int disk_file_readv(struct disk_file *disk, uint64_t offset, struct iovec *iov, int count)
{
	return disk_file_vectored(disk, offset, iov, count, false);
}

int disk_file_writev(struct disk_file *disk, uint64_t offset, struct iovec *iov, int count)
{
	return disk_file_vectored(disk, offset, iov, count, true);
}

int disk_file_write(struct disk_file *disk, uint64_t offset, const void *buffer, size_t length)
{
	const struct disk_file_io *io = disk_io(disk);
	size_t done = 0;

	if (disk->read_only)
		return -EROFS;
	while (done < length) {
		ssize_t wrote = io->pwrite(disk->fd, (const uint8_t *)buffer + done, length - done,
					   (off_t)(offset + done));
		if (wrote < 0 && errno == EINTR)
			continue;
		if (wrote <= 0)
			return wrote < 0 ? -errno : -EIO;
		done += (size_t)wrote;
	}
	return 0;
}

int disk_file_flush(struct disk_file *disk)
{
	if (disk->read_only)
		return 0;
	return fdatasync(disk->fd) < 0 ? -errno : 0;
}

/* fallocate() modes the file system or device does not offer (QEMU reads these alike). */
static bool fallocate_unsupported(int error)
{
	return error == EOPNOTSUPP || error == ENOSYS || error == ENODEV;
}

static int disk_file_fallocate(struct disk_file *disk, int mode, uint64_t offset, uint64_t length)
{
	if (disk_io(disk)->fallocate(disk->fd, mode, (off_t)offset, (off_t)length) < 0)
		return -errno;
	return 0;
}

int disk_file_discard(struct disk_file *disk, uint64_t offset, uint64_t length)
{
	if (disk->read_only)
		return -EROFS;
	/*
	 * Punching a hole keeps the image sparse. A discard only allows the
	 * device to deallocate (virtio 1.x 5.2.6.2), so where it cannot, the
	 * data stays and the request still succeeds.
	 */
	int ret = disk_file_fallocate(disk, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, length);
	return fallocate_unsupported(-ret) ? 0 : ret;
}

int disk_file_write_zeroes(struct disk_file *disk, uint64_t offset, uint64_t length, bool may_unmap)
{
	static const uint8_t zeroes[64 * 1024];
	int ret = -EOPNOTSUPP;

	if (disk->read_only)
		return -EROFS;
	/*
	 * 5.2.6.2: afterwards the range reads as zeroes; only with unmap may it
	 * be deallocated. The cheapest way the file system offers: a hole,
	 * zeroed extents, or else writing the zeroes.
	 */
	if (may_unmap)
		ret = disk_file_fallocate(disk, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, length);
	if (fallocate_unsupported(-ret))
		ret = disk_file_fallocate(disk, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, offset, length);
	if (!fallocate_unsupported(-ret))
		return ret;
	for (uint64_t done = 0; done < length;) {
		size_t piece = length - done < sizeof(zeroes) ? (size_t)(length - done) : sizeof(zeroes);
		ret = disk_file_write(disk, offset + done, zeroes, piece);
		if (ret < 0)
			return ret;
		done += piece;
	}
	return 0;
}
