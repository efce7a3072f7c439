/* virtio block device (virtio 1.x section 5.2) on a raw image file. */
#include <errno.h>
#include <pthread.h>
#include <linux/virtio_blk.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "devices.h"
#include "log.h"

#define BLK_QUEUE_SIZE 256
#define BLK_SECTOR 512ULL
#define BLK_BOUNCE_SIZE (64 * 1024)
#define BLK_MAX_DISCARD_SEGMENTS 16

/*
 * Requests are served by a pool of worker threads, each with its own chain
 * and bounce buffer, so that as many requests as there are workers are under
 * way at once (bhyve's block_if keeps a pool the same way). They complete in
 * whatever order the disk finishes them; virtio lets the used ring differ
 * from the available ring's order (2.7.8).
 */
#define BLK_WORKERS 4

struct virtio_blk;

struct blk_worker {
	struct virtio_blk *blk;
	pthread_t thread;
	uint8_t bounce[BLK_BOUNCE_SIZE];
	struct virtq_chain chain;
};

struct virtio_blk {
	struct virtio_device device;
	struct disk_file *disk;
	bool asynchronous;      /* requests run on the worker threads, not the vCPU's */
	pthread_cond_t work;    /* signalled under the device lock when the driver notifies */
	bool work_pending;      /* the queue may hold requests no worker has taken */
	unsigned requests_in_flight; /* served by workers outside the device lock */
	bool resetting;         /* a reset waits for those requests: take no other */
	pthread_cond_t idle;    /* signalled under the device lock when a request is done */
	struct blk_worker workers[BLK_WORKERS]; /* [0] serves the synchronous mode too */
};

int virtio_blk_parse_request(const struct virtq_chain *chain,
			     struct virtio_blk_parsed_request *request)
{
	struct virtio_blk_outhdr header;

	memset(request, 0, sizeof(*request));
	/* 5.2.6: header (device-readable), data, then one status byte (device-writable). */
	if (chain->writable_count == 0 || chain->readable_bytes < sizeof(header))
		return -EINVAL;
	const struct virtq_buffer *last =
		&chain->buffers[chain->readable_count + chain->writable_count - 1];
	if (last->length == 0)
		return -EINVAL;
	if (virtq_chain_read(chain, 0, &header, sizeof(header)) != sizeof(header))
		return -EINVAL;
	request->type = header.type;
	request->sector = header.sector;
	request->status = last->host + last->length - 1;
	request->data_offset = sizeof(header);
	if (header.type == VIRTIO_BLK_T_IN || header.type == VIRTIO_BLK_T_GET_ID)
		request->data_length = chain->writable_bytes - 1;
	else
		request->data_length = chain->readable_bytes - sizeof(header);
	return 0;
}

static uint8_t blk_transfer(struct virtio_blk *blk, uint8_t *bounce, const struct virtq_chain *chain,
			    const struct virtio_blk_parsed_request *request, uint32_t *written)
{
	struct disk_file *disk = blk->disk;
	uint64_t offset, end;
	bool is_read = request->type == VIRTIO_BLK_T_IN;

	if (request->data_length % BLK_SECTOR)
		return VIRTIO_BLK_S_IOERR;
	if (__builtin_mul_overflow(request->sector, BLK_SECTOR, &offset) ||
	    __builtin_add_overflow(offset, request->data_length, &end) || end > disk->size)
		return VIRTIO_BLK_S_IOERR;
	if (!is_read && disk->read_only)
		return VIRTIO_BLK_S_IOERR;
	/*
	 * Straight between the file and guest memory, one vectored call for the whole request:
	 * the bounce buffer's extra copy (and a call per 64 KiB) halved sequential reads.
	 */
	struct iovec iov[VIRTQ_MAX_SIZE];
	int count = virtq_chain_iov(chain, is_read, is_read ? 0 : request->data_offset, request->data_length,
				    iov, VIRTQ_MAX_SIZE);
	if (count >= 0) {
		int ret = is_read ? disk_file_readv(disk, offset, iov, count)
				  : disk_file_writev(disk, offset, iov, count);
		if (ret == 0) {
			if (is_read) {
				atomic_fetch_add(&blk->device.bytes_to_guest, request->data_length);
				*written = (uint32_t)request->data_length;
			} else {
				atomic_fetch_add(&blk->device.bytes_from_guest, request->data_length);
			}
			return VIRTIO_BLK_S_OK;
		}
		if (ret != -ENOSYS)
			return VIRTIO_BLK_S_IOERR;
	}
	for (uint64_t done = 0; done < request->data_length;) {
		size_t piece = request->data_length - done < BLK_BOUNCE_SIZE
				       ? (size_t)(request->data_length - done)
				       : BLK_BOUNCE_SIZE;
		if (is_read) {
			if (disk_file_read(disk, offset + done, bounce, piece) < 0)
				return VIRTIO_BLK_S_IOERR;
			virtq_chain_write(chain, done, bounce, piece);
			atomic_fetch_add(&blk->device.bytes_to_guest, piece);
		} else {
			virtq_chain_read(chain, request->data_offset + done, bounce, piece);
			if (disk_file_write(disk, offset + done, bounce, piece) < 0)
				return VIRTIO_BLK_S_IOERR;
			atomic_fetch_add(&blk->device.bytes_from_guest, piece);
		}
		done += piece;
	}
	if (is_read)
		*written = (uint32_t)request->data_length;
	return VIRTIO_BLK_S_OK;
}

