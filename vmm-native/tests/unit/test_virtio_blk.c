#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/virtio_blk.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <pthread.h>
#include <unistd.h>

#include "devices.h"
#include "unit.h"
#include "virtio_mmio.h"

struct blk_fixture {
	struct fake_guest guest;
	struct virtio_device *device;
	struct virtq_helper helper;
	struct disk_file disk;
	char path[256];
};

static void fixture_open_mode(struct blk_fixture *fixture, bool read_only, bool asynchronous)
{
	const char *directory = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	snprintf(fixture->path, sizeof(fixture->path), "%s/mvm-unit-disk.XXXXXX", directory);
	int fd = mkstemp(fixture->path);
	CHECK(fd >= 0);
	CHECK_EQ(ftruncate(fd, 1 << 20), 0);
	CHECK_EQ(pwrite(fd, "sector zero", 11, 0), 11);
	close(fd);
	fake_guest_init(&fixture->guest, 1 << 20);
	CHECK_EQ(disk_file_open(&fixture->disk, fixture->path, read_only), 0);
	CHECK_EQ(virtio_blk_init(&fixture->device, &fixture->guest.memory, &fixture->disk, asynchronous), 0);
	device_make_running(fixture->device);
	virtq_helper_init(&fixture->helper, &fixture->guest, &fixture->device->queues[0], 16);
}

static void fixture_open(struct blk_fixture *fixture, bool read_only)
{
	fixture_open_mode(fixture, read_only, false);
}

static void fixture_close(struct blk_fixture *fixture)
{
	close(fixture->disk.fd);
	unlink(fixture->path);
	fake_guest_release(&fixture->guest);
	free(fixture->device->state);
}

/* The worker thread serves the request; the notifying thread does not wait for the disk. */
static void test_asynchronous(void)
{
	struct blk_fixture fixture;
	struct virtio_blk_outhdr header = { .type = VIRTIO_BLK_T_IN, .sector = 0 };
	uint32_t id, length;

	fixture_open_mode(&fixture, false, true);
	uint64_t data = fake_guest_alloc(&fixture.guest, 512, 512);
	uint64_t status = fake_guest_alloc(&fixture.guest, 1, 1);
	struct chain_buffer buffers[3] = {
		{ fake_guest_store(&fixture.guest, &header, sizeof(header)), sizeof(header), false },
		{ data, 512, true },
		{ status, 1, true },
	};
	interrupts_seen = 0;
	virtq_helper_add(&fixture.helper, buffers, 3);
	pthread_mutex_lock(&fixture.device->lock);
	fixture.device->ops->queue_notify(fixture.device, 0);
	pthread_mutex_unlock(&fixture.device->lock);
	bool done = false;
	for (int i = 0; i < 2000 && !done; i++) {
		pthread_mutex_lock(&fixture.device->lock);
		done = virtq_helper_used(&fixture.helper, &id, &length);
		pthread_mutex_unlock(&fixture.device->lock);
		if (!done)
			usleep(1000);
	}
	CHECK(done);
	CHECK_EQ(length, 513);
	CHECK_EQ(*(uint8_t *)fake_guest_host(&fixture.guest, status), VIRTIO_BLK_S_OK);
	CHECK(memcmp(fake_guest_host(&fixture.guest, data), "sector zero", 11) == 0);
	CHECK_EQ(interrupts_seen, 1);
	/* The worker thread keeps running; the fixture's memory stays mapped for it. */
	close(fixture.disk.fd);
	unlink(fixture.path);
}

/* A disk whose reads wait at a gate until the test opens it. */
static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_changed = PTHREAD_COND_INITIALIZER;
static bool gate_entered, gate_open;

static ssize_t gated_pread(int fd, void *buffer, size_t length, off_t offset)
{
	pthread_mutex_lock(&gate_lock);
	gate_entered = true;
	pthread_cond_broadcast(&gate_changed);
	while (!gate_open)
		pthread_cond_wait(&gate_changed, &gate_lock);
	pthread_mutex_unlock(&gate_lock);
	return pread(fd, buffer, length, offset);
}

