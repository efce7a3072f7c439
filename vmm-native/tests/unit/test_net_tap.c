/*
 * virtio-net on a real tap, in a network namespace of the test's own (its
 * thread's): the tap carries the virtio-net header both ways, a checksum the
 * guest left to the device is completed on the host, and a partial checksum
 * reaches the guest only when its driver took VIRTIO_NET_F_GUEST_CSUM.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "devices.h"
#include "unit.h"

#define TAP_NAME "mvmunit0"
#define HOST_ADDRESS "10.0.2.1"
#define GUEST_ADDRESS "10.0.2.2"
#define HOST_PORT 5000
#define GUEST_PORT 4000
#define ETHERNET_HEADER 14
#define IP_HEADER 20
#define UDP_HEADER 8

static const uint8_t guest_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

static void skip(const char *why)
{
	printf("SKIP  unit: net-tap: %s (%s)\n", why, strerror(errno));
}

static uint32_t sum16(const uint8_t *data, size_t length, uint32_t sum)
{
	for (size_t i = 0; i + 1 < length; i += 2)
		sum += (uint32_t)(data[i] << 8 | data[i + 1]);
	if (length & 1)
		sum += (uint32_t)data[length - 1] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static void put16(uint8_t *at, uint16_t value)
{
	at[0] = (uint8_t)(value >> 8);
	at[1] = (uint8_t)value;
}

/*
 * An Ethernet frame with a UDP datagram from the guest to the host whose UDP
 * checksum field holds only the pseudo-header's sum, as a driver leaves it
 * for a device that offers VIRTIO_NET_F_CSUM (5.1.6.2).
 */
static size_t udp_frame_with_partial_checksum(uint8_t *frame, const uint8_t host_mac[6], const char *payload)
{
	size_t payload_length = strlen(payload);
	uint16_t udp_length = (uint16_t)(UDP_HEADER + payload_length);
	uint8_t *ip = frame + ETHERNET_HEADER, *udp = ip + IP_HEADER;
	struct in_addr source, destination;

	inet_pton(AF_INET, GUEST_ADDRESS, &source);
	inet_pton(AF_INET, HOST_ADDRESS, &destination);
	memcpy(frame, host_mac, 6);
	memcpy(frame + 6, guest_mac, 6);
	put16(frame + 12, 0x0800);
	memset(ip, 0, IP_HEADER);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(IP_HEADER + udp_length));
	ip[8] = 64;
	ip[9] = IPPROTO_UDP;
	memcpy(ip + 12, &source, 4);
	memcpy(ip + 16, &destination, 4);
	put16(ip + 10, (uint16_t)~fold(sum16(ip, IP_HEADER, 0)));
	put16(udp, GUEST_PORT);
	put16(udp + 2, HOST_PORT);
	put16(udp + 4, udp_length);
	memcpy(udp + UDP_HEADER, payload, payload_length);
	uint32_t pseudo = sum16(ip + 12, 8, 0) + IPPROTO_UDP + udp_length;
	put16(udp + 6, fold(pseudo));
	return ETHERNET_HEADER + IP_HEADER + udp_length;
}

static bool interface_ioctl(int sock, unsigned long request, struct ifreq *ifr)
{
	snprintf(ifr->ifr_name, IFNAMSIZ, "%s", TAP_NAME);
	return ioctl(sock, request, ifr) == 0;
}

