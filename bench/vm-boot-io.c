/*
 * vm-boot-io: the guest half of bench/vm-boot's disk figures. Runs inside the guest (linked
 * statically; the guest's root file system has no libc) and reads a block device with
 * O_DIRECT, so the guest's page cache is not involved:
 *
 *   sequential  1 MiB reads from the first byte to the last, once  -> MB/s (10^6 bytes)
 *   random      4 KiB reads at 4 KiB-aligned offsets over the whole device, one at a time,
 *               for SECONDS seconds, from a fixed pseudo-random sequence    -> IOPS
 *
 * Usage: vm-boot-io DEVICE SECONDS
 * Prints one line: "vm-boot-io: bytes=N seq_s=S seq_mb_s=X rand_reads=N rand_s=S rand_iops=Y"
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define SEQUENTIAL_BLOCK (1 << 20)
#define RANDOM_BLOCK 4096

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int read_fully(int fd, void *buffer, size_t length, uint64_t offset)
{
	size_t done = 0;
	while (done < length) {
		ssize_t got = pread(fd, (char *)buffer + done, length - done, (off_t)(offset + done));
		if (got <= 0)
			return -1;
		done += (size_t)got;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: vm-boot-io DEVICE SECONDS\n");
		return 2;
	}
	double seconds = atof(argv[2]);
	int fd = open(argv[1], O_RDONLY | O_DIRECT);
	uint64_t size = 0;
	if (fd < 0 || ioctl(fd, BLKGETSIZE64, &size) < 0 || size < SEQUENTIAL_BLOCK) {
		perror(argv[1]);
		return 1;
	}
	void *buffer;
	if (posix_memalign(&buffer, 4096, SEQUENTIAL_BLOCK) != 0)
		return 1;
	memset(buffer, 0, SEQUENTIAL_BLOCK);

	double start = now_s();
	for (uint64_t offset = 0; offset < size; offset += SEQUENTIAL_BLOCK) {
		size_t length = size - offset < SEQUENTIAL_BLOCK ? (size_t)(size - offset) : SEQUENTIAL_BLOCK;
		if (read_fully(fd, buffer, length, offset) < 0) {
			perror("sequential read");
			return 1;
		}
	}
	double sequential = now_s() - start;

	uint64_t blocks = size / RANDOM_BLOCK, state = 0x9e3779b97f4a7c15ULL, reads = 0;
	double end = now_s() + seconds, finished;
	start = now_s();
	for (;;) {
		/* xorshift64: the same offsets for every run and every monitor */
		state ^= state << 13;
		state ^= state >> 7;
		state ^= state << 17;
		if (read_fully(fd, buffer, RANDOM_BLOCK, (state % blocks) * RANDOM_BLOCK) < 0) {
			perror("random read");
			return 1;
		}
		reads++;
		if ((reads & 15) == 0 && (finished = now_s()) >= end)
			break;
	}
	double random = finished - start;
	printf("vm-boot-io: bytes=%llu seq_s=%.3f seq_mb_s=%.1f rand_reads=%llu rand_s=%.3f rand_iops=%.0f\n",
	       (unsigned long long)size, sequential, (double)size / sequential / 1e6,
	       (unsigned long long)reads, random, (double)reads / random);
	return 0;
}