static const struct disk_file_io gated_io = {
	.pread = gated_pread, .pwrite = pwrite, .fallocate = fallocate,
};

static void *open_gate_later(void *unused)
{
	(void)unused;
	usleep(300 * 1000);
	pthread_mutex_lock(&gate_lock);
	gate_open = true;
	pthread_cond_broadcast(&gate_changed);
	pthread_mutex_unlock(&gate_lock);
	return NULL;
}

static void no_trigger(void *opaque, unsigned irq)
{
	(void)opaque;
	(void)irq;
}

/*
 * virtio 1.2 2.4.1: after the reset the device does not touch the queues.
 * The driver writes 0 to Status while the worker is in the middle of a
 * read: the write completes only once the read is done, and nothing
 * reaches guest memory after it.
 */
static void test_reset_waits_for_request_in_flight(void)
{
	struct blk_fixture fixture;
	struct virtio_mmio transport;
	struct virtio_blk_outhdr header = { .type = VIRTIO_BLK_T_IN, .sector = 0 };
	pthread_t opener;
	uint32_t zero = 0;

	fixture_open_mode(&fixture, false, true);
	fixture.disk.io = &gated_io;
	virtio_mmio_init(&transport, fixture.device, 0xd0000000, 5, no_trigger, NULL);
	uint64_t data = fake_guest_alloc(&fixture.guest, 4096, 512);
	uint8_t *guest_data = fake_guest_host(&fixture.guest, data);
	struct chain_buffer buffers[3] = {
		{ fake_guest_store(&fixture.guest, &header, sizeof(header)), sizeof(header), false },
		{ data, 4096, true },
		{ fake_guest_alloc(&fixture.guest, 1, 1), 1, true },
	};
	virtq_helper_add(&fixture.helper, buffers, 3);
	pthread_mutex_lock(&fixture.device->lock);
	fixture.device->ops->queue_notify(fixture.device, 0);
	pthread_mutex_unlock(&fixture.device->lock);

	pthread_mutex_lock(&gate_lock);
	for (int i = 0; i < 200 && !gate_entered; i++) {
		pthread_mutex_unlock(&gate_lock);
		usleep(10 * 1000);
		pthread_mutex_lock(&gate_lock);
	}
	CHECK(gate_entered);
	pthread_mutex_unlock(&gate_lock);

	pthread_create(&opener, NULL, open_gate_later, NULL);
	virtio_mmio_access(&transport, 0x070, (uint8_t *)&zero, 4, true); /* Status = 0: reset */
	pthread_mutex_lock(&gate_lock);
	CHECK(gate_open); /* the reset waited for the read */
	pthread_mutex_unlock(&gate_lock);
	CHECK_EQ(fixture.device->status, 0);

	/* From here on the guest owns its buffers again. */
	memset(guest_data, 0xee, 4096);
	pthread_join(opener, NULL);
	for (int i = 0; i < 1000 && atomic_load(&fixture.device->bytes_to_guest) == 0; i++)
		usleep(1000);
	usleep(50 * 1000);
	bool untouched = true;
	for (unsigned i = 0; i < 4096; i++)
		untouched = untouched && guest_data[i] == 0xee;
	CHECK(untouched);
	/* The worker thread keeps running; the fixture's memory stays mapped for it. */
	close(fixture.disk.fd);
	unlink(fixture.path);
}

/* A disk whose reads wait until a given number of them are under way at once. */
static pthread_mutex_t meeting_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t meeting_changed = PTHREAD_COND_INITIALIZER;
static unsigned meeting_arrived, meeting_size, meeting_most_at_once;
static bool meeting_complete;