static bool configure_host_side(int sock, uint8_t host_mac[6])
{
	struct ifreq ifr;
	struct sockaddr_in *address = (struct sockaddr_in *)&ifr.ifr_addr;

	memset(&ifr, 0, sizeof(ifr));
	address->sin_family = AF_INET;
	inet_pton(AF_INET, HOST_ADDRESS, &address->sin_addr);
	if (!interface_ioctl(sock, SIOCSIFADDR, &ifr))
		return false;
	inet_pton(AF_INET, "255.255.255.0", &address->sin_addr);
	if (!interface_ioctl(sock, SIOCSIFNETMASK, &ifr))
		return false;
	memset(&ifr, 0, sizeof(ifr));
	if (!interface_ioctl(sock, SIOCGIFFLAGS, &ifr))
		return false;
	ifr.ifr_flags |= IFF_UP;
	if (!interface_ioctl(sock, SIOCSIFFLAGS, &ifr) || !interface_ioctl(sock, SIOCGIFHWADDR, &ifr))
		return false;
	memcpy(host_mac, ifr.ifr_hwaddr.sa_data, 6);
	/* The guest's address answers no ARP here: a permanent neighbour entry. */
	struct arpreq arp;
	memset(&arp, 0, sizeof(arp));
	struct sockaddr_in *protocol_address = (struct sockaddr_in *)&arp.arp_pa;
	protocol_address->sin_family = AF_INET;
	inet_pton(AF_INET, GUEST_ADDRESS, &protocol_address->sin_addr);
	arp.arp_ha.sa_family = ARPHRD_ETHER;
	memcpy(arp.arp_ha.sa_data, guest_mac, 6);
	arp.arp_flags = ATF_PERM | ATF_COM;
	snprintf(arp.arp_dev, sizeof(arp.arp_dev), "%s", TAP_NAME);
	return ioctl(sock, SIOCSARP, &arp) == 0;
}

static void transmit(struct virtq_helper *helper, struct virtio_device *device, struct fake_guest *guest,
		     const struct virtio_net_hdr_v1 *header, const uint8_t *frame, size_t length)
{
	struct chain_buffer chain[2] = {
		{ fake_guest_store(guest, header, sizeof(*header)), sizeof(*header), false },
		{ fake_guest_store(guest, frame, length), (uint32_t)length, false },
	};
	virtq_helper_add(helper, chain, 2);
	pthread_mutex_lock(&device->lock);
	device->ops->queue_notify(device, 1);
	pthread_mutex_unlock(&device->lock);
}

/* The host sends a datagram to the guest; returns the header the guest received with it. */
static bool host_to_guest(int udp, struct virtq_helper *helper, struct virtio_device *device,
			  struct fake_guest *guest, struct event_loop *loop, struct virtio_net_hdr_v1 *header)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(GUEST_PORT) };
	uint32_t id, length;

	inet_pton(AF_INET, GUEST_ADDRESS, &to.sin_addr);
	uint64_t buffer = fake_guest_alloc(guest, 2048, 8);
	struct chain_buffer chain = { buffer, 2048, true };
	virtq_helper_add(helper, &chain, 1);
	pthread_mutex_lock(&device->lock);
	device->ops->queue_notify(device, 0);
	pthread_mutex_unlock(&device->lock);
	if (sendto(udp, "to the guest", 12, 0, (struct sockaddr *)&to, sizeof(to)) != 12)
		return false;
	for (int i = 0; i < 20; i++) {
		event_loop_run_once(loop, 50);
		pthread_mutex_lock(&device->lock);
		bool used = virtq_helper_used(helper, &id, &length);
		pthread_mutex_unlock(&device->lock);
		if (!used)
			continue;
		const uint8_t *received = fake_guest_host(guest, buffer);
		if (length != sizeof(*header) + ETHERNET_HEADER + IP_HEADER + UDP_HEADER + 12 ||
		    memcmp(received + length - 12, "to the guest", 12) != 0) {
			/* something else the host sent (an IPv6 router solicitation): post the buffer again */
			virtq_helper_add(helper, &chain, 1);
			pthread_mutex_lock(&device->lock);
			device->ops->queue_notify(device, 0);
			pthread_mutex_unlock(&device->lock);
			continue;
		}
		memcpy(header, received, sizeof(*header));
		return true;
	}
	return false;
}

