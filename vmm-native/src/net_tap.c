#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "devices.h"

int net_tap_open(const char *name)
{
	struct ifreq request;
	int fd, ret;

	if (strlen(name) >= IFNAMSIZ)
		return -ENAMETOOLONG;
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	memset(&request, 0, sizeof(request));
	/*
	 * Frames without the packet-information prefix, each behind a virtio-net
	 * header (IFF_VNET_HDR) of the guest's size: virtio 1.x's 12 bytes, with
	 * num_buffers, which the tap skips. The header carries checksum and
	 * segmentation offloads both ways; little endian, as on the host.
	 */
	request.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	strcpy(request.ifr_name, name);
	int header_size = NET_TAP_HEADER_SIZE;
	if (ioctl(fd, TUNSETIFF, &request) < 0 || ioctl(fd, TUNSETVNETHDRSZ, &header_size) < 0 ||
	    ioctl(fd, TUNSETOFFLOAD, 0) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

int net_tap_set_offloads(int fd, unsigned offloads)
{
	if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)offloads) < 0)
		return -errno;
	return 0;
}