static ssize_t meeting_pread(int fd, void *buffer, size_t length, off_t offset)
{
	struct timespec deadline;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 2;
	pthread_mutex_lock(&meeting_lock);
	meeting_arrived++;
	if (meeting_arrived > meeting_most_at_once)
		meeting_most_at_once = meeting_arrived;
	if (meeting_arrived == meeting_size)
		meeting_complete = true;
	pthread_cond_broadcast(&meeting_changed);
	/* Waits for the others, but not for ever: a device that serves one at a time goes on. */
	while (!meeting_complete &&
	       pthread_cond_timedwait(&meeting_changed, &meeting_lock, &deadline) == 0)
		;
	pthread_mutex_unlock(&meeting_lock);
	ssize_t done = pread(fd, buffer, length, offset);
	pthread_mutex_lock(&meeting_lock);
	meeting_arrived--;
	pthread_mutex_unlock(&meeting_lock);
	return done;
}

static const struct disk_file_io meeting_io = {
	.pread = meeting_pread, .pwrite = pwrite, .fallocate = fallocate,
};

/*
 * Four reads made available at once are served at once: each waits in the
 * disk until all four are there. A device that serves one request at a
 * time lets each wait out its 2 s alone, and at most one is ever under way.
 */
static void test_requests_in_flight(void)
{
	enum { REQUESTS = 4 };
	struct blk_fixture fixture;
	struct virtio_blk_outhdr header = { .type = VIRTIO_BLK_T_IN, .sector = 0 };
	uint64_t status[REQUESTS], data[REQUESTS];
	uint32_t id, length;
	unsigned completed = 0;

	fixture_open_mode(&fixture, false, true);
	fixture.disk.io = &meeting_io;
	meeting_size = REQUESTS;
	meeting_most_at_once = 0;
	meeting_complete = false;
	for (unsigned i = 0; i < REQUESTS; i++) {
		data[i] = fake_guest_alloc(&fixture.guest, 512, 512);
		status[i] = fake_guest_alloc(&fixture.guest, 1, 1);
		*(uint8_t *)fake_guest_host(&fixture.guest, status[i]) = 0xee;
		struct chain_buffer buffers[3] = {
			{ fake_guest_store(&fixture.guest, &header, sizeof(header)), sizeof(header), false },
			{ data[i], 512, true },
			{ status[i], 1, true },
		};
		virtq_helper_add(&fixture.helper, buffers, 3);
	}
	struct timespec started, finished;
	clock_gettime(CLOCK_MONOTONIC, &started);
	pthread_mutex_lock(&fixture.device->lock);
	fixture.device->ops->queue_notify(fixture.device, 0);
	pthread_mutex_unlock(&fixture.device->lock);
	for (int i = 0; i < 10000 && completed < REQUESTS; i++) {
		pthread_mutex_lock(&fixture.device->lock);
		while (virtq_helper_used(&fixture.helper, &id, &length))
			completed++;
		pthread_mutex_unlock(&fixture.device->lock);
		if (completed < REQUESTS)
			usleep(1000);
	}
	clock_gettime(CLOCK_MONOTONIC, &finished);
	long long elapsed_ms = (finished.tv_sec - started.tv_sec) * 1000LL +
			       (finished.tv_nsec - started.tv_nsec) / 1000000;
	CHECK_EQ(completed, REQUESTS);
	pthread_mutex_lock(&meeting_lock);
	CHECK_EQ(meeting_most_at_once, REQUESTS);
	pthread_mutex_unlock(&meeting_lock);
	CHECK(elapsed_ms < 1500);
	for (unsigned i = 0; i < REQUESTS; i++) {
		CHECK_EQ(*(uint8_t *)fake_guest_host(&fixture.guest, status[i]), VIRTIO_BLK_S_OK);
		CHECK(memcmp(fake_guest_host(&fixture.guest, data[i]), "sector zero", 11) == 0);
	}
	/* The worker threads keep running; the fixture's memory stays mapped for them. */
	close(fixture.disk.fd);
	unlink(fixture.path);
}