static void *run_in_own_namespace(void *unused)
{
	struct fake_guest guest;
	struct virtio_device *device;
	struct virtq_helper receive, transmit_queue;
	struct event_loop loop;
	uint8_t host_mac[6], frame[256];
	char datagram[64];
	(void)unused;

	/* Only this thread moves: the network namespace is a per-thread attribute. */
	if (unshare(CLONE_NEWNET) < 0) {
		skip("no network namespace of its own");
		return NULL;
	}
	int tap = net_tap_open(TAP_NAME);
	if (tap < 0) {
		errno = -tap;
		skip("no tap device");
		return NULL;
	}
	int control = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in bound = { .sin_family = AF_INET, .sin_port = htons(HOST_PORT) };
	inet_pton(AF_INET, HOST_ADDRESS, &bound.sin_addr);
	CHECK(control >= 0 && udp >= 0);
	CHECK(configure_host_side(control, host_mac));
	CHECK_EQ(bind(udp, (struct sockaddr *)&bound, sizeof(bound)), 0);

	fake_guest_init(&guest, 1 << 20);
	CHECK_EQ(event_loop_init(&loop), 0);
	CHECK_EQ(virtio_net_init(&device, &guest.memory, &loop, tap, guest_mac, net_tap_set_offloads), 0);
	device_make_running(device);
	device->driver_features |= (1ULL << VIRTIO_NET_F_CSUM) | (1ULL << VIRTIO_NET_F_GUEST_CSUM);
	device->ops->driver_ready(device);
	virtq_helper_init(&receive, &guest, &device->queues[0], 16);
	virtq_helper_init(&transmit_queue, &guest, &device->queues[1], 16);

	/*
	 * Guest to host: the same datagram with only the pseudo-header's sum in
	 * its checksum field, first as a plain frame (a wrong checksum: the host
	 * drops it), then with NEEDS_CSUM (the host takes the checksum as done).
	 */
	struct virtio_net_hdr_v1 plain = { 0 };
	struct virtio_net_hdr_v1 offloaded = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
					       .csum_start = ETHERNET_HEADER + IP_HEADER,
					       .csum_offset = 6 };
	size_t length = udp_frame_with_partial_checksum(frame, host_mac, "checksum left out");
	transmit(&transmit_queue, device, &guest, &plain, frame, length);
	length = udp_frame_with_partial_checksum(frame, host_mac, "checksum offloaded");
	transmit(&transmit_queue, device, &guest, &offloaded, frame, length);
	struct pollfd ready = { udp, POLLIN, 0 };
	CHECK_EQ(poll(&ready, 1, 2000), 1);
	ssize_t got = recv(udp, datagram, sizeof(datagram), MSG_DONTWAIT);
	CHECK_EQ(got, 18);
	CHECK(got == 18 && memcmp(datagram, "checksum offloaded", 18) == 0);
	CHECK_EQ(recv(udp, datagram, sizeof(datagram), MSG_DONTWAIT), -1); /* the plain one was dropped */
	CHECK_EQ(atomic_load(&device->bytes_from_guest), 2 * length - 1);

	/* Host to guest: a partial checksum with NEEDS_CSUM, since the driver took GUEST_CSUM... */
	struct virtio_net_hdr_v1 header;
	CHECK(host_to_guest(udp, &receive, device, &guest, &loop, &header));
	CHECK(header.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM);
	CHECK_EQ(header.csum_start, ETHERNET_HEADER + IP_HEADER);
	CHECK_EQ(header.csum_offset, 6);
	CHECK_EQ(header.num_buffers, 1);
	/* ...and a whole checksum after a reset, for a driver that did not take it. */
	pthread_mutex_lock(&device->lock);
	virtio_device_reset(device);
	pthread_mutex_unlock(&device->lock);
	device_make_running(device);
	device->ops->driver_ready(device);
	virtq_helper_init(&receive, &guest, &device->queues[0], 16);
	CHECK(host_to_guest(udp, &receive, device, &guest, &loop, &header));
	CHECK_EQ(header.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM, 0);

	close(udp);
	close(control);
	close(tap);
	fake_guest_release(&guest);
	return NULL;
}

void test_net_tap(void)
{
	pthread_t thread;

	if (pthread_create(&thread, NULL, run_in_own_namespace, NULL) != 0) {
		CHECK(false);
		return;
	}
	pthread_join(thread, NULL);
}
