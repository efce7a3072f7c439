/* Public entry points of the virtio device frontends and their backends. */
#ifndef MVM_DEVICES_H
#define MVM_DEVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "console_backend.h"
#include "event_loop.h"
#include "virtio.h"

/*
 * The system calls a disk file makes. Tests put their own in to hold a
 * request up or to play a file system that refuses an operation.
 */
struct iovec;
struct disk_file_io {
	ssize_t (*pread)(int fd, void *buffer, size_t length, off_t offset);
	ssize_t (*pwrite)(int fd, const void *buffer, size_t length, off_t offset);
	int (*fallocate)(int fd, int mode, off_t offset, off_t length);
	/* Optional (NULL: requests go through a bounce buffer with pread and pwrite). */
	ssize_t (*preadv)(int fd, const struct iovec *iov, int count, off_t offset);
	ssize_t (*pwritev)(int fd, const struct iovec *iov, int count, off_t offset);
};

/* Raw disk image file backend (disk_file.c). */
struct disk_file {
	int fd;
	uint64_t size;       /* bytes */
	bool read_only;
	const struct disk_file_io *io; /* NULL: the system calls themselves */
};
/* -EBUSY when another open of the image holds a conflicting lock (one writer or many readers). */
int disk_file_open(struct disk_file *disk, const char *path, bool read_only);
int disk_file_read(struct disk_file *disk, uint64_t offset, void *buffer, size_t length);
int disk_file_write(struct disk_file *disk, uint64_t offset, const void *buffer, size_t length);
/*
 * Vectored: the whole of iov (which it may change) from or to offset, short transfers resumed.
 * -ENOSYS when the disk's I/O has no vectored calls (the caller then goes through a buffer).
 */
int disk_file_readv(struct disk_file *disk, uint64_t offset, struct iovec *iov, int count);
int disk_file_writev(struct disk_file *disk, uint64_t offset, struct iovec *iov, int count);
int disk_file_flush(struct disk_file *disk);
int disk_file_discard(struct disk_file *disk, uint64_t offset, uint64_t length);
/* may_unmap: the range may become a hole (virtio-blk's unmap flag). */
int disk_file_write_zeroes(struct disk_file *disk, uint64_t offset, uint64_t length, bool may_unmap);

/*
 * Tap backend (net_tap.c). Frames are read and written behind a virtio-net
 * header (struct virtio_net_hdr_v1) of NET_TAP_HEADER_SIZE bytes.
 */
#define NET_TAP_HEADER_SIZE 12
int net_tap_open(const char *name);
/*
 * Which offloads the tap may hand over (TUN_F_CSUM, TUN_F_TSO4, ...): frames
 * with only a partial checksum, or segments of up to 64 KiB, that the guest
 * said it takes. 0 at open.
 */
int net_tap_set_offloads(int fd, unsigned offloads);
typedef int net_set_offloads_fn(int fd, unsigned offloads);

/* virtio block request as parsed from a descriptor chain (virtio 1.x 5.2.6). */
struct virtio_blk_parsed_request {
	uint32_t type;
	uint64_t sector;
	uint64_t data_offset;   /* where the data starts in the readable part */
	uint64_t data_length;   /* bytes to transfer */
	uint8_t *status;        /* the last device-writable byte */
};
struct virtq_chain;
/* 0 when the chain can carry a request; negative errno otherwise (no status byte). */
int virtio_blk_parse_request(const struct virtq_chain *chain,
			     struct virtio_blk_parsed_request *request);

/* asynchronous: serve requests on a worker thread so that vCPUs never wait for the disk. */
int virtio_blk_init(struct virtio_device **device, const struct guest_memory *memory,
		    struct disk_file *disk, bool asynchronous);
/* tap_fd: frames behind a virtio-net header; set_offloads: net_tap_set_offloads for a tap. */
int virtio_net_init(struct virtio_device **device, const struct guest_memory *memory,
		    struct event_loop *loop, int tap_fd, const uint8_t mac[6],
		    net_set_offloads_fn *set_offloads);
/* Frames that carried a segmentation offload (a gso_type), to the guest and from it. */
void virtio_net_segmented_frames(struct virtio_device *device, uint64_t *to_guest, uint64_t *from_guest);
int virtio_rng_init(struct virtio_device **device, const struct guest_memory *memory);
int virtio_console_init(struct virtio_device **device, const struct guest_memory *memory,
			struct console_backend *backend);
int virtio_balloon_init(struct virtio_device **device, const struct guest_memory *memory);
void virtio_balloon_set_target(struct virtio_device *device, uint32_t pages);
uint32_t virtio_balloon_actual_pages(struct virtio_device *device);

enum virtio_input_kind { VIRTIO_INPUT_KEYBOARD, VIRTIO_INPUT_TABLET };
int virtio_input_init(struct virtio_device **device, const struct guest_memory *memory,
		      enum virtio_input_kind kind, uint32_t width, uint32_t height);
/* Linux input event codes (linux/input-event-codes.h). */
int virtio_input_send_key(struct virtio_device *device, uint16_t code, bool pressed);
int virtio_input_send_pointer(struct virtio_device *device, uint32_t x, uint32_t y,
			      uint8_t buttons, int wheel);
int virtio_input_press_power_key(struct virtio_device *device);

#endif