/* Submits header + optional data + status; returns the status byte, 0xee if none came back. */
static uint8_t submit(struct blk_fixture *fixture, uint32_t type, uint64_t sector, uint64_t data,
		      uint32_t length, bool device_writes, uint32_t *used_length)
{
	struct virtio_blk_outhdr header = { .type = type, .sector = sector };
	uint64_t status = fake_guest_alloc(&fixture->guest, 1, 1);
	struct chain_buffer buffers[3];
	unsigned count = 0;
	uint32_t id;

	*(uint8_t *)fake_guest_host(&fixture->guest, status) = 0xee;
	buffers[count++] = (struct chain_buffer){ fake_guest_store(&fixture->guest, &header, sizeof(header)),
						  sizeof(header), false };
	if (length)
		buffers[count++] = (struct chain_buffer){ data, length, device_writes };
	buffers[count++] = (struct chain_buffer){ status, 1, true };
	virtq_helper_add(&fixture->helper, buffers, count);
	fixture->device->ops->queue_notify(fixture->device, 0);
	if (!virtq_helper_used(&fixture->helper, &id, used_length))
		return 0xee;
	return *(uint8_t *)fake_guest_host(&fixture->guest, status);
}

/* A file system that cannot punch holes or zero ranges, as the test asks. */
static bool refuse_punch_hole, refuse_zero_range;
static int fallocate_modes[8];
static unsigned fallocate_calls;

static int picky_fallocate(int fd, int mode, off_t offset, off_t length)
{
	if (fallocate_calls < 8)
		fallocate_modes[fallocate_calls] = mode;
	fallocate_calls++;
	if (((mode & FALLOC_FL_PUNCH_HOLE) && refuse_punch_hole) ||
	    ((mode & FALLOC_FL_ZERO_RANGE) && refuse_zero_range)) {
		errno = EOPNOTSUPP;
		return -1;
	}
	return fallocate(fd, mode, offset, length);
}

static const struct disk_file_io picky_io = {
	.pread = pread, .pwrite = pwrite, .fallocate = picky_fallocate,
};

/* Submits one discard or write-zeroes segment over sectors 4..7 of a disk full of 0x5a. */
static uint8_t zero_sectors(struct blk_fixture *fixture, uint32_t type, uint32_t flags)
{
	struct virtio_blk_discard_write_zeroes segment = { .sector = 4, .num_sectors = 4, .flags = flags };
	uint8_t pattern[16 * 512];
	uint32_t used_length;

	memset(pattern, 0x5a, sizeof(pattern));
	CHECK_EQ(pwrite(fixture->disk.fd, pattern, sizeof(pattern), 0), sizeof(pattern));
	fallocate_calls = 0;
	memset(fallocate_modes, 0, sizeof(fallocate_modes));
	uint64_t data = fake_guest_store(&fixture->guest, &segment, sizeof(segment));
	return submit(fixture, type, 0, data, sizeof(segment), false, &used_length);
}

/* Sectors 4..7 read back as zeroes, their neighbours as they were. */
static bool sectors_zeroed(struct blk_fixture *fixture)
{
	uint8_t content[16 * 512];
	bool zero = true;

	CHECK_EQ(pread(fixture->disk.fd, content, sizeof(content), 0), sizeof(content));
	for (size_t i = 4 * 512; i < 8 * 512; i++)
		zero = zero && content[i] == 0;
	return zero && content[4 * 512 - 1] == 0x5a && content[8 * 512] == 0x5a;
}

/*
 * 5.2.6.2: after a write zeroes command the range reads as zeroes, with or
 * without unmap; only with unmap may the device deallocate it; discard may
 * deallocate. Where the file system refuses to punch holes or to zero a
 * range, the device falls back rather than failing the request.
 */