static uint8_t blk_discard(struct virtio_blk *blk, const struct virtq_chain *chain,
			   const struct virtio_blk_parsed_request *request)
{
	struct virtio_blk_discard_write_zeroes segment;
	uint64_t count = request->data_length / sizeof(segment);

	if (request->data_length % sizeof(segment) || count == 0 ||
	    count > BLK_MAX_DISCARD_SEGMENTS)
		return VIRTIO_BLK_S_IOERR;
	if (blk->disk->read_only)
		return VIRTIO_BLK_S_IOERR;
	for (uint64_t i = 0; i < count; i++) {
		uint64_t offset, length, end;
		virtq_chain_read(chain, request->data_offset + i * sizeof(segment), &segment,
				 sizeof(segment));
		if (__builtin_mul_overflow(segment.sector, BLK_SECTOR, &offset) ||
		    __builtin_mul_overflow((uint64_t)segment.num_sectors, BLK_SECTOR, &length) ||
		    __builtin_add_overflow(offset, length, &end) || end > blk->disk->size ||
		    (segment.flags & ~VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP))
			return VIRTIO_BLK_S_IOERR;
		int ret = request->type == VIRTIO_BLK_T_DISCARD
				  ? disk_file_discard(blk->disk, offset, length)
				  : disk_file_write_zeroes(blk->disk, offset, length,
							 segment.flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP);
		if (ret < 0)
			return VIRTIO_BLK_S_IOERR;
	}
	return VIRTIO_BLK_S_OK;
}

static uint8_t blk_execute(struct virtio_blk *blk, uint8_t *bounce, const struct virtq_chain *chain,
			   const struct virtio_blk_parsed_request *request, uint32_t *written)
{
	switch (request->type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		return blk_transfer(blk, bounce, chain, request, written);
	case VIRTIO_BLK_T_FLUSH:
		return disk_file_flush(blk->disk) < 0 ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_GET_ID: {
		static const char id[VIRTIO_BLK_ID_BYTES] = "mvm-disk";
		size_t length = request->data_length < sizeof(id) ? request->data_length : sizeof(id);
		*written = (uint32_t)virtq_chain_write(chain, 0, id, length);
		return VIRTIO_BLK_S_OK;
	}
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		return blk_discard(blk, chain, request);
	default:
		return VIRTIO_BLK_S_UNSUPP;
	}
}

static uint64_t blk_features(struct virtio_device *device)
{
	struct virtio_blk *blk = device->state;
	uint64_t features = (1ULL << VIRTIO_BLK_F_FLUSH) | (1ULL << VIRTIO_BLK_F_SEG_MAX) |
			    (1ULL << VIRTIO_BLK_F_BLK_SIZE);

	if (blk->disk->read_only)
		features |= 1ULL << VIRTIO_BLK_F_RO;
	else
		features |= (1ULL << VIRTIO_BLK_F_DISCARD) | (1ULL << VIRTIO_BLK_F_WRITE_ZEROES);
	return features;
}

static void blk_read_config(struct virtio_device *device, uint32_t offset, uint8_t *data,
			    uint32_t size)
{
	struct virtio_blk *blk = device->state;
	struct virtio_blk_config config;

	memset(&config, 0, sizeof(config));
	config.capacity = blk->disk->size / BLK_SECTOR;
	config.seg_max = BLK_QUEUE_SIZE - 2;
	config.blk_size = BLK_SECTOR;
	config.max_discard_sectors = UINT32_MAX;
	config.max_discard_seg = BLK_MAX_DISCARD_SEGMENTS;
	config.discard_sector_alignment = 8;
	config.max_write_zeroes_sectors = UINT32_MAX;
	config.max_write_zeroes_seg = BLK_MAX_DISCARD_SEGMENTS;
	config.write_zeroes_may_unmap = 1;
	if (offset + size <= sizeof(config))
		memcpy(data, (uint8_t *)&config + offset, size);
}

/*
 * Device lock held. Takes the next request off the queue: 1 when worker->chain
 * holds one (parsed into request), 0 when there is none, negative after the
 * device was failed.
 */
static int blk_next_request(struct virtio_blk *blk, struct blk_worker *worker,
			    struct virtio_blk_parsed_request *request)
{
	struct virtio_device *device = &blk->device;
	int ret;

	if (blk->resetting || !virtio_device_running(device))
		return 0;
	ret = virtqueue_pop(&device->queues[0], device->memory, &worker->chain);
	if (ret < 0) {
		virtio_device_fail(device, "malformed descriptor chain", ret);
		return ret;
	}
	if (ret == 0)
		return 0;
	if (virtio_blk_parse_request(&worker->chain, request) < 0) {
		virtio_device_fail(device, "block request without header or status", -EINVAL);
		return -EINVAL;
	}
	return 1;
}

