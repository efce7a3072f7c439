/* The raw disk backend on real files and, where the host allows it, a loop device. */
#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "devices.h"
#include "unit.h"

static void skip(const char *what, const char *why)
{
	printf("SKIP  unit: disk-file: %s (%s)\n", what, why);
}

/* A temporary file of size bytes; its path goes to path. */
static int make_image(char *path, size_t path_size, off_t size)
{
	const char *directory = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";

	snprintf(path, path_size, "%s/mvm-unit-image.XXXXXX", directory);
	int fd = mkstemp(path);
	if (fd >= 0 && ftruncate(fd, size) < 0) {
		close(fd);
		unlink(path);
		return -1;
	}
	return fd;
}

/* A regular file's size is its length, rounded down to whole sectors. */
static void test_file_size(void)
{
	struct disk_file disk;
	char path[256];
	int fd = make_image(path, sizeof(path), 3 * 1024 * 1024 + 700);

	CHECK(fd >= 0);
	CHECK_EQ(disk_file_open(&disk, path, true), 0);
	CHECK_EQ(disk.size, 3 * 1024 * 1024 + 512);
	close(disk.fd);
	close(fd);
	unlink(path);
}

/*
 * A block device's st_size is 0: its size comes from BLKGETSIZE64. A loop
 * device over a 3 MiB file is one; it goes away with its last descriptor
 * (LO_FLAGS_AUTOCLEAR), even if the test dies.
 */
static void test_block_device_size(void)
{
	struct loop_info64 info = { .lo_flags = LO_FLAGS_AUTOCLEAR };
	struct disk_file disk;
	char image[256], device[64];
	int control, loop = -1, backing = -1, number;

	control = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (control < 0) {
		skip("size of a block device", "no loop devices here: /dev/loop-control cannot be opened");
		goto out;
	}
	number = ioctl(control, LOOP_CTL_GET_FREE);
	snprintf(device, sizeof(device), "/dev/loop%d", number);
	loop = number >= 0 ? open(device, O_RDWR | O_CLOEXEC) : -1;
	backing = make_image(image, sizeof(image), 3 * 1024 * 1024);
	if (loop < 0 || backing < 0 || ioctl(loop, LOOP_SET_FD, backing) < 0) {
		skip("size of a block device", strerror(errno));
		goto out;
	}
	CHECK_EQ(ioctl(loop, LOOP_SET_STATUS64, &info), 0);
	CHECK_EQ(disk_file_open(&disk, device, true), 0);
	CHECK_EQ(disk.size, 3 * 1024 * 1024);
	close(disk.fd);
out:
	if (loop >= 0)
		close(loop);
	if (backing >= 0) {
		close(backing);
		unlink(image);
	}
	if (control >= 0)
		close(control);
}

/* Neither a file nor a block device: no size to give the guest. */
static void test_other_files_refused(void)
{
	struct disk_file disk;

	CHECK_EQ(disk_file_open(&disk, "/dev/null", true), -EINVAL);
}

/*
 * Image locks are OFD locks, which belong to an open file description: two
 * opens in one process conflict just as two monitors do. One writer, or
 * any number of readers.
 */
static void test_image_locks(void)
{
	struct disk_file writer, second, reader, other_reader;
	char path[256];
	int fd = make_image(path, sizeof(path), 1 << 20);

	CHECK(fd >= 0);
	close(fd);
	CHECK_EQ(disk_file_open(&writer, path, false), 0);
	CHECK_EQ(disk_file_open(&second, path, false), -EBUSY);
	CHECK_EQ(disk_file_open(&reader, path, true), -EBUSY);
	close(writer.fd);
	CHECK_EQ(disk_file_open(&reader, path, true), 0);
	CHECK_EQ(disk_file_open(&other_reader, path, true), 0);
	CHECK_EQ(disk_file_open(&writer, path, false), -EBUSY);
	close(reader.fd);
	close(other_reader.fd);
	/* Closing the image releases it. */
	CHECK_EQ(disk_file_open(&writer, path, false), 0);
	close(writer.fd);
	unlink(path);
}

void test_disk_file(void)
{
	test_file_size();
	test_block_device_size();
	test_other_files_refused();
	test_image_locks();
}