static void test_write_zeroes_fallback(void)
{
	struct blk_fixture fixture;

	fixture_open(&fixture, false);
	fixture.disk.io = &picky_io;

	refuse_punch_hole = false;
	refuse_zero_range = false;
	CHECK_EQ(zero_sectors(&fixture, VIRTIO_BLK_T_WRITE_ZEROES, VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP),
		 VIRTIO_BLK_S_OK);
	CHECK(sectors_zeroed(&fixture));
	CHECK_EQ(fallocate_modes[0], FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE);
	/* Without unmap the range stays allocated. */
	CHECK_EQ(zero_sectors(&fixture, VIRTIO_BLK_T_WRITE_ZEROES, 0), VIRTIO_BLK_S_OK);
	CHECK(sectors_zeroed(&fixture));
	CHECK_EQ(fallocate_calls, 1);
	CHECK_EQ(fallocate_modes[0], FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE);

	/* No hole punching: the range is zeroed in place. */
	refuse_punch_hole = true;
	CHECK_EQ(zero_sectors(&fixture, VIRTIO_BLK_T_WRITE_ZEROES, VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP),
		 VIRTIO_BLK_S_OK);
	CHECK(sectors_zeroed(&fixture));
	CHECK_EQ(fallocate_calls, 2);
	CHECK_EQ(fallocate_modes[1], FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE);

	/* Neither: zeroes are written. */
	refuse_zero_range = true;
	CHECK_EQ(zero_sectors(&fixture, VIRTIO_BLK_T_WRITE_ZEROES, VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP),
		 VIRTIO_BLK_S_OK);
	CHECK(sectors_zeroed(&fixture));
	CHECK_EQ(zero_sectors(&fixture, VIRTIO_BLK_T_WRITE_ZEROES, 0), VIRTIO_BLK_S_OK);
	CHECK(sectors_zeroed(&fixture));

	/* Discard is a hint the device may ignore: it succeeds and leaves the data. */
	CHECK_EQ(zero_sectors(&fixture, VIRTIO_BLK_T_DISCARD, 0), VIRTIO_BLK_S_OK);
	CHECK(!(fixture.device->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET));
	fixture_close(&fixture);
}

/* Vectored calls that move at most 300 bytes each, as a file may. */
static unsigned trickle_calls;

static ssize_t trickle_preadv(int fd, const struct iovec *iov, int count, off_t offset)
{
	(void)count;
	trickle_calls++;
	return pread(fd, iov[0].iov_base, iov[0].iov_len < 300 ? iov[0].iov_len : 300, offset);
}

static ssize_t trickle_pwritev(int fd, const struct iovec *iov, int count, off_t offset)
{
	(void)count;
	trickle_calls++;
	return pwrite(fd, iov[0].iov_base, iov[0].iov_len < 300 ? iov[0].iov_len : 300, offset);
}

static const struct disk_file_io trickle_io = {
	.pread = pread, .pwrite = pwrite, .fallocate = fallocate,
	.preadv = trickle_preadv, .pwritev = trickle_pwritev,
};

/*
 * A request whose data is scattered over descriptors of odd lengths (the header sharing the first
 * one on a write) moves straight between the file and those descriptors, whole, also when the
 * file moves fewer bytes per call than asked.
 */