/* Device lock held. */
static void blk_complete(struct virtio_blk *blk, struct blk_worker *worker,
			 const struct virtio_blk_parsed_request *request, uint8_t status, uint32_t written)
{
	struct virtio_device *device = &blk->device;

	*request->status = status;
	if (status != VIRTIO_BLK_S_OK)
		written = 0;
	virtqueue_push(&device->queues[0], device->memory, worker->chain.head, written + 1);
	virtio_device_signal_used(device, 0);
}

/* Synchronous mode: the notifying thread serves everything, the device lock held. */
static void blk_process_queue(struct virtio_blk *blk)
{
	struct blk_worker *worker = &blk->workers[0];
	struct virtio_blk_parsed_request request;

	while (blk_next_request(blk, worker, &request) == 1) {
		uint32_t written = 0;
		uint8_t status = blk_execute(blk, worker->bounce, &worker->chain, &request, &written);
		blk_complete(blk, worker, &request, status, written);
	}
}

static void *blk_worker_run(void *argument)
{
	struct blk_worker *worker = argument;
	struct virtio_blk *blk = worker->blk;
	struct virtio_device *device = &blk->device;
	struct virtio_blk_parsed_request request;

	pthread_mutex_lock(&device->lock);
	for (;;) {
		while (!blk->work_pending || blk->resetting)
			pthread_cond_wait(&blk->work, &device->lock);
		if (blk_next_request(blk, worker, &request) != 1) {
			/* The queue ran dry (or the device failed): the next notify wakes us. */
			blk->work_pending = false;
			continue;
		}
		/* There may be more: another worker takes the next one meanwhile. */
		pthread_cond_signal(&blk->work);
		blk->requests_in_flight++;
		pthread_mutex_unlock(&device->lock);
		uint32_t written = 0;
		uint8_t status = blk_execute(blk, worker->bounce, &worker->chain, &request, &written);
		pthread_mutex_lock(&device->lock);
		blk->requests_in_flight--;
		blk_complete(blk, worker, &request, status, written);
		if (blk->requests_in_flight == 0)
			pthread_cond_broadcast(&blk->idle);
	}
	return NULL;
}

static void blk_queue_notify(struct virtio_device *device, uint16_t queue_index)
{
	struct virtio_blk *blk = device->state;
	(void)queue_index;

	if (blk->asynchronous) {
		blk->work_pending = true;
		pthread_cond_signal(&blk->work);
	} else {
		blk_process_queue(blk);
	}
}

static void blk_reset(struct virtio_device *device)
{
	struct virtio_blk *blk = device->state;

	/*
	 * virtio 1.2 2.4.1: once reset, the device does not touch the queues
	 * or send notifications. Requests the workers serve outside the lock
	 * still complete into the queues as they are; then they take no other.
	 */
	blk->resetting = true;
	while (blk->requests_in_flight)
		pthread_cond_wait(&blk->idle, &device->lock);
	blk->resetting = false;
	blk->work_pending = false;
}

static const struct virtio_dev_ops virtio_blk_ops = {
	.name = "blk",
	.device_id = 2,
	.queue_count = 1,
	.queue_max_size = BLK_QUEUE_SIZE,
	.config_size = sizeof(struct virtio_blk_config),
	.features = blk_features,
	.read_config = blk_read_config,
	.queue_notify = blk_queue_notify,
	.reset = blk_reset,
};

int virtio_blk_init(struct virtio_device **device, const struct guest_memory *memory,
		    struct disk_file *disk, bool asynchronous)
{
	struct virtio_blk *blk = calloc(1, sizeof(*blk));
	int ret;

	if (!blk)
		return -ENOMEM;
	blk->disk = disk;
	blk->asynchronous = asynchronous;
	pthread_cond_init(&blk->work, NULL);
	pthread_cond_init(&blk->idle, NULL);
	virtio_device_init(&blk->device, &virtio_blk_ops, blk, memory);
	for (unsigned i = 0; i < BLK_WORKERS; i++)
		blk->workers[i].blk = blk;
	if (asynchronous) {
		pthread_attr_t attributes;
		pthread_attr_init(&attributes);
		pthread_attr_setstacksize(&attributes, 256 * 1024);
		for (unsigned i = 0; i < BLK_WORKERS; i++) {
			char name[16];
			ret = pthread_create(&blk->workers[i].thread, &attributes, blk_worker_run,
					     &blk->workers[i]);
			if (ret != 0) {
				/* Setup only: the monitor dies on this error (the workers started wait for work that never comes). */
				pthread_attr_destroy(&attributes);
				return -ret;
			}
			snprintf(name, sizeof(name), "virtio-blk/%u", i);
			pthread_setname_np(blk->workers[i].thread, name);
		}
		pthread_attr_destroy(&attributes);
	}
	*device = &blk->device;
	return 0;
}