static void test_scattered_requests(void)
{
	for (int trickle = 0; trickle < 2; trickle++) {
		struct blk_fixture fixture;
		uint32_t id, used_length;
		uint8_t expected[1024], sector[1024];

		fixture_open(&fixture, false);
		if (trickle)
			fixture.disk.io = &trickle_io;
		trickle_calls = 0;
		for (unsigned i = 0; i < sizeof(expected); i++)
			expected[i] = (uint8_t)(i * 7 + trickle);

		/* a write: the header and the first 100 bytes in one descriptor, then 700 and 224 */
		struct virtio_blk_outhdr header = { .type = VIRTIO_BLK_T_OUT, .sector = 4 };
		uint8_t first[sizeof(header) + 100];
		memcpy(first, &header, sizeof(header));
		memcpy(first + sizeof(header), expected, 100);
		uint64_t status = fake_guest_alloc(&fixture.guest, 1, 1);
		struct chain_buffer writes[4] = {
			{ fake_guest_store(&fixture.guest, first, sizeof(first)), sizeof(first), false },
			{ fake_guest_store(&fixture.guest, expected + 100, 700), 700, false },
			{ fake_guest_store(&fixture.guest, expected + 800, 224), 224, false },
			{ status, 1, true },
		};
		virtq_helper_add(&fixture.helper, writes, 4);
		fixture.device->ops->queue_notify(fixture.device, 0);
		CHECK(virtq_helper_used(&fixture.helper, &id, &used_length));
		CHECK_EQ(*(uint8_t *)fake_guest_host(&fixture.guest, status), VIRTIO_BLK_S_OK);
		CHECK_EQ(pread(fixture.disk.fd, sector, sizeof(sector), 4 * 512), (ssize_t)sizeof(sector));
		CHECK(memcmp(sector, expected, sizeof(expected)) == 0);

		/* a read of the same sectors into 3 descriptors: 512, 36 and 476 bytes, then the status */
		header.type = VIRTIO_BLK_T_IN;
		uint64_t parts[3] = { fake_guest_alloc(&fixture.guest, 512, 8), fake_guest_alloc(&fixture.guest, 36, 4),
				      fake_guest_alloc(&fixture.guest, 476, 4) };
		status = fake_guest_alloc(&fixture.guest, 1, 1);
		struct chain_buffer reads[5] = {
			{ fake_guest_store(&fixture.guest, &header, sizeof(header)), sizeof(header), false },
			{ parts[0], 512, true }, { parts[1], 36, true }, { parts[2], 476, true }, { status, 1, true },
		};
		virtq_helper_add(&fixture.helper, reads, 5);
		fixture.device->ops->queue_notify(fixture.device, 0);
		CHECK(virtq_helper_used(&fixture.helper, &id, &used_length));
		CHECK_EQ(used_length, 1025);
		CHECK_EQ(*(uint8_t *)fake_guest_host(&fixture.guest, status), VIRTIO_BLK_S_OK);
		CHECK(memcmp(fake_guest_host(&fixture.guest, parts[0]), expected, 512) == 0);
		CHECK(memcmp(fake_guest_host(&fixture.guest, parts[1]), expected + 512, 36) == 0);
		CHECK(memcmp(fake_guest_host(&fixture.guest, parts[2]), expected + 548, 476) == 0);
		CHECK_EQ(atomic_load(&fixture.device->bytes_from_guest), 1024);
		CHECK_EQ(atomic_load(&fixture.device->bytes_to_guest), 1024);
		if (trickle)
			CHECK(trickle_calls >= 8); /* 1024 bytes each way, at most 300 per call */
		fixture_close(&fixture);
	}
}

void test_virtio_blk(void)
{
	test_scattered_requests();
	test_asynchronous();
	test_reset_waits_for_request_in_flight();
	test_requests_in_flight();
	test_write_zeroes_fallback();

	struct blk_fixture fixture;
	uint32_t used_length;

	fixture_open(&fixture, false);
	uint64_t data = fake_guest_alloc(&fixture.guest, 1024, 512);
	CHECK_EQ(submit(&fixture, VIRTIO_BLK_T_IN, 0, data, 512, true, &used_length), VIRTIO_BLK_S_OK);
	CHECK_EQ(used_length, 513);
	CHECK(memcmp(fake_guest_host(&fixture.guest, data), "sector zero", 11) == 0);

	memset(fake_guest_host(&fixture.guest, data), 0x5a, 1024);
	CHECK_EQ(submit(&fixture, VIRTIO_BLK_T_OUT, 2, data, 1024, false, &used_length), VIRTIO_BLK_S_OK);
	CHECK_EQ(used_length, 1);
	uint8_t sector[512];
	CHECK_EQ(pread(fixture.disk.fd, sector, 512, 3 * 512), 512);
	CHECK_EQ(sector[0], 0x5a);
	CHECK_EQ(atomic_load(&fixture.device->bytes_from_guest), 1024);
	CHECK_EQ(atomic_load(&fixture.device->bytes_to_guest), 512);

	CHECK_EQ(submit(&fixture, VIRTIO_BLK_T_FLUSH, 0, 0, 0, false, &used_length), VIRTIO_BLK_S_OK);
	CHECK_EQ(submit(&fixture, VIRTIO_BLK_T_GET_ID, 0, data, 20, true, &used_length), VIRTIO_BLK_S_OK);
	CHECK(memcmp(fake_guest_host(&fixture.guest, data), "mvm-disk", 8) == 0);

	struct virtio_blk_discard_write_zeroes discard = { .sector = 2, .num_sectors = 2 };
	uint64_t segment = fake_guest_store(&fixture.guest, &discard, sizeof(discard));
	CHECK_EQ(submit(&fixture, VIRTIO_BLK_T_DISCARD, 0, segment, sizeof(discard), false, &used_length),
		 VIRTIO_BLK_S_OK);
	CHECK_EQ(pread(fixture.disk.fd, sector, 512, 3 * 512), 512);
	CHECK_EQ(sector[0], 0);
	discard.sector = 2047; /* runs past the end */
	segment = fake_guest_store(&fixture.guest, &discard, sizeof(discard));
	CHECK_EQ(submit(&fixture, VIRTIO_BLK_T_DISCARD, 0, segment, sizeof(discard), false, &used_length),
		 VIRTIO_BLK_S_IOERR);

	/* Out of range, overflowing and odd-sized requests fail with IOERR, not a crash. */
	CHECK_EQ(submit(&fixture, VIRTIO_BLK_T_IN, 2048, data, 512, true, &used_length), VIRTIO_BLK_S_IOERR);
	CHECK_EQ(submit(&fixture, VIRTIO_BLK_T_IN, 2047, data, 1024, true, &used_length), VIRTIO_BLK_S_IOERR);
	CHECK_EQ(submit(&fixture, VIRTIO_BLK_T_IN, UINT64_MAX / 256, data, 512, true, &used_length),
		 VIRTIO_BLK_S_IOERR);
	CHECK_EQ(submit(&fixture, VIRTIO_BLK_T_IN, 0, data, 100, true, &used_length), VIRTIO_BLK_S_IOERR);
	CHECK_EQ(submit(&fixture, 99, 0, 0, 0, false, &used_length), VIRTIO_BLK_S_UNSUPP);
	CHECK(!(fixture.device->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET));

	/* A chain with no status byte cannot be answered: the device needs a reset. */
	struct virtio_blk_outhdr header = { .type = VIRTIO_BLK_T_IN };
	struct chain_buffer only_header = { fake_guest_store(&fixture.guest, &header, sizeof(header)),
					    sizeof(header), false };
	virtq_helper_add(&fixture.helper, &only_header, 1);
	fixture.device->ops->queue_notify(fixture.device, 0);
	CHECK(fixture.device->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	fixture_close(&fixture);

	fixture_open(&fixture, true);
	data = fake_guest_alloc(&fixture.guest, 512, 512);
	CHECK(fixture.device->ops->features(fixture.device) & (1ULL << VIRTIO_BLK_F_RO));
	CHECK_EQ(submit(&fixture, VIRTIO_BLK_T_OUT, 0, data, 512, false, &used_length), VIRTIO_BLK_S_IOERR);
	CHECK_EQ(submit(&fixture, VIRTIO_BLK_T_IN, 0, data, 512, true, &used_length), VIRTIO_BLK_S_OK);
	struct virtio_blk_config config;
	fixture.device->ops->read_config(fixture.device, 0, (uint8_t *)&config.capacity, 8);
	CHECK_EQ(config.capacity, 2048);
	fixture_close(&fixture);
}
